import Synchronization

/// The run's `--fail-fast` flag: set by the first failure, read before every case. An atomic, so
/// a read is one load instead of a lock taken by every worker for every case (and the thread
/// sanitizer sees the hand-over, which it does not for a contended `Mutex`).
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    /// A failure has stopped the run.
    var isSet: Bool { flag.load(ordering: .acquiring) }
    /// Stops the run: cases not yet started are skipped.
    func set() { flag.store(true, ordering: .releasing) }
}
