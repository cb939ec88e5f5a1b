import ProctorBackends
import ProctorHarness
import ProctorJSON
import ProctorSupport

/// `proctor optimize`: searches for a better version of one prompt on a search split of the
/// suite's cases, with offline operators (and a proposer backend when asked), successive halving
/// so weak candidates get few cases, then runs the winner beside the starting prompt on the
/// held-out split and reports both with Wilson intervals and an exact McNemar test.
public struct Optimizer: Sendable {
    let suite: Suite
    let session: RunSession
    let options: OptimizeOptions
    let operators: [any PromptOperator]

    /// An optimizer of `suite` whose backends `session` built.
    public init(suite: Suite, session: RunSession, options: OptimizeOptions, operators: [any PromptOperator] = OperatorRegistry.standard) {
        self.suite = suite
        self.session = session
        self.options = options
        self.operators = operators
    }

    /// The smallest rung of successive halving: a quarter of the search split, at least 4 cases.
    static func firstRung(_ n: Int) -> Int { min(n, max(4, (n + 3) / 4)) }

    /// Runs the search and the held-out comparison. `progress` gets one line per step.
    public func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws(OptimizeError) -> OptimizeReport {
        guard let start = suite.prompts.first(where: { $0.id == options.promptId }) else {
            throw OptimizeError("\(suite.file): no prompt version '\(options.promptId)'" + Suggestions.hint(for: options.promptId, among: suite.prompts.map(\.id)))
        }
        let backendId: String
        if let b = options.backendId {
            guard suite.backends.contains(where: { $0.id == b }) else {
                throw OptimizeError("\(suite.file): no backend '\(b)'" + Suggestions.hint(for: b, among: suite.backends.map(\.id)))
            }
            backendId = b
        } else {
            guard suite.backends.count == 1 else {
                throw OptimizeError("\(suite.file) has \(suite.backends.count) backends (\(suite.backends.map(\.id).joined(separator: ", "))); say which to optimize for with --backend")
            }
            backendId = suite.backends[0].id
        }
        var proposer: ModelProposer?
        if let p = options.proposerId {
            guard let b = session.backend(p) else {
                throw OptimizeError("--proposer \(p): the suite has no backend or grader '\(p)'"
                                    + Suggestions.hint(for: p, among: (suite.backends + suite.graders).map(\.id)))
            }
            proposer = ModelProposer(backend: b.backend, options: b.options)
        }
        guard suite.cases.count >= 2 else { throw OptimizeError("\(suite.file): optimizing needs at least 2 cases (a search split and a held-out split); it has \(suite.cases.count)") }
        guard options.budget >= 2 else { throw OptimizeError("--budget must be at least 2 (the starting prompt and one candidate)") }

        let split = CaseSplit(suite.cases, fraction: options.holdout, seed: options.seed)
        let table = EvaluationTable(suite: suite, session: session, backendId: backendId, repeats: max(1, options.repeats),
                                    concurrency: options.concurrency, interruption: options.interruption)
        var context = makeContext(start: start, split: split, backendId: backendId)
        var notes: [String] = []
        progress("split: \(split.search.count) search cases, \(split.heldOut.count) held out" + (split.stratifiedBy.map { ", stratified by \($0)" } ?? ""))

        // The starting prompt, on the whole search split.
        let c0 = Candidate(id: "c0", messages: start.messages.map { PromptMessage(role: $0.role, text: $0.template.source) }, parent: nil, edit: nil, lineage: [])
        var all: [(candidate: Candidate, generation: Int)] = [(c0, 0)]
        var fates: [String: String] = ["c0": "start"]
        try await table.evaluate([c0], on: split.search)
        if split.search.allSatisfy({ table.outcomes["c0"]?[$0.id]?.error ?? true }) {
            let why = table.outcomes["c0"]?.values.first?.failures.first ?? "no answer"
            throw OptimizeError("backend '\(backendId)' answered every search case of prompt '\(start.id)' with an error: \(why)")
        }
        progress("c0 (\(start.id)): \(table.passes("c0", on: split.search))/\(split.search.count) search cases pass")

        // Demonstrations: passing samples of search cases, from every prompt version and backend.
        let (demos, demoCalls) = try await demonstrations(split.search, table: table, start: start, backendId: backendId)
        context.demonstrations = demos

        var seen: Set<String> = [c0.text]
        var parent = c0
        var pending: [Proposal] = []
        var proposerCalls = 0
        var generation = 0
        var rng = SplitMix(seed: options.seed)
        let n = split.search.count
        var ended = "the budget of \(options.budget) candidates was spent"
        while all.count < options.budget {
            if table.passes(parent.id, on: split.search) == n { ended = "\(parent.id) passes every search case"; break }
            if pending.isEmpty {
                generation += 1
                var fresh: [(op: String, p: Proposal)] = []
                for op in operators {
                    for p in op.propose(parent, context, seed: rng.next()) {
                        // An operator's child must be a prompt of this suite like any other.
                        if let why = p.messages.lazy.compactMap({ problem(with: $0.text) }).first {
                            notes.append("\(op.name) candidate discarded (\(p.edit.summary)): \(why)")
                            continue
                        }
                        fresh.append((op.name, p))
                    }
                }
                if let proposer {
                    let failing = split.search.compactMap { c -> ModelProposer.Failure? in
                        guard let o = table.outcomes[parent.id]?[c.id], !o.pass else { return nil }
                        return ModelProposer.Failure(prompt: o.prompt, output: o.output, messages: o.failures)
                    }
                    guard let ui = parent.userIndex else { ended = "\(parent.id) has no user message for the proposer"; break }
                    let answer = await proposer.ask(parent.messages[ui].text, variables: context.variables,
                                                    passes: table.passes(parent.id, on: split.search), of: n, failures: failing)
                    proposerCalls += 1
                    notes += answer.notes
                    for (i, t) in answer.templates.enumerated() {
                        if let why = problem(with: t) { notes.append("proposal \(i + 1) of generation \(generation) discarded: \(why)"); continue }
                        fresh.append(("proposer", Proposal(parent.replacing(ui, with: t), Edit("proposer", "template \(i + 1) proposed by '\(options.proposerId!)'"))))
                    }
                }
                // The proposer's templates first (they are informed by the failures), then
                // round-robin over the operators in a seeded order, so one prolific operator
                // cannot take the whole generation.
                var byOp: [String: [Proposal]] = [:]
                var names: [String] = []
                for f in fresh where seen.insert(Candidate.text(f.p.messages)).inserted {
                    if byOp[f.op] == nil { names.append(f.op) }
                    byOp[f.op, default: []].append(f.p)
                }
                pending += byOp["proposer"] ?? []
                names = rng.shuffled(names.filter { $0 != "proposer" })
                var round = 0
                while byOp.values.contains(where: { round < $0.count }) {
                    for name in names where round < byOp[name]!.count { pending.append(byOp[name]![round]) }
                    round += 1
                }
                if pending.isEmpty { ended = "the operators had no new candidate for \(parent.id)"; break }
            }
            let left = options.budget - all.count
            let take = min(pending.count, left, max(4, left / 2))
            let kids = pending.prefix(take).enumerated().map { k, p in
                Candidate(id: "c\(all.count + k)", messages: p.messages, parent: parent.id, edit: p.edit, lineage: parent.lineage + [p.edit])
            }
            pending.removeFirst(take)
            for k in kids { all.append((k, generation)) }
            progress("generation \(generation): \(kids.count) candidates from \(parent.id)")
            // Successive halving: every kid on the first rung, the better half on twice the cases, …
            var alive = kids
            var size = Self.firstRung(n)
            var rung = 0
            while true {
                try await table.evaluate(alive, on: Array(split.search.prefix(size)))
                if size >= n { break }
                let ranked = rank(alive.map(\.id), on: Array(split.search.prefix(size)), table)
                let keep = max(1, (alive.count + 1) / 2)
                for id in ranked.dropFirst(keep) { fates[id] = "stopped at rung \(rung + 1) (\(size) cases)" }
                alive = alive.filter { ranked.prefix(keep).contains($0.id) }
                size = min(n, size * 2)
                rung += 1
            }
            for k in alive { fates[k.id] = "finalist" }
            let best = rank(alive.map(\.id) + [parent.id], on: split.search, table)[0]
            progress("generation \(generation): best \(best) with \(table.passes(best, on: split.search))/\(n)")
            if best != parent.id {
                parent = alive.first { $0.id == best }!
                pending = []
            }
        }

        let candidates = all.map(\.candidate)
        let winnerId = rank(candidates.filter { table.outcomes[$0.id]?.count == n }.map(\.id), on: split.search, table)[0]
        if winnerId != "c0" { fates[winnerId] = "winner" }

        // The held-out split: the winner beside the start, nothing else.
        let winner = candidates.first { $0.id == winnerId }!
        try await table.evaluate(winnerId == "c0" ? [c0] : [c0, winner], on: split.heldOut)
        let startPass = split.heldOut.map { table.outcomes["c0"]?[$0.id]?.pass ?? false }
        let winPass = split.heldOut.map { table.outcomes[winnerId]?[$0.id]?.pass ?? false }
        let ids = split.heldOut.map(\.id)
        let fixed = ids.indices.filter { winPass[$0] && !startPass[$0] }.map { ids[$0] }
        let regressed = ids.indices.filter { !winPass[$0] && startPass[$0] }.map { ids[$0] }
        let held = OptimizeReport.HeldOut(cases: ids, startPasses: startPass.filter { $0 }.count, winnerPasses: winPass.filter { $0 }.count,
                                          fixed: fixed, regressed: regressed,
                                          mcnemarP: Statistics.mcnemarExact(b: regressed.count, c: fixed.count))
        let searchIds = Set(split.search.map(\.id))
        let entries = all.map { c, g -> OptimizeReport.Entry in
            let ran = table.outcomes[c.id]?.keys.filter { searchIds.contains($0) }.count ?? 0
            let t = table.tokens(c.id)
            let heldCalls = (c.id == "c0" || c.id == winnerId) ? split.heldOut.count * max(1, options.repeats) : 0
            return OptimizeReport.Entry(candidate: c, generation: g, passes: table.passes(c.id, on: split.search), casesRun: ran,
                                        calls: (table.calls[c.id] ?? 0) - heldCalls, promptTokens: t.mean, tokensEstimated: t.estimated,
                                        fate: fates[c.id] ?? "not run")
        }
        return OptimizeReport(suite: suite.name, suiteFile: suite.file, promptId: start.id, backendId: backendId, proposerId: options.proposerId,
                              seed: options.seed, budget: options.budget, holdout: options.holdout, repeats: max(1, options.repeats),
                              stratifiedBy: split.stratifiedBy, searchCases: split.search.map(\.id), entries: entries, winnerId: winnerId,
                              heldOut: held, notes: notes, demonstrationCalls: demoCalls, demonstrations: demos.count,
                              proposerCalls: proposerCalls, searchEnded: ended)
    }

    /// Best first: more passes on `cases`, then fewer prompt tokens, then made earlier.
    func rank(_ ids: [String], on cases: [TestCase], _ table: EvaluationTable) -> [String] {
        // Each candidate's key once, not once per comparison.
        let keyed = ids.map { (id: $0, passes: table.passes($0, on: cases), tokens: table.tokens($0).mean, order: Int($0.dropFirst()) ?? 0) }
        return keyed.sorted { a, b in
            if a.passes != b.passes { return a.passes > b.passes }
            if a.tokens != b.tokens { return a.tokens < b.tokens }
            return a.order < b.order
        }.map(\.id)
    }

    /// Why `template` (one message) cannot be a prompt of this suite, or nil when it can.
    func problem(with template: String) -> String? {
        let t: Template
        do { t = try Template(template, directory: suite.directory) } catch { return error.message }
        for c in suite.cases {
            if let m = t.missingVariables(in: c.vars).first { return "uses {{\(m)}}, which case '\(c.id)' does not define" }
        }
        return nil
    }

    /// What the operators know: variables, the input variable, other versions, the backend's
    /// format, the search cases' schemas, and how to render.
    func makeContext(start: PromptVersion, split: CaseSplit, backendId: String) -> OperatorContext {
        var c = OperatorContext()
        let startMessages = start.messages.map { PromptMessage(role: $0.role, text: $0.template.source) }
        let shared = suite.cases.dropFirst().reduce(Set(suite.cases[0].vars.keys)) { $0.intersection($1.vars.keys) }
        let used = TemplateText.variables(startMessages)
        c.variables = used.filter { shared.contains($0) } + shared.subtracting(used).sorted()
        // The input: of the variables the start uses, the string one with the longest values.
        let lengths = used.filter { shared.contains($0) }.compactMap { v -> (String, Double)? in
            let ls = split.search.compactMap { $0.vars[v]?.stringValue?.count }
            return ls.count == split.search.count ? (v, Double(ls.reduce(0, +)) / Double(max(1, ls.count))) : nil
        }
        c.inputVariable = lengths.max { $0.1 < $1.1 }?.0
        c.otherVersions = suite.prompts.filter { $0.id != start.id }.map { p in (p.id, p.messages.map { PromptMessage(role: $0.role, text: $0.template.source) }) }
        c.backendFormat = session.backend(backendId)?.backend.promptFormat
        c.usesJSON = split.search.contains { $0.validators.contains { $0.type == "json" || $0.type == "json-schema" } }
        c.schemaInstruction = SchemaOperator.instruction(for: split.search)
        let directory = suite.directory
        c.render = { text, vars in
            guard let t = try? Template(text, directory: directory), t.missingVariables(in: vars).isEmpty else { return nil }
            return t.render(vars)
        }
        return c
    }

    /// Passing samples of search cases: the start's (already run), then every other prompt
    /// version × backend of the suite on the search split. One per case, in search order.
    func demonstrations(_ search: [TestCase], table: EvaluationTable, start: PromptVersion, backendId: String) async throws(OptimizeError)
        -> ([Demonstration], Int) {
        var byCase: [String: String] = [:]
        for c in search { if let o = table.outcomes["c0"]?[c.id], o.pass { byCase[c.id] = o.output } }
        var calls = 0
        let others = suite.prompts.count > 1 || suite.backends.count > 1
        if others {
            var keys = Set<CaseKey>()
            for c in search { for p in suite.prompts { for b in suite.backends where !(p.id == start.id && b.id == backendId) {
                keys.insert(CaseKey(suite: suite.name, caseId: c.id, promptId: p.id, backendId: b.id))
            } } }
            let run = try await table.runOnce(prompts: suite.prompts, cases: search, keys: keys, backends: Set(suite.backends.map(\.id)))
            calls = run.results.count
            for g in run.groups where g.isPass && byCase[g.first.caseId] == nil { byCase[g.first.caseId] = g.first.output }
        }
        return (search.compactMap { c in byCase[c.id].map { Demonstration(caseId: c.id, vars: c.vars, output: $0) } }, calls)
    }
}
