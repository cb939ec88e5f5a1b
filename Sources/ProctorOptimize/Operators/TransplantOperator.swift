/// Structure transplants: the framing of the suite's other prompt versions, and the backend's own
/// declared prompt format (a model file's training template) with the parent's variables in its
/// `{{system}}` and `{{user}}` places: the input variable as the user part, and as the system part
/// either the other variables or the parent's whole instruction.
public struct TransplantOperator: PromptOperator {
    /// `transplant`, the name edits and reports give this operator.
    public let name = "transplant"
    /// The operator (stateless).
    public init() {}

    /// One child per other prompt version whose framing the lineage has not tried and, when the backend
    /// declares a prompt format and the lineage has no transplant yet, one per way to fill its system part.
    public func propose(_ parent: Candidate, _ context: OperatorContext, seed: UInt64) -> [Proposal] {
        var out: [Proposal] = []
        for v in context.otherVersions where !parent.has(name, "framing of prompt version '\(v.id)'") {
            out.append(Proposal(v.messages, Edit(name, "framing of prompt version '\(v.id)'")))
        }
        guard !parent.has(name), let format = context.backendFormat, let input = context.inputVariable,
              let ui = parent.userIndex, let slot = TemplateText.placeholders(parent.messages[ui].text).first(where: { $0.name == input }) else { return out }
        let user = parent.messages[ui].text
        let placeholder = String(user[slot.range])
        let others = TemplateText.variables(parent.messages).filter { $0 != input }
        // The instruction: every message but the input placeholder, as one text.
        var instruction = parent.messages.enumerated().filter { $0.offset != ui && $0.element.role == "system" }.map(\.element.text.trimmed)
        instruction.append((String(user[..<slot.range.lowerBound]) + " " + String(user[slot.range.upperBound...])).trimmed)
        let whole = instruction.filter { !$0.isEmpty }.joined(separator: " ")
        var systems: [(String, String)] = []
        if !others.isEmpty { systems.append((others.map { "{{\($0)}}" }.joined(separator: " "), "the other variables")) }
        if !whole.isEmpty { systems.append((whole, "the instruction")) }
        for (system, what) in systems {
            let text = format.replacingOccurrences(of: "{{system}}", with: system).replacingOccurrences(of: "{{user}}", with: placeholder)
            out.append(Proposal([PromptMessage(role: "user", text: text)],
                                Edit(name, "the backend's prompt format, with \(placeholder) as its input and \(what) as its task")))
        }
        return out
    }
}
