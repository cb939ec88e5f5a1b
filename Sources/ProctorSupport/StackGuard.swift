import CProctorSystem

/// Recursive code (parsers, the schema evaluator) checks the stack it has left, so deep input ends in
/// an error instead of overflowing a small stack: Swift task threads have 512 KB, sanitizer builds
/// use bigger frames.
public enum StackGuard {
    /// The thread's stack bottom and the lowest address recursion may reach (a margin above it).
    public struct Bounds: Sendable {
        let low: UInt
        let floor: UInt
    }

    /// The calling thread's stack bounds, with the floor at half the stack or 128 KB above its bottom, whichever is less; zero bounds (never low) when the stack cannot be found.
    public static func floor() -> Bounds {
        let low = UInt(proctor_stack_low()), size = UInt(proctor_stack_size())
        guard low > 0, size > 0 else { return Bounds(low: 0, floor: 0) }
        return Bounds(low: low, floor: low + min(size / 2, 128 * 1024))
    }

    /// True when the stack position is below the floor. The position comes from the frame pointer,
    /// not a local's address, because sanitizers may keep locals on fake stacks on the heap.
    @inline(__always)
    public static func isLow(_ b: Bounds) -> Bool {
        let a = UInt(proctor_stack_position())
        return a >= b.low && a < b.floor
    }
}
