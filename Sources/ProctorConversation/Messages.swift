import ProctorJSON

/// One chat message of a rendered prompt.
public struct ChatMessage: Sendable, Hashable {
    /// `system`, `user`, `assistant` (and `tool` where a backend supports tools).
    public var role: String
    /// The message text.
    public var content: String
    /// A message with its role and text.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
    /// The message as JSON (`{"role", "content"}`), as reports and `PROCTOR_MESSAGES` write it.
    public var json: JSONValue { ["role": .string(role), "content": .string(content)] }
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
public struct TokenUsage: Sendable, Equatable {
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
