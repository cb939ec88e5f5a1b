import ProctorJSON

/// How a chat becomes the one prompt text the built-in model reads: the same rule for the
/// `builtin` backend and `proctor model serve`, so a suite and a client see the same model.
public enum ChatTemplate {
    /// The documented plain template: each message's content in order, separated by a blank line,
    /// non-user messages prefixed with their role and a colon (`System: …`), then a newline. An
    /// assistant's tool calls are written as their JSON (`callText`).
    public static func prompt(_ messages: [ChatMessage]) -> String {
        messages.map { m in
            let content = m.toolCalls.isEmpty ? m.content : ([m.content].filter { !$0.isEmpty } + m.toolCalls.map(callText)).joined(separator: "\n")
            return m.role == "user" ? content : "\(m.role.prefix(1).uppercased() + m.role.dropFirst()): \(content)"
        }.joined(separator: "\n\n") + "\n"
    }

    /// A tool call as the task corpus writes one: `{"name": "get_weather", "arguments": {…}}`.
    public static func callText(_ c: ToolCall) -> String {
        spaced(.object(JSONObject([("name", .string(c.name)), ("arguments", c.arguments)])))
    }

    /// JSON as the task corpus writes it: one line, `", "` between members and `": "` after keys.
    public static func spaced(_ v: JSONValue) -> String {
        switch v {
        case .object(let o): return "{" + o.map { JSONSerializer.string(.string($0.key)) + ": " + spaced($0.value) }.joined(separator: ", ") + "}"
        case .array(let xs): return "[" + xs.map(spaced).joined(separator: ", ") + "]"
        default: return JSONSerializer.string(v)
        }
    }

    /// The model-template prompt of a tool conversation after its opening (system and user):
    /// each assistant's calls one per line, then each tool's result as `Result: …` (JSON spaced
    /// as the corpus writes it), then `JSON:` for the next answer, as the corpus's tool task goes.
    static func toolExchange(_ rest: ArraySlice<ChatMessage>) -> Result<String, TemplateError> {
        var out = ""
        var i = rest.startIndex
        while i < rest.endIndex {
            let m = rest[i]
            guard m.role == "assistant", !m.toolCalls.isEmpty else {
                return .failure(TemplateError(message: "the model's prompt template has no place for \(m.role) messages after the conversation starts, except an assistant's tool calls and their results"))
            }
            out += m.toolCalls.map(callText).joined(separator: "\n") + "\n"
            i += 1
            while i < rest.endIndex, rest[i].role == "tool" {
                let c = rest[i].content
                out += "Result: " + ((try? JSONParser.parse(c)).map(spaced) ?? c) + "\n"
                i += 1
            }
            out += "JSON:\n"
        }
        return .success(out)
    }

    /// A chat the model's template cannot hold.
    public struct TemplateError: Error, Sendable {
        /// What the template has no place for.
        public let message: String
    }

    /// The prompt for `messages`: the model's template when given (system and user contents into
    /// its placeholders; it has no place for assistant turns), else the plain one.
    public static func prompt(_ messages: [ChatMessage], template: PromptTemplate?) -> Result<String, TemplateError> {
        guard let template else { return .success(prompt(messages)) }
        // The opening (system and user messages) fills the template; a tool exchange may follow.
        let cut = messages.firstIndex { !$0.toolCalls.isEmpty || $0.role == "tool" } ?? messages.endIndex
        let opening = messages[..<cut]
        if opening.contains(where: { $0.role == "assistant" }) {
            return .failure(TemplateError(message: "the model's prompt template (\(String(reflecting: template.text))) has no place for assistant messages"))
        }
        let head = template.render(system: opening.filter { $0.role == "system" }.map(\.content),
                                   user: opening.filter { $0.role == "user" }.map(\.content))
        return toolExchange(messages[cut...]).map { head + $0 }
    }
}
