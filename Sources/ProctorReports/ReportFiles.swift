import Dispatch
import Foundation
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
        @Sendable func one(_ i: Int) {
            let r = reports[i]
            do { try AtomicFile.write(to: r.path) { r.write(&$0) } } catch {
                failures.withLock { $0[i] = "cannot write the \(r.what) to \(r.path): \(error.localizedDescription)" }
            }
        }
        // Each report but the first on a thread of its own, the first on this one. Not the
        // dispatch pool: this thread waits (or works) here and the pool counts it as busy, so
        // on a 2-core machine a report queued there would start only when the pool's monitor
        // next looks (about 100 ms on Linux), and the JSON results' own lanes would find no
        // thread free.
        let group = DispatchGroup()
        for i in reports.indices.dropFirst() {
            group.enter()
            Thread.detachNewThread {
                one(i)
                group.leave()
            }
        }
        if !reports.isEmpty { one(0) }
        group.wait()
        return failures.withLock { $0.compactMap { $0 }.first }
    }
}
