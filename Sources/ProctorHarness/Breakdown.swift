import Foundation
import ProctorJSON

/// Per suite × prompt × backend: what the answers cost and how each named metric (validators with
/// `metric: NAME`) scored, with a Wilson interval on its pass rate. Empty when no answer was priced
/// and no validator names a metric, so reports of runs without either are unchanged.
public struct Breakdown: Sendable {
    /// One named metric in one row.
    public struct Metric: Sendable {
        /// The metric's name.
        public let name: String
        /// Verdicts counted (every sample's validators with this name).
        public let checks: Int
        /// Of those, passes.
        public let passes: Int
        /// Mean score of the verdicts.
        public let meanScore: Double
        /// 95 % Wilson interval of the pass rate.
        public let wilsonLow: Double, wilsonHigh: Double
        /// Passes / checks.
        public var passRate: Double { checks == 0 ? 0 : Double(passes) / Double(checks) }
    }

    /// One suite × prompt × backend.
    public struct Row: Sendable {
        /// Where the answers came from.
        public let suite: String, prompt: String, backend: String
        /// Samples in the row, and how many were priced.
        public let samples: Int, priced: Int
        /// What the priced answers cost (USD), and of that what was paid in this run (not cached or replayed).
        public let costUsd: Double, spentUsd: Double
        /// The named metrics, by name.
        public let metrics: [Metric]
        /// With repeats: the mean over the row's cases of pass@k and pass^k, k = 1… the fewest
        /// samples any case has (empty without repeats).
        public var passAtK: [Double] = [], passHatK: [Double] = []
    }

    /// The rows in the run's order.
    public let rows: [Row]

    /// Nothing priced and no metric named.
    public var isEmpty: Bool { rows.allSatisfy { $0.priced == 0 && $0.metrics.isEmpty && $0.passAtK.isEmpty } }
    /// Every answer's cost.
    public var costUsd: Double { rows.reduce(0) { $0 + $1.costUsd } }
    /// What this run paid.
    public var spentUsd: Double { rows.reduce(0) { $0 + $1.spentUsd } }

    /// The rows of `results`.
    public init(_ results: [CaseResult]) {
        var order: [String] = []
        var bins: [String: [Int]] = [:]
        for (i, r) in results.enumerated() {
            let key = r.suite + "\u{0}" + r.promptId + "\u{0}" + r.backendId
            if bins[key] == nil { order.append(key) }
            bins[key, default: []].append(i)
        }
        rows = order.map { key in
            let idx = bins[key]!
            var cost = 0.0, spent = 0.0, priced = 0
            for i in idx {
                if let c = results[i].costUsd { cost += c; priced += 1; if results[i].spent { spent += c } }
            }
            let metrics = Self.metrics(idx.map { results[$0] })
            let r0 = results[idx[0]]
            var row = Row(suite: r0.suite, prompt: r0.promptId, backend: r0.backendId, samples: idx.count, priced: priced,
                          costUsd: cost, spentUsd: spent, metrics: metrics)
            // pass@k / pass^k per case (samples that ran), averaged over the row's cases.
            var perCase: [String: (n: Int, c: Int)] = [:]
            for i in idx where results[i].status != .skipped {
                perCase[results[i].caseId, default: (0, 0)].n += 1
                if results[i].isPass { perCase[results[i].caseId]!.c += 1 }
            }
            if let fewest = perCase.values.map(\.n).min(), fewest > 1 {
                let cases = Double(perCase.count)
                row.passAtK = (1...fewest).map { k in perCase.values.reduce(0) { $0 + Statistics.passAtK(n: $1.n, c: $1.c, k: k) } / cases }
                row.passHatK = (1...fewest).map { k in perCase.values.reduce(0) { $0 + Statistics.passHatK(n: $1.n, c: $1.c, k: k) } / cases }
            }
            return row
        }
    }

    /// The named metrics over `results`, whatever their prompt and backend (a diff's two sides).
    public static func metrics(_ results: [CaseResult]) -> [Metric] {
        var names: [String] = []
        var acc: [String: (checks: Int, passes: Int, score: Double)] = [:]
        for r in results where r.status != .skipped {
            for v in r.validators {
                guard let m = v.metric else { continue }
                if acc[m] == nil { names.append(m) }
                acc[m, default: (0, 0, 0)].checks += 1
                if v.pass { acc[m]!.passes += 1 }
                acc[m]!.score += v.score
            }
        }
        return names.map { n in
            let a = acc[n]!
            let w = Statistics.wilson(successes: a.passes, trials: a.checks)
            return Metric(name: n, checks: a.checks, passes: a.passes, meanScore: a.checks == 0 ? 0 : a.score / Double(a.checks), wilsonLow: w.low, wilsonHigh: w.high)
        }
    }

    /// As results.json writes it (`breakdown`).
    public var json: JSONValue {
        let round = { (x: Double, k: Double) in JSONValue.number(JSONNumber((x * k).rounded() / k)) }
        return .array(rows.map { r in
            var o: [JSONObject.Entry] = [("suite", .string(r.suite)), ("prompt", .string(r.prompt)), ("backend", .string(r.backend)),
                                         ("samples", .number(JSONNumber(r.samples)))]
            if r.priced > 0 {
                o += [("pricedSamples", .number(JSONNumber(r.priced))), ("costUsd", round(r.costUsd, 1e8)), ("spentUsd", round(r.spentUsd, 1e8))]
            }
            if !r.passAtK.isEmpty {
                let curve = { (xs: [Double]) in JSONValue.object(JSONObject(xs.enumerated().map { (String($0 + 1), round($1, 1e4)) })) }
                o += [("passAtK", curve(r.passAtK)), ("passHatK", curve(r.passHatK))]
            }
            if !r.metrics.isEmpty {
                o.append(("metrics", .array(r.metrics.map { m in
                    ["name": .string(m.name), "checks": .number(JSONNumber(m.checks)), "passes": .number(JSONNumber(m.passes)),
                     "passRate": round(m.passRate, 1e4), "meanScore": round(m.meanScore, 1e4),
                     "wilsonLow": round(m.wilsonLow, 1e4), "wilsonHigh": round(m.wilsonHigh, 1e4)]
                })))
            }
            return .object(JSONObject(o))
        })
    }

    /// The Markdown table (empty when there is nothing to show).
    public var markdown: String {
        guard !isEmpty else { return "" }
        var t = "### Cost and metrics\n\n| suite | prompt | backend | cost (USD) | metrics (pass rate, 95% CI; mean score) | pass@k · pass^k (mean over cases) |\n|---|---|---|---|---|---|\n"
        for r in rows {
            let cost = r.priced == 0 ? "—" : String(format: "$%.6f", r.costUsd) + (r.spentUsd < r.costUsd ? String(format: " (spent $%.6f)", r.spentUsd) : "")
            let ms = r.metrics.map { $0.name + String(format: " %.1f%% (%.1f–%.1f%%; %.3f)", $0.passRate * 100, $0.wilsonLow * 100, $0.wilsonHigh * 100, $0.meanScore) }
            let k = r.passAtK.isEmpty ? "—" : r.passAtK.indices.map { String(format: "k=%d: %.3f · %.3f", $0 + 1, r.passAtK[$0], r.passHatK[$0]) }.joined(separator: "; ")
            t += "| \(r.suite) | \(r.prompt) | \(r.backend) | \(cost) | \(ms.isEmpty ? "—" : ms.joined(separator: "; ")) | \(k) |\n"
        }
        return t
    }
}
