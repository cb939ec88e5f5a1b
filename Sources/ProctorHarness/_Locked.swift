import Synchronization

/// A value behind a mutex, for the few pieces of process-wide state (hooks set at start-up).
final class _Locked<T: Sendable>: Sendable {
    private let m: Mutex<T>
    init(_ v: T) { m = Mutex(v) }
    func get() -> T { m.withLock { $0 } }
    func set(_ v: T) { m.withLock { $0 = v } }
}
