import Foundation
import ProctorHarness

/// Compares two runs (or two prompt versions of one run) case by case.
public struct DiffReport: Sendable {
    /// How a case's verdict moved from base to head; `new` and `removed` are cases only one side has.
    public enum Transition: String, Sendable, CaseIterable {
        case regressed, fixed
        case stillFailing = "still-failing"
        case stillPassing = "still-passing"
        case new, removed
    }

    /// One case on one backend, paired across the two sides (one side is nil when only the other has it).
    public struct Entry: Sendable {
        /// Name of the case's suite.
        public let suite: String
        /// The case's id within its suite.
        public let caseId: String
        /// Id of the backend both sides ran the case on.
        public let backend: String
        /// The base side's prompt version; nil for a `new` case.
        public let basePrompt: String?
        /// The head side's prompt version; nil for a `removed` case.
        public let headPrompt: String?
        /// The case's samples on the base side; nil for a `new` case.
        public let base: CaseGroup?
        /// The case's samples on the head side; nil for a `removed` case.
        public let head: CaseGroup?
        /// How the verdict moved, from each side's `isPass`.
        public let transition: Transition

        /// Head's mean score minus base's; nil unless both sides have the case.
        public var scoreDelta: Double? {
            guard let b = base, let h = head else { return nil }
            return h.meanScore - b.meanScore
        }
        /// Head's pass rate minus base's; nil unless both sides have the case.
        public var passRateDelta: Double? {
            guard let b = base, let h = head else { return nil }
            return h.passRate - b.passRate
        }
        /// The status change in words: "repaired → failed", "failed → passed", "passed" when unchanged.
        public var statusChange: String {
            let b = base?.status.rawValue ?? "–", h = head?.status.rawValue ?? "–"
            return b == h ? h : "\(b) → \(h)"
        }
        /// Why the failing side fails (the head's, or the base's for a fix): its first failed check
        /// (`strict-repair: passed only after JSON repair …` when only the repair rule changed it) or
        /// its error; empty when neither side fails.
        public var reason: String {
            let failing = transition == .fixed ? base : (head ?? base)
            guard let g = failing, let bad = g.samples.first(where: { !$0.isPass && $0.status != .skipped }) else { return "" }
            return bad.failureHeadline
        }
        /// The first samples' outputs differ.
        public var outputChanged: Bool {
            guard let b = base, let h = head else { return false }
            return b.first.output != h.first.output
        }
        /// The entry's name in reports, "suite / case [prompt@backend]", with "base→head" for the prompt when
        /// they differ.
        public var label: String {
            let p = basePrompt == headPrompt ? (headPrompt ?? basePrompt ?? "") : "\(basePrompt ?? "–")→\(headPrompt ?? "–")"
            return "\(suite) / \(caseId) [\(p)@\(backend)]"
        }
    }

    /// One side's totals over the entries it has.
    public struct Side: Sendable {
        /// The side's name: the label given for its results file, or its prompt version's id.
        public let label: String
        /// Cases of this side in the comparison (cases that did not run are left out).
        public let cases: Int
        /// How many of them passed (repaired counts as passed).
        public let passes: Int
        /// `passes` over `cases`; 0 when there are none.
        public var passRate: Double { cases == 0 ? 0 : Double(passes) / Double(cases) }
        /// 95 % Wilson score interval of `passRate`.
        public var wilson: (low: Double, high: Double) { Statistics.wilson(successes: passes, trials: cases) }
    }

    /// Every entry: the base side's cases in its order, then those only the head has.
    public let entries: [Entry]
    /// The base side's totals.
    public let base: Side
    /// The head side's totals.
    public let head: Side
    /// What the comparison could not pair, with why ("suite x: no prompt v2").
    public var leftOut: [String] = []
    /// Each named metric (validators with `metric`) on both sides: pass rate, interval and mean score.
    public var metrics: [(name: String, base: Breakdown.Metric?, head: Breakdown.Metric?)] = []
    /// The family of tests the diff makes: one per prompt × backend (backend, for two prompt
    /// versions) and one per named metric, each with McNemar's p raw and adjusted by Holm–Bonferroni
    /// over the family, and a paired bootstrap interval for the mean score difference.
    public var comparisons: [Comparison] = []
    /// The paired bootstrap interval of the mean score difference (head − base) over every paired case.
    public var scoreDifference: (mean: Double, low: Double, high: Double)?
    /// pass@k and pass^k means (k = 1…the fewest samples of a paired case) on each side, over the
    /// paired cases; empty unless every paired case has more than one sample on both sides.
    public var passAtK: (base: [Double], head: [Double]) = ([], [])
    /// pass^k means on each side, as `passAtK`.
    public var passHatK: (base: [Double], head: [Double]) = ([], [])

    /// Resamples of every paired bootstrap in a diff.
    public static let bootstrapResamples = 2000
    /// The seed of every paired bootstrap in a diff (so an interval is the same on every run).
    public static let bootstrapSeed: UInt64 = 2026

    /// One test of the diff's family.
    public struct Comparison: Sendable {
        /// What it compares: `backend tiny`, `v1@tiny`, or `metric accuracy`.
        public let name: String
        /// Paired cases (or, for a metric, paired cases that have the metric on both sides).
        public let pairs: Int
        /// Pairs that went from failing to passing.
        public let fixed: Int
        /// Pairs that went from passing to failing.
        public let regressed: Int
        /// Exact McNemar p over `fixed` and `regressed`.
        public let p: Double
        /// `p` adjusted by Holm–Bonferroni over the diff's comparisons.
        public var pAdjusted: Double
        /// Mean score difference (head − base) with its paired bootstrap interval.
        public let scores: (mean: Double, low: Double, high: Double)?
    }

    /// How many entries made transition `t`.
    public func count(_ t: Transition) -> Int { entries.filter { $0.transition == t }.count }

    /// Exact McNemar p-value over the paired cases (fixed vs regressed).
    public var mcnemarP: Double { Statistics.mcnemarExact(b: count(.regressed), c: count(.fixed)) }

    /// Pass rate drop from base to head, in percentage points (positive = worse).
    public var passRateDrop: Double { (base.passRate - head.passRate) * 100 }

    // MARK: - Building

    static func passes(_ g: CaseGroup) -> Bool { g.isPass }

    static func transition(_ b: CaseGroup?, _ h: CaseGroup?) -> Transition {
        switch (b.map(passes), h.map(passes)) {
        case (nil, _): return .new
        case (_, nil): return .removed
        case (true?, true?): return .stillPassing
        case (false?, false?): return .stillFailing
        case (true?, false?): return .regressed
        case (false?, true?): return .fixed
        }
    }

    /// Two results files: pairs by suite, case, prompt and backend.
    public static func compare(base: RunResult, head: RunResult, baseLabel: String, headLabel: String) -> DiffReport {
        let bg = base.groups.filter { $0.status != .skipped }, hg = head.groups.filter { $0.status != .skipped }
        var report = build(bg, hg, key: \.key, baseLabel: baseLabel, headLabel: headLabel)
        for (label, run) in [(baseLabel, base), (headLabel, head)] {
            let notRun = run.groups.filter { $0.status == .skipped }.count
            if notRun > 0 { report.leftOut.append("\(notRun) case\(notRun == 1 ? "" : "s") not run in \(label)") }
        }
        return report
    }

    /// Two prompt versions inside one run: pairs by suite, case and backend.
    public static func compare(run: RunResult, basePrompt: String, headPrompt: String) -> DiffReport {
        let groups = run.groups.filter { $0.status != .skipped }
        // A suite without both prompt versions cannot be compared; it is named, not counted.
        var leftOut: [String] = []
        var comparable = Set<String>()
        for suite in Set(groups.map(\.key.suite)).sorted() {
            let ps = Set(groups.filter { $0.key.suite == suite }.map(\.key.promptId))
            let missing = [basePrompt, headPrompt].filter { !ps.contains($0) }
            if missing.isEmpty { comparable.insert(suite) } else { leftOut.append("suite \(suite): no prompt \(missing.joined(separator: " or "))") }
        }
        let kept = groups.filter { comparable.contains($0.key.suite) }
        var report = build(kept.filter { $0.first.promptId == basePrompt }, kept.filter { $0.first.promptId == headPrompt }, key: \.key.ignoringPrompt,
                           baseLabel: basePrompt, headLabel: headPrompt)
        report.leftOut = leftOut
        return report
    }

    static func build(_ bg: [CaseGroup], _ hg: [CaseGroup], key: (CaseGroup) -> CaseKey, baseLabel: String, headLabel: String) -> DiffReport {
        var hmap: [CaseKey: CaseGroup] = [:]
        for g in hg { hmap[key(g)] = g }
        var seen = Set<CaseKey>()
        var entries: [Entry] = []
        for b in bg {
            let k = key(b)
            seen.insert(k)
            let h = hmap[k]
            entries.append(Entry(suite: b.first.suite, caseId: b.first.caseId, backend: b.first.backendId, basePrompt: b.first.promptId,
                                 headPrompt: h?.first.promptId, base: b, head: h, transition: transition(b, h)))
        }
        for h in hg where !seen.contains(key(h)) {
            entries.append(Entry(suite: h.first.suite, caseId: h.first.caseId, backend: h.first.backendId, basePrompt: nil,
                                 headPrompt: h.first.promptId, base: nil, head: h, transition: .new))
        }
        let paired = entries.filter { $0.base != nil }
        let headed = entries.filter { $0.head != nil }
        var report = DiffReport(entries: entries,
                                base: Side(label: baseLabel, cases: paired.count, passes: paired.filter { passes($0.base!) }.count),
                                head: Side(label: headLabel, cases: headed.count, passes: headed.filter { passes($0.head!) }.count))
        // Each metric per prompt × backend (per backend when the two sides are prompt versions):
        // the head side of a pair is matched by the same key as its case.
        func where_(_ g: CaseGroup) -> String {
            let k = key(g)
            return k.promptId.isEmpty ? k.backendId : "\(k.promptId)@\(k.backendId)"
        }
        var places: [String] = []
        for g in bg + hg where !places.contains(where_(g)) { places.append(where_(g)) }
        report.compareInFamily(entries.filter { $0.base != nil && $0.head != nil }, places: places, place: { where_($0) })
        for place in places {
            let bm = Breakdown.metrics(bg.filter { where_($0) == place }.flatMap { Array($0.samples) })
            let hm = Breakdown.metrics(hg.filter { where_($0) == place }.flatMap { Array($0.samples) })
            var names = bm.map(\.name)
            for m in hm where !names.contains(m.name) { names.append(m.name) }
            report.metrics += names.map { n in (places.count == 1 ? n : "\(n) [\(place)]", bm.first { $0.name == n }, hm.first { $0.name == n }) }
        }
        return report
    }
}

extension DiffReport {
    /// The comparisons per place and per named metric, Holm-adjusted; the overall score interval;
    /// the pass@k and pass^k means.
    mutating func compareInFamily(_ paired: [Entry], places: [String], place: (CaseGroup) -> String) {
        func boot(_ d: [Double]) -> (mean: Double, low: Double, high: Double)? {
            Statistics.pairedBootstrap(d, resamples: Self.bootstrapResamples, seed: Self.bootstrapSeed)
        }
        scoreDifference = boot(paired.map { $0.head!.meanScore - $0.base!.meanScore })
        var family: [Comparison] = []
        for p in places {
            let es = paired.filter { place($0.base!) == p }
            guard !es.isEmpty else { continue }
            let fixed = es.filter { $0.transition == .fixed }.count, regressed = es.filter { $0.transition == .regressed }.count
            family.append(Comparison(name: p, pairs: es.count, fixed: fixed, regressed: regressed, p: Statistics.mcnemarExact(b: regressed, c: fixed),
                                     pAdjusted: 1, scores: boot(es.map { $0.head!.meanScore - $0.base!.meanScore })))
        }
        // A metric per case: passing when every verdict of it passed, scored by their mean.
        func metric(_ g: CaseGroup, _ name: String) -> (pass: Bool, score: Double)? {
            let vs = g.samples.filter { $0.status != .skipped }.flatMap { $0.validators.filter { $0.metric == name } }
            guard !vs.isEmpty else { return nil }
            return (vs.allSatisfy(\.pass), vs.reduce(0) { $0 + $1.score } / Double(vs.count))
        }
        var names: [String] = []
        for e in paired { for s in e.base!.samples { for v in s.validators { if let m = v.metric, !names.contains(m) { names.append(m) } } } }
        for n in names {
            let both = paired.compactMap { e -> (b: (pass: Bool, score: Double), h: (pass: Bool, score: Double))? in
                guard let b = metric(e.base!, n), let h = metric(e.head!, n) else { return nil }
                return (b, h)
            }
            guard !both.isEmpty else { continue }
            let fixed = both.filter { !$0.b.pass && $0.h.pass }.count, regressed = both.filter { $0.b.pass && !$0.h.pass }.count
            family.append(Comparison(name: "metric \(n)", pairs: both.count, fixed: fixed, regressed: regressed,
                                     p: Statistics.mcnemarExact(b: regressed, c: fixed), pAdjusted: 1, scores: boot(both.map { $0.h.score - $0.b.score })))
        }
        let adjusted = Statistics.holm(family.map(\.p))
        for i in family.indices { family[i].pAdjusted = adjusted[i] }
        comparisons = family
        // pass@k / pass^k means, when every paired case has several samples on both sides.
        let fewest = paired.map { min($0.base!.ran, $0.head!.ran) }.min() ?? 0
        if fewest > 1 {
            func means(_ f: (Int, Int, Int) -> Double, _ side: (Entry) -> CaseGroup) -> [Double] {
                (1...fewest).map { k in paired.reduce(0) { $0 + f(side($1).ran, side($1).passes, k) } / Double(paired.count) }
            }
            passAtK = (means(Statistics.passAtK, { $0.base! }), means(Statistics.passAtK, { $0.head! }))
            passHatK = (means(Statistics.passHatK, { $0.base! }), means(Statistics.passHatK, { $0.head! }))
        }
    }
}

extension DiffReport {
    /// The score interval and, when the diff makes more than one test, each with its raw and
    /// Holm-adjusted p, in lines a reviewer can quote.
    public var statisticsText: String {
        func scores(_ s: (mean: Double, low: Double, high: Double)?) -> String {
            s.map { String(format: "score %+.3f (95%% CI %+.3f to %+.3f)", $0.mean, $0.low, $0.high) } ?? "score –"
        }
        var t = ""
        if let s = scoreDifference {
            t += String(format: "mean score difference (head − base) %+.3f, 95%% paired bootstrap CI %+.3f to %+.3f (%d resamples, seed %d)\n",
                        s.mean, s.low, s.high, Self.bootstrapResamples, Int(Self.bootstrapSeed))
        }
        guard comparisons.count > 1 else { return t }
        t += "\(comparisons.count) comparisons, p adjusted by Holm–Bonferroni:\n"
        for c in comparisons {
            t += "  \(c.name): " + String(format: "%d fixed, %d regressed of %d; p = %.4g, adjusted %.4g; ", c.fixed, c.regressed, c.pairs, c.p, c.pAdjusted) + scores(c.scores) + "\n"
        }
        return t
    }
}

extension CaseGroup {
    /// Mean score over the samples that ran.
    public var meanScore: Double {
        let ran = samples.filter { $0.status != .skipped }
        return ran.isEmpty ? 0 : ran.reduce(0) { $0 + $1.score } / Double(ran.count)
    }
}

import ProctorJSON

extension DiffReport {
    /// The diff as JSON (for other tools and dashboards).
    public var json: JSONValue {
        func side(_ s: Side) -> JSONValue {
            let w = s.wilson
            return ["label": .string(s.label), "cases": .number(JSONNumber(s.cases)), "passes": .number(JSONNumber(s.passes)),
                    "passRate": .number(JSONNumber((s.passRate * 10000).rounded() / 10000)),
                    "wilsonLow": .number(JSONNumber((w.low * 10000).rounded() / 10000)), "wilsonHigh": .number(JSONNumber((w.high * 10000).rounded() / 10000))]
        }
        var counts: [JSONObject.Entry] = []
        for t in Transition.allCases { counts.append((t.rawValue, .number(JSONNumber(count(t))))) }
        let es: [JSONValue] = entries.map { e in
            var o: [JSONObject.Entry] = [("suite", .string(e.suite)), ("case", .string(e.caseId)), ("backend", .string(e.backend)),
                                         ("basePrompt", e.basePrompt.map { .string($0) } ?? .null), ("headPrompt", e.headPrompt.map { .string($0) } ?? .null),
                                         ("transition", .string(e.transition.rawValue)),
                                         ("baseStatus", e.base.map { .string($0.status.rawValue) } ?? .null),
                                         ("headStatus", e.head.map { .string($0.status.rawValue) } ?? .null),
                                         ("basePassRate", e.base.map { .number(JSONNumber($0.passRate)) } ?? .null),
                                         ("headPassRate", e.head.map { .number(JSONNumber($0.passRate)) } ?? .null),
                                         ("scoreDelta", e.scoreDelta.map { .number(JSONNumber(($0 * 10000).rounded() / 10000)) } ?? .null),
                                         ("passRateDelta", e.passRateDelta.map { .number(JSONNumber(($0 * 10000).rounded() / 10000)) } ?? .null),
                                         ("outputChanged", .bool(e.outputChanged))]
            if !e.reason.isEmpty { o.append(("reason", .string(e.reason))) }
            if e.outputChanged { o.append(("outputDiff", .array(TextDiff.unified(e.base!.first.output, e.head!.first.output).map { .string($0) }))) }
            return .object(JSONObject(o))
        }
        var top: [JSONObject.Entry] = [("formatVersion", 1), ("base", side(base)), ("head", side(head)), ("counts", .object(JSONObject(counts))),
                                       ("mcnemarP", .number(JSONNumber((mcnemarP * 1e6).rounded() / 1e6))),
                                       ("passRateDropPoints", .number(JSONNumber((passRateDrop * 100).rounded() / 100)))]
        if !metrics.isEmpty {
            func metric(_ m: Breakdown.Metric?) -> JSONValue {
                guard let m else { return .null }
                let r = { (x: Double) in JSONValue.number(JSONNumber((x * 10000).rounded() / 10000)) }
                return ["checks": .number(JSONNumber(m.checks)), "passes": .number(JSONNumber(m.passes)), "passRate": r(m.passRate),
                        "wilsonLow": r(m.wilsonLow), "wilsonHigh": r(m.wilsonHigh), "meanScore": r(m.meanScore)]
            }
            top.append(("metrics", .array(metrics.map { ["name": .string($0.name), "base": metric($0.base), "head": metric($0.head)] })))
        }
        let r4 = { (x: Double) in JSONValue.number(JSONNumber((x * 10000).rounded() / 10000)) }
        func interval(_ s: (mean: Double, low: Double, high: Double)?) -> JSONValue {
            s.map { ["mean": r4($0.mean), "low": r4($0.low), "high": r4($0.high)] } ?? .null
        }
        top.append(("scoreDifference", interval(scoreDifference)))
        top.append(("bootstrap", ["method": "paired percentile bootstrap of the mean score difference (head − base)", "level": 0.95,
                                  "resamples": .number(JSONNumber(Self.bootstrapResamples)), "seed": .number(JSONNumber(Int(Self.bootstrapSeed)))]))
        top.append(("adjustment", "holm"))
        top.append(("comparisons", .array(comparisons.map { c in
            ["name": .string(c.name), "pairs": .number(JSONNumber(c.pairs)), "fixed": .number(JSONNumber(c.fixed)),
             "regressed": .number(JSONNumber(c.regressed)), "p": .number(JSONNumber((c.p * 1e6).rounded() / 1e6)),
             "pAdjusted": .number(JSONNumber((c.pAdjusted * 1e6).rounded() / 1e6)), "scoreDifference": interval(c.scores)]
        })))
        if !passAtK.base.isEmpty {
            func curve(_ xs: [Double]) -> JSONValue { .object(JSONObject(xs.indices.map { (String($0 + 1), r4(xs[$0])) })) }
            top.append(("passAtK", ["base": curve(passAtK.base), "head": curve(passAtK.head)]))
            top.append(("passHatK", ["base": curve(passHatK.base), "head": curve(passHatK.head)]))
        }
        top.append(("entries", .array(es)))
        return .object(JSONObject(top))
    }

    /// Plain text for the terminal: totals, then regressions and fixes with their output diffs.
    public var text: String {
        var t = "base \(base.label): \(base.passes)/\(base.cases) passed (\(String(format: "%.1f%%", base.passRate * 100)))\n"
        t += "head \(head.label): \(head.passes)/\(head.cases) passed (\(String(format: "%.1f%%", head.passRate * 100)))\n"
        t += Transition.allCases.map { "\(count($0)) \($0.rawValue)" }.joined(separator: ", ")
        t += String(format: "; exact McNemar p = %.4g\n", mcnemarP)
        if !leftOut.isEmpty { t += "left out: " + leftOut.joined(separator: "; ") + "\n" }
        for (name, b, h) in metrics {
            let show = { (m: Breakdown.Metric?) in m.map { String(format: "%.1f%% (%d/%d, 95%% CI %.1f–%.1f%%)", $0.passRate * 100, $0.passes, $0.checks, $0.wilsonLow * 100, $0.wilsonHigh * 100) } ?? "–" }
            t += "metric \(name): \(show(b)) → \(show(h))\n"
        }
        t += statisticsText
        if !passAtK.base.isEmpty {
            let show = { (xs: [Double]) in xs.indices.map { String(format: "k=%d %.3f", $0 + 1, xs[$0]) }.joined(separator: ", ") }
            t += "pass@k: \(show(passAtK.base)) → \(show(passAtK.head))\npass^k: \(show(passHatK.base)) → \(show(passHatK.head))\n"
        }
        for tr in [Transition.regressed, .fixed, .new, .removed] {
            for e in entries where e.transition == tr {
                t += "\n\(tr.rawValue.uppercased()) \(e.label): \(e.statusChange)"
                if let s = e.scoreDelta { t += String(format: " (score %+.2f)", s) }
                if !e.reason.isEmpty { t += ": " + e.reason }
                t += "\n"
                if e.outputChanged { t += TextDiff.unified(e.base!.first.output, e.head!.first.output, limit: 20).map { "    " + $0 }.joined(separator: "\n") + "\n" }
            }
        }
        return t
    }
}

/// The diff as JSON, for other tools and dashboards (`json`).
public struct DiffJSONReport: ReportWriter {
    /// `json`, the format name the CLI asks for this report by.
    public var format: String { "json" }
    /// The report's name in messages.
    public var title: String { "JSON diff" }
    /// The JSON writer.
    public init() {}
    /// Writes diff `d` as pretty-printed JSON into `sink`.
    public func write(_ d: DiffReport, into sink: inout ReportSink) { sink.bytes += Array((JSONSerializer.string(d.json, pretty: true) + "\n").utf8) }
}
