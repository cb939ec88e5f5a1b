import ProctorJSON
import ProctorRepair
import ProctorConversation

/// Reads a model's tool calls off an API's answer and writes tools, tool choices and tool
/// conversations in each API's own form.
enum ToolWire {
    /// One call. OpenAI sends `arguments` as JSON text: it is parsed, or repaired when the model was
    /// cut off mid-call, and kept as the raw string only when nothing can be recovered. A repair is
    /// never silent: the call's repairs come back, described as a result lists them, so the case is
    /// `repaired` (and fails under `strictRepair`) exactly as a repaired output is.
    static func call(id: String, name: String, arguments: JSONValue, truncated: Bool) -> (call: ToolCall, repairs: [String]) {
        var args = arguments
        var repairs: [String] = []
        if case .string(let text) = arguments {
            if let v = try? JSONParser.parse(text) {
                args = v
            } else if let r = try? JSONRepair.repair(text) {
                args = r.value
                repairs = r.repairs.grouped(truncated: truncated, in: "tool call '\(name)' arguments")
            }
        }
        return (ToolCall(id: id, name: name, arguments: args), repairs)
    }

    // MARK: OpenAI Chat Completions

    /// `tools: [{type: "function", function: {name, description, parameters}}]`.
    static func openAITools(_ tools: [ToolDefinition]) -> JSONValue {
        .array(tools.map { t in
            ["type": "function", "function": .object(JSONObject([("name", .string(t.name)), ("description", .string(t.description)), ("parameters", t.parameters)]))]
        })
    }

    /// `tool_choice`: `"auto"`, `"required"`, `"none"`, or `{type: "function", function: {name}}`.
    static func openAIChoice(_ c: ToolChoice) -> JSONValue {
        if case .tool(let name) = c { return ["type": "function", "function": ["name": .string(name)]] }
        return .string(c.text)
    }

    /// A message as Chat Completions takes it: an assistant's calls as `tool_calls` (arguments as
    /// JSON text), a tool's result as `role: "tool"` with `tool_call_id`.
    static func openAIMessage(_ m: ChatMessage) -> JSONValue {
        if let id = m.toolCallId {
            return .object(JSONObject([("role", "tool"), ("tool_call_id", .string(id)), ("content", .string(m.content))]))
        }
        guard !m.toolCalls.isEmpty else { return m.json }
        let calls: [JSONValue] = m.toolCalls.map { c in
            .object(JSONObject([("id", .string(c.id)), ("type", "function"),
                                // Arguments that never parsed go back as the model wrote them.
                                ("function", .object(JSONObject([("name", .string(c.name)), ("arguments", .string(c.arguments.stringValue ?? JSONSerializer.string(c.arguments)))])))]))
        }
        return .object(JSONObject([("role", "assistant"), ("content", m.content.isEmpty ? .null : .string(m.content)), ("tool_calls", .array(calls))]))
    }

    // MARK: Anthropic Messages

    /// `tools: [{name, description, input_schema}]`.
    static func anthropicTools(_ tools: [ToolDefinition]) -> JSONValue {
        .array(tools.map { t in .object(JSONObject([("name", .string(t.name)), ("description", .string(t.description)), ("input_schema", t.parameters)])) })
    }

    /// `tool_choice`: `{type: "auto"}`, `{type: "any"}` (required), `{type: "none"}`, `{type: "tool", name}`.
    static func anthropicChoice(_ c: ToolChoice) -> JSONValue {
        switch c {
        case .auto: return ["type": "auto"]
        case .required: return ["type": "any"]
        case .none: return ["type": "none"]
        case .tool(let name): return ["type": "tool", "name": .string(name)]
        }
    }

    /// The non-system messages as the Messages API takes them: an assistant's calls as `tool_use`
    /// blocks after its text, and the tools' results that follow as one user message of
    /// `tool_result` blocks.
    static func anthropicMessages(_ messages: [ChatMessage]) -> [JSONValue] {
        var out: [JSONValue] = []
        var results: [JSONValue] = []
        func flush() {
            if !results.isEmpty { out.append(["role": "user", "content": .array(results)]) }
            results = []
        }
        for m in messages where m.role != "system" {
            if let id = m.toolCallId {
                results.append(.object(JSONObject([("type", "tool_result"), ("tool_use_id", .string(id)), ("content", .string(m.content))])))
                continue
            }
            flush()
            guard !m.toolCalls.isEmpty else { out.append(m.json); continue }
            var blocks: [JSONValue] = m.content.isEmpty ? [] : [["type": "text", "text": .string(m.content)]]
            for c in m.toolCalls {
                // The API takes an object only; arguments that never parsed go back as an empty one.
                blocks.append(.object(JSONObject([("type", "tool_use"), ("id", .string(c.id)), ("name", .string(c.name)),
                                                  ("input", c.arguments.objectValue == nil ? .object(JSONObject()) : c.arguments)])))
            }
            out.append(["role": "assistant", "content": .array(blocks)])
        }
        flush()
        return out
    }
}
