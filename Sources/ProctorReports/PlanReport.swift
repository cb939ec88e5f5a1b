import Foundation
import ProctorHarness
import ProctorJSON

/// `proctor plan`: `PowerPlan`'s answer for what the user gave (or a previous run's two prompt
/// versions), as one sentence a reviewer can quote and as JSON.
public enum PlanReport {
    /// What the user asked.
    public struct Input: Sendable {
        /// Pass rate of the base version.
        public var baseline: Double?
        /// Change in pass rate to detect (`--detect`), or nil to ask what `cases` detect.
        public var detect: Double?
        /// Paired cases (`--cases`), to ask what they detect.
        public var cases: Int?
        /// Share of cases where the two versions disagree; nil assumes they fail independently.
        public var discordance: Double?
        /// Significance level and power wanted.
        public var alpha = 0.05, power = 0.8
        /// Where the discordance came from, for the answer.
        public var source = "given"
        /// Two independent sets of cases (Fisher's exact test) instead of one set run by both versions.
        public var independent = false
        /// Samples per case (`--repeats`): the rates given are per sample, the comparison is of case verdicts.
        public var repeats: Int?
        /// The verdict's `minPassRate` with `repeats` (default 1: every sample).
        public var minPassRate: Double?

        /// An input from the flags.
        public init(baseline: Double?, detect: Double?, cases: Int?, discordance: Double?, alpha: Double?, power: Double?) {
            self.baseline = baseline; self.detect = detect; self.cases = cases; self.discordance = discordance
            self.alpha = alpha ?? 0.05; self.power = power ?? 0.8
        }

        /// Baseline and discordance from a run's first two prompt versions, paired case by case
        /// (those the flags did not give).
        public mutating func observe(_ run: RunResult, file: String) throws(Problem) {
            // The suite with the most results among those with two prompt versions: its first two, paired case by case.
            var bySuite: [(suite: String, prompts: [String], results: Int)] = []
            for r in run.results {
                if let i = bySuite.firstIndex(where: { $0.suite == r.suite }) {
                    if !bySuite[i].prompts.contains(r.promptId) { bySuite[i].prompts.append(r.promptId) }
                    bySuite[i].results += 1
                } else { bySuite.append((r.suite, [r.promptId], 1)) }
            }
            guard let prompts = bySuite.filter({ $0.prompts.count >= 2 }).max(by: { $0.results < $1.results })?.prompts else {
                throw Problem(description: "\(file) has no suite with two prompt versions; --from needs a run of two (their cases paired)")
            }
            let d = DiffReport.compare(run: run, basePrompt: prompts[0], headPrompt: prompts[1])
            let pairs = d.entries.filter { $0.base != nil && $0.head != nil }.count
            guard pairs > 0 else { throw Problem(description: "\(file): no case ran under both \(prompts[0]) and \(prompts[1])") }
            if discordance == nil {
                discordance = Double(d.count(.regressed) + d.count(.fixed)) / Double(pairs)
                source = "observed in \(file): \(d.count(.regressed) + d.count(.fixed)) of \(pairs) cases discordant between prompt versions \(prompts[0]) and \(prompts[1])"
            }
            if baseline == nil { baseline = d.base.passRate }
        }
    }

    /// Bad or missing input, in words.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        /// What is wrong.
        public let description: String
    }

    /// The answer as a sentence and as JSON.
    public static func make(_ i: Input) throws(Problem) -> (text: String, json: JSONValue) {
        guard let p = i.baseline else { throw Problem(description: "--baseline P (the base version's pass rate, 0–1) is needed, or --from a run") }
        guard p >= 0, p <= 1 else { throw Problem(description: "--baseline must be a pass rate between 0 and 1, found \(JSONNumber(p).text)") }
        if i.minPassRate != nil && i.repeats == nil { throw Problem(description: "--min-pass-rate is the verdict rule over --repeats R samples; give --repeats") }
        guard i.alpha > 0, i.alpha < 1, i.power > 0, i.power < 1 else { throw Problem(description: "--alpha and --power must be between 0 and 1") }
        if let q = i.discordance, !(q > 0 && q <= 1) { throw Problem(description: "--discordance must be a share of cases, above 0 and at most 1") }
        let pct = { (x: Double) in String(format: "%.1f%%", x * 100) }
        let qText = { (q: Double) in i.discordance == nil ? "\(pct(q)) of cases discordant (if the two versions fail independently)" : "\(pct(q)) of cases discordant (\(i.source))" }
        var json: [JSONObject.Entry] = [("baseline", .number(JSONNumber((p * 1e6).rounded() / 1e6))), ("alpha", .number(JSONNumber(i.alpha))), ("targetPower", .number(JSONNumber(i.power))),
                                        ("method", .string(PowerPlan.Answer.method))]
        let r4 = { (x: Double) in JSONValue.number(JSONNumber((x * 10000).rounded() / 10000)) }
        var i = i, prefix = ""
        if let r = i.repeats {
            let m = i.minPassRate ?? 1
            guard r >= 1, m > 0, m <= 1 else { throw Problem(description: "--repeats must be at least 1 and --min-pass-rate above 0 and at most 1") }
            // The rates given are per sample; what the test compares is each case's verdict over r samples.
            let v = { (x: Double) in PowerPlan.verdictPassRate(samplePassRate: x, repeats: r, minPassRate: m) }
            var mapping: [JSONObject.Entry] = [("samples", .number(JSONNumber(r))), ("minPassRate", .number(JSONNumber(m))), ("verdictBaseline", r4(v(p)))]
            prefix = "With \(r) samples per case and minPassRate \(JSONNumber(m).text), a case whose samples pass \(pct(p)) of the time passes its verdict \(pct(v(p))) of the time"
            if let d = i.detect {
                guard d > 0, p + d <= 1 else { throw Problem(description: "--detect D must be above 0 with baseline + D at most 1") }
                let dv = v(p + d) - v(p)
                guard dv > 1e-9 else { throw Problem(description: "with \(r) samples and minPassRate \(m), a change from \(pct(p)) to \(pct(p + d)) per sample leaves the verdicts unchanged") }
                prefix += " (\(pct(p + d)) per sample: \(pct(v(p + d))))"
                mapping.append(("verdictChange", r4(dv)))
                i.detect = (dv * 10000).rounded() / 10000
            }
            prefix += ". "
            json.append(("repeats", .object(JSONObject(mapping))))
            i.baseline = v(p)
            i.repeats = nil
            let inner = try make(i)
            guard case .object(var o) = inner.json else { return (prefix + inner.text, inner.json) }
            o["repeats"] = json.first { $0.key == "repeats" }?.value
            o["sampleBaseline"] = .number(JSONNumber(p))
            return (prefix + inner.text, .object(o))
        }
        if i.independent {
            if i.discordance != nil && i.source == "given" { throw Problem(description: "--discordance is for one set of cases run by both versions; leave it out with --independent") }
            json[json.count - 1] = ("method", .string(PowerPlan.independentMethod))
            if let d = i.detect {
                guard d > 0, p + d <= 1 else { throw Problem(description: "--detect D must be above 0 with baseline + D at most 1") }
                guard let a = PowerPlan.independentCasesNeeded(baseline: p, change: d, alpha: i.alpha, power: i.power) else {
                    throw Problem(description: "more than 3,000 cases per set would be needed; detect a larger change")
                }
                json += [("casesPerSet", .number(JSONNumber(a.cases))), ("cases", .number(JSONNumber(2 * a.cases))), ("change", .number(JSONNumber(d))), ("power", r4(a.power))]
                let text = prefix + "To detect a change in pass rate from \(pct(p)) to \(pct(p + d)) with \(pct(i.power)) power at α = \(i.alpha), two independent sets of cases "
                    + "need \(a.cases) cases each, \(2 * a.cases) in all (Fisher's exact test; power at \(a.cases) each: \(pct(a.power)))."
                return (text, .object(JSONObject(json)))
            }
            guard let n = i.cases else { throw Problem(description: "give --detect D (to find the cases needed) or --cases N (to find what they detect)") }
            guard n <= 3000 else { throw Problem(description: "--cases is at most 3,000 per set with --independent") }
            guard let a = PowerPlan.independentDetectableChange(cases: n, baseline: p, alpha: i.alpha, power: i.power) else {
                throw Problem(description: "two sets of \(n) cases detect no change at these settings")
            }
            json += [("casesPerSet", .number(JSONNumber(n))), ("detectable", .number(JSONNumber(a.change))), ("power", r4(a.power))]
            let text = prefix + "With two independent sets of \(n) cases each, Fisher's exact test at α = \(i.alpha) detects a change in pass rate of "
                + "\(pct(a.change)) (from \(pct(p)) to \(pct(p + a.change))) with \(pct(i.power)) power (achieved: \(pct(a.power)))."
            return (text, .object(JSONObject(json)))
        }
        if let d = i.detect {
            guard d > 0, p + d <= 1 else { throw Problem(description: "--detect D must be above 0 with baseline + D at most 1") }
            let q = i.discordance ?? PowerPlan.independentDiscordance(baseline: p, change: d)
            guard d <= q else { throw Problem(description: "a change of \(pct(d)) needs at least that share of discordant cases; --discordance is \(pct(q))") }
            guard let a = PowerPlan.casesNeeded(discordance: q, change: d, alpha: i.alpha, power: i.power) else {
                throw Problem(description: "more than 4,000 paired cases would be needed; detect a larger change")
            }
            json += [("cases", .number(JSONNumber(a.cases))), ("change", .number(JSONNumber(d))), ("discordance", r4(q)), ("power", r4(a.power))]
            let text = "To detect a change in pass rate from \(pct(p)) to \(pct(p + d)) with \(pct(i.power)) power at α = \(i.alpha), with \(qText(q)), "
                + "a paired comparison of two prompt versions needs \(a.cases) cases (exact McNemar test; power at \(a.cases): \(pct(a.power)))."
            return (text, .object(JSONObject(json)))
        }
        guard let n = i.cases else { throw Problem(description: "give --detect D (to find the cases needed) or --cases N (to find what they detect)") }
        guard n <= 4000 else { throw Problem(description: "--cases is at most 4,000") }
        guard let a = PowerPlan.detectableChange(cases: n, baseline: p, discordance: i.discordance, alpha: i.alpha, power: i.power) else {
            throw Problem(description: "\(n) paired cases detect no change at these settings (too few cases, or too little discordance)")
        }
        json += [("cases", .number(JSONNumber(n))), ("detectable", .number(JSONNumber(a.change))), ("discordance", r4(a.discordance)), ("power", r4(a.power))]
        let text = "With \(n) paired cases and \(qText(a.discordance)), the exact McNemar test at α = \(i.alpha) detects a change in pass rate of "
            + "\(pct(a.change)) (from \(pct(p)) to \(pct(p + a.change))) with \(pct(i.power)) power (achieved: \(pct(a.power)))."
        return (text, .object(JSONObject(json)))
    }
}
