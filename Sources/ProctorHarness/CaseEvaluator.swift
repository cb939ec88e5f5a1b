import ProctorBackends
import ProctorJSON
import ProctorRepair
import ProctorConversation

/// Turns a backend response into a `CaseResult`: JSON pipeline (strict, extract or repair), then
/// every validator, then the score and status.
public enum CaseEvaluator {
    /// Output → JSON value for the case's JSON validators, parsed once. `repairs` lists what the
    /// repair engine changed (mode `.repair` only); extraction is not a repair.
    public static func parseJSON(_ output: String, mode: JSONMode, dropPartialStrings: Bool = false)
        -> (value: JSONValue?, error: String?, repairs: [Repair])
    {
        do {
            return (try JSONParser.parse(output), nil, [])
        } catch {
            let strictError = error.description
            switch mode {
            case .strict:
                return (nil, strictError, [])
            case .extract:
                if let found = JSONExtraction.firstValue(in: output) { return (found.value, nil, []) }
                return (nil, strictError, [])
            case .repair:
                do {
                    let r = try JSONRepair.repair(output, options: .init(dropPartialStrings: dropPartialStrings))
                    return (r.value, nil, r.repairs)
                } catch {
                    return (nil, "\(strictError); repair found nothing recoverable: \(error)", [])
                }
            }
        }
    }

    /// When the output is not JSON, the parse error appears once (on the `json` validator, or the
    /// first blocked one) with the list of validators it kept from running.
    static func sayParseErrorOnce(_ verdicts: inout [ValidatorVerdict], blocked: [Int], error: String?) {
        guard !blocked.isEmpty else { return }
        let names = blocked.map { verdicts[$0].type }.joined(separator: ", ")
        let why = "output is not valid JSON: \(error ?? "no JSON found")"
        if let j = verdicts.firstIndex(where: { $0.type == "json" && !$0.pass }) {
            verdicts[j] = verdicts[j].with(message: verdicts[j].message + "; not checked because of it: " + names)
        } else {
            verdicts[blocked[0]] = verdicts[blocked[0]].with(message: "could not evaluate: " + why + "; not checked because of it: " + names)
        }
    }

    /// Repairs grouped by kind, in order of first appearance (see `[Repair].grouped`).
    public static func groupedRepairs(_ repairs: [Repair], truncated: Bool) -> [String] { repairs.grouped(truncated: truncated) }

    /// The kinds alone, for the `json` validator's message: "closedArray, closedObject ×2".
    static func repairSummary(_ repairs: [Repair]) -> String { repairs.summary }

    /// The score and status from the verdicts: the weighted mean score; failed when a check could
    /// not be made, when the threshold (or, without one, any validator) is missed; repaired when it
    /// passed only after JSON repair (failed with `strictRepair`). Called again when a pending
    /// `select-best` verdict is decided.
    static func settle(_ result: inout CaseResult, strictRepair: Bool) {
        result.validators.removeAll { $0.type == "strict-repair" }
        let verdicts = result.validators
        let weights = verdicts.reduce(0) { $0 + $1.weight }
        let allPass = verdicts.allSatisfy(\.pass)
        result.score = weights > 0 ? verdicts.reduce(0) { $0 + $1.score * $1.weight } / weights : (allPass ? 1 : 0)
        // A check that could not be made fails the case, whatever the weighted score says.
        let unevaluated = verdicts.contains { !$0.evaluated }
        let pass = !unevaluated && (result.threshold.map { result.score >= $0 - 1e-12 } ?? allPass)
        if !pass {
            result.status = .failed
        } else if result.neededRepair {
            result.status = strictRepair ? .failed : .repaired
            if strictRepair {
                result.validators.append(ValidatorVerdict(type: "strict-repair", pass: false, score: 0, weight: 0,
                                                          message: "passed only after JSON repair (\(result.repairs.joined(separator: ", "))), and repairs are not allowed"))
            }
        } else {
            result.status = .passed
        }
    }

    /// The verdict on one response: transform, JSON pipeline, every validator, score and status.
    public static func evaluate(suite: borrowing Suite, testCase: borrowing TestCase, prompt: borrowing PromptVersion, backendId: String,
                                messages: [ChatMessage], options: GenerationOptions = GenerationOptions(), response: BackendResponse,
                                strictRepair: Bool, grader: GraderAccess? = nil) async -> CaseResult {
        var blocked: [Int] = []
        var waiting = 0
        var result = CaseResult.vacated
        let ctx = withUnsafePointer(to: testCase) { tc -> CheckContext? in
            result = start(suite: suite, testCase: tc, prompt: prompt, backendId: backendId, messages: messages, options: options,
                           response: response)
            guard let ctx = context(&result, suite: suite, testCase: tc, prompt: prompt, backendId: backendId, messages: messages,
                                    options: options, response: response, grader: grader) else { return nil }
            waiting = checkNow(tc, ctx, into: &result, blocked: &blocked)
            return ctx
        }
        guard let ctx else { return result }
        // From the first check that waits (a grader, a command) on, they run one by one.
        for i in waiting..<testCase.validators.count {
            let r = await testCase.validators[i].run(ctx)
            if r.blockedByJSON { blocked.append(result.validators.count) }
            result.validators.append(ValidatorVerdict(type: testCase.validators[i].type, weight: testCase.validators[i].weight, r,
                                                      metric: testCase.validators[i].metric))
        }
        finish(&result, blocked: blocked, jsonError: ctx.jsonError, strictRepair: strictRepair)
        return result
    }

    /// `evaluate` without suspending, for a case whose validators are all immediate
    /// (`TestCase.checksNow`): the same verdict, with no async frame to copy values into.
    public static func evaluateNow(suite: borrowing Suite, testCase: borrowing TestCase, prompt: borrowing PromptVersion, backendId: String,
                                   messages: [ChatMessage], options: GenerationOptions = GenerationOptions(), response: BackendResponse,
                                   strictRepair: Bool) -> CaseResult {
        var out: [CaseResult] = []
        withUnsafePointer(to: testCase) { tc in
            evaluateNow(suite: suite, testCase: tc, prompt: prompt, backendId: backendId, messages: messages, options: options,
                        response: response, strictRepair: strictRepair, into: &out)
        }
        return out.removeLast()
    }

    /// `evaluateNow` for the run's workers: the result is made in its place at the end of
    /// `results` (a result handed back is copied), and the case is read field by field through
    /// `testCase` (a borrowed array element is copied whole where the compiler cannot prove the
    /// array unchanged).
    static func evaluateNow(suite: borrowing Suite, testCase: UnsafePointer<TestCase>, prompt: borrowing PromptVersion, backendId: String,
                            messages: [ChatMessage], options: GenerationOptions, response: BackendResponse,
                            strictRepair: Bool, into results: inout [CaseResult]) {
        precondition(testCase.pointee.checksNow, "evaluateNow: case '\(testCase.pointee.id)' has a validator that waits")
        results.append(start(suite: suite, testCase: testCase, prompt: prompt, backendId: backendId, messages: messages,
                             options: options, response: response))
        results.withUnsafeMutableBufferPointer { rs in
            let result = rs.baseAddress! + (rs.count - 1)
            guard let ctx = context(&result.pointee, suite: suite, testCase: testCase, prompt: prompt, backendId: backendId,
                                    messages: messages, options: options, response: response, grader: nil) else { return }
            var blocked: [Int] = []
            _ = checkNow(testCase, ctx, into: &result.pointee, blocked: &blocked)
            finish(&result.pointee, blocked: blocked, jsonError: ctx.jsonError, strictRepair: strictRepair)
        }
    }

    /// The result before anything is checked, made by the member-wise initializer with every
    /// field given: a result made and then changed field by field, or made by an initializer
    /// that sets its fields one by one, is copied on its way out (a retain and a release of
    /// every field).
    static func start(suite: borrowing Suite, testCase: UnsafePointer<TestCase>, prompt: borrowing PromptVersion, backendId: String,
                      messages: [ChatMessage], options: GenerationOptions, response: BackendResponse) -> CaseResult {
        let maxTokens = options.maxTokens
        return CaseResult(
            suite: suite.name, suiteFile: suite.file, caseId: testCase.pointee.id, caseFile: testCase.pointee.file,
            caseLine: testCase.pointee.line, promptId: prompt.id, promptSha256: prompt.sha256, backendId: backendId, status: .passed,
            score: 0, threshold: testCase.pointee.threshold, output: response.text, finishReason: response.finishReason,
            truncated: response.finishReason == .length || (maxTokens != nil && (response.usage?.outputTokens ?? 0) >= maxTokens!),
            usage: response.usage, latencyMs: response.latencyMs, error: response.error, stderr: response.stderr,
            validators: [], repairs: [], messages: messages, repeatIndex: 0, minPassRate: 1, caseColumn: 0,
            latencyRecorded: response.latencyRecorded, optionsBox: options.isEmpty ? nil : OptionsBox(options), transformed: nil,
            transformSteps: nil, cached: response.cached, constrained: response.constrained, vars: testCase.pointee.vars,
            metadata: testCase.pointee.metadata, costUsd: Self.cost(suite: suite, backendId: backendId, usage: response.usage),
            replayed: response.replayed || suite.backends.first { $0.id == backendId }?.type == "replay", toolTrace: ToolTrace.of(response))
    }

    /// The answer's cost at its backend's pricing (a replay backend's is its source's).
    static func cost(suite: borrowing Suite, backendId: String, usage: TokenUsage?) -> Double? {
        guard let usage, let spec = suite.backends.first(where: { $0.id == backendId }), let pricing = suite.effectiveSpec(spec).pricing else { return nil }
        return pricing.cost(usage)
    }

    /// The case's transform and JSON pipeline, noted on `result`, and the context its checks
    /// see; nil when the result is already final (the backend failed, or the transform did).
    static func context(_ result: inout CaseResult, suite: borrowing Suite, testCase: UnsafePointer<TestCase>, prompt: borrowing PromptVersion,
                        backendId: String, messages: [ChatMessage], options: GenerationOptions, response: BackendResponse,
                        grader: GraderAccess?) -> CheckContext? {
        if response.finishReason == .error {
            result.status = .error
            return nil
        }
        // The case's transform runs first; the validators see its result.
        var checked = response.text
        if let t = testCase.pointee.transform, !t.isEmpty {
            switch t.apply(response.text) {
            case .success(let text):
                checked = text
                result.transformed = text
                result.transformSteps = t.description
            case .failure(let e):
                result.status = .error
                result.error = "transform (\(t.description)) failed: \(e.message)"
                return nil
            }
        }
        let parsed = parseJSON(checked, mode: testCase.pointee.jsonMode)
        // Repairs of an output the backend cut at its token limit are labelled as truncation repairs.
        result.repairs = response.repairs + groupedRepairs(parsed.repairs, truncated: result.truncated)
        let ctx = CheckContext(output: checked, json: parsed.value, jsonError: parsed.error, response: response,
                               maxTokens: options.maxTokens, caseId: testCase.pointee.id, promptId: prompt.id, backendId: backendId,
                               suiteDirectory: suite.directory, messages: messages, grader: grader,
                               repairSummary: repairSummary(parsed.repairs), costUsd: result.costUsd,
                               tools: prompt.tools?.tools ?? suite.tools.tools, vars: testCase.pointee.vars)
        result.validators.reserveCapacity(testCase.pointee.validators.count)
        return ctx
    }

    /// Runs the immediate checks in order, up to the first that waits, and returns its index
    /// (the count when none waits). They are read where they are stored: an element taken out of
    /// the array in an async function is a copy, a retain of each of its fields.
    static func checkNow(_ testCase: UnsafePointer<TestCase>, _ ctx: CheckContext, into result: inout CaseResult, blocked: inout [Int]) -> Int {
        testCase.pointee.validators.withUnsafeBufferPointer { vs in
            for i in vs.indices {
                guard let r = vs[i].runNow(ctx) else { return i }
                if r.blockedByJSON { blocked.append(result.validators.count) }
                result.validators.append(ValidatorVerdict(type: vs[i].type, weight: vs[i].weight, r, metric: vs[i].metric))
            }
            return vs.count
        }
    }

    /// The parse error said once, then the score and status.
    static func finish(_ result: inout CaseResult, blocked: [Int], jsonError: String?, strictRepair: Bool) {
        sayParseErrorOnce(&result.validators, blocked: blocked, error: jsonError)
        settle(&result, strictRepair: strictRepair)
    }
}
