import ProctorJSON
import ProctorConversation

/// What a backend's tokens cost, in US dollars per million: from the suite's `pricing`, or from a
/// small built-in table of list prices for well-known OpenAI and Anthropic models (dated, and
/// overridden by any `pricing` the suite writes).
public struct Pricing: Sendable, Equatable {
    /// USD per million prompt (input) tokens.
    public let inputPerMillion: Double
    /// USD per million generated (output) tokens.
    public let outputPerMillion: Double
    /// Where the prices come from ("suite" or the built-in table's date), for reports.
    public let source: String

    /// The cost of one answer's usage.
    public func cost(_ u: TokenUsage) -> Double {
        (Double(u.promptTokens) * inputPerMillion + Double(u.outputTokens) * outputPerMillion) / 1_000_000
    }

    /// The date of the built-in table's list prices.
    public static let tableDate = "2025-11"

    /// List prices (input, output) per million tokens, by model name prefix (a dated snapshot such
    /// as `gpt-4o-mini-2024-07-18` matches `gpt-4o-mini`).
    static let table: [(type: String, model: String, input: Double, output: Double)] = [
        ("openai", "gpt-4o-mini", 0.15, 0.60), ("openai", "gpt-4o", 2.50, 10.00),
        ("openai", "gpt-4.1-nano", 0.10, 0.40), ("openai", "gpt-4.1-mini", 0.40, 1.60), ("openai", "gpt-4.1", 2.00, 8.00),
        ("openai", "gpt-5-nano", 0.05, 0.40), ("openai", "gpt-5-mini", 0.25, 2.00), ("openai", "gpt-5", 1.25, 10.00),
        ("openai", "o4-mini", 1.10, 4.40), ("openai", "o3-mini", 1.10, 4.40),
        ("anthropic", "claude-3-5-haiku", 0.80, 4.00), ("anthropic", "claude-haiku-4-5", 1.00, 5.00),
        ("anthropic", "claude-3-7-sonnet", 3.00, 15.00), ("anthropic", "claude-sonnet-4", 3.00, 15.00),
        ("anthropic", "claude-opus-4", 15.00, 75.00),
    ]

    /// The suite's `pricing` object, checked (both prices, neither negative); nil when absent.
    static func parse(_ v: JSONValue?) throws(BackendConfigError) -> Pricing? {
        guard let v else { return nil }
        guard case .object(let o) = v else { throw BackendConfigError(pointer: "/pricing", "\"pricing\" must be {\"inputPerMillion\": USD, \"outputPerMillion\": USD}") }
        for (k, _) in o where k != "inputPerMillion" && k != "outputPerMillion" {
            throw BackendConfigError(pointer: "/pricing/" + JSONPointer.escape(k), "unknown key \"\(k)\" in \"pricing\" (inputPerMillion, outputPerMillion)")
        }
        var prices: [Double] = []
        for k in ["inputPerMillion", "outputPerMillion"] {
            guard let x = o[k] else { throw BackendConfigError(pointer: "/pricing", "\"pricing\" needs \"\(k)\" (USD per million tokens)") }
            guard let d = x.doubleValue, d >= 0, d.isFinite else {
                throw BackendConfigError(pointer: "/pricing/" + k, "\"\(k)\" must be a price in USD per million tokens, not negative, found \(x)")
            }
            prices.append(d)
        }
        return Pricing(inputPerMillion: prices[0], outputPerMillion: prices[1], source: "suite")
    }

    /// The built-in list price of `model` on a backend of `type`, or nil.
    public static func builtIn(type: String, model: String?) -> Pricing? {
        guard let model else { return nil }
        let m = model.lowercased()
        let hit = table.filter { $0.type == type && (m == $0.model || m.hasPrefix($0.model + "-")) }.max { $0.model.count < $1.model.count }
        return hit.map { Pricing(inputPerMillion: $0.input, outputPerMillion: $0.output, source: "list price \(tableDate)") }
    }
}
