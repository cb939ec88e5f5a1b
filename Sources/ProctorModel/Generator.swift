import Foundation

/// The result of one generation, free or constrained: what every caller reports from.
public struct Generation: Sendable {
    /// The prompt as the model saw it (BOS first), for usage counts.
    public var promptTokenIds: [Int]
    /// The tokens of the output, for usage counts and `--json`.
    public var generatedTokenIds: [Int]
    /// The generated text only.
    public var text: String
    /// Prompt and generated text, as run.c prints it.
    public var fullText: String
    /// A stop token (BOS/EOS) ended it.
    public var stoppedByToken: Bool
    /// A stop string ended it (the string is cut from `text`).
    public var stoppedByString: Bool
    /// The token limit or the context length ended it.
    public var hitLimit: Bool
    /// Decode speed, so the CLI and benchmarks report what the user saw.
    public var tokensPerSecond: Double
    /// Prompt processing speed.
    public var prefillTokensPerSecond: Double
    /// What a decoding constraint did, when one was used.
    public var constraint: ConstraintStats?

    /// A generation as measured; constraints outside this module build theirs with it.
    public init(promptTokenIds: [Int], generatedTokenIds: [Int], text: String, fullText: String, stoppedByToken: Bool, stoppedByString: Bool,
                hitLimit: Bool, tokensPerSecond: Double, prefillTokensPerSecond: Double, constraint: ConstraintStats? = nil) {
        self.promptTokenIds = promptTokenIds
        self.generatedTokenIds = generatedTokenIds
        self.text = text
        self.fullText = fullText
        self.stoppedByToken = stoppedByToken
        self.stoppedByString = stoppedByString
        self.hitLimit = hitLimit
        self.tokensPerSecond = tokensPerSecond
        self.prefillTokensPerSecond = prefillTokensPerSecond
        self.constraint = constraint
    }
}

/// The generation loop of run.c: `steps` counts prompt positions; the prompt is fed (here as one
/// batch), then tokens are sampled until `steps`, the context, `maxNewTokens`, a stop token or a stop
/// string ends it.
public struct Generator {
    /// The model run (its own run state).
    public let transformer: Transformer
    /// Text to tokens and back.
    public let tokenizer: Tokenizer

    /// A generator over one model run; cheap, so make one per generation.
    public init(transformer: Transformer, tokenizer: Tokenizer) {
        self.transformer = transformer
        self.tokenizer = tokenizer
    }

    /// The loop itself, with an explicit sampler (tests and the reference checks drive it directly;
    /// everything else goes through `generate(prompt:options:…)`).
    /// `progress` is called after each new token with the text so far (stop strings already cut);
    /// returning false cancels the generation (a streaming client that went away).
    public func generate(prompt: String, steps: Int? = nil, maxNewTokens: Int? = nil, sampler: inout Sampler,
                         stopTokens: Set<Int> = [Tokenizer.bos, Tokenizer.eos], stopStrings: [String] = [],
                         progress: ((_ text: UnsafeBufferPointer<UInt8>) -> Bool)? = nil) throws(ModelError) -> Generation {
        let cfg = transformer.config
        let promptIds = tokenizer.encode(prompt, bos: true, eos: false)
        guard promptIds.count <= cfg.seqLen else {
            throw ModelError("the prompt is \(promptIds.count) tokens but the model's context is \(cfg.seqLen) tokens")
        }
        let totalSteps = min(steps ?? cfg.seqLen, cfg.seqLen)
        var generated: [Int] = []
        var out: [UInt8] = []
        var hitLimit = false, stoppedByToken = false, stoppedByString = false
        let t0 = DispatchTime.now().uptimeNanoseconds
        // Prefill: all prompt tokens at once; the logits of the last one give the first new token.
        var pos = promptIds.count - 1
        if pos + 1 > totalSteps {
            return Generation(promptTokenIds: promptIds, generatedTokenIds: [], text: "", fullText: tokenizer.text(Array(promptIds.dropFirst())),
                              stoppedByToken: false, stoppedByString: false, hitLimit: true, tokensPerSecond: 0, prefillTokensPerSecond: 0)
        }
        var logits = transformer.prefill(promptIds, start: 0)
        let t1 = DispatchTime.now().uptimeNanoseconds
        var prev = promptIds.last!
        while true {
            if Task.isCancelled { throw ModelError("generation cancelled") }
            let next = sampler.sample(logits, cfg.vocabSize)
            if stopTokens.contains(next) { stoppedByToken = true; break }
            generated.append(next)
            out.append(contentsOf: tokenizer.decode(previous: prev, token: next))
            prev = next
            if !stopStrings.isEmpty, let cut = Self.stopCut(out, stopStrings) {
                out.removeSubrange(cut...)
                stoppedByString = true
                if let progress, !out.withUnsafeBufferPointer(progress) { throw ModelError("generation cancelled") }
                break
            }
            if let progress, !out.withUnsafeBufferPointer(progress) { throw ModelError("generation cancelled") }
            pos += 1
            if pos >= totalSteps || (maxNewTokens.map { generated.count >= $0 } ?? false) { hitLimit = true; break }
            logits = transformer.forward(token: next, pos: pos)
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        let decodeSeconds = Double(t2 - t1) / 1e9
        let prefillSeconds = Double(t1 - t0) / 1e9
        return Generation(promptTokenIds: promptIds, generatedTokenIds: generated, text: String(decoding: out, as: UTF8.self),
                          fullText: tokenizer.text(Array(promptIds.dropFirst()) + generated),
                          stoppedByToken: stoppedByToken, stoppedByString: stoppedByString, hitLimit: hitLimit,
                          tokensPerSecond: decodeSeconds > 0 ? Double(max(generated.count - 1, 0)) / decodeSeconds : 0,
                          prefillTokensPerSecond: prefillSeconds > 0 ? Double(promptIds.count) / prefillSeconds : 0)
    }

    /// The byte offset where the first stop string starts, if one has appeared.
    static func stopCut(_ out: [UInt8], _ stops: [String]) -> Int? {
        var best: Int?
        for s in stops where !s.isEmpty {
            let needle = Array(s.utf8)
            guard out.count >= needle.count else { continue }
            var i = 0
            while i + needle.count <= out.count {
                if out[i..<(i + needle.count)].elementsEqual(needle) { best = min(best ?? i, i); break }
                i += 1
            }
        }
        return best
    }
}
