import Synchronization

/// Ctrl-C (or SIGTERM, what CI sends to a cancelled or timed-out job) for a run: the first
/// `fire()` asks the run to stop (running cases are cancelled and reported as not run, their
/// programs' process groups killed), so the reports can still be written.
public final class Interruption: Sendable {
    private let state = Mutex<(count: Int, signal: Int32, handlers: [@Sendable () -> Void])>((0, 0, []))

    /// An interruption that has not fired yet.
    public init() {}

    /// Whether `fire()` has been called, so the run should stop.
    public var isFired: Bool { state.withLock { $0.count > 0 } }

    /// The signal of the first `fire()` (2 for SIGINT, 15 for SIGTERM); 0 before any.
    public var signal: Int32 { state.withLock { $0.signal } }

    /// The exit status an interrupted command ends with: 128 + the signal (130 for Ctrl-C, 143
    /// for SIGTERM), as shells report a process the signal ended.
    public var exitCode: Int32 { 128 + (signal == 0 ? 2 : signal) }

    /// Calls `handler` on the first `fire()` (at once if it already happened).
    public func onFire(_ handler: @escaping @Sendable () -> Void) {
        let already = state.withLock { s -> Bool in
            if s.count > 0 { return true }
            s.handlers.append(handler)
            return false
        }
        if already { handler() }
    }

    /// Records one interruption by `signal` (default SIGINT); returns how many times it has
    /// fired, this one included.
    @discardableResult
    public func fire(signal: Int32 = 2) -> Int {
        let (n, hs) = state.withLock { s -> (Int, [@Sendable () -> Void]) in
            s.count += 1
            if s.count == 1 { s.signal = signal }
            let hs = s.count == 1 ? s.handlers : []
            return (s.count, hs)
        }
        for h in hs { h() }
        return n
    }
}
