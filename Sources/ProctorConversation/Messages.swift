import ProctorJSON

/// One chat message of a rendered prompt.
public struct ChatMessage: Sendable, Hashable {
    /// `system`, `user`, `assistant` (and `tool` where a backend supports tools).
    public var role: String
    /// The message text.
    public var content: String
    /// The tool calls an assistant message made (empty for every other message).
    public var toolCalls: [ToolCall] = []
    /// For a `tool` message (a tool's result): the id of the call it answers.
    public var toolCallId: String?
    /// For a `tool` message: the name of the tool that answered.
    public var toolName: String?
    /// A message with its role and text.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
    /// An assistant message that made `calls` (with any text it wrote beside them).
    public static func assistant(_ text: String, calls: [ToolCall]) -> ChatMessage {
        var m = ChatMessage(role: "assistant", content: text)
        m.toolCalls = calls
        return m
    }
    /// A tool's result for the call `call`.
    public static func toolResult(_ text: String, for call: ToolCall) -> ChatMessage {
        var m = ChatMessage(role: "tool", content: text)
        m.toolCallId = call.id
        m.toolName = call.name
        return m
    }
    /// The message as JSON (`{"role", "content"}`, then `toolCalls` or `toolCallId` and `name` when
    /// set), as reports and `PROCTOR_MESSAGES` write it.
    public var json: JSONValue {
        guard !toolCalls.isEmpty || toolCallId != nil else { return ["role": .string(role), "content": .string(content)] }
        var e: [JSONObject.Entry] = [("role", .string(role)), ("content", .string(content))]
        if !toolCalls.isEmpty { e.append(("toolCalls", .array(toolCalls.map(\.json)))) }
        if let toolCallId { e.append(("toolCallId", .string(toolCallId))) }
        if let toolName { e.append(("name", .string(toolName))) }
        return .object(JSONObject(e))
    }
    /// A message read back from `json`; nil without a role and a string content.
    public init?(json v: JSONValue) {
        guard let role = v["role"]?.stringValue, let content = v["content"]?.stringValue else { return nil }
        self.init(role: role, content: content)
        toolCalls = (v["toolCalls"]?.arrayValue ?? []).compactMap(ToolCall.init(json:))
        toolCallId = v["toolCallId"]?.stringValue
        toolName = v["name"]?.stringValue
    }
}

/// Why generation stopped.
public enum FinishReason: String, Sendable {
    /// The model stopped by itself (or at a stop string).
    case stop
    /// The token limit (or the context length) cut the output.
    case length
    /// The backend failed; the result is an error, not a validator failure.
    case error
}

/// Token counts, when the backend reports them.
public struct TokenUsage: Sendable, Hashable {
    /// Tokens of the prompt, as the backend counted them.
    public var promptTokens: Int
    /// Tokens the backend generated.
    public var outputTokens: Int
    /// Usage as counted.
    public init(promptTokens: Int, outputTokens: Int) {
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
    }
    /// The usage as reports write it.
    public var json: JSONValue { ["promptTokens": .number(JSONNumber(promptTokens)), "outputTokens": .number(JSONNumber(outputTokens))] }
}
