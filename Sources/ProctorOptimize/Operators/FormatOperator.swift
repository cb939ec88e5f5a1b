import Foundation

/// Output-format instructions (answer with JSON only; no prose; no code fence), for suites whose
/// checks read the output as JSON. The instruction goes at the end of the system message when
/// there is one, else at the end of the user message.
public struct FormatOperator: PromptOperator {
    /// `format`, the name edits and reports give this operator.
    public let name = "format"
    /// The instructions this operator adds, each alone and all together.
    static let instructions: [(summary: String, text: String)] = [
        ("answer with JSON only", "Answer with JSON only."),
        ("no prose around the JSON", "Write no prose before or after the JSON."),
        ("no code fence", "Do not put the JSON in a code fence."),
        ("JSON only, no prose, no code fence", "Answer with JSON only: no prose before or after it, and no code fence."),
    ]

    /// The operator (stateless).
    public init() {}

    /// One child per entry of `instructions`, added at the end of the system message (else the user message);
    /// none unless the cases read JSON and the lineage has no format edit.
    public func propose(_ parent: Candidate, _ context: OperatorContext, seed: UInt64) -> [Proposal] {
        guard context.usesJSON, !parent.has(name) else { return [] }
        let target = parent.messages.firstIndex { $0.role == "system" } ?? parent.userIndex
        guard let i = target else { return [] }
        return Self.instructions.map { ins in
            Proposal(parent.replacing(i, with: Self.appending(ins.text, to: parent.messages[i].text)), Edit(name, ins.summary))
        }
    }

    /// `line` after `text`, on a line of its own.
    static func appending(_ line: String, to text: String) -> String {
        let base = text.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        return base.isEmpty ? line : base + "\n" + line
    }
}
