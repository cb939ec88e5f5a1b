/// The prompt format a model was trained on, recorded in its checkpoint so a suite can say "use
/// the model's own format": literal text with `{{system}}` and `{{user}}` placeholders, filled with
/// the contents of the chat's system and user messages (each joined by a newline).
///
/// Proctor's task-format training writes `Task: {{system}}\nInput: {{user}}\nJSON:\n`, so a
/// system message "classify" and a user message "the app crashes" become exactly a training prompt.
public struct PromptTemplate: Sendable, Equatable {
    /// The template text, placeholders included.
    public let text: String

    /// The template of Proctor's task corpus (`Task:` / `Input:` / `JSON:`).
    public static let taskFormat = PromptTemplate(unchecked: "Task: {{system}}\nInput: {{user}}\nJSON:\n")

    init(unchecked text: String) { self.text = text }

    /// A template that cannot be used: what is wrong with it.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong with the template.
        public let message: String
        init(_ message: String) { self.message = message }
        /// The message, as is.
        public var description: String { message }
    }

    /// A template must use `{{user}}`; `{{system}}` is optional; no other placeholder is allowed.
    public init(_ text: String) throws(PromptTemplate.Invalid) {
        guard text.contains("{{user}}") else { throw Invalid("a prompt template needs {{user}} (got \(String(reflecting: text)))") }
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { throw Invalid("unclosed {{ in the prompt template") }
            let name = rest[open.upperBound..<close.lowerBound]
            guard name == "user" || name == "system" else { throw Invalid("unknown placeholder {{\(name)}} in the prompt template (use {{system}} and {{user}})") }
            rest = rest[close.upperBound...]
        }
        self.text = text
    }

    /// The prompt for a chat; assistant turns have no place in a one-shot training format.
    /// One pass over the template: a message that itself holds `{{user}}` or `{{system}}` is
    /// written as it is, never filled in.
    public func render(system: [String], user: [String]) -> String {
        var out = "", rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            out += rest[open.upperBound..<close.lowerBound] == "system" ? system.joined(separator: "\n") : user.joined(separator: "\n")
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// The same template in Jinja (for GGUF's `tokenizer.chat_template`).
    public var jinja: String {
        var out = "", rest = Substring(text)
        func literal(_ s: Substring) {
            guard !s.isEmpty else { return }
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                .replacingOccurrences(of: "\n", with: "\\n")
            out += "{{ '\(escaped)' }}"
        }
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            literal(rest[..<open.lowerBound])
            let role = rest[open.upperBound..<close.lowerBound]
            out += "{{ messages | selectattr('role', 'equalto', '\(role)') | map(attribute='content') | join('\\n') }}"
            rest = rest[close.upperBound...]
        }
        literal(rest)
        return out
    }
}
