import Dispatch
import Synchronization

/// Writes a run's report files side by side: each is streamed to its own temporary file and
/// renamed into place, and the large ones (JUnit, JSON) are serialised on different cores.
public enum ReportFiles {
    /// One report: what it is called in messages, where it goes, and what writes it.
    public typealias Report = (what: String, path: String, write: @Sendable (inout ReportSink) -> Void)

    /// Writes every report; returns the first failure in list order ("cannot write the JSON
    /// results to PATH: why"), or nil when all were written. A failed one does not stop the others.
    public static func write(_ reports: [Report]) -> String? {
        let failures = Mutex([String?](repeating: nil, count: reports.count))
        DispatchQueue.concurrentPerform(iterations: reports.count) { i in
            let r = reports[i]
            do { try AtomicFile.write(to: r.path) { r.write(&$0) } } catch {
                failures.withLock { $0[i] = "cannot write the \(r.what) to \(r.path): \(error.localizedDescription)" }
            }
        }
        return failures.withLock { $0.compactMap { $0 }.first }
    }
}
