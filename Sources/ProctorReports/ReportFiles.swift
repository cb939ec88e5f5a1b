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
        // Plain async work, not `concurrentPerform`: a writer that spreads its own work over the
        // cores (the JSON results) would get one core inside an apply.
        let group = DispatchGroup()
        for (i, r) in reports.enumerated() {
            DispatchQueue.global().async(group: group) {
                do { try AtomicFile.write(to: r.path) { r.write(&$0) } } catch {
                    failures.withLock { $0[i] = "cannot write the \(r.what) to \(r.path): \(error.localizedDescription)" }
                }
            }
        }
        group.wait()
        return failures.withLock { $0.compactMap { $0 }.first }
    }
}
