import ProctorHarness

/// Everything an optimization did: the split, every candidate with its lineage and cost, the
/// held-out comparison, and what was written.
public struct OptimizeReport: Sendable {
    /// One candidate as the report lists it.
    public struct Entry: Sendable {
        /// The candidate and its lineage.
        public let candidate: Candidate
        /// The generation it was made in (0: the starting prompt).
        public let generation: Int
        /// Search cases it passed, of those it ran.
        public let passes: Int
        /// Search cases it ran (successive halving stops weak ones early).
        public let casesRun: Int
        /// Backend calls it cost (samples).
        public let calls: Int
        /// Mean prompt tokens per case, and whether that is an estimate (bytes / 4).
        public let promptTokens: Double
        /// The backend reported no token counts, so `promptTokens` is UTF-8 bytes / 4.
        public let tokensEstimated: Bool
        /// What became of it: "start", "winner", "finalist", or where successive halving stopped it.
        public let fate: String
    }

    /// The winner beside the starting prompt on the held-out split.
    public struct HeldOut: Sendable {
        /// The held-out case ids.
        public let cases: [String]
        /// Held-out cases the starting prompt passes.
        public let startPasses: Int
        /// Held-out cases the winner passes.
        public let winnerPasses: Int
        /// Cases the winner passes and the start fails, and the reverse.
        public let fixed: [String]
        /// Cases the start passes and the winner fails.
        public let regressed: [String]
        /// Exact McNemar p over the paired held-out cases.
        public let mcnemarP: Double
        /// The winner passes more held-out cases and p < 0.05.
        public var significant: Bool { fixed.count > regressed.count && mcnemarP < 0.05 }
        /// 95 % Wilson interval of the start's held-out pass rate.
        public var startWilson: (low: Double, high: Double) { Statistics.wilson(successes: startPasses, trials: cases.count) }
        /// 95 % Wilson interval of the winner's held-out pass rate.
        public var winnerWilson: (low: Double, high: Double) { Statistics.wilson(successes: winnerPasses, trials: cases.count) }
    }

    /// The suite's name and file.
    public let suite: String
    /// Path of the suite file, as given.
    public let suiteFile: String
    /// The prompt version it started from.
    public let promptId: String
    /// The backend it optimized for.
    public let backendId: String
    /// The proposer backend, when one was asked.
    public let proposerId: String?
    /// The options it ran with.
    public let seed: UInt64
    /// Candidates the search could evaluate, the starting prompt included (`--budget`).
    public let budget: Int
    /// Share of the cases held out from the search (`--holdout`).
    public let holdout: Double
    /// Samples per case (`--repeat`, at least 1).
    public let repeats: Int
    /// The variable the split was stratified by.
    public let stratifiedBy: String?
    /// The search split's case ids, in rung order.
    public let searchCases: [String]
    /// Every candidate, in the order it was made.
    public let entries: [Entry]
    /// The id of the best candidate on the search split.
    public let winnerId: String
    /// The winner beside the start on the held-out split.
    public let heldOut: HeldOut
    /// Proposals discarded, answers repaired, and other things worth a look.
    public let notes: [String]
    /// Backend calls made to collect demonstrations (other prompt versions and backends).
    public let demonstrationCalls: Int
    /// Demonstrations the few-shot operator could draw from.
    public let demonstrations: Int
    /// Calls to the proposer.
    public let proposerCalls: Int
    /// Why the search stopped ("the budget of 24 candidates was spent", "c5 passes every search case").
    public let searchEnded: String
    /// Where `--out` wrote the suite with the winner, when it did.
    public var written: String?
    /// Why `--out` was not written, when it was asked for and not written.
    public var notWritten: String?

    /// The winner's entry.
    public var winner: Entry { entries.first { $0.candidate.id == winnerId }! }
    /// The starting prompt's entry.
    public var start: Entry { entries[0] }
    /// Backend calls of the whole optimization (search, demonstrations, proposer, held-out).
    public var totalCalls: Int { entries.reduce(0) { $0 + $1.calls } + demonstrationCalls + proposerCalls + heldOutCalls }
    /// Backend calls of the held-out comparison.
    public var heldOutCalls: Int { heldOut.cases.count * repeats * (winnerId == entries[0].candidate.id ? 1 : 2) }

    /// The verdict in one sentence.
    public var verdict: String {
        if winnerId == start.candidate.id { return "no better prompt found on the search split" }
        return heldOut.significant ? "significant improvement on the held-out split" : "no significant improvement on the held-out split"
    }
}
