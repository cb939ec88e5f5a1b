import ProctorBackends
import ProctorJSON
import ProctorSchema
import ProctorConversation

/// Checks on the tool calls a case's model made (every call of a tool loop, in order):
/// `tool-call`, `tool-sequence`, `no-tool-call` and `tool-call-f1`.
enum ToolValidators {
    static let factories: [String: ValidatorFactory] = [
        "tool-call": { c throws(SuiteError) in try Called(c) },
        "tool-sequence": { c throws(SuiteError) in try Sequence(c) },
        "no-tool-call": { c throws(SuiteError) in try NoCall(c) },
        "tool-call-f1": { c throws(SuiteError) in try F1(c) },
    ]

    /// A tool check names tools: a suite that declares tools must declare each (checked when the suite loads).
    protocol NamesTools {
        /// The tool names the check reads.
        var toolNames: [String] { get }
        /// The key of the entry that names them, where an error about them points.
        var toolNamesKey: String { get }
    }

    /// `args` is a subset of `actual`: every key of an expected object is there with a matching
    /// value (objects recursively), arrays element by element, numbers by value.
    static func matches(_ expected: JSONValue, _ actual: JSONValue) -> Bool {
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            return e.allSatisfy { k, v in a[k].map { matches(v, $0) } ?? false }
        case (.array(let e), .array(let a)):
            return e.count == a.count && zip(e, a).allSatisfy { matches($0, $1) }
        case (.number(let x), .number(let y)):
            return x.double == y.double
        default:
            return expected == actual
        }
    }

    /// The calls in words, for messages: `get_weather, get_time` or "no tool call".
    static func listed(_ calls: [ToolCall]) -> String {
        calls.isEmpty ? "no tool call" : calls.map(\.name).joined(separator: ", ")
    }

    /// A call to `name` was made (with `args` among its arguments), `count` times (or between
    /// `minCount`, default 1, and `maxCount`); each such call's arguments validate against
    /// `schema`, by default the tool's own `parameters`.
    struct Called: ImmediateValidator, NamesTools {
        let name: String?
        let args: JSONValue?
        let schema: CompiledSchema?
        let minCount: Int
        let maxCount: Int?
        var toolNames: [String] { name.map { [$0] } ?? [] }
        var toolNamesKey: String { "name" }

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["name", "args", "schema", "count", "minCount", "maxCount"])
            name = try c.string("name")
            args = c.object["args"]
            if let a = args, a.objectValue == nil { throw c.error("args", "\"args\" must be an object: the arguments the call must include") }
            schema = c.object["schema"] == nil ? nil : try JSONValidators.SchemaValidator.load(c, key: "schema").0
            func count(_ key: String) throws(SuiteError) -> Int? {
                guard let v = c.object[key] else { return nil }
                guard let n = v.intValue, n >= 0 else { throw c.error(key, "\"\(key)\" must be a whole number, not negative, found \(v)") }
                return n
            }
            let exact = try count("count")
            if exact != nil, c.object["minCount"] != nil || c.object["maxCount"] != nil {
                throw c.error("count", "\"count\" is exact: give it, or \"minCount\" and \"maxCount\", not both")
            }
            let low = try count("minCount"), high = try count("maxCount")
            minCount = exact ?? low ?? 1
            maxCount = exact ?? high
            if let m = maxCount, m < minCount { throw c.error("maxCount", "\"maxCount\" (\(m)) is below \"minCount\" (\(minCount))") }
        }

        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let calls = ctx.response.toolCalls
            let named = calls.filter { name == nil || $0.name == name }
            let what = name.map { "'\($0)'" } ?? "a tool"
            let matching = args.map { a in named.filter { ToolValidators.matches(a, $0.arguments) } } ?? named
            let counted = "\(matching.count) call\(matching.count == 1 ? "" : "s") to \(what)" + (args == nil ? "" : " with the given args")
            if matching.count < minCount || maxCount.map({ matching.count > $0 }) == true {
                let wanted = maxCount == minCount ? "\(minCount)" : maxCount.map { "\(minCount) to \($0)" } ?? "at least \(minCount)"
                var why = "\(counted), expected \(wanted) (calls made: \(ToolValidators.listed(calls)))"
                if let a = args, matching.count < minCount, let near = named.first {
                    why += "; \(name.map { "'\($0)'" } ?? "the first call") had arguments \(JSONSerializer.string(near.arguments)), not including \(JSONSerializer.string(a))"
                }
                return .fail(why)
            }
            var unchecked: [String] = []
            for (k, call) in matching.enumerated() {
                guard let schema = schema ?? ctx.tools.first(where: { $0.definition.name == call.name })?.schema else {
                    if !unchecked.contains(call.name) { unchecked.append(call.name) }
                    continue
                }
                if case .string = call.arguments {
                    return .fail("call \(k + 1) to '\(call.name)': its arguments are not JSON: \(JSONSerializer.string(call.arguments))")
                }
                let r = schema.validate(call.arguments)
                if !r.valid {
                    let shown = r.errors.prefix(3).map { e in "\(e.instanceLocation.isEmpty ? "(root)" : e.instanceLocation): \(e.message)" }.joined(separator: "; ")
                    return .fail("call \(k + 1) to '\(call.name)': arguments do not match \(self.schema == nil ? "the tool's parameters" : "the schema"): \(shown)")
                }
            }
            if matching.isEmpty { return .pass(counted) }
            // Say only what was checked: a call of a tool with no schema here had its arguments unchecked.
            return .pass(counted + (unchecked.isEmpty ? ", arguments valid" : unchecked.count == matching.count
                ? ", arguments not checked (no schema for \(unchecked.map { "'\($0)'" }.joined(separator: ", ")))"
                : ", arguments valid where a schema applies (none for \(unchecked.map { "'\($0)'" }.joined(separator: ", ")))"))
        }
    }

    /// The tools were called in the order of `names`: exactly (`mode: exact`, the default) or
    /// with other calls between (`mode: subsequence`).
    struct Sequence: ImmediateValidator, NamesTools {
        let names: [String]
        let exact: Bool
        var toolNames: [String] { names }
        var toolNamesKey: String { "names" }
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["names", "mode"])
            names = try c.strings("names")
            let mode = try c.string("mode") ?? "exact"
            guard mode == "exact" || mode == "subsequence" else { throw c.error("mode", "\"mode\" must be \"exact\" or \"subsequence\", found \"\(mode)\"") }
            exact = mode == "exact"
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let made = ctx.response.toolCalls.map(\.name)
            let ok: Bool
            if exact {
                ok = made == names
            } else {
                var i = 0
                for n in made where i < names.count && n == names[i] { i += 1 }
                ok = i == names.count
            }
            let want = names.joined(separator: " → ")
            let got = made.isEmpty ? "no tool call" : made.joined(separator: " → ")
            return ok ? .pass("called \(got)" + (exact ? "" : ", which includes \(want) in order"))
                : .fail("called \(got), expected \(exact ? "exactly " : "")\(want)" + (exact ? "" : " in order"))
        }
    }

    /// No tool was called (or none named `name`).
    struct NoCall: ImmediateValidator, NamesTools {
        let name: String?
        var toolNames: [String] { name.map { [$0] } ?? [] }
        var toolNamesKey: String { "name" }
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["name"])
            name = try c.string("name")
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let made = ctx.response.toolCalls.filter { name == nil || $0.name == name }
            if made.isEmpty { return .pass(name.map { "'\($0)' was not called" } ?? "no tool was called") }
            return .fail("\(made.count) call\(made.count == 1 ? "" : "s") to \(ToolValidators.listed(made))" + (name == nil ? ", expected none" : ", expected none to '\(name!)'"))
        }
    }

    /// The F1 score of the calls made against `expected` calls (`{name, args?}`; a made call
    /// matches an expected one with its name whose `args` it includes, each used once): a score,
    /// so a case's `threshold` weighs it; the check passes at `min` or above (default 1).
    struct F1: ImmediateValidator, NamesTools {
        let expected: [(name: String, args: JSONValue?)]
        let minimum: Double
        var toolNames: [String] { expected.map(\.name) }
        var toolNamesKey: String { "expected" }
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["expected", "min"])
            guard case .array(let xs)? = c.object["expected"] else {
                throw c.error("expected", "validator 'tool-call-f1' needs \"expected\": a list of {\"name\", \"args\"?} (empty: no call expected)")
            }
            var out: [(name: String, args: JSONValue?)] = []
            for (i, x) in xs.enumerated() {
                guard let n = x["name"]?.stringValue else { throw c.error("expected", "expected call \(i + 1) needs \"name\", a string") }
                if let a = x["args"], a.objectValue == nil { throw c.error("expected", "expected call \(i + 1): \"args\" must be an object") }
                if case .object(let o) = x, let k = o.keys.first(where: { $0 != "name" && $0 != "args" }) {
                    throw c.error("expected", "expected call \(i + 1): unknown key \"\(k)\" (an expected call is {\"name\", \"args\"})")
                }
                out.append((n, x["args"]))
            }
            expected = out
            let m = try c.number("min") ?? 1
            guard m >= 0, m <= 1 else { throw c.error("min", "\"min\" must be between 0 and 1, found \(JSONNumber(m))") }
            minimum = m
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let made = ctx.response.toolCalls
            var unused = Array(expected.indices)
            var hits = 0
            for call in made {
                if let j = unused.firstIndex(where: { expected[$0].name == call.name && (expected[$0].args.map { ToolValidators.matches($0, call.arguments) } ?? true) }) {
                    unused.remove(at: j)
                    hits += 1
                }
            }
            let f1: Double
            if made.isEmpty && expected.isEmpty { f1 = 1 } else { f1 = 2 * Double(hits) / Double(made.count + expected.count) }
            let shown = JSONNumber((f1 * 1000).rounded() / 1000).text
            let r = CheckResult(pass: f1 >= minimum - 1e-12, score: f1,
                                message: "tool-call F1 \(shown): \(hits) of \(made.count) call\(made.count == 1 ? "" : "s") made matched \(expected.count) expected"
                                + (unused.isEmpty ? "" : " (missing: \(unused.map { expected[$0].name }.joined(separator: ", ")))"))
            return r
        }
    }
}
