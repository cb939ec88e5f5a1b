import Foundation

/// The statistics reports use to tell signal from noise.
public enum Statistics {
    /// 95 % Wilson score interval for `successes` out of `trials` (z = 1.959964).
    public static func wilson(successes: Int, trials: Int, z: Double = 1.959964) -> (low: Double, high: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials), p = Double(successes) / n
        let denom = 1 + z * z / n
        let centre = (p + z * z / (2 * n)) / denom
        let half = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot() / denom
        return (max(0, centre - half), min(1, centre + half))
    }

    /// pass@k, the unbiased estimator of Chen et al. (2021): the chance that at least one of k
    /// samples drawn without replacement from n, of which c passed, passes: 1 − C(n−c, k)/C(n, k).
    public static func passAtK(n: Int, c: Int, k: Int) -> Double {
        guard k >= 1, k <= n, c >= 0, c <= n else { return 0 }
        if n - c < k { return 1 }
        var ratio = 1.0
        for i in 0..<k { ratio *= Double(n - c - i) / Double(n - i) }
        return 1 - ratio
    }

    /// pass^k: the chance that all k samples drawn without replacement pass: C(c, k)/C(n, k).
    public static func passHatK(n: Int, c: Int, k: Int) -> Double {
        guard k >= 1, k <= n, c >= 0, c <= n, c >= k else { return 0 }
        var ratio = 1.0
        for i in 0..<k { ratio *= Double(c - i) / Double(n - i) }
        return ratio
    }

    /// Exact two-sided McNemar test: the binomial probability of a split at least as uneven as
    /// `b` vs `c` discordant pairs under p = ½.
    public static func mcnemarExact(b: Int, c: Int) -> Double {
        let n = b + c
        guard n > 0 else { return 1 }
        let k = min(b, c)
        // Sum C(n, i) / 2^n for i ≤ k, in log space so large n does not overflow.
        var total = 0.0
        for i in 0...k { total += exp(logChoose(n, i) - Double(n) * log(2)) }
        return min(1, 2 * total)
    }

    /// Holm–Bonferroni adjusted p-values, in the order given: sorted ascending, the i-th smallest
    /// (from 0) is multiplied by (m − i), made monotone, and capped at 1. Rejecting where the
    /// adjusted value is below α keeps the chance of any false rejection among the m at most α.
    public static func holm(_ ps: [Double]) -> [Double] {
        let m = ps.count
        let order = ps.indices.sorted { ps[$0] < ps[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * ps[i]))
            adjusted[i] = running
        }
        return adjusted
    }

    /// The seeded generator of the paired bootstrap (SplitMix64), so an interval is reproducible.
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The percentile bootstrap interval (`level`, default 95 %) of the mean of paired differences
    /// `d`: `resamples` resamples of the pairs with replacement, drawn from `seed`; nil without pairs.
    public static func pairedBootstrap(_ d: [Double], resamples: Int = 2000, seed: UInt64 = 2026, level: Double = 0.95)
        -> (mean: Double, low: Double, high: Double)? {
        guard !d.isEmpty, resamples > 0 else { return nil }
        let n = d.count
        let mean = d.reduce(0, +) / Double(n)
        var rng = SplitMix64(state: seed)
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var sum = 0.0
            for _ in 0..<n { sum += d[Int(rng.next() % UInt64(n))] }
            means[r] = sum / Double(n)
        }
        means.sort()
        // Percentiles by the nearest-rank rule on the sorted means.
        func at(_ q: Double) -> Double { means[min(resamples - 1, max(0, Int((q * Double(resamples)).rounded(.up)) - 1))] }
        let tail = (1 - level) / 2
        return (mean, at(tail), at(1 - tail))
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}
