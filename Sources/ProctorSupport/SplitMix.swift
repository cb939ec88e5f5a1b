/// A small seeded generator (SplitMix64), so a seed gives the same instances (and the same
/// `proctor optimize` splits and draws) on every platform.
public struct SplitMix: RandomNumberGenerator, Sendable {
    var state: UInt64
    /// A generator whose sequence `seed` decides.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in 0..<n (0 when n ≤ 1).
    public mutating func int(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    /// `xs` in a seeded random order (Fisher–Yates).
    public mutating func shuffled<T>(_ xs: [T]) -> [T] {
        var a = xs
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(i + 1)) }
        return a
    }
    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
}
