/// The shape of a Llama-architecture model, as stored in a llama2.c checkpoint header.
public struct ModelConfig: Sendable, Equatable, CustomStringConvertible {
    /// llama's FFN width for a model `dim` wide: 2/3 of 4·dim, rounded up to a multiple of 32
    /// (the default of `model init` and `model train`).
    public static func llamaHidden(dim: Int) -> Int { 32 * ((4 * dim * 2 / 3 + 31) / 32) }

    /// Transformer width: the length of each token's residual-stream vector.
    public var dim: Int          // transformer width
    /// Width of the SwiGLU feed-forward block (`w1` and `w3` are `[hidden × dim]`).
    public var hiddenDim: Int    // FFN width
    /// Number of transformer layers.
    public var nLayers: Int
    /// Query heads; `dim` is split evenly among them.
    public var nHeads: Int       // query heads
    /// Key/value heads; fewer than `nHeads` means grouped-query attention, with `kvMul` query heads sharing each.
    public var nKVHeads: Int     // key/value heads (< nHeads: grouped-query attention)
    /// Tokens in the vocabulary: rows of the embedding and of the classifier.
    public var vocabSize: Int
    /// Context length: the most positions the KV cache holds.
    public var seqLen: Int       // context length
    /// The classifier reuses the token embedding (llama2.c: a positive vocab_size in the header).
    public var sharedClassifier: Bool

    /// Makes a shape from header values without checking them; `problem` says whether the shape can work.
    public init(dim: Int, hiddenDim: Int, nLayers: Int, nHeads: Int, nKVHeads: Int, vocabSize: Int, seqLen: Int, sharedClassifier: Bool = true) {
        self.dim = dim
        self.hiddenDim = hiddenDim
        self.nLayers = nLayers
        self.nHeads = nHeads
        self.nKVHeads = nKVHeads
        self.vocabSize = vocabSize
        self.seqLen = seqLen
        self.sharedClassifier = sharedClassifier
    }

    /// Width of one attention head: `dim / nHeads`.
    public var headSize: Int { dim / nHeads }
    /// Width of one token's keys (and of its values): `nKVHeads × headSize`.
    public var kvDim: Int { nKVHeads * headSize }
    /// Query heads per key/value head.
    public var kvMul: Int { nHeads / nKVHeads }

    /// Parameters (floats) in the weights, the classifier counted once when shared.
    public var parameterCount: Int {
        var n = vocabSize * dim                            // token embedding
        n += nLayers * dim * 2                              // attention + FFN RMSNorm
        n += nLayers * dim * dim * 2                        // wq, wo
        n += nLayers * kvDim * dim * 2                      // wk, wv
        n += nLayers * hiddenDim * dim * 3                  // w1, w2, w3
        n += dim                                            // final RMSNorm
        if !sharedClassifier { n += vocabSize * dim }
        return n
    }

    /// Why this shape cannot work, or nil.
    public var problem: String? {
        if dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKVHeads <= 0 || vocabSize <= 0 || seqLen <= 0 {
            return "every dimension must be positive (\(self))"
        }
        if dim % nHeads != 0 { return "dim \(dim) is not a multiple of n_heads \(nHeads)" }
        if nHeads % nKVHeads != 0 { return "n_heads \(nHeads) is not a multiple of n_kv_heads \(nKVHeads)" }
        if headSize % 2 != 0 { return "head size \(headSize) must be even (RoPE rotates pairs)" }
        if dim > 1 << 16 || hiddenDim > 1 << 18 || nLayers > 1024 || vocabSize > 1 << 22 || seqLen > 1 << 20 {
            return "implausibly large dimensions (\(self))"
        }
        return nil
    }

    /// The shape in one line for messages: every dimension by name, and whether the classifier is shared.
    public var description: String {
        "dim \(dim), hidden \(hiddenDim), layers \(nLayers), heads \(nHeads), kv heads \(nKVHeads), vocab \(vocabSize), seq \(seqLen)"
            + (sharedClassifier ? ", shared classifier" : ", separate classifier")
    }
}

/// A checkpoint or tokenizer that cannot be used, with the file named.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    /// The full message, naming the file where there is one.
    public let message: String
    /// Makes an error whose whole text is `message`.
    public init(_ message: String) { self.message = message }
    /// The message, as is.
    public var description: String { message }
}
