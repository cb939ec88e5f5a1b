import ProctorBackends
import ProctorHarness
import ProctorJSON
import ProctorRepair
import ProctorConversation

/// `--proposer`: a backend (any type) is shown the current best template, the failing search cases
/// (input, output, validator messages) and the rules of the template language, and asked for new
/// templates in a JSON answer, repaired when cut off. The optimizer discards proposals that do not
/// render with the suite's variables.
public struct ModelProposer: Sendable {
    /// One failing case as the proposer sees it.
    public struct Failure: Sendable {
        /// The prompt as sent.
        public let prompt: String
        /// What the backend answered.
        public let output: String
        /// What the failing checks said.
        public let messages: [String]
        /// A failure of the rendered `prompt`, its `output` and the validators' `messages`.
        public init(prompt: String, output: String, messages: [String]) {
            self.prompt = prompt
            self.output = output
            self.messages = messages
        }
    }

    let backend: any Backend
    let options: GenerationOptions
    /// Templates asked for per call.
    let count: Int

    /// A proposer that asks `backend` with `options` for `count` templates at a time.
    public init(backend: any Backend, options: GenerationOptions, count: Int = 3) {
        self.backend = backend
        self.options = options
        self.count = count
    }

    /// The request: the template, how it scores, what failed, and the rules.
    public func request(_ template: String, variables: [String], passes: Int, of total: Int, failures: [Failure]) -> String {
        let shown = failures.prefix(4).enumerated().map { i, f in
            "Case \(i + 1)\nPrompt sent:\n\(f.prompt)\nOutput:\n\(f.output)\nWhat the checks said: \(f.messages.prefix(3).joined(separator: "; "))"
        }.joined(separator: "\n\n")
        return """
        You improve prompt templates for a language model. The template below passes \(passes) of \(total) test cases; \
        automatic checks judge each output.

        Template language: {{name}} inserts the variable "name" as text, {{name | json}} inserts it as JSON, everything else is \
        literal text. The variables are \(variables.map { "{{\($0)}}" }.joined(separator: ", ")); use only these, and use each \
        one the cases need.

        Current template:
        \(template)

        Cases it fails:
        \(shown.isEmpty ? "(none)" : shown)

        Write \(count) new templates that would pass more cases. Answer with a JSON object {"templates": ["…", …]} and nothing else.
        """
    }

    /// What came back: the templates, the repairs that were needed, and why nothing came (if so).
    public struct Answer: Sendable {
        /// The proposed templates, unchecked.
        public var templates: [String] = []
        /// Repairs, failures and discarded items, for the report.
        public var notes: [String] = []
    }

    /// Asks the backend once.
    public func ask(_ template: String, variables: [String], passes: Int, of total: Int, failures: [Failure]) async -> Answer {
        let prompt = request(template, variables: variables, passes: passes, of: total, failures: failures)
        let r = await backend.complete(BackendRequest(messages: [ChatMessage(role: "user", content: prompt)], options: options,
                                                      caseId: "optimize", promptId: "proposer"))
        var answer = Answer()
        if r.finishReason == .error {
            answer.notes.append("proposer '\(backend.id)' failed: \(r.error ?? "no answer")")
            return answer
        }
        guard let (value, how) = Self.parse(r.text) else {
            answer.notes.append("proposer '\(backend.id)' answered without JSON: \(String(r.text.prefix(120)).debugDescription)")
            return answer
        }
        if let how { answer.notes.append("proposer answer repaired: \(how)") }
        let items = value["templates"]?.arrayValue ?? value.arrayValue ?? []
        for (i, item) in items.enumerated() {
            if let s = item.stringValue { answer.templates.append(s) } else { answer.notes.append("proposal \(i + 1) discarded: not a string") }
        }
        if items.isEmpty { answer.notes.append("proposer '\(backend.id)' proposed no templates") }
        return answer
    }

    /// The JSON in `text`: as given, from its first bracket on, or repaired (with what was done).
    static func parse(_ text: String) -> (JSONValue, String?)? {
        if let v = try? JSONParser.parse(text) { return (v, nil) }
        guard let open = text.firstIndex(where: { $0 == "{" || $0 == "[" }) else { return nil }
        let tail = String(text[open...])
        let dropped = open == text.startIndex ? [] : ["dropped the text before the JSON"]
        if !dropped.isEmpty, let v = try? JSONParser.parse(tail) { return (v, dropped[0]) }
        if let r = try? JSONRepair.repair(tail) { return (r.value, (dropped + r.repairs.map { "\($0)" }).joined(separator: "; ")) }
        return nil
    }
}
