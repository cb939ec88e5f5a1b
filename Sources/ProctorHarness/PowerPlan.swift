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

    // MARK: Two independent case sets

    /// How the independent plan is computed, for the JSON's `method`.
    public static let independentMethod = "Fisher's exact test (two-sided, tables at most as likely as the observed one), power summed over both arms' binomial outcomes"

    /// The power of the two-sided Fisher exact test comparing two independent sets of `n` cases
    /// each, passing with probabilities `p1` and `p2`: the chance of the outcomes (x₁, x₂) whose
    /// table it rejects at `alpha`. For each total t the rejection region is found from the
    /// hypergeometric pmf, which is unimodal: its two monotone sides are merged in order of
    /// likelihood, so each p-value is a running sum (scipy's rule: tables at most 1 + 1e-7 times
    /// as likely as the observed one count).
    public static func fisherPower(n: Int, p1: Double, p2: Double, alpha: Double) -> Double {
        guard n >= 1 else { return 0 }
        let b1 = (0...n).map { binomialPMF(n, $0, p1) }, b2 = (0...n).map { binomialPMF(n, $0, p2) }
        var power = 0.0
        var f = [Double](repeating: 0, count: n + 1), pval = [Double](repeating: 0, count: n + 1)
        for t in 0...(2 * n) {
            let lo = max(0, t - n), hi = min(n, t)
            let logTotal = logChoose(2 * n, t)
            var mode = lo
            for x in lo...hi {
                f[x - lo] = exp(logChoose(n, x) + logChoose(n, t - x) - logTotal)
                if f[x - lo] > f[mode - lo] { mode = x }
            }
            // Merge the rising left side (lo…mode) and the falling right side (read from hi back to
            // mode+1) in increasing likelihood; equal values (within the tolerance) share a p-value.
            var i = lo, j = hi, cum = 0.0
            var order: [Int] = []
            order.reserveCapacity(hi - lo + 1)
            while i <= mode || j > mode {
                if j <= mode || (i <= mode && f[i - lo] <= f[j - lo]) { order.append(i); i += 1 } else { order.append(j); j -= 1 }
            }
            var k = 0
            while k < order.count {
                var end = k
                let v = f[order[k] - lo]
                var group = 0.0
                while end < order.count && f[order[end] - lo] <= v * (1 + 1e-7) { group += f[order[end] - lo]; end += 1 }
                cum += group
                for e in k..<end { pval[order[e] - lo] = cum }
                k = end
            }
            for x in lo...hi where pval[x - lo] <= alpha * (1 + 1e-12) { power += b1[x] * b2[t - x] }
        }
        return min(1, power)
    }

    /// The fewest cases per set for Fisher's exact test to reach `power` for a change from
    /// `baseline` by `change`: scanned upward from below the normal approximation's answer (the
    /// exact power is not monotone in n); nil beyond `maxCases`.
    public static func independentCasesNeeded(baseline p: Double, change d: Double, alpha: Double, power: Double, maxCases: Int = 3000) -> Answer? {
        let p2 = p + d
        let z = { (q: Double) in normalQuantile(q) }
        let pooled = (p + p2) / 2
        let approx = pow(z(1 - alpha / 2) * (2 * pooled * (1 - pooled)).squareRoot() + z(power) * (p * (1 - p) + p2 * (1 - p2)).squareRoot(), 2) / (d * d)
        var n = max(2, Int(approx * 0.7))
        // Step back while the power still reaches the target, so the scan starts below the answer.
        while n > 2 && fisherPower(n: n, p1: p, p2: p2, alpha: alpha) >= power { n = max(2, n * 3 / 4) }
        while n <= maxCases {
            let pw = fisherPower(n: n, p1: p, p2: p2, alpha: alpha)
            if pw >= power { return Answer(cases: n, change: d, discordance: 0, power: pw) }
            n += 1
        }
        return nil
    }

    /// The smallest change (to 0.001) two independent sets of `cases` each detect with `power`, by bisection.
    public static func independentDetectableChange(cases n: Int, baseline p: Double, alpha: Double, power: Double) -> Answer? {
        var lo = 0.0, hi = 1 - p
        guard hi > 0, fisherPower(n: n, p1: p, p2: 1, alpha: alpha) >= power else { return nil }
        while hi - lo > 0.0005 {
            let mid = (lo + hi) / 2
            if fisherPower(n: n, p1: p, p2: p + mid, alpha: alpha) >= power { hi = mid } else { lo = mid }
        }
        let d = min((hi * 1000).rounded(.up) / 1000, 1 - p)
        return Answer(cases: n, change: d, discordance: 0, power: fisherPower(n: n, p1: p, p2: p + d, alpha: alpha))
    }

    /// The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9), for the
    /// normal approximation the independent scan starts from.
    static func normalQuantile(_ q: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if q < low {
            let r = (-2 * log(q)).squareRoot()
            return (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
        }
        if q > 1 - low { return -normalQuantile(1 - q) }
        let r = q - 0.5, s = r * r
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1)
    }

    // MARK: Repeats

    /// The chance a case passes its verdict when each of its `repeats` samples passes with
    /// probability `p` and the verdict needs a pass rate of `minPassRate`: P(Bin(R, p) ≥ ⌈m·R⌉).
    public static func verdictPassRate(samplePassRate p: Double, repeats r: Int, minPassRate m: Double) -> Double {
        let need = Int((m * Double(r) - 1e-9).rounded(.up))
        guard need > 0 else { return 1 }
        return (need...r).reduce(0) { $0 + binomialPMF(r, $1, p) }
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) }

    static func binomialPMF(_ n: Int, _ k: Int, _ p: Double) -> Double {
        if p <= 0 { return k == 0 ? 1 : 0 }
        if p >= 1 { return k == n ? 1 : 0 }
        return exp(logChoose(n, k) + Double(k) * log(p) + Double(n - k) * log(1 - p))
    }
}
