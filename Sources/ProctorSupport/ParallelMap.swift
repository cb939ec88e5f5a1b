import Dispatch

/// Work spread over every core with `concurrentPerform`, each iteration's result in a slot of its
/// own.
public enum Parallel {
    /// `body(0)`, …, `body(count − 1)` side by side, their results in index order.
    ///
    /// No lock is taken: iteration `k` initializes only slot `k`, and `concurrentPerform` returns
    /// after every iteration has finished, which orders the writes before the caller's reads. (A
    /// `Mutex` here is correct but, contended, sleeps in the kernel's futex, where Thread
    /// Sanitizer cannot see the hand-over and reports a race.)
    public static func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        return [T](unsafeUninitializedCapacity: count) { slots, initialized in
            let base = Slots(base: slots.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: count) { k in (base.base + k).initialize(to: body(k)) }
            initialized = count
        }
    }

    /// The slots' start, handed to the iterations.
    ///
    /// `@unchecked Sendable` is sound: each iteration writes one slot that no other touches, and
    /// the caller reads none of them until `concurrentPerform` has returned.
    struct Slots<T>: @unchecked Sendable { let base: UnsafeMutablePointer<T> }
}
