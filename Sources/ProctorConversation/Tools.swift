import ProctorJSON

/// A tool a model may call, as a suite declares it: sent to each API in that API's own form.
public struct ToolDefinition: Sendable, Hashable {
    /// The name the model calls it by.
    public var name: String
    /// What it does, in words, for the model to decide when to call it.
    public var description: String
    /// The JSON Schema of its arguments (an object schema).
    public var parameters: JSONValue
    /// A tool with its name, description and argument schema.
    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
    /// `{name, description, parameters}`: the neutral form reports, cassette keys and the built-in
    /// backend use.
    public var json: JSONValue {
        .object(JSONObject([("name", .string(name)), ("description", .string(description)), ("parameters", parameters)]))
    }
}

/// Whether, and which, tool the model must call.
public enum ToolChoice: Sendable, Hashable {
    /// The model decides (the APIs' default).
    case auto
    /// The model must call some tool.
    case required
    /// The model must not call a tool.
    case none
    /// The model must call the tool of this name.
    case tool(String)

    /// Reads a suite's `toolChoice`: `auto`, `required`, `none`, or a tool's name.
    public init(_ text: String) {
        switch text {
        case "auto": self = .auto
        case "required": self = .required
        case "none": self = .none
        default: self = .tool(text)
        }
    }

    /// The suite's spelling, as results and cassette keys write it.
    public var text: String {
        switch self {
        case .auto: return "auto"
        case .required: return "required"
        case .none: return "none"
        case .tool(let n): return n
        }
    }
}

/// One tool call a model made: its id (for the result sent back), the tool's name and the
/// arguments it wrote, parsed.
public struct ToolCall: Sendable, Hashable {
    /// The API's id of the call (`call_…`, `toolu_…`), which the tool's result answers.
    public var id: String
    /// The tool called.
    public var name: String
    /// The arguments as the model wrote them, parsed (repaired where the model was cut off; the
    /// raw text, as a string, when nothing could be recovered).
    public var arguments: JSONValue
    /// A call with its id, tool name and arguments.
    public init(id: String, name: String, arguments: JSONValue) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
    /// `{id, name, arguments}`, as results and recordings keep it.
    public var json: JSONValue {
        .object(JSONObject([("id", .string(id)), ("name", .string(name)), ("arguments", arguments)]))
    }
    /// A call read back from `json`; nil when it has no name.
    public init?(json v: JSONValue) {
        guard let name = v["name"]?.stringValue else { return nil }
        self.init(id: v["id"]?.stringValue ?? "", name: name, arguments: v["arguments"] ?? .object(JSONObject()))
    }
    /// The output a suite validates for calls that end a response: `{"name", "arguments"}`, or an
    /// array of them when there are several (what Proctor has always written for a tool call).
    public static func outputText(_ calls: [ToolCall]) -> String {
        let vs = calls.map { JSONValue.object(JSONObject([("name", .string($0.name)), ("arguments", $0.arguments)])) }
        return JSONSerializer.string(vs.count == 1 ? vs[0] : .array(vs))
    }
}

/// One message of a conversation after the prompt, as results keep it: a reply (with its latency
/// and usage), or a tool's result or a scripted user turn (without).
public struct TranscriptStep: Sendable, Hashable {
    /// The message.
    public var message: ChatMessage
    /// For a reply: the wall time of the call that produced it, in milliseconds.
    public var latencyMs: Double?
    /// For a reply: its token usage, when the backend reported it.
    public var usage: TokenUsage?
    /// A step for `message`, with the call's latency and usage when it is a reply.
    public init(_ message: ChatMessage, latencyMs: Double? = nil, usage: TokenUsage? = nil) {
        self.message = message
        self.latencyMs = latencyMs
        self.usage = usage
    }
    /// The message's JSON with `latencyMs` and `usage` added when known.
    public var json: JSONValue {
        guard case .object(var o) = message.json else { return message.json }
        if let latencyMs { o["latencyMs"] = .number(JSONNumber((latencyMs * 1000).rounded() / 1000)) }
        if let usage { o["usage"] = usage.json }
        return .object(o)
    }
    /// A step read back from `json`; nil when it is not a message.
    public init?(json v: JSONValue) {
        guard let m = ChatMessage(json: v) else { return nil }
        var usage: TokenUsage?
        if let p = v["usage"]?["promptTokens"]?.intValue, let o = v["usage"]?["outputTokens"]?.intValue { usage = TokenUsage(promptTokens: p, outputTokens: o) }
        self.init(m, latencyMs: v["latencyMs"]?.doubleValue, usage: usage)
    }
}
