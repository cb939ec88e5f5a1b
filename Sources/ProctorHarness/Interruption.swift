import Synchronization

/// Ctrl-C for a run: the first `fire()` asks the run to stop (running cases are cancelled and
/// reported as not run), so the reports can still be written.
public final class Interruption: Sendable {
    private let state = Mutex<(count: Int, handlers: [@Sendable () -> Void])>((0, []))

    public init() {}

    public var isFired: Bool { state.withLock { $0.count > 0 } }

    /// Calls `handler` on the first `fire()` (at once if it already happened).
    public func onFire(_ handler: @escaping @Sendable () -> Void) {
        let already = state.withLock { s -> Bool in
            if s.count > 0 { return true }
            s.handlers.append(handler)
            return false
        }
        if already { handler() }
    }

    /// Returns how many times it has fired, this one included.
    @discardableResult
    public func fire() -> Int {
        let (n, hs) = state.withLock { s -> (Int, [@Sendable () -> Void]) in
            s.count += 1
            let hs = s.count == 1 ? s.handlers : []
            return (s.count, hs)
        }
        for h in hs { h() }
        return n
    }
}
