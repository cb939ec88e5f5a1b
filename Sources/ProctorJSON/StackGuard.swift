import CProctorSystem

/// Recursive code (parsers, the schema evaluator) checks the stack it has left, so deep input ends in
/// an error instead of overflowing a small stack: Swift task threads have 512 KB, sanitizer builds
/// use bigger frames.
public enum StackGuard {
    /// The lowest address recursion may reach on this thread (a margin above the real end), or 0.
    public static func floor() -> UInt {
        let low = UInt(proctor_stack_low()), size = UInt(proctor_stack_size())
        guard low > 0, size > 0 else { return 0 }
        return low + min(size / 2, 128 * 1024)
    }

    /// True when the caller's frame is below `floor`.
    @inline(__always)
    public static func isLow(_ floor: UInt) -> Bool {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) } < floor
    }
}
