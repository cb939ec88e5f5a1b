import Foundation

/// Wording changes: the order of instruction and input, delimiters around the input, and the
/// instruction's role (system or user).
public struct WordingOperator: PromptOperator {
    /// `wording`, the name edits and reports give this operator.
    public let name = "wording"
    /// The operator (stateless).
    public init() {}

    /// Children that move the input before or after the instruction, delimit it (triple quotes, tags), and
    /// move the instruction between system and user messages, each only once per lineage.
    public func propose(_ parent: Candidate, _ context: OperatorContext, seed: UInt64) -> [Proposal] {
        guard let input = context.inputVariable, let ui = parent.userIndex else { return [] }
        let user = parent.messages[ui].text
        guard let slot = TemplateText.placeholders(user).first(where: { $0.name == input }) else { return [] }
        let placeholder = String(user[slot.range])
        let before = String(user[..<slot.range.lowerBound]).trimmed, after = String(user[slot.range.upperBound...]).trimmed
        let instruction = [before, after].filter { !$0.isEmpty }.joined(separator: " ")
        var out: [Proposal] = []
        if !parent.has(name, "input moved before the instruction") && !parent.has(name, "input moved after the instruction") && !instruction.isEmpty {
            if before.isEmpty {
                out.append(Proposal(parent.replacing(ui, with: instruction + "\n\n" + placeholder), Edit(name, "input moved after the instruction")))
            } else {
                out.append(Proposal(parent.replacing(ui, with: placeholder + "\n\n" + instruction), Edit(name, "input moved before the instruction")))
            }
        }
        if !parent.lineage.contains(where: { $0.operatorName == name && $0.summary.hasPrefix("input delimited") }) {
            let tag = input.filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            for (open, close, what) in [("\"\"\"\n", "\n\"\"\"", "triple quotes"), ("<\(tag.isEmpty ? "input" : tag)>\n", "\n</\(tag.isEmpty ? "input" : tag)>", "tags")] {
                // Delimiters on lines of their own.
                let head = String(user[..<slot.range.lowerBound]).replacingOccurrences(of: "[ \t]+$", with: "", options: .regularExpression)
                let t = head + (head.isEmpty || head.hasSuffix("\n") ? "" : "\n") + open + placeholder + close + String(user[slot.range.upperBound...])
                out.append(Proposal(parent.replacing(ui, with: t), Edit(name, "input delimited by \(what)")))
            }
        }
        if let si = parent.messages.firstIndex(where: { $0.role == "system" }), si != ui {
            if !parent.has(name, "system message merged into the user message") {
                var m = parent.messages
                m[ui] = PromptMessage(role: "user", text: m[si].text.trimmed + "\n\n" + user)
                m.remove(at: si)
                out.append(Proposal(m, Edit(name, "system message merged into the user message")))
            }
        } else if !instruction.isEmpty && !parent.has(name, "instruction moved to a system message") {
            var m = parent.messages
            m[ui] = PromptMessage(role: "user", text: placeholder)
            m.insert(PromptMessage(role: "system", text: instruction), at: ui)
            out.append(Proposal(m, Edit(name, "instruction moved to a system message")))
        }
        return out
    }
}
