import Foundation
import ProctorJSON
import ProctorModel

/// `proctor model bench --schema`: what a schema constraint costs on a model and tokenizer, per
/// generated token (the sampled-first shortcut included) and per full mask (every allowed token
/// computed), beside the same model's unconstrained decode speed. It lives beside the masks so the
/// benchmark and the code it measures change together.
public enum ConstraintBenchmark {
    /// One schema's figures.
    public struct Row: Sendable {
        /// The schema's name as given.
        public var name: String
        /// Tokens the constrained generation produced.
        public var tokens: Int
        /// Tokens whose choice needed a full mask.
        public var fullMasks: Int
        /// Constraint time per generated token, sampling excluded (µs).
        public var microsPerToken: Double
        /// Median time of one full mask over the states the output passed through (µs).
        public var microsPerFullMask: Double
        /// Their mean (the first mask and cache fills included), µs.
        public var meanMicrosPerFullMask: Double
        /// Constrained decode speed (tokens/s, model and constraint).
        public var constrainedTokensPerSecond: Double
    }

    /// Decodes `tokens` tokens unconstrained, then one constrained instance per grammar with the same
    /// sampling, then computes the full mask at every state each output passed through (timing each).
    public static func run(transformer: Transformer, tokenizer: Tokenizer, vocab: TokenVocabulary, grammars: [(name: String, grammar: Grammar)],
                           tokens: Int, temperature: Float, topP: Float, seed: UInt64) throws(ConstraintError) -> ModelBenchmark.Report {
        var report = ModelBenchmark.Report()
        var sampler = Sampler(temperature: temperature, topP: topP, seed: seed)
        // Warm-up: pages in the weights, so the first timed decode is not the one that pays for it.
        for pos in 0..<min(8, transformer.config.seqLen) { _ = transformer.forward(token: 1 + pos, pos: pos) }
        let free: Generation
        do { free = try Generator(transformer: transformer, tokenizer: tokenizer).generate(prompt: "", maxNewTokens: tokens, sampler: &sampler, stopTokens: []) }
        catch { throw ConstraintError(pointer: "", error.description) }
        report.lines.append(String(format: "vocabulary %d tokens; unconstrained decode %.1f tok/s (%d tokens, temperature %g, top-p %g)",
                                   vocab.bytes.count, free.tokensPerSecond, free.generatedTokenIds.count, Double(temperature), Double(topP)))
        var rows: [Row] = []
        for (name, grammar) in grammars {
            let generator = try ConstrainedGenerator(transformer: transformer, tokenizer: tokenizer, grammar: grammar, vocab: vocab)
            var rng = ModelRandom(seed: seed)
            let g = try generator.generate(prompt: "", maxNewTokens: tokens, temperature: temperature, topP: topP, rng: &rng)
            let masks = maskMicros(grammar: grammar, vocab: vocab, tokenizer: tokenizer, tokens: g.generatedTokenIds, capacity: tokens)
            rows.append(Row(name: name, tokens: g.generatedTokenIds.count, fullMasks: g.fullMasks, microsPerToken: g.constraintMicrosPerToken,
                            microsPerFullMask: masks.median, meanMicrosPerFullMask: masks.mean, constrainedTokensPerSecond: g.tokensPerSecond))
        }
        for r in rows {
            report.lines.append(String(format: "%@: %d tokens, %d full masks; constraint %.1f µs/token, full mask %.1f µs median, %.1f mean; %.1f tok/s constrained (%.2f× unconstrained)",
                                       r.name, r.tokens, r.fullMasks, r.microsPerToken, r.microsPerFullMask, r.meanMicrosPerFullMask, r.constrainedTokensPerSecond,
                                       free.tokensPerSecond > 0 ? r.constrainedTokensPerSecond / free.tokensPerSecond : 0))
        }
        let perToken = median(rows.map(\.microsPerToken)), perMask = median(rows.map(\.microsPerFullMask))
        let speed = median(rows.map(\.constrainedTokensPerSecond))
        if rows.count > 1 {
            report.lines.append(String(format: "median over %d schemas: %.1f µs/token, %.1f µs per full mask, %.1f tok/s constrained (%.2f× unconstrained)",
                                       rows.count, perToken, perMask, speed, free.tokensPerSecond > 0 ? speed / free.tokensPerSecond : 0))
        }
        let round = { (x: Double) in JSONValue.number(JSONNumber((x * 10).rounded() / 10)) }
        report.json = ["vocabulary": .number(JSONNumber(vocab.bytes.count)), "unconstrainedTokensPerSecond": round(free.tokensPerSecond),
                       "medianMicrosPerToken": round(perToken), "medianMicrosPerFullMask": round(perMask),
                       "medianConstrainedTokensPerSecond": round(speed),
                       "schemas": .array(rows.map { r in
                           ["name": .string(r.name), "tokens": .number(JSONNumber(r.tokens)), "fullMasks": .number(JSONNumber(r.fullMasks)),
                            "microsPerToken": round(r.microsPerToken), "microsPerFullMask": round(r.microsPerFullMask), "meanMicrosPerFullMask": round(r.meanMicrosPerFullMask),
                            "constrainedTokensPerSecond": round(r.constrainedTokensPerSecond)]
                       })]
        return report
    }

    /// The median and mean time of a full mask at each state `tokens` pass through, from the grammar's start.
    static func maskMicros(grammar: Grammar, vocab: TokenVocabulary, tokenizer: Tokenizer, tokens: [Int], capacity: Int) -> (median: Double, mean: Double) {
        let mask = TokenMask(grammar: grammar, vocab: vocab)
        var state = grammar.start()
        var times: [Double] = []
        for (i, t) in tokens.enumerated() {
            let t0 = DispatchTime.now().uptimeNanoseconds
            // The first token follows BOS, where the tokenizer drops a leading space (as generation does).
            let allowed = i == 0 ? mask.allowedAfterBOS(state, budget: capacity, tokenizer: tokenizer) : mask.allowed(state, budget: capacity - i)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3)
            let bytes = i == 0 ? tokenizer.decode(previous: Tokenizer.bos, token: t) : vocab.bytes[t]
            guard allowed.contains(t), grammar.feed(&state, bytes: bytes) else { break }
        }
        return (median(times), times.isEmpty ? 0 : times.reduce(0, +) / Double(times.count))
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
