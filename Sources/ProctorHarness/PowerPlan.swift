import Foundation

/// How many cases a paired comparison of two prompt versions needs, or what a given number can
/// detect, computed for the exact McNemar test `diff` uses (not the normal approximation, which
/// promises power it does not have at these sizes).
///
/// Model: each case is discordant (the versions disagree) with probability `q`; a discordant case
/// is an improvement with probability (q + d)/(2q) and a regression otherwise, so the pass rate
/// moves by `d`. Power at n cases is the probability that the two-sided exact test rejects at
/// `alpha`: the sum over the number m of discordant cases (binomial in n and q) of the chance that
/// the regressions fall in the test's rejection region for m.
public enum PowerPlan {
    /// The answer: cases needed (or given), the change, the power reached and how it was computed.
    public struct Answer: Sendable, Equatable {
        /// Paired cases.
        public let cases: Int
        /// The change in pass rate (head − base).
        public let change: Double
        /// The share of discordant cases assumed.
        public let discordance: Double
        /// The exact test's power at `cases`.
        public let power: Double
        /// What was computed, for the JSON's `method`.
        public static let method = "exact McNemar test (two-sided, conditional binomial), power summed over the number of discordant cases"
    }

    /// The share of discordant cases when the two versions fail independently: p(1−p₂) + p₂(1−p).
    public static func independentDiscordance(baseline p: Double, change d: Double) -> Double {
        let p2 = p + d
        return p * (1 - p2) + p2 * (1 - p)
    }

    /// The smallest k with a two-sided exact McNemar p ≤ alpha when `b` ≤ k of `m` discordant
    /// cases are regressions, for every m up to `maxM` (-1 where no split of m rejects).
    static func rejectionBounds(maxM: Int, alpha: Double) -> [Int] {
        var bounds = [Int](repeating: -1, count: maxM + 1)
        guard maxM >= 1 else { return bounds }
        for m in 1...maxM {
            // Two-sided p for the split k : m−k is min(1, 2·P(X ≤ k)), X ~ Bin(m, ½): the largest such k ≤ m/2.
            var cdf = 0.0, k = -1
            let logHalf = Double(m) * log(0.5)
            for i in 0...(m / 2) {
                cdf += exp(logChoose(m, i) + logHalf)
                if 2 * cdf <= alpha * (1 + 1e-12) { k = i } else { break }
            }
            bounds[m] = k
        }
        return bounds
    }

    /// Power at each n = 1…maxCases for discordance `q` and change `d` (|d| ≤ q).
    public static func powers(maxCases: Int, discordance q: Double, change d: Double, alpha: Double) -> [Double] {
        guard q > 0, abs(d) <= q, maxCases >= 1 else { return [Double](repeating: 0, count: max(maxCases, 0) + 1) }
        let bounds = rejectionBounds(maxM: maxCases, alpha: alpha)
        let r = (q - d) / (2 * q)  // a discordant case is a regression
        // R(m): the chance that the regressions among m discordant cases land in the rejection region.
        var reject = [Double](repeating: 0, count: maxCases + 1)
        for m in 1...maxCases where bounds[m] >= 0 {
            let k = bounds[m]
            var low = 0.0, high = 0.0
            for b in 0...k { low += binomialPMF(m, b, r) }
            for b in (m - k)...m { high += binomialPMF(m, b, r) }
            reject[m] = min(1, low + high)
        }
        var out = [Double](repeating: 0, count: maxCases + 1)
        for n in 1...maxCases {
            var p = 0.0
            for m in 1...n where reject[m] > 0 { p += binomialPMF(n, m, q) * reject[m] }
            out[n] = min(1, p)
        }
        return out
    }

    /// The fewest cases whose exact test reaches `power`, up to `maxCases`; nil beyond.
    public static func casesNeeded(discordance q: Double, change d: Double, alpha: Double, power: Double, maxCases: Int = 4000) -> Answer? {
        let ps = powers(maxCases: maxCases, discordance: q, change: d, alpha: alpha)
        guard let n = (1...maxCases).first(where: { ps[$0] >= power }) else { return nil }
        return Answer(cases: n, change: d, discordance: q, power: ps[n])
    }

    /// The smallest change (to 0.001) that `cases` cases detect with `power`, found by bisection
    /// (power grows with the change); with `discordance` nil, the share discordant under
    /// independence at each change.
    public static func detectableChange(cases n: Int, baseline p: Double, discordance q: Double?, alpha: Double, power: Double) -> Answer? {
        func at(_ d: Double) -> (q: Double, power: Double) {
            let qq = q ?? independentDiscordance(baseline: p, change: d)
            guard d <= qq + 1e-12 else { return (qq, 0) }
            return (qq, powers(maxCases: n, discordance: qq, change: min(d, qq), alpha: alpha)[n])
        }
        var lo = 0.0, hi = min(1 - p, q ?? 1)  // a change larger than the discordance cannot happen
        guard hi > 0, at(hi).power >= power else { return nil }
        while hi - lo > 0.0005 {
            let mid = (lo + hi) / 2
            if at(mid).power >= power { hi = mid } else { lo = mid }
        }
        let d = (hi * 1000).rounded(.up) / 1000
        let r = at(min(d, 1 - p))
        return Answer(cases: n, change: d, discordance: r.q, power: r.power)
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) }

    static func binomialPMF(_ n: Int, _ k: Int, _ p: Double) -> Double {
        if p <= 0 { return k == 0 ? 1 : 0 }
        if p >= 1 { return k == n ? 1 : 0 }
        return exp(logChoose(n, k) + Double(k) * log(p) + Double(n - k) * log(1 - p))
    }
}
