import ProctorHarness

/// One message of a candidate prompt: a role and its template text (the suite's template language).
public struct PromptMessage: Sendable, Hashable {
    /// `system`, `user` or `assistant`.
    public let role: String
    /// The template text, in the suite's template language.
    public let text: String
    /// A message of `role` with template `text`.
    public init(role: String, text: String) {
        self.role = role
        self.text = text
    }
}

/// One change an operator made to its parent template, recorded so a report says how every
/// candidate came to be.
public struct Edit: Sendable, Hashable {
    /// The operator's name (`format`, `schema`, `few-shot`, `transplant`, `wording`, `proposer`).
    public let operatorName: String
    /// What it changed, in a few words ("input moved before the instruction").
    public let summary: String
    /// An edit by `operatorName`.
    public init(_ operatorName: String, _ summary: String) {
        self.operatorName = operatorName
        self.summary = summary
    }
}

/// A prompt the search may evaluate, with its lineage.
public struct Candidate: Sendable {
    /// `c0` is the starting prompt; the others are numbered in the order they were made.
    public let id: String
    /// The prompt's messages.
    public let messages: [PromptMessage]
    /// The candidate it was made from (nil for the starting prompt).
    public let parent: String?
    /// The edit that made it from its parent.
    public let edit: Edit?
    /// Every edit from the starting prompt to this one, oldest first.
    public let lineage: [Edit]

    /// The prompt version the runner evaluates (id = the candidate's id).
    func promptVersion(directory: String) throws(Template.ParseError) -> PromptVersion {
        try PromptVersion(id: id, messages: messages.map { ($0.role, $0.text) }, directory: directory)
    }

    /// The messages as one text (role headers when there are several), for dedupe and diffs.
    public var text: String { Self.text(messages) }

    static func text(_ messages: [PromptMessage]) -> String {
        if messages.count == 1 && messages[0].role == "user" { return messages[0].text }
        return messages.map { "[\($0.role)]\n\($0.text)" }.joined(separator: "\n")
    }
}

/// What an operator proposes: new messages and the edit that made them.
public struct Proposal: Sendable {
    /// The proposed prompt's messages.
    public let messages: [PromptMessage]
    /// The edit that made them.
    public let edit: Edit
    /// A proposal of `messages`, made by `edit`.
    public init(_ messages: [PromptMessage], _ edit: Edit) {
        self.messages = messages
        self.edit = edit
    }
}
