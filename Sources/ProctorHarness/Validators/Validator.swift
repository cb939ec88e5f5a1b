import Foundation
import ProctorBackends
import ProctorJSON
import ProctorSupport
import ProctorConversation

/// The verdict of one check. Failed checks are values, never thrown errors.
public struct CheckResult: Sendable, Equatable {
    /// Whether the output passed the check (after `negate`, in a result from `ConfiguredValidator.run`).
    public var pass: Bool
    /// 0…1; 1 for a pass and 0 for a fail unless the validator grades (e.g. `similar`).
    public var score: Double
    /// What the check found, in words, for reports.
    public var message: String
    /// False when the check could not be made at all (no JSON to read, a command that timed out):
    /// such a result fails, and `negate` never turns it into a pass.
    public var evaluated = true

    /// A verdict saying `message`; without `score`, 1 for a pass and 0 for a fail.
    public init(pass: Bool, score: Double? = nil, message: String) {
        self.pass = pass
        self.score = score ?? (pass ? 1 : 0)
        self.message = message
    }

    /// A pass, with score 1, saying `m`.
    public static func pass(_ m: String) -> CheckResult { CheckResult(pass: true, message: m) }
    /// A fail, with score 0, saying `m`.
    public static func fail(_ m: String) -> CheckResult { CheckResult(pass: false, message: m) }
    /// The check needed the output's JSON and there was none (the parse error is reported once per case).
    public var blockedByJSON = false
    /// A grader's raw answer, kept in the JSON results.
    public var graderAnswer: String?
    /// The number behind `score` on its own scale, where it has one (a grader's score in its
    /// `range`, a program's score, a metric): what a `formula` combines; nil when negated.
    public var value: Double?
    /// `select-best` waits for the other outputs of the case: the criterion to judge them by.
    var pendingSelection: String?

    /// The check could not be evaluated; the message says why.
    public static func unevaluable(_ m: String) -> CheckResult {
        var r = CheckResult(pass: false, message: "could not evaluate: " + m)
        r.evaluated = false
        return r
    }

    /// How every "the output is not JSON" verdict begins, so reports can say the parse error once.
    public static let notJSONMessage = "could not evaluate: the output is not JSON"

    /// The check needs JSON and the output is not JSON.
    public static func notJSON(path: String? = nil) -> CheckResult {
        var r = unevaluable("the output is not JSON" + (path.map { ", so path \($0) cannot be read" } ?? ""))
        r.blockedByJSON = true
        return r
    }
}

/// What validators look at: the output, its JSON (parsed once per case), and the run's facts.
public final class CheckContext: Sendable {
    /// The output the checks read: the backend's text after the case's transform.
    public let output: String
    /// The output parsed as JSON by the case's pipeline (strict, extracted, or repaired), if it parsed.
    public let json: JSONValue?
    /// Why the output did not parse, when it did not.
    public let jsonError: String?
    /// What the repair engine changed to get `json`, grouped ("closedString, closedObject ×2"); empty when nothing.
    public let repairSummary: String
    /// The backend's whole answer (finish reason, usage, latency), for checks on how it answered.
    public let response: BackendResponse
    /// The generation limit requested, for the `finish`/`tokens` validators.
    public let maxTokens: Int?
    /// The case's id (a `command` validator's program gets it as `PROCTOR_CASE_ID`).
    public let caseId: String
    /// The prompt version's id (`PROCTOR_PROMPT_ID` for a command).
    public let promptId: String
    /// The backend's id (`PROCTOR_BACKEND_ID` for a command).
    public let backendId: String
    /// Folder of the suite file, where relative paths resolve.
    public let suiteDirectory: String
    /// The rendered prompt the output answers (graders see it).
    public let messages: [ChatMessage]
    /// Asks a grader backend (model-graded checks); nil where none is available.
    public let grader: GraderAccess?
    /// What the answer's tokens cost at the backend's pricing (the `cost` validator); nil when unknown.
    public let costUsd: Double?
    /// The tools the request offered (the prompt's or the suite's), for tool checks.
    public let tools: [SuiteTool]
    /// The case's variables (a `command` with `"stdin": "json"` gets them with the output).
    public let vars: JSONObject

    /// A class, not a struct: every check of a case reads one context, and a struct this size
    /// is copied field by field (a retain each) wherever it is captured or passed on.
    public init(output: String, json: JSONValue?, jsonError: String?, response: BackendResponse, maxTokens: Int? = nil,
                caseId: String = "", promptId: String = "", backendId: String = "", suiteDirectory: String = ".",
                messages: [ChatMessage] = [], grader: GraderAccess? = nil, repairSummary: String = "", costUsd: Double? = nil,
                tools: [SuiteTool] = [], vars: JSONObject = JSONObject()) {
        self.vars = vars
        self.costUsd = costUsd
        self.tools = tools
        self.output = output
        self.json = json
        self.jsonError = jsonError
        self.response = response
        self.maxTokens = maxTokens
        self.caseId = caseId
        self.promptId = promptId
        self.backendId = backendId
        self.suiteDirectory = suiteDirectory
        self.messages = messages
        self.grader = grader
        self.repairSummary = repairSummary
    }
}

/// The part of the output a validator checks: the whole output, or the value at its `path`.
public struct Subject: Sendable {
    /// Text form: the output, or the string at `path` (other values as JSON text).
    public var text: String
    /// JSON form, when the output parsed.
    public var value: JSONValue?
    /// The JSON Pointer of the subject inside the output (empty: the whole output), for messages.
    public var path = ""
}

/// One check. Implementations live one family per file and are listed in `ValidatorRegistry`.
public protocol Validator: Sendable {
    func check(_ subject: Subject, _ ctx: CheckContext) async -> CheckResult
}

/// A check that needs nothing outside the output (no backend, no process): it runs without a
/// suspension point, so a run checks it in place instead of copying it into an async frame.
public protocol ImmediateValidator: Validator {
    /// The verdict on `subject`, at once: what `check` would return, without suspending.
    func checkNow(_ subject: Subject, _ ctx: CheckContext) -> CheckResult
}

extension ImmediateValidator {
    /// An immediate check is also an ordinary one, so combinators and graders can hold it.
    public func check(_ subject: Subject, _ ctx: CheckContext) async -> CheckResult { checkNow(subject, ctx) }
}

/// A validator with the options every validator shares: `path`, `negate`, `weight`.
///
/// A class, read in place: a struct held in an array is copied (a retain of each field) to call
/// a method on it whenever the compiler cannot prove nothing else writes it, once per check.
public final class ConfiguredValidator: Sendable {
    /// The entry's `type` ("contains", "json-schema", …), as verdicts and reports name it.
    public let type: String
    /// The entry's `path`: the JSON Pointer of the value it checks; nil checks the whole output.
    public let path: JSONPointer?
    /// `path` as text, for subjects and messages (rendered once, not once per case).
    let pathText: String
    /// The entry's `negate`: the verdict is flipped, unless the check could not be made.
    public let negate: Bool
    /// The entry's `weight` in the case's weighted mean score (default 1, never negative).
    public let weight: Double
    /// How the case's pipeline must treat JSON (set by `json` validators with `extract`/`repair`).
    public let jsonMode: JSONMode?
    let inner: any Validator
    /// `inner` again when it is an immediate check (cast once, here, not once per case).
    let immediate: (any ImmediateValidator)?
    /// Whether `immediate` is set (a plain flag: reading the existential to test it copies it).
    let isImmediate: Bool
    /// This validator's own transform, applied to the (case-transformed) output before it checks.
    public let transform: Transform?
    /// The graders this validator (or one nested in it) names with `"grader"`.
    public let graderIds: [String]
    /// The entry's `metric`: its verdicts are summarised under this name per prompt × backend.
    public let metric: String?
    /// Set when the entry uses the case's variables: this is then a placeholder that each case
    /// replaces with its own build (`instantiated(_:caseId:)`), and never checks anything itself.
    let template: ValidatorTemplate?

    init(type: String, path: JSONPointer?, negate: Bool, weight: Double, jsonMode: JSONMode?, inner: any Validator, transform: Transform? = nil,
         graderIds: [String] = [], template: ValidatorTemplate? = nil, metric: String? = nil) {
        self.transform = transform
        self.metric = metric
        self.graderIds = graderIds
        self.template = template
        self.type = type
        self.path = path
        pathText = path?.description ?? ""
        self.negate = negate
        self.weight = weight
        self.jsonMode = jsonMode
        self.inner = inner
        immediate = inner as? any ImmediateValidator
        isImmediate = immediate != nil
    }

    /// The JSON Schema a `json-schema` validator checks against, as written (nil for other types).
    public var schemaDocument: JSONValue? { (inner as? JSONValidators.SchemaValidator)?.document }

    /// The verdict on one output: transform, path, the check, then `negate`; immediate checks
    /// run without suspending.
    public func run(_ ctx: CheckContext) async -> CheckResult {
        if let now = runNow(ctx) { return now }
        switch subject(ctx) {
        case .success(let subject): return negateIfNeeded(await inner.check(subject, ctx))
        case .failure(let unevaluable): return unevaluable.result
        }
    }

    /// The verdict without suspending, for an immediate check; nil when the check must wait on
    /// something (a grader, a command).
    public func runNow(_ ctx: CheckContext) -> CheckResult? {
        guard let immediate else { return nil }
        switch subject(ctx) {
        case .success(let subject): return negateIfNeeded(immediate.checkNow(subject, ctx))
        case .failure(let unevaluable): return unevaluable.result
        }
    }

    /// A check that could not be made, carried as an error through `subject`.
    struct Unevaluable: Error { let result: CheckResult }

    /// What this validator checks: the (transformed) output or the value at its path.
    func subject(_ ctx: CheckContext) -> Result<Subject, Unevaluable> {
        var subject = Subject(text: ctx.output, value: ctx.json)
        var json = ctx.json
        if let transform, !transform.isEmpty {
            switch transform.apply(ctx.output) {
            case .success(let t):
                json = try? JSONParser.parse(t)
                subject = Subject(text: t, value: json)
            case .failure(let e):
                return .failure(Unevaluable(result: .unevaluable("transform (\(transform.description)) failed: \(e.message)")))
            }
        }
        if let path {
            guard let root = json else {
                return .failure(Unevaluable(result: .notJSON(path: pathText)))
            }
            guard let v = path.resolve(in: root) else {
                return .failure(Unevaluable(result: .unevaluable("path \(path) does not exist in the output")))
            }
            subject = Subject(text: v.stringValue ?? JSONSerializer.string(v), value: v, path: pathText)
        }
        return .success(subject)
    }

    /// `negate` flips a verdict, never a check that could not be made.
    func negateIfNeeded(_ r: CheckResult) -> CheckResult {
        guard negate, r.evaluated else { return r }
        var n = CheckResult(pass: !r.pass, score: 1 - r.score, message: (r.pass ? "negated: " : "negated, passes: ") + r.message)
        n.graderAnswer = r.graderAnswer
        return n
    }
}

/// How a case parses its output as JSON.
public enum JSONMode: Int, Sendable, Comparable {
    case strict = 0
    /// Find JSON inside prose or a ``` fence.
    case extract = 1
    /// Repair truncated or malformed JSON (the repair engine).
    case repair = 2
    /// Orders modes by strength (strict < extract < repair), so a case takes the strongest its `json`
    /// validators ask for.
    public static func < (a: JSONMode, b: JSONMode) -> Bool { a.rawValue < b.rawValue }
}

/// A validator's JSON object from a suite, with helpers that report bad values by pointer.
public struct ValidatorConfig {
    /// The validator's entry as the suite wrote it, `type` included.
    public let object: JSONObject
    /// JSON Pointer of this validator in the suite file.
    public let pointer: String
    /// Folder of the suite file: relative paths in the entry (a schema file, a command's program) resolve from it.
    public let suiteDirectory: String
    let source: SuiteSource
    let registry: ValidatorRegistry

    /// The entry's `type`; empty when it has none (the registry refuses such an entry before a factory sees it).
    public var type: String { object["type"]?.stringValue ?? "" }
    /// The environment the suite is loaded with (what `command` validators' programs see).
    public var environment: [String: String] { source.env }
    /// The suite's `defaults.graderPrompt`, for `rubric` validators that do not set their own.
    public var suiteGraderPrompt: String? { source.graderPrompt }

    /// A `SuiteError` saying `message` at `key` of this entry, or at the entry itself when `key` is nil.
    public func error(_ key: String?, _ message: String) -> SuiteError {
        source.error(key.map { pointer + "/" + JSONPointer.escape($0) } ?? pointer, message)
    }

    /// Rejects keys the validator does not take, suggesting the closest one.
    public func allowKeys(_ keys: [String]) throws(SuiteError) {
        let all = keys + ["type", "path", "negate", "weight", "description", "transform", "metric"]
        for (k, _) in object where !all.contains(k) {
            throw error(k, "unknown key \"\(k)\" for validator '\(type)'" + Suggestions.hint(for: k, among: all))
        }
    }

    /// The value at `key`; throws when the entry lacks it.
    public func required(_ key: String) throws(SuiteError) -> JSONValue {
        guard let v = object[key] else { throw error(nil, "validator '\(type)' needs \"\(key)\"") }
        return v
    }

    /// The string at `key`, nil when the key is absent; throws when it is not a string.
    public func string(_ key: String) throws(SuiteError) -> String? {
        guard let v = object[key] else { return nil }
        guard let s = v.stringValue else { throw error(key, "\"\(key)\" must be a string, found \(v)") }
        return s
    }

    /// The number at `key`, nil when the key is absent; throws when it is not a number.
    public func number(_ key: String) throws(SuiteError) -> Double? {
        guard let v = object[key] else { return nil }
        guard let d = v.doubleValue else { throw error(key, "\"\(key)\" must be a number, found \(v)") }
        return d
    }

    /// The boolean at `key`, nil when the key is absent; throws when it is not true or false.
    public func bool(_ key: String) throws(SuiteError) -> Bool? {
        guard let v = object[key] else { return nil }
        guard let b = v.boolValue else { throw error(key, "\"\(key)\" must be true or false, found \(v)") }
        return b
    }

    /// The strings at `key`, which must be there as a non-empty array of strings.
    public func strings(_ key: String) throws(SuiteError) -> [String] {
        let v = try required(key)
        guard case .array(let xs) = v, !xs.isEmpty, xs.allSatisfy({ $0.stringValue != nil }) else {
            throw error(key, "\"\(key)\" must be a non-empty array of strings")
        }
        return xs.map { $0.stringValue! }
    }

    /// Builds nested validators (for `all`/`any`).
    public func children(_ key: String) throws(SuiteError) -> [ConfiguredValidator] {
        let v = try required(key)
        guard case .array(let xs) = v, !xs.isEmpty else { throw error(key, "\"\(key)\" must be a non-empty array of validators") }
        var out: [ConfiguredValidator] = []
        for (i, x) in xs.enumerated() {
            let at = pointer + "/" + key + "/" + String(i)
            // Only a case's own validators give verdicts of their own, so only they can feed a metric.
            if x["metric"] != nil { throw source.error(at + "/metric", "\"metric\" goes on the top-level validator (here, the '\(type)' around this one): nested checks give no verdicts of their own") }
            out.append(try registry.build(x, pointer: at, suiteDirectory: suiteDirectory, source: source))
        }
        return out
    }
}
