import ProctorConversation

/// What a decoding constraint did, so `model generate --json` and benchmarks can show its cost.
public struct ConstraintStats: Sendable, Equatable {
    /// Mean time the constraint took per generated token (masks, checks, state updates), in microseconds.
    public var microsPerToken: Double
    /// Tokens whose choice needed the whole mask (the sampled token alone was not allowed).
    public var fullMasks: Int
    /// Tokens taken back (dead ends, or an output the validator refused).
    public var backtracks: Int

    /// The figures as measured.
    public init(microsPerToken: Double, fullMasks: Int, backtracks: Int) {
        self.microsPerToken = microsPerToken
        self.fullMasks = fullMasks
        self.backtracks = backtracks
    }
}

/// One generation as a constraint receives it: the sampling options already resolved.
public struct DecodingRequest {
    /// The model run to decode with.
    public var transformer: Transformer
    /// The model's tokenizer.
    public var tokenizer: Tokenizer
    /// The prompt text (BOS is added).
    public var prompt: String
    /// Positions to run, prompt included, as run.c counts them (nil: the context).
    public var steps: Int?
    /// Most new tokens (nil: the context decides).
    public var maxNewTokens: Int?
    /// 0 is greedy.
    public var temperature: Float
    /// Nucleus threshold.
    public var topP: Float
    /// The sampling seed.
    public var seed: UInt64
    /// Called with the text so far; false cancels.
    public var progress: ((_ text: UnsafeBufferPointer<UInt8>) -> Bool)?
}

/// A rule on which tokens may come next. ProctorConstrain's grammars (a JSON Schema, any JSON value)
/// conform; Model defines the shape so its one entry point can take a constraint without depending
/// on the schema machinery. A constraint owns its decoding loop because it may step back.
public protocol DecodingConstraint: Sendable {
    /// Decodes one output under the constraint.
    func decode(_ request: DecodingRequest) throws(ModelError) -> Generation
}

extension Generator {
    /// The one entry point for generation, used by the `builtin` backend, `proctor model generate`
    /// and `proctor model serve`: `options` over `GenerationOptions.samplingDefaults` (the default
    /// seed varied per repeat the way a set one is), free decoding with stop strings and tokens, or
    /// decoding under `constraint`.
    public func generate(prompt: String, options: GenerationOptions, repeatIndex: Int = 0, steps: Int? = nil,
                         stopTokens: Set<Int> = [Tokenizer.bos, Tokenizer.eos], constraint: (any DecodingConstraint)? = nil,
                         progress: ((_ text: UnsafeBufferPointer<UInt8>) -> Bool)? = nil) throws(ModelError) -> Generation {
        let o = GenerationOptions.samplingDefaults.forRepeat(repeatIndex).overridden(by: options)
        let temperature = Float(o.temperature ?? 0), topP = Float(o.topP ?? 1), seed = o.seed ?? 0
        if let constraint {
            if let stop = o.stop, !stop.isEmpty {
                throw ModelError("stop strings cannot be combined with constrained decoding: the output ends when the instance is complete")
            }
            return try constraint.decode(DecodingRequest(transformer: transformer, tokenizer: tokenizer, prompt: prompt, steps: steps,
                                                         maxNewTokens: o.maxTokens, temperature: temperature, topP: topP, seed: seed,
                                                         progress: progress))
        }
        var sampler = Sampler(temperature: temperature, topP: topP, seed: seed)
        return try generate(prompt: prompt, steps: steps, maxNewTokens: o.maxTokens, sampler: &sampler, stopTokens: stopTokens,
                            stopStrings: o.stop ?? [], progress: progress)
    }
}
