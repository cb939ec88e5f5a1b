import ProctorSupport

/// Few-shot demonstrations: input → output pairs from samples that passed, shown before the
/// request in the parent's own wording. Which samples and how many (1–8; the parent itself is the
/// zero-demonstration choice) is a seeded draw, three draws per parent.
public struct FewShotOperator: PromptOperator {
    /// `few-shot`, the name edits and reports give this operator.
    public let name = "few-shot"
    /// How many different draws one parent gets.
    static let draws = 3
    /// The most demonstrations one prompt shows.
    static let maxDemonstrations = 8

    /// The operator (stateless).
    public init() {}

    /// Up to three children, each with a different number of demonstrations before the user message; none
    /// without demonstrations or once the lineage has a few-shot edit.
    public func propose(_ parent: Candidate, _ context: OperatorContext, seed: UInt64) -> [Proposal] {
        guard !parent.has(name), let ui = parent.userIndex, !context.demonstrations.isEmpty else { return [] }
        var rng = SplitMix(seed: seed)
        let pool = context.demonstrations
        let most = min(Self.maxDemonstrations, pool.count)
        var sizes: [Int] = []
        for _ in 0..<Self.draws {
            let k = 1 + rng.int(most)
            if !sizes.contains(k) { sizes.append(k) }
        }
        var out: [Proposal] = []
        for k in sizes.sorted() {
            let order = rng.shuffled(Array(pool.indices))
            let chosen = order.prefix(k).sorted().map { pool[$0] }
            // Each demonstration is the parent's user message rendered for that case, then its output.
            let shown = chosen.compactMap { d in context.render(parent.messages[ui].text, d.vars).map { $0.trimmed + "\n" + d.output.trimmed } }
            guard shown.count == chosen.count else { continue }
            let block = TemplateText.literal(shown.joined(separator: "\n\n"))
            out.append(Proposal(parent.replacing(ui, with: block + "\n\n" + parent.messages[ui].text),
                                Edit(name, "\(k) demonstration\(k == 1 ? "" : "s") (" + chosen.map(\.caseId).joined(separator: ", ") + ")")))
        }
        return out
    }
}
