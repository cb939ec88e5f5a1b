/// How a chat becomes the one prompt text the built-in model reads: the same rule for the
/// `builtin` backend and `proctor model serve`, so a suite and a client see the same model.
public enum ChatTemplate {
    /// The documented plain template: each message's content in order, separated by a blank line,
    /// non-user messages prefixed with their role and a colon (`System: …`), then a newline.
    public static func prompt(_ messages: [ChatMessage]) -> String {
        messages.map { $0.role == "user" ? $0.content : "\($0.role.prefix(1).uppercased() + $0.role.dropFirst()): \($0.content)" }
            .joined(separator: "\n\n") + "\n"
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
        if messages.contains(where: { $0.role == "assistant" }) {
            return .failure(TemplateError(message: "the model's prompt template (\(String(reflecting: template.text))) has no place for assistant messages"))
        }
        return .success(template.render(system: messages.filter { $0.role == "system" }.map(\.content),
                                        user: messages.filter { $0.role == "user" }.map(\.content)))
    }
}
