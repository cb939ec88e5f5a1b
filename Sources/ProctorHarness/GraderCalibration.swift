import Foundation
import ProctorBackends
import ProctorJSON
import ProctorSupport

/// `proctor graders calibrate`: a suite's model-graded checks run on outputs people labelled,
/// without calling the backend under test, and scored against the labels: Cohen's κ, the true
/// positive and true negative rates with intervals, the confusion matrix, and with repeats the
/// grader's self-consistency. It answers "can we trust our judge?" before it gates CI.
public enum GraderCalibration {
    /// One labelled output: `{"case", "output", "pass"}`, optionally `prompt`, `backend`, `score`.
    public struct Label: Sendable {
        /// The case whose checks grade it.
        public let caseId: String
        /// The output as a model wrote it.
        public let output: String
        /// The person's verdict.
        public let pass: Bool
        /// The prompt version it answered (its rendered messages go to the grader); nil: the suite's first.
        public let prompt: String?
        /// Where it was read: file and line.
        public let line: Int
    }

    /// Reads LABELS.jsonl: one object per line; a bad line is an error naming file, line and column.
    public static func labels(_ bytes: [UInt8], file: String) throws(SuiteError) -> [Label] {
        var out: [Label] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let v: JSONValue
            do { v = try JSONParser.parse(line) } catch { throw SuiteError(file: file, line: i + 1, column: error.column, error.message) }
            guard case .object(let o) = v else { throw SuiteError(file: file, line: i + 1, column: 1, "a label is an object {\"case\", \"output\", \"pass\"}") }
            for k in o.keys where !["case", "output", "pass", "prompt", "backend", "score"].contains(k) {
                throw SuiteError(file: file, line: i + 1, column: 1, "unknown key \"\(k)\" in a label (keys: case, output, pass, prompt, backend, score)")
            }
            guard let c = o["case"]?.stringValue, let output = o["output"]?.stringValue, let pass = o["pass"]?.boolValue else {
                throw SuiteError(file: file, line: i + 1, column: 1, "a label needs \"case\" and \"output\" strings and \"pass\" true or false")
            }
            out.append(Label(caseId: c, output: output, pass: pass, prompt: o["prompt"]?.stringValue, line: i + 1))
        }
        return out
    }

    /// How one model-graded validator agrees with the people.
    public struct Agreement: Sendable {
        /// The validator: its `metric`, else its type (with its place in the case when a case has several).
        public let name: String
        /// Labelled pass, graded pass / labelled pass, graded fail / labelled fail, graded pass / both fail.
        public var tp = 0, fn = 0, fp = 0, tn = 0
        /// Gradings that could not be made (the grader failed or answered nothing usable): left out of the figures.
        public var unevaluated = 0
        /// With repeats: outputs whose gradings all agreed, and outputs graded more than once.
        public var consistent = 0, repeated = 0
        /// Each labelled output's (label, verdict), for the κ interval.
        var pairs: [(label: Bool, graded: Bool)] = []

        /// Cohen's κ: agreement beyond chance, (pₒ − pₑ)/(1 − pₑ); 1 when both are constant and equal.
        public var kappa: Double { Self.kappa(pairs) }
        static func kappa(_ ps: [(label: Bool, graded: Bool)]) -> Double {
            guard !ps.isEmpty else { return 0 }
            let n = Double(ps.count)
            let po = Double(ps.filter { $0.label == $0.graded }.count) / n
            let l = Double(ps.filter(\.label).count) / n, g = Double(ps.filter(\.graded).count) / n
            let pe = l * g + (1 - l) * (1 - g)
            return pe >= 1 ? (po >= 1 ? 1 : 0) : (po - pe) / (1 - pe)
        }
        /// 95 % percentile bootstrap interval of κ over the labelled outputs (2,000 resamples, seed 2026).
        public var kappaInterval: (low: Double, high: Double) {
            guard !pairs.isEmpty else { return (0, 0) }
            var rng = Statistics.SplitMix64(state: 2026)
            var ks: [Double] = []
            for _ in 0..<2000 {
                let sample = (0..<pairs.count).map { _ in pairs[Int(rng.next() % UInt64(pairs.count))] }
                // A resample where labels and gradings are all one value has no κ (chance agreement is 1): left out.
                let l = sample.filter(\.label).count, g = sample.filter(\.graded).count
                if (l == 0 || l == sample.count) && (g == 0 || g == sample.count) { continue }
                ks.append(Self.kappa(sample))
            }
            guard !ks.isEmpty else { return (kappa, kappa) }
            ks.sort()
            return (ks[Int(0.025 * Double(ks.count))], ks[min(ks.count - 1, Int(0.975 * Double(ks.count)))])
        }
        /// The share of labelled passes graded pass, with its Wilson interval.
        public var tpr: (rate: Double, low: Double, high: Double) { Self.rate(tp, tp + fn) }
        /// The share of labelled fails graded fail, with its Wilson interval.
        public var tnr: (rate: Double, low: Double, high: Double) { Self.rate(tn, tn + fp) }
        static func rate(_ k: Int, _ n: Int) -> (rate: Double, low: Double, high: Double) {
            let w = Statistics.wilson(successes: k, trials: n)
            return (n == 0 ? 0 : Double(k) / Double(n), w.low, w.high)
        }
    }

    /// Grades every labelled output with its case's model-graded checks (`repeats` times each,
    /// the grader's seed varied per repeat), asking `grader` instead of each check's own when given.
    public static func run(_ session: RunSession, labels: [Label], labelsFile: String, grader: String?, repeats: Int) async throws(SuiteError) -> [Agreement] {
        let suite = session.suites[0]
        if let g = grader, !(suite.backends + suite.graders).contains(where: { $0.id == g }) {
            throw SuiteError(file: suite.file, "--grader: no backend or grader named '\(g)' in suite \(suite.name)" + Suggestions.hint(for: g, among: (suite.backends + suite.graders).map(\.id)))
        }
        // Every label is checked before any grader is asked: a bad line costs no grading.
        var work: [(label: Label, testCase: TestCase, prompt: PromptVersion, graded: [(offset: Int, element: ConfiguredValidator)])] = []
        for l in labels {
            guard let c = suite.cases.first(where: { $0.id == l.caseId }) else {
                throw SuiteError(file: labelsFile, line: l.line, column: 1, "no case '\(l.caseId)' in suite \(suite.name)" + Suggestions.hint(for: l.caseId, among: suite.cases.map(\.id)))
            }
            guard let prompt = l.prompt.map({ p in suite.prompts.first { $0.id == p } }) ?? suite.prompts.first else {
                throw SuiteError(file: labelsFile, line: l.line, column: 1, "no prompt version '\(l.prompt ?? "")' in suite \(suite.name)")
            }
            let graded = c.validators.enumerated().filter { GradedValidators.factories[$0.element.type] != nil && $0.element.type != "select-best" }
            guard !graded.isEmpty else {
                throw SuiteError(file: labelsFile, line: l.line, column: 1, "case '\(l.caseId)' has no model-graded check (rubric, factuality or classifier) to calibrate")
            }
            work.append((l, c, prompt, graded))
        }
        var out: [Agreement] = []
        var firstFailure: String?
        for (l, c, prompt, graded) in work {
            let parsed = CaseEvaluator.parseJSON(l.output, mode: c.jsonMode)
            for (index, v) in graded {
                let name = v.metric ?? (graded.count > 1 ? "\(v.type) #\(index + 1)" : v.type)
                if !out.contains(where: { $0.name == name }) { out.append(Agreement(name: name)) }
                let a = out.firstIndex { $0.name == name }!
                var verdicts: [Bool] = []
                for r in 0..<max(1, repeats) {
                    var access = session.graderAccess(0, repeatIndex: r)
                    access.forced = grader
                    let ctx = CheckContext(output: l.output, json: parsed.value, jsonError: parsed.error,
                                           response: BackendResponse(text: l.output, finishReason: .stop), caseId: c.id, promptId: prompt.id,
                                           backendId: "labelled", suiteDirectory: suite.directory, messages: prompt.render(c.vars), grader: access)
                    let result = await v.run(ctx)
                    if !result.evaluated { out[a].unevaluated += 1; firstFailure = firstFailure ?? result.message; continue }
                    verdicts.append(result.pass)
                }
                guard let first = verdicts.first else { continue }
                if verdicts.count > 1 {
                    out[a].repeated += 1
                    if verdicts.allSatisfy({ $0 == first }) { out[a].consistent += 1 }
                }
                // The majority of the repeats is the grader's verdict (ties count as fail).
                let pass = verdicts.filter { $0 }.count * 2 > verdicts.count
                out[a].pairs.append((l.pass, pass))
                switch (l.pass, pass) {
                case (true, true): out[a].tp += 1
                case (true, false): out[a].fn += 1
                case (false, true): out[a].fp += 1
                case (false, false): out[a].tn += 1
                }
            }
        }
        // Figures from no grading at all would say more than happened.
        if let a = out.first(where: { $0.pairs.isEmpty }) {
            throw SuiteError(file: labelsFile, "\(a.name): none of its \(a.unevaluated) gradings could be made: \(firstFailure ?? "no answer")")
        }
        return out
    }

    /// The agreements as JSON: per validator the confusion matrix, `kappa`, `tpr`, `tnr` each with
    /// an interval, and with repeats `selfConsistency`.
    public static func json(_ agreements: [Agreement], labels: Int, repeats: Int) -> JSONValue {
        let r4 = { (x: Double) in JSONValue.number(JSONNumber((x * 10000).rounded() / 10000)) }
        return ["labels": .number(JSONNumber(labels)), "repeats": .number(JSONNumber(repeats)),
                "validators": .array(agreements.map { a in
                    let k = a.kappaInterval, tpr = a.tpr, tnr = a.tnr
                    var o: [JSONObject.Entry] = [("name", .string(a.name)),
                                                 ("confusion", ["tp": .number(JSONNumber(a.tp)), "fn": .number(JSONNumber(a.fn)), "fp": .number(JSONNumber(a.fp)), "tn": .number(JSONNumber(a.tn))]),
                                                 ("kappa", r4(a.kappa)), ("kappaInterval", [r4(k.low), r4(k.high)]),
                                                 ("tpr", r4(tpr.rate)), ("tprInterval", [r4(tpr.low), r4(tpr.high)]),
                                                 ("tnr", r4(tnr.rate)), ("tnrInterval", [r4(tnr.low), r4(tnr.high)]),
                                                 ("unevaluated", .number(JSONNumber(a.unevaluated)))]
                    if a.repeated > 0 { o.append(("selfConsistency", r4(Double(a.consistent) / Double(a.repeated)))) }
                    return .object(JSONObject(o))
                })]
    }

    /// The agreements in lines a reviewer can read.
    public static func text(_ agreements: [Agreement], labels: Int) -> [String] {
        agreements.map { a in
            let k = a.kappaInterval, tpr = a.tpr, tnr = a.tnr
            var s = "\(a.name): " + String(format: "κ %.3f (95%% CI %.3f to %.3f); TPR %.1f%% (%.1f–%.1f%%), TNR %.1f%% (%.1f–%.1f%%); ",
                           a.kappa, k.low, k.high, tpr.rate * 100, tpr.low * 100, tpr.high * 100, tnr.rate * 100, tnr.low * 100, tnr.high * 100)
            s += "confusion: \(a.tp) pass/pass, \(a.fn) pass graded fail, \(a.fp) fail graded pass, \(a.tn) fail/fail of \(a.pairs.count) labels"
            if a.repeated > 0 { s += String(format: "; self-consistency %.1f%% over %d outputs", Double(a.consistent) / Double(a.repeated) * 100, a.repeated) }
            if a.unevaluated > 0 { s += "; \(a.unevaluated) gradings could not be made" }
            return s
        }
    }
}
