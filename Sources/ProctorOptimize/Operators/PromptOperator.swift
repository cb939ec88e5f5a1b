import ProctorJSON

/// Makes candidate prompts from a parent, offline and without a model of its own. Each operator
/// lives in its own file and is listed in `OperatorRegistry`.
public protocol PromptOperator: Sendable {
    /// The name reports and edits use.
    var name: String { get }
    /// Children of `parent` (none when the operator does not apply); `seed` drives any choice.
    func propose(_ parent: Candidate, _ context: OperatorContext, seed: UInt64) -> [Proposal]
}

/// One passing sample the few-shot operator may show: the case's variables and the output.
public struct Demonstration: Sendable {
    /// The search case it passed on.
    public let caseId: String
    /// That case's variables.
    public let vars: JSONObject
    /// The output that passed.
    public let output: String
    /// A demonstration of `output` for the case `caseId` with `vars`.
    public init(caseId: String, vars: JSONObject, output: String) {
        self.caseId = caseId
        self.vars = vars
        self.output = output
    }
}

/// What operators know about the suite, the search split and the backend (never the held-out split).
public struct OperatorContext: Sendable {
    /// Variables every case defines, in the starting prompt's order of use first.
    public var variables: [String] = []
    /// The variable holding each case's input (the longest values on average), when there is one.
    public var inputVariable: String?
    /// The suite's other prompt versions, for structure transplants.
    public var otherVersions: [(id: String, messages: [PromptMessage])] = []
    /// The backend's declared prompt format (`{{system}}`/`{{user}}`), when it has one.
    public var backendFormat: String?
    /// Passing samples of search cases (any prompt version or backend of the suite).
    public var demonstrations: [Demonstration] = []
    /// The search cases' JSON Schemas spelled out as instructions, when they have any.
    public var schemaInstruction: String?
    /// Whether the cases judge their output as JSON (a `json` or `json-schema` validator).
    public var usesJSON = false
    /// Renders template text with variables (nil when it does not parse or lacks a variable).
    public var render: @Sendable (String, JSONObject) -> String? = { _, _ in nil }

    /// An empty context (operators then propose only what needs nothing from the suite).
    public init() {}
}

/// Every offline operator, in the order the search offers their children.
public enum OperatorRegistry {
    /// The standard operators.
    public static let standard: [any PromptOperator] = [
        FormatOperator(), SchemaOperator(), FewShotOperator(), TransplantOperator(), WordingOperator(),
    ]
}

extension Candidate {
    /// Whether an edit by `operatorName` (with `summary`, when given) is already in the lineage.
    func has(_ operatorName: String, _ summary: String? = nil) -> Bool {
        lineage.contains { $0.operatorName == operatorName && (summary == nil || $0.summary == summary) }
    }

    /// The index of the message the input goes in: the last user message.
    var userIndex: Int? { messages.lastIndex { $0.role == "user" } }

    /// The messages with message `i`'s text replaced.
    func replacing(_ i: Int, with text: String) -> [PromptMessage] {
        var m = messages
        m[i] = PromptMessage(role: m[i].role, text: text)
        return m
    }
}
