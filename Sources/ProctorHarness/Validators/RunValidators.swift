import ProctorBackends

/// Checks on how the run went: `finish`, `latency`, `tokens`.
enum RunValidators {
    static let factories: [String: ValidatorFactory] = [
        "finish": { c throws(SuiteError) in try c.allowKeys([]); return Finish() },
        "latency": { c throws(SuiteError) in try Latency(c) },
        "tokens": { c throws(SuiteError) in try Tokens(c) },
        "cost": { c throws(SuiteError) in try Cost(c) },
    ]

    /// Passes when the backend stopped by itself, not at the token limit.
    struct Finish: ImmediateValidator {
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            switch ctx.response.finishReason {
            case .stop: return .pass("the model stopped by itself")
            case .length: return .fail("the output was cut at the token limit (finish reason 'length')")
            case .error: return .fail("the backend failed")
            }
        }
    }

    struct Latency: ImmediateValidator {
        let maxMs: Double
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["maxMs"])
            guard let m = try c.number("maxMs") else { throw c.error(nil, "validator 'latency' needs \"maxMs\"") }
            maxMs = m
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let ms = (ctx.response.latencyMs * 10).rounded() / 10
            // Under --replay the latency is the one measured when the answer was recorded.
            let what = ctx.response.latencyRecorded ? "recorded latency" : "latency"
            return ms <= maxMs ? .pass("\(what) \(ms) ms ≤ \(maxMs) ms") : .fail("\(what) \(ms) ms is above \(maxMs) ms")
        }
    }

    struct Tokens: ImmediateValidator {
        let max: Int
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["max"])
            guard let m = try c.number("max") else { throw c.error(nil, "validator 'tokens' needs \"max\"") }
            max = Int(m)
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            guard let u = ctx.response.usage else { return .fail("the backend did not report token usage, so 'tokens' cannot be checked") }
            return u.outputTokens <= max ? .pass("\(u.outputTokens) output tokens ≤ \(max)")
                : .fail("\(u.outputTokens) output tokens is above the maximum \(max)")
        }
    }

    /// Passes when the answer cost at most `maxUsd` at its backend's pricing (the suite's `pricing`
    /// or the built-in list price); could not evaluate without usage or pricing.
    struct Cost: ImmediateValidator {
        let maxUsd: Double
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["maxUsd"])
            guard let m = try c.number("maxUsd"), m >= 0 else { throw c.error("maxUsd", "validator 'cost' needs \"maxUsd\", a price in USD, not negative") }
            maxUsd = m
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            guard let c = ctx.costUsd else {
                return .unevaluable(ctx.response.usage == nil ? "the backend did not report token usage, so 'cost' cannot be checked"
                                    : "backend '\(ctx.backendId)' has no pricing: give it \"pricing\": {\"inputPerMillion\": …, \"outputPerMillion\": …}")
            }
            let shown = String(format: "$%.6f", c)
            return c <= maxUsd ? .pass("cost \(shown) ≤ $\(maxUsd)") : .fail("cost \(shown) is above the maximum $\(maxUsd)")
        }
    }
}
