import Foundation
import ProctorJSON
import ProctorModel
import ProctorSchema

/// The result of one constrained generation.
public struct ConstrainedGeneration: Sendable {
    /// The prompt as the model saw it (BOS first).
    public var promptTokenIds: [Int]
    /// The tokens of the output.
    public var generatedTokenIds: [Int]
    /// The generated text: one valid instance.
    public var text: String
    /// Mean time the constraint took per generated token (masks, checks, state updates), in microseconds.
    public var constraintMicrosPerToken: Double
    /// Tokens whose choice needed the whole mask (the sampled token alone was not allowed).
    public var fullMasks: Int
    /// Tokens taken back (dead ends, or an instance Proctor's validator refused: `oneOf` matching two branches).
    public var backtracks: Int
    /// Decode speed, constraint included.
    public var tokensPerSecond: Double
    /// Prompt processing speed.
    public var prefillTokensPerSecond: Double
}

/// Decoding that draws only from allowed tokens, so the output is an instance of the schema, ends
/// when the instance is complete (finish reason `stop`) and always fits the token budget.
///
/// The sampled token is tried first; only when it is refused is the whole mask built (for greedy
/// this picks the best allowed token; for temperature sampling, drawing again from the masked
/// distribution gives exactly the masked distribution). With top-p the mask is always built, so
/// the nucleus is taken over allowed tokens. Each finished output is checked by Proctor's
/// validator; one it refuses is backtracked a token at a time with that token banned.
public struct ConstrainedGenerator {
    /// The model run (its own run state).
    public let transformer: Transformer
    /// The model's tokenizer.
    public let tokenizer: Tokenizer
    /// What the output must be an instance of.
    public let grammar: Grammar
    /// The tokenizer's tables for masks.
    public let vocab: TokenVocabulary
    /// Proctor's validator for the schema (nil: any JSON value, checked by parsing).
    let validator: CompiledSchema?
    /// The mask and its pattern caches, built up once and kept for every generation of this
    /// generator (one at a time: a generator is not shared between tasks).
    let mask: TokenMask
    /// Most tokens taken back before giving up.
    public var maxBacktracks = 512
    /// Say each backtrack on stderr (the CLI sets it from `PROCTOR_CONSTRAIN_DEBUG=1`).
    public var debug = false

    /// Compiles Proctor's validator for the grammar's schema (the final check of every output).
    public init(transformer: Transformer, tokenizer: Tokenizer, grammar: Grammar, vocab: TokenVocabulary) throws(ConstraintError) {
        self.transformer = transformer
        self.tokenizer = tokenizer
        self.grammar = grammar
        self.vocab = vocab
        mask = TokenMask(grammar: grammar, vocab: vocab)
        validator = grammar.validator
    }

    /// One instance: `steps` counts prompt positions as run.c does; `progress` gets the text after each token and may cancel.
    public func generate(prompt: String, steps: Int? = nil, maxNewTokens: Int? = nil, temperature: Float, topP: Float,
                         rng: inout ModelRandom, progress: ((_ text: [UInt8]) -> Bool)? = nil) throws(ConstraintError) -> ConstrainedGeneration {
        let cfg = transformer.config
        let promptIds = tokenizer.encode(prompt, bos: true, eos: false)
        guard promptIds.count <= cfg.seqLen else {
            throw ConstraintError(pointer: "", "the prompt is \(promptIds.count) tokens but the model's context is \(cfg.seqLen) tokens")
        }
        let totalSteps = min(steps ?? cfg.seqLen, cfg.seqLen)
        let capacity = min(totalSteps - (promptIds.count - 1), maxNewTokens ?? Int.max)
        var state = grammar.start()
        let shortest = grammar.remainingBytes(state)
        guard shortest <= capacity else {
            throw ConstraintError(pointer: "", "the schema's shortest instance is \(shortest) bytes (up to \(shortest) tokens) but only \(max(capacity, 0)) tokens fit (the token limit and the model's context)")
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        var logits = transformer.prefill(promptIds, start: 0)
        let t1 = DispatchTime.now().uptimeNanoseconds
        var tokens: [Int] = []
        var history: [MatchState] = []
        var bans: [Set<Int>] = [[]]
        var out: [UInt8] = []
        var outLengths: [Int] = []
        var constraintNanos: UInt64 = 0, drawNanos: UInt64 = 0
        var scratch = [Float](repeating: 0, count: cfg.vocabSize)
        var fullMasks = 0, backtracks = 0
        let n = cfg.vocabSize
        let debug = self.debug
        let pureSampling = temperature > 0 && (topP <= 0 || topP >= 1)

        func backtrack(_ why: String) throws(ConstraintError) {
            if debug { FileHandle.standardError.write(Data("backtrack (\(why)) at \(String(decoding: out, as: UTF8.self))\n".utf8)) }
            backtracks += 1
            guard backtracks <= maxBacktracks, let last = tokens.popLast() else {
                throw ConstraintError(pointer: "", "constrained decoding found no valid instance within \(maxBacktracks) backtracking steps")
            }
            bans.removeLast()
            bans[bans.count - 1].insert(last)
            state = history.removeLast()
            out.removeSubrange(outLengths.removeLast()...)
            let pos = promptIds.count - 1 + tokens.count
            logits = transformer.forward(token: tokens.last ?? promptIds.last!, pos: pos)
        }

        while true {
            if Task.isCancelled { throw ConstraintError(pointer: "", "generation cancelled") }
            let c0 = DispatchTime.now().uptimeNanoseconds
            if grammar.isFinished(state) {
                if accept(out) { constraintNanos += DispatchTime.now().uptimeNanoseconds - c0; break }
                try backtrack("validator refused")
                constraintNanos += DispatchTime.now().uptimeNanoseconds - c0
                continue
            }
            let budget = capacity - tokens.count
            let banned = bans[bans.count - 1]
            let prev = tokens.last ?? promptIds.last!
            var choice: Int? = nil
            var next: MatchState? = nil
            var drewFirst = false
            // The sampled token first.
            if prev != Tokenizer.bos && (temperature == 0 || pureSampling) {
                // Drawing the token is what unconstrained decoding does too: not the constraint's time.
                let d0 = DispatchTime.now().uptimeNanoseconds
                let t = temperature == 0 ? Sampler.argmax(logits, n) : Self.draw(logits, n, temperature: temperature, rng: &rng, scratch: &scratch)
                drewFirst = temperature > 0
                drawNanos += DispatchTime.now().uptimeNanoseconds - d0
                if !banned.contains(t) {
                    if t == Tokenizer.eos { if grammar.isComplete(state) { choice = t } } else if let s = mask.after(state, token: t, budget: budget) { choice = t; next = s }
                }
            }
            if choice == nil {
                fullMasks += 1
                var allowed = prev == Tokenizer.bos ? mask.allowedAfterBOS(state, budget: budget, tokenizer: tokenizer) : mask.allowed(state, budget: budget)
                for b in banned { allowed.remove(b) }
                if allowed.isEmpty {
                    try backtrack("no token allowed, budget \(budget), remaining \(grammar.remainingBytes(state))")
                    constraintNanos += DispatchTime.now().uptimeNanoseconds - c0
                    continue
                }
                // Sampling among the allowed tokens is the sampler's work (unconstrained top-p sorts the
                // whole vocabulary; this sorts the allowed part): counted with the draws, not the constraint.
                let d0 = DispatchTime.now().uptimeNanoseconds
                let t = Self.drawMasked(logits, allowed, temperature: temperature, topP: topP, rng: &rng, exps: &scratch, haveExps: drewFirst)
                drawNanos += DispatchTime.now().uptimeNanoseconds - d0
                choice = t
                if t != Tokenizer.eos {
                    var s = state
                    let b = prev == Tokenizer.bos ? tokenizer.decode(previous: Tokenizer.bos, token: t) : vocab.bytes[t]
                    _ = grammar.feed(&s, bytes: b)
                    next = s
                }
            }
            let t = choice!
            if t == Tokenizer.eos {
                if accept(out) { constraintNanos += DispatchTime.now().uptimeNanoseconds - c0; break }
                // Ending here is refused by the validator: never end here again.
                bans[bans.count - 1].insert(Tokenizer.eos)
                constraintNanos += DispatchTime.now().uptimeNanoseconds - c0
                continue
            }
            history.append(state)
            state = next!
            outLengths.append(out.count)
            out.append(contentsOf: tokenizer.decode(previous: prev, token: t))
            tokens.append(t)
            bans.append([])
            constraintNanos += DispatchTime.now().uptimeNanoseconds - c0
            if let progress, !progress(out) { throw ConstraintError(pointer: "", "generation cancelled") }
            if grammar.isFinished(state) { continue }
            logits = transformer.forward(token: t, pos: promptIds.count - 1 + tokens.count)
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        let decodeSeconds = Double(t2 - t1) / 1e9, prefillSeconds = Double(t1 - t0) / 1e9
        return ConstrainedGeneration(promptTokenIds: promptIds, generatedTokenIds: tokens, text: String(decoding: out, as: UTF8.self),
                                     constraintMicrosPerToken: tokens.isEmpty ? 0 : Double(constraintNanos - min(drawNanos, constraintNanos)) / 1e3 / Double(tokens.count),
                                     fullMasks: fullMasks, backtracks: backtracks,
                                     tokensPerSecond: decodeSeconds > 0 ? Double(max(tokens.count - 1, 0)) / decodeSeconds : 0,
                                     prefillTokensPerSecond: prefillSeconds > 0 ? Double(promptIds.count) / prefillSeconds : 0)
    }

    /// Proctor's validator accepts the finished output.
    func accept(_ out: [UInt8]) -> Bool {
        guard let v = try? JSONParser.parse(String(decoding: out, as: UTF8.self)) else { return false }
        return validator?.isValid(v) ?? true
    }

    /// A token drawn from softmax(logits / temperature), logits left as they are.
    static func draw(_ logits: UnsafeMutablePointer<Float>, _ n: Int, temperature: Float, rng: inout ModelRandom, scratch: inout [Float]) -> Int {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, logits[i]) }
        var sum: Float = 0
        for i in 0..<n {
            let e = expf((logits[i] - m) / temperature)
            scratch[i] = e
            sum += e
        }
        let r = rng.uniform() * sum
        var cdf: Float = 0
        for i in 0..<n {
            cdf += scratch[i]
            if r < cdf { return i }
        }
        return n - 1
    }

    /// A token drawn from the allowed set: greedy at temperature 0 (first maximum), else softmax
    /// over allowed tokens, then top-p over them. `exps` already holds exp((logit - max) / T) for
    /// every token when `haveExps` (the first draw of this step computed them), so no exponential
    /// is taken twice.
    static func drawMasked(_ logits: UnsafeMutablePointer<Float>, _ allowed: Bitset, temperature: Float, topP: Float, rng: inout ModelRandom,
                           exps: inout [Float], haveExps: Bool) -> Int {
        var best = -1
        var m = -Float.infinity
        allowed.forEach { i in if best < 0 || logits[i] > m { m = logits[i]; best = i } }
        if temperature == 0 { return best }
        var sum: Float = 0
        if haveExps {
            allowed.forEach { i in sum += exps[i] }
        } else {
            allowed.forEach { i in
                let e = expf((logits[i] - m) / temperature)
                exps[i] = e
                sum += e
            }
        }
        if topP > 0 && topP < 1 {
            let count = allowed.population
            let cutoff = count > 1 ? (1 - topP) / Float(count - 1) * sum : 0
            var kept: [(Float, Int)] = []
            allowed.forEach { i in if exps[i] >= cutoff { kept.append((exps[i], i)) } }
            Self.sortDescending(&kept)
            var cumulative: Float = 0
            var last = kept.count - 1
            for (k, e) in kept.enumerated() {
                cumulative += e.0
                if cumulative > topP * sum { last = k; break }
            }
            let r = rng.uniform() * cumulative
            var cdf: Float = 0
            for k in 0...last {
                cdf += kept[k].0
                if r < cdf { return kept[k].1 }
            }
            return kept[last].1
        }
        let r = rng.uniform() * sum
        var cdf: Float = 0
        var chosen = best
        var done = false
        allowed.forEach { i in
            guard !done else { return }
            cdf += exps[i]
            if r < cdf { chosen = i; done = true }
        }
        return chosen
    }

    /// Top-p's order over the allowed tokens: the sampler's linear-time sort.
    static func sortDescending(_ kept: inout [(Float, Int)]) { Sampler.sortDescending(&kept) }
}
