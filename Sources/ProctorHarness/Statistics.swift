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

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}
