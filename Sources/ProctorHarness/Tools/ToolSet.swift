import Foundation
import ProctorBackends
import ProctorJSON
import ProctorSchema
import ProctorConversation

/// What a tool returns when a case's model calls it: a value (its strings templates over the
/// call's `args` and the case's variables), or the output of a program given the arguments.
public enum ToolMock: Sendable {
    /// A JSON value; a string in it is a template, and a string that is exactly one
    /// `{{variable}}` becomes that value, typed.
    case value(MockValue)
    /// `argv` run with the call's arguments (JSON) on stdin; its stdout is the result.
    case command(argv: [String], timeoutSeconds: Double)

    /// A mock value parsed once: literals, templates, and the arrays and objects that hold them.
    public indirect enum MockValue: Sendable {
        /// A value with no string to render.
        case literal(JSONValue)
        /// A string template.
        case template(Template)
        /// An array of values.
        case array([MockValue])
        /// An object's entries, in order.
        case object([(String, MockValue)])

        /// The value rendered with `vars`.
        func render(_ vars: JSONObject) -> JSONValue {
            switch self {
            case .literal(let v): return v
            case .template(let t):
                if let path = t.singleVariable, let v = Template.lookup(path, in: vars) { return v }
                return .string(t.render(vars))
            case .array(let xs): return .array(xs.map { $0.render(vars) })
            case .object(let es): return .object(JSONObject(es.map { ($0.0, $0.1.render(vars)) }))
            }
        }

        /// Variables its templates use that `vars` lacks, other than the call's `args`.
        func missingCaseVariables(in vars: JSONObject) -> [String] {
            switch self {
            case .literal: return []
            case .template(let t): return t.missingVariables(in: vars).filter { $0 != "args" && !$0.hasPrefix("args.") }
            case .array(let xs): return xs.flatMap { $0.missingCaseVariables(in: vars) }
            case .object(let es): return es.flatMap { $0.1.missingCaseVariables(in: vars) }
            }
        }

        /// Argument paths its templates read (`args.city` → `city`), for telling the model which it left out.
        func argumentPaths() -> [[String]] {
            switch self {
            case .literal: return []
            case .template(let t): return t.variablePaths.filter { $0.first == "args" }.map { Array($0.dropFirst()) }
            case .array(let xs): return xs.flatMap { $0.argumentPaths() }
            case .object(let es): return es.flatMap { $0.1.argumentPaths() }
            }
        }
    }
}

/// A tool as a suite declares it: the definition sent to the model, and its mock, if any.
public struct SuiteTool: Sendable {
    /// Name, description and argument schema, as the APIs get them.
    public let definition: ToolDefinition
    /// What a call returns during the run; nil when the tool has no mock (the first response is then the result).
    public let mock: ToolMock?
    /// `parameters`, compiled once: what `tool-call` checks arguments against by default.
    public let schema: CompiledSchema
}

/// The tools of a suite or of one prompt version, with the tool choice and the loop's limit.
public struct ToolSet: Sendable {
    /// The declared tools, in order.
    public var tools: [SuiteTool] = []
    /// `toolChoice`, when set.
    public var choice: ToolChoice?
    /// `maxToolRounds`: the most model → tools → model rounds of a case before it is an error (default 5).
    public var maxRounds = 5
    /// An empty set: no tools.
    public init() {}

    /// The definitions, as requests carry them.
    public var definitions: [ToolDefinition] { tools.map(\.definition) }
    /// Some tool has a mock, so a case runs the loop: calls answered until the model answers in words.
    public var runsLoop: Bool { tools.contains { $0.mock != nil } }
    /// The declared tool named `name`.
    public func tool(_ name: String) -> SuiteTool? { tools.first { $0.definition.name == name } }
}
