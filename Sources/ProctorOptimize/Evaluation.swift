import ProctorBackends
import ProctorHarness
import ProctorJSON

/// How one candidate did on one case (all its samples).
struct CaseOutcome: Sendable {
    /// The case passed (its pass rate across samples reached `minPassRate`).
    let pass: Bool
    /// Every sample was a backend error.
    let error: Bool
    /// Prompt tokens of the first sample: the backend's count, else UTF-8 bytes / 4.
    let promptTokens: Int
    /// Whether `promptTokens` is an estimate.
    let estimated: Bool
    /// The first sample's rendered prompt, output and failure messages (for the proposer).
    let prompt: String
    let output: String
    let failures: [String]
}

/// Runs candidates on cases through one run session, remembering every outcome so no
/// candidate × case is run twice, and counting the backend calls each candidate cost.
final class EvaluationTable {
    let suite: Suite
    let session: RunSession
    let backendId: String
    let repeats: Int
    let concurrency: Int
    let interruption: Interruption?
    /// outcomes[candidate id][case id]
    private(set) var outcomes: [String: [String: CaseOutcome]] = [:]
    /// Backend calls per candidate (samples run).
    private(set) var calls: [String: Int] = [:]

    init(suite: Suite, session: RunSession, backendId: String, repeats: Int, concurrency: Int, interruption: Interruption?) {
        self.suite = suite
        self.session = session
        self.backendId = backendId
        self.repeats = repeats
        self.concurrency = concurrency
        self.interruption = interruption
    }

    /// Runs every `candidates` × `cases` pair not run yet, in one run.
    func evaluate(_ candidates: [Candidate], on cases: [TestCase]) async throws(OptimizeError) {
        var keys = Set<CaseKey>()
        var prompts: [PromptVersion] = []
        for c in candidates {
            let missing = cases.filter { outcomes[c.id]?[$0.id] == nil }
            guard !missing.isEmpty else { continue }
            do { prompts.append(try c.promptVersion(directory: suite.directory)) } catch {
                throw OptimizeError("candidate \(c.id) does not parse: \(error.message)")
            }
            for k in missing { keys.insert(CaseKey(suite: suite.name, caseId: k.id, promptId: c.id, backendId: backendId)) }
        }
        guard !prompts.isEmpty else { return }
        let used = Set(keys.map(\.caseId))
        let run = try await runOnce(prompts: prompts, cases: cases.filter { used.contains($0.id) }, keys: keys)
        for g in run.groups {
            let s = g.first
            let prompt = BackendRequest(messages: s.messages).flattenedPrompt
            let outcome = CaseOutcome(pass: g.isPass, error: g.samples.allSatisfy { $0.status == .error },
                                      promptTokens: s.usage?.promptTokens ?? (prompt.utf8.count + 3) / 4, estimated: s.usage == nil,
                                      prompt: prompt, output: s.output, failures: s.error.map { [$0] } ?? s.failureMessages)
            outcomes[s.promptId, default: [:]][s.caseId] = outcome
            calls[s.promptId, default: 0] += g.samples.count
        }
    }

    /// One run of `prompts` × `cases` on the backends the keys name (nil keys: every backend).
    func runOnce(prompts: [PromptVersion], cases: [TestCase], keys: Set<CaseKey>?, backends: Set<String>? = nil) async throws(OptimizeError) -> RunResult {
        if interruption?.isFired == true { throw OptimizeError("interrupted") }
        var o = RunOptions()
        o.concurrency = concurrency
        o.repeats = repeats
        o.backendIds = backends ?? [backendId]
        o.onlyKeys = keys
        o.interruption = interruption
        let run = await Runner.run(session.serving([suite.with(prompts: prompts, cases: cases)]), options: o)
        if interruption?.isFired == true { throw OptimizeError("interrupted") }
        if let e = run.closeErrors.first { throw OptimizeError(e) }
        return run
    }

    /// Passes of `id` on `cases` (cases not run count as not passed).
    func passes(_ id: String, on cases: [TestCase]) -> Int {
        cases.reduce(0) { $0 + ((outcomes[id]?[$1.id]?.pass ?? false) ? 1 : 0) }
    }

    /// Mean prompt tokens of `id` over the cases it ran, and whether any count was estimated.
    func tokens(_ id: String) -> (mean: Double, estimated: Bool) {
        let o = outcomes[id]?.values.map { $0 } ?? []
        guard !o.isEmpty else { return (0, false) }
        return (Double(o.reduce(0) { $0 + $1.promptTokens }) / Double(o.count), o.contains { $0.estimated })
    }
}
