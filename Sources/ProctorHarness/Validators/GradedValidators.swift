import Foundation
import ProctorBackends
import ProctorJSON
import ProctorRepair
import ProctorConversation

/// How graded checks reach a grader: a backend of the run session, chosen by id (the validator's
/// `grader`, else `proctor run --grader`, else the suite's `defaults.grader`). Graders run at
/// temperature 0 with a fixed seed where their backend honours them, and are recorded and replayed
/// like any backend.
public struct GraderAccess: Sendable {
    /// `--grader`, else `defaults.grader`.
    public let fallback: String?
    /// Asked instead of every check's own grader (`graders calibrate --grader`); nil: each check's.
    public var forced: String?
    /// Sends one user message to the grader with this id; nil when there is no such grader.
    let send: @Sendable (String, String) async -> BackendResponse?

    /// Embeds texts with the backend of this id (embedding similarity); nil for an unknown id.
    let embedWith: @Sendable (String, [String]) async -> Result<[[Double]], EmbeddingFailure>?

    /// Access that asks graders through `send` (grader id, then prompt; nil for an unknown id), using grader
    /// `fallback` when a check names none, and embeds through `embed`.
    public init(fallback: String?, send: @escaping @Sendable (String, String) async -> BackendResponse?,
                embed: @escaping @Sendable (String, [String]) async -> Result<[[Double]], EmbeddingFailure>? = { _, _ in nil }) {
        self.fallback = fallback
        self.send = send
        self.embedWith = embed
    }

    /// Embeddings of `texts` from backend `id`, or why there are none.
    func embed(_ id: String, _ texts: [String]) async -> Result<[[Double]], TransformError> {
        guard let r = await embedWith(id, texts) else { return .failure(TransformError("no backend or grader named '\(id)'")) }
        switch r {
        case .success(let v): return .success(v)
        case .failure(let f): return .failure(TransformError(f.message))
        }
    }

    /// The grader's answer, or why there is none.
    func ask(_ explicit: String?, _ prompt: String) async -> Result<(grader: String, text: String), TransformError> {
        guard let id = forced ?? explicit ?? fallback else {
            return .failure(TransformError("no grader: set \"grader\" on the validator or \"defaults.grader\", or run with --grader ID"))
        }
        guard let r = await send(id, prompt) else { return .failure(TransformError("no backend or grader named '\(id)'")) }
        if r.finishReason == .error { return .failure(TransformError("grader '\(id)' failed: \(r.error ?? "error")")) }
        return .success((id, r.text))
    }

    /// The grader's answer as a JSON object, read with the repair engine (a cut answer still counts
    /// when what was cut can be recovered).
    static func object(_ text: String) -> JSONObject? {
        if case .object(let o)? = try? JSONParser.parse(text) { return o }
        if let r = try? JSONRepair.repair(text), case .object(let o) = r.value { return o }
        return nil
    }
}

/// Model-graded checks: `rubric`, `factuality`, `classifier` and `select-best`.
enum GradedValidators {
    static let factories: [String: ValidatorFactory] = [
        "rubric": { c throws(SuiteError) in try Rubric(c) },
        "factuality": { c throws(SuiteError) in try Factuality(c) },
        "classifier": { c throws(SuiteError) in try Classifier(c) },
        "select-best": { c throws(SuiteError) in try SelectBest(c) },
    ]

    /// The documented default grader prompt for `rubric`; `graderPrompt` replaces it.
    static let rubricPrompt = """
    You are grading the output of an AI model against a rubric.

    [Prompt given to the model]
    {{prompt}}

    [Model output]
    {{output}}

    [Rubric]
    {{rubric}}

    Answer with one JSON object and nothing else:
    {"reason": "<one sentence>", "score": <a number from 0 to 1>, "pass": <true or false>}
    """

    static let factualityPrompt = """
    You are comparing a submitted answer to an expert answer on a given question.

    [Question]
    {{prompt}}

    [Expert answer]
    {{reference}}

    [Submission]
    {{output}}

    Compare the factual content of the submission with the expert answer, ignoring style. Choose one:
    (A) The submission is a subset of the expert answer and fully consistent with it.
    (B) The submission is a superset of the expert answer and fully consistent with it.
    (C) The submission contains the same details as the expert answer.
    (D) The submission disagrees with the expert answer.
    (E) The answers differ, but these differences do not matter factually.

    Answer with one JSON object and nothing else: {"reason": "<one sentence>", "choice": "<A, B, C, D or E>"}
    """

    static let classifierPrompt = """
    Classify the text below into exactly one of these labels: {{labels}}.

    [Text]
    {{output}}

    Answer with one JSON object and nothing else: {"reason": "<one sentence>", "label": "<one of the labels>"}
    """

    static let selectPrompt = """
    Several outputs answer the same request. Pick the one that best meets the criterion.

    [Request]
    {{prompt}}

    [Criterion]
    {{criterion}}

    {{outputs}}
    Answer with one JSON object and nothing else: {"reason": "<one sentence>", "best": <the number of the best output>}
    """

    static func prompt(_ c: ValidatorConfig, default text: String, needs: [String]) throws(SuiteError) -> Template {
        let source: String
        if let v = c.object["graderPrompt"] {
            guard let s = v.stringValue else { throw c.error("graderPrompt", "\"graderPrompt\" must be a template string") }
            source = s
        } else if let s = c.suiteGraderPrompt, c.type == "rubric" {
            source = s
        } else {
            source = text
        }
        let t: Template
        do { t = try Template(source, directory: c.suiteDirectory) } catch { throw c.error("graderPrompt", error.message) }
        for n in needs where !source.contains("{{" + n) && !source.contains("{{ " + n) {
            throw c.error("graderPrompt", "the grader prompt must use {{\(n)}}")
        }
        return t
    }

    static func render(_ t: Template, _ vars: [(String, String)]) -> String {
        t.render(JSONObject(vars.map { (key: $0.0, value: JSONValue.string($0.1)) }))
    }

    static func flat(_ messages: [ChatMessage]) -> String { BackendRequest(messages: messages).flattenedPrompt }

    /// Asks the grader and lets `judge` turn its answer (the grader's id, the answer's JSON object
    /// if it has one, the raw text) into a verdict; the raw answer is kept on the verdict either way.
    static func graded(_ ctx: CheckContext, _ grader: String?, _ prompt: String,
                       _ judge: (String, JSONObject?, String) -> CheckResult) async -> CheckResult {
        guard let access = ctx.grader else { return .unevaluable("no grader is available in this run") }
        switch await access.ask(grader, prompt) {
        case .failure(let e): return .unevaluable(e.message)
        case .success(let (id, answer)):
            var r = judge(id, GraderAccess.object(answer), answer)
            r.graderAnswer = answer
            return r
        }
    }

    /// `{"type": "rubric", "rubric": "…", "grader": ID, "threshold": 0.5}`; with `"range": [LO, HI]`
    /// the grader scores on that scale (OpenAI's score_model) and `threshold` is on it too.
    struct Rubric: Validator {
        let rubric: String
        let grader: String?
        let threshold: Double
        let range: ClosedRange<Double>
        let template: Template

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["rubric", "grader", "threshold", "graderPrompt", "range"])
            rubric = try TextValidators.text(c, "rubric")
            grader = try c.string("grader")
            if let r = c.object["range"] {
                guard let xs = r.arrayValue, xs.count == 2, let lo = xs[0].doubleValue, let hi = xs[1].doubleValue, lo.isFinite, hi.isFinite, lo < hi else {
                    throw c.error("range", "\"range\" must be two numbers [low, high] with low < high")
                }
                range = lo...hi
            } else {
                range = 0...1
            }
            threshold = try c.number("threshold") ?? (range.lowerBound + range.upperBound) / 2
            guard range.contains(threshold) else { throw c.error("threshold", "\"threshold\" must be between \(JSONNumber(range.lowerBound).text) and \(JSONNumber(range.upperBound).text)") }
            template = try GradedValidators.prompt(c, default: rubricPrompt, needs: ["output"])
        }

        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let text = render(template, [("rubric", rubric), ("prompt", flat(ctx.messages)), ("output", s.text)])
            return await graded(ctx, grader, text) { id, o, answer in
                guard let o else { return .unevaluable("grader '\(id)' answered without a JSON object: \(TextValidators.quote(answer))") }
                let reason = o["reason"]?.stringValue ?? "no reason given"
                // One rule: a score outside [0, 1] is a grader error, whatever else the answer says.
                if let sv = o["score"], sv != .null {
                    guard let score = sv.doubleValue, score.isFinite, range.contains(score) else {
                        return .unevaluable("grader '\(id)' gave score \(sv), outside \(JSONNumber(range.lowerBound).text) to \(JSONNumber(range.upperBound).text): \(TextValidators.quote(answer))")
                    }
                    let shown = (score * 1000).rounded() / 1000
                    var r = CheckResult(pass: score >= threshold - 1e-12, score: (score - range.lowerBound) / (range.upperBound - range.lowerBound),
                                        message: "grader '\(id)': score \(shown) \(score >= threshold - 1e-12 ? "≥" : "<") threshold \(threshold): \(reason)")
                    r.value = score
                    return r
                }
                if let p = o["pass"]?.boolValue { return CheckResult(pass: p, message: "grader '\(id)': \(p ? "pass" : "fail"): \(reason)") }
                return .unevaluable("grader '\(id)' gave neither a score from 0 to 1 nor pass: \(TextValidators.quote(answer))")
            }
        }
    }

    /// `{"type": "factuality", "reference": "…", "pass": ["subset", "superset", "same", "immaterial"]}`.
    struct Factuality: Validator {
        static let classes = ["A": "subset", "B": "superset", "C": "same", "D": "disagrees", "E": "immaterial"]
        let reference: String
        let grader: String?
        let passing: Set<String>
        let template: Template

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["reference", "grader", "pass", "graderPrompt"])
            reference = try TextValidators.text(c, "reference")
            grader = try c.string("grader")
            if c.object["pass"] != nil {
                let names = try c.strings("pass")
                for n in names where !Self.classes.values.contains(n) {
                    throw c.error("pass", "unknown class '\(n)' (use subset, superset, same, disagrees, immaterial)")
                }
                passing = Set(names)
            } else {
                passing = ["subset", "superset", "same", "immaterial"]
            }
            template = try GradedValidators.prompt(c, default: factualityPrompt, needs: ["output", "reference"])
        }

        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let text = render(template, [("reference", reference), ("prompt", flat(ctx.messages)), ("output", s.text)])
            return await graded(ctx, grader, text) { id, o, answer in
                let letter = o?["choice"]?.stringValue?.trimmingCharacters(in: CharacterSet(charactersIn: " ()")).uppercased()
                guard let letter, let cls = Self.classes[letter] else {
                    return .unevaluable("grader '\(id)' gave no choice A–E: \(TextValidators.quote(answer))")
                }
                let ok = passing.contains(cls)
                return CheckResult(pass: ok, message: "grader '\(id)': \(cls) (\(letter))\(ok ? "" : ", which does not pass"): \(o?["reason"]?.stringValue ?? "no reason given")")
            }
        }
    }

    /// `{"type": "classifier", "labels": ["refund", "bug"], "expected": "refund"}`.
    struct Classifier: Validator {
        let labels: [String]
        /// The labels that pass (`expected`: one label, or a list of them).
        let expectedSet: [String]
        var expected: String { expectedSet.joined(separator: " or ") }
        let grader: String?
        let template: Template

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["labels", "expected", "grader", "graderPrompt"])
            labels = try c.strings("labels")
            expectedSet = c.object["expected"]?.arrayValue != nil ? try c.strings("expected") : [try TextValidators.text(c, "expected")]
            guard !expectedSet.isEmpty, expectedSet.allSatisfy(labels.contains) else { throw c.error("expected", "\"expected\" must be one of \"labels\" (or a list of them)") }
            grader = try c.string("grader")
            template = try GradedValidators.prompt(c, default: classifierPrompt, needs: ["output"])
        }

        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let text = render(template, [("labels", labels.joined(separator: ", ")), ("prompt", flat(ctx.messages)), ("output", s.text)])
            return await graded(ctx, grader, text) { id, o, answer in
                guard let label = o?["label"]?.stringValue, labels.contains(label) else {
                    return .unevaluable("grader '\(id)' gave no label among \(labels.joined(separator: ", ")): \(TextValidators.quote(answer))")
                }
                let ok = expectedSet.contains(label)
                return CheckResult(pass: ok, message: ok
                                   ? "grader '\(id)': \(TextValidators.quote(label))"
                                   : "grader '\(id)': expected \(TextValidators.quote(expected)), got \(TextValidators.quote(label)): \(o?["reason"]?.stringValue ?? "")")
            }
        }
    }

    /// `{"type": "select-best", "criterion": "…"}`: decided once every prompt version and backend
    /// of the case has answered (see `Runner`); the chosen output passes, the others fail.
    struct SelectBest: Validator {
        let criterion: String
        let grader: String?

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["criterion", "grader"])
            criterion = try TextValidators.text(c, "criterion")
            grader = try c.string("grader")
        }

        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            var r = CheckResult(pass: false, message: "waiting for the other outputs of the case")
            r.pendingSelection = criterion + "\u{0}" + (grader ?? "")
            return r
        }
    }

    /// Asks the grader which of `outputs` is best; the index and the reason, or why not.
    static func selectBest(_ access: GraderAccess, criterion: String, grader: String?, prompt: String,
                           outputs: [String]) async -> Result<(best: Int, reason: String, id: String, answer: String), TransformError> {
        let listed = outputs.enumerated().map { "[Output \($0.offset + 1)]\n\($0.element)\n" }.joined(separator: "\n")
        let text = render(try! Template(selectPrompt, directory: "/"), [("prompt", prompt), ("criterion", criterion), ("outputs", listed)])
        switch await access.ask(grader, text) {
        case .failure(let e): return .failure(e)
        case .success(let (id, answer)):
            guard let o = GraderAccess.object(answer), let n = o["best"]?.intValue, (1...outputs.count).contains(n) else {
                return .failure(TransformError("grader '\(id)' named no output from 1 to \(outputs.count): \(TextValidators.quote(answer))"))
            }
            return .success((n - 1, o["reason"]?.stringValue ?? "no reason given", id, answer))
        }
    }
}
