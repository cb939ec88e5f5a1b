import ProctorBackends
import ProctorJSON

/// Turns a backend response into a `CaseResult`: JSON pipeline (strict, extract or repair), then
/// every validator, then the score and status.
public enum CaseEvaluator {
    /// Output → JSON value for the case's JSON validators, parsed once.
    public static func parseJSON(_ output: String, mode: JSONMode) -> (value: JSONValue?, error: String?, repairs: [String]) {
        do {
            return (try JSONParser.parse(output), nil, [])
        } catch {
            let strictError = error.description
            switch mode {
            case .strict:
                return (nil, strictError, [])
            case .extract, .repair:
                if let found = JSONExtraction.firstValue(in: output) { return (found.value, nil, [found.how]) }
                if mode == .repair, let hook = repairHook.value, let r = hook(output) { return (r.value, nil, r.repairs) }
                return (nil, strictError, [])
            }
        }
    }

    /// Set by the repair engine (ProctorRepair) when it is linked: text → repaired value + repair descriptions.
    public static let repairHook = RepairHookBox()

    public static func evaluate(suite: Suite, testCase: TestCase, prompt: PromptVersion, backendId: String,
                                messages: [ChatMessage], response: BackendResponse, strictRepair: Bool) async -> CaseResult {
        var result = CaseResult(
            suite: suite.name, suiteFile: suite.file, caseId: testCase.id, caseFile: testCase.file, caseLine: testCase.line,
            promptId: prompt.id, promptSha256: prompt.sha256, backendId: backendId, status: .passed, score: 0,
            threshold: testCase.threshold, output: response.text, finishReason: response.finishReason, truncated: false,
            usage: response.usage, latencyMs: response.latencyMs, error: response.error, stderr: response.stderr,
            validators: [], repairs: [], messages: messages)
        let maxTokens = suite.options.generation["maxTokens"]?.intValue
        result.truncated = response.finishReason == .length || (maxTokens != nil && (response.usage?.outputTokens ?? 0) >= maxTokens!)
        if response.finishReason == .error {
            result.status = .error
            return result
        }
        let mode = testCase.jsonMode
        let parsed = parseJSON(response.text, mode: mode)
        let repaired = mode == .repair && !parsed.repairs.isEmpty && parsed.value != nil
        result.repairs = parsed.repairs.map { result.truncated ? "truncation: " + $0 : $0 }
        let ctx = CheckContext(output: response.text, json: parsed.value, jsonError: parsed.error, response: response,
                               maxTokens: maxTokens, caseId: testCase.id, promptId: prompt.id, backendId: backendId,
                               suiteDirectory: suite.directory)
        var weighted = 0.0, weights = 0.0
        var allPass = true
        for v in testCase.validators {
            let r = await v.run(ctx)
            result.validators.append(ValidatorVerdict(type: v.type, pass: r.pass, score: r.score, weight: v.weight, message: r.message))
            weighted += r.score * v.weight
            weights += v.weight
            if !r.pass { allPass = false }
        }
        result.score = weights > 0 ? weighted / weights : (allPass ? 1 : 0)
        let pass = testCase.threshold.map { result.score >= $0 - 1e-12 } ?? allPass
        if !pass {
            result.status = .failed
        } else if repaired {
            result.status = strictRepair ? .failed : .repaired
            if strictRepair {
                result.validators.append(ValidatorVerdict(type: "strict-repair", pass: false, score: 0, weight: 0,
                                                          message: "passed only after JSON repair (\(result.repairs.joined(separator: ", "))), and repairs are not allowed"))
            }
        } else {
            result.status = .passed
        }
        return result
    }
}

/// Holds the optional repair function (set once at start-up, read by every case).
public final class RepairHookBox: Sendable {
    public typealias Hook = @Sendable (String) -> (value: JSONValue, repairs: [String])?
    private let box = _Locked<Hook?>(nil)
    public var value: Hook? { box.get() }
    public func set(_ hook: @escaping Hook) { box.set(hook) }
}
