import Foundation
import Synchronization

/// `--max-cost USD`: no new request starts once what was spent, plus what the requests in flight
/// may cost (each at the dearest answer seen so far), would pass the budget. The cases not started
/// are reported as not run, with the reason.
public final class CostBudget: Sendable {
    /// The budget in USD.
    public let maxUsd: Double
    private let state = Mutex<(spent: Double, inFlight: Int, dearest: Double, answered: Bool)>((0, 0, 0, false))

    /// A budget of `maxUsd` (not negative).
    public init?(maxUsd: Double) {
        guard maxUsd >= 0, maxUsd.isFinite else { return nil }
        self.maxUsd = maxUsd
    }

    /// What was spent so far.
    public var spentUsd: Double { state.withLock { $0.spent } }

    /// What a request may do now.
    enum Decision { case go, wait, stop(String) }

    /// Takes a place for one request when what was spent plus every request in flight and this
    /// one, each at the dearest answer so far, stays within the budget. While requests are in
    /// flight and that cannot be known yet (no answer back, or they may turn out cheaper), it
    /// waits; with none in flight, a request that could pass the budget is not started.
    func begin() -> Decision {
        state.withLock { s in
            let fits = s.spent + Double(s.inFlight + 1) * s.dearest <= maxUsd && (s.spent < maxUsd || maxUsd == 0 && s.dearest == 0)
            if s.inFlight > 0 && (!s.answered || !fits) { return .wait }
            if !fits { return .stop(String(format: "not run: --max-cost $%.6f would be passed ($%.6f spent; an answer costs up to $%.6f)", maxUsd, s.spent, s.dearest)) }
            s.inFlight += 1
            return .go
        }
    }

    /// Gives the place back, adding what the answer cost when it was paid for in this run.
    func end(spent cost: Double?) {
        state.withLock { s in
            s.inFlight -= 1
            s.answered = true
            if let cost { s.spent += cost; s.dearest = max(s.dearest, cost) }
        }
    }

    /// Backends of `suites` (those `selected`, or all) that cost money and have no pricing, as
    /// "suite/backend": a budget cannot be kept on them.
    public static func unpriced(_ suites: [Suite], selected: Set<String>?) -> [String] {
        suites.flatMap { s in
            s.backends.filter { b in
                (selected?.contains(b.id) ?? true) && ["openai", "anthropic", "http"].contains(s.effectiveSpec(b).type) && s.effectiveSpec(b).pricing == nil
            }.map { "\(s.name)/\($0.id)" }
        }
    }
}
