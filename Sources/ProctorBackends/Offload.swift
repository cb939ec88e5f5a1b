import Foundation

/// Runs blocking work (a generation of the built-in model) on a thread of its own, so it never
/// holds one of the few threads Swift's concurrency runs every task on: the rest of the run (other
/// cases, HTTP calls, reports) keeps moving while a model computes.
public enum Offload {
    /// `body`'s result, computed on a new thread.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (cont: CheckedContinuation<T, Never>) in
            let t = Thread { cont.resume(returning: body()) }
            t.name = "proctor-offload"
            t.stackSize = 8 << 20
            t.start()
        }
    }
}
