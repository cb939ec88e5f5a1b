import Foundation

/// A Llama-architecture transformer over a mapped checkpoint, in the shape of llama2.c `run.c`
/// (and `runq.c` for int8 files): run state buffers and one layer implementation, which decode runs
/// for one token and prefill for a block of prompt tokens.
///
/// The weights are immutable and shared by every request; each `Transformer` has its own run state
/// (KV cache and scratch buffers, allocated once and grown only for a longer prompt block: no
/// allocation per token).
public final class Transformer {
    public let checkpoint: Checkpoint
    public var config: ModelConfig { checkpoint.config }
    /// Threads for the matrix products and attention.
    public var threads: Int

    // Run state for a block of up to `capacity` tokens (decode uses row 0):
    var capacity = 0
    var X: UnsafeMutablePointer<Float>!      // (capacity, dim) residual stream
    var XB: UnsafeMutablePointer<Float>!     // (capacity, dim) activation inside a residual branch
    var XB2: UnsafeMutablePointer<Float>!    // (capacity, dim)
    var Q: UnsafeMutablePointer<Float>!      // (capacity, dim) queries
    var HB: UnsafeMutablePointer<Float>!     // (capacity, hidden)
    var HB2: UnsafeMutablePointer<Float>!    // (capacity, hidden)
    var XQ: UnsafeMutablePointer<Int8>?      // (capacity, max(dim, hidden)) quantized input of an int8 product
    var XS: UnsafeMutablePointer<Float>?     // (capacity, max(dim, hidden) / group) its scales
    var ropeCos: UnsafeMutablePointer<Float>!  // (capacity, head_size / 2) RoPE angles of each token's position
    var ropeSin: UnsafeMutablePointer<Float>!  // (capacity, head_size / 2)
    let xFinal: UnsafeMutablePointer<Float>  // (dim) the last token after the final norm
    let att: UnsafeMutablePointer<Float>     // (threads, seq_len) attention scores, one row per worker
    public let logits: UnsafeMutablePointer<Float>  // (vocab)
    let keyCache: UnsafeMutablePointer<Float>    // (layer, seq_len, kv_dim)
    let valueCache: UnsafeMutablePointer<Float>  // (layer, seq_len, kv_dim)

    public init(checkpoint: Checkpoint, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.checkpoint = checkpoint
        self.threads = max(1, threads)
        let c = checkpoint.config
        xFinal = Self.zeros(c.dim)
        att = Self.zeros(max(self.threads, 1) * c.seqLen)
        logits = Self.zeros(c.vocabSize)
        keyCache = Self.zeros(c.nLayers * c.seqLen * c.kvDim)
        valueCache = Self.zeros(c.nLayers * c.seqLen * c.kvDim)
        ensureCapacity(1)
    }

    static func zeros<T: Numeric>(_ n: Int) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
        p.initialize(repeating: 0, count: max(n, 1))
        return p
    }

    deinit {
        freeBlock()
        for p in [xFinal, att, logits, keyCache, valueCache] { p.deallocate() }
    }

    func freeBlock() {
        for p in [X, XB, XB2, Q, HB, HB2, ropeCos, ropeSin] { p?.deallocate() }
        XQ?.deallocate()
        XS?.deallocate()
    }

    /// Grows the block buffers to hold `n` tokens.
    func ensureCapacity(_ n: Int) {
        guard n > capacity else { return }
        freeBlock()
        let c = config
        X = Self.zeros(n * c.dim); XB = Self.zeros(n * c.dim); XB2 = Self.zeros(n * c.dim); Q = Self.zeros(n * c.dim)
        HB = Self.zeros(n * c.hiddenDim); HB2 = Self.zeros(n * c.hiddenDim)
        ropeCos = Self.zeros(n * c.headSize / 2); ropeSin = Self.zeros(n * c.headSize / 2)
        if checkpoint.groupSize > 0 {
            let width = max(c.dim, c.hiddenDim)
            XQ = Self.zeros(n * width)
            XS = Self.zeros(n * (width / checkpoint.groupSize + 1))
        }
        capacity = n
    }

    /// Logits for `token` at position `pos` (0 ≤ pos < seq_len), extending the KV cache.
    @discardableResult
    public func forward(token: Int, pos: Int) -> UnsafeMutablePointer<Float> {
        X.update(from: checkpoint.tokenEmbedding + token * config.dim, count: config.dim)
        return run(count: 1, start: pos)
    }

    /// Runs `tokens` at positions `start..<start+count` as one block (each weight read once per
    /// block, as matrix–matrix products) and leaves the logits of the last one in `logits`. Same
    /// results as calling `forward` for each token (bit for bit for int8 files).
    @discardableResult
    public func prefill(_ tokens: [Int], start: Int) -> UnsafeMutablePointer<Float> {
        let n = tokens.count
        precondition(n > 0 && start + n <= config.seqLen)
        ensureCapacity(n)
        let dim = config.dim
        for (t, tok) in tokens.enumerated() { (X + t * dim).update(from: checkpoint.tokenEmbedding + tok * dim, count: dim) }
        return run(count: n, start: start)
    }

    /// Every layer over the `n` tokens in X, then the final norm and the classifier for the last one.
    func run(count n: Int, start: Int) -> UnsafeMutablePointer<Float> {
        let c = config
        let half = c.headSize / 2
        for t in 0..<n { Kernels.ropeTable(pos: start + t, headSize: c.headSize, cos: ropeCos + t * half, sin: ropeSin + t * half) }
        for l in 0..<c.nLayers { layer(l, count: n, start: start) }
        Kernels.rmsnorm(xFinal, X + (n - 1) * c.dim, checkpoint.rmsFinal, c.dim)
        linear([.init(out: logits, w: checkpoint.classifier, d: c.vocabSize)], xFinal, n: c.dim, tokens: 1)
        return logits
    }

    /// One transformer layer for the tokens in rows 0..<n of X, at positions start..<start+n.
    func layer(_ l: Int, count n: Int, start: Int) {
        let c = config, w = checkpoint
        let dim = c.dim, kvDim = c.kvDim, hidden = c.hiddenDim
        // Attention: rmsnorm, q/k/v in one pass (k and v straight into the cache rows of these
        // positions), RoPE, causal attention over the cache, output projection, residual.
        for t in 0..<n { Kernels.rmsnorm(XB + t * dim, X + t * dim, w.rmsAtt + l * dim, dim) }
        let loff = l * c.seqLen * kvDim
        let K = keyCache + loff + start * kvDim, V = valueCache + loff + start * kvDim  // (n, kv_dim) each
        linear([.init(out: Q, w: w.matrix(.wq, layer: l), d: dim), .init(out: K, w: w.matrix(.wk, layer: l), d: kvDim),
                .init(out: V, w: w.matrix(.wv, layer: l), d: kvDim)], XB, n: dim, tokens: n)
        let half = c.headSize / 2
        for t in 0..<n {
            Kernels.rope(q: Q + t * dim, k: K + t * kvDim, dim: dim, kvDim: kvDim, headSize: c.headSize, cos: ropeCos + t * half, sin: ropeSin + t * half)
        }
        attention(layer: l, count: n, start: start)  // Q → XB
        linear([.init(out: XB2, w: w.matrix(.wo, layer: l), d: dim)], XB, n: dim, tokens: n)
        for i in 0..<(n * dim) { X[i] += XB2[i] }
        // FFN: rmsnorm, w2(silu(w1 x) * w3 x), residual.
        for t in 0..<n { Kernels.rmsnorm(XB + t * dim, X + t * dim, w.rmsFFN + l * dim, dim) }
        linear([.init(out: HB, w: w.matrix(.w1, layer: l), d: hidden), .init(out: HB2, w: w.matrix(.w3, layer: l), d: hidden)],
               XB, n: dim, tokens: n)
        for i in 0..<(n * hidden) { let s = HB[i]; HB[i] = s * (1 / (1 + expf(-s))) * HB2[i] }
        linear([.init(out: XB, w: w.matrix(.w2, layer: l), d: dim)], HB, n: hidden, tokens: n)
        for i in 0..<(n * dim) { X[i] += XB[i] }
    }

    /// The products of one input (T, n): quantized first for int8 weights.
    @inline(__always)
    func linear(_ jobs: [Linear.Job], _ x: UnsafePointer<Float>, n: Int, tokens: Int) {
        let gs = checkpoint.groupSize
        Linear.run(jobs, Linear.Input(x: x, xq: gs > 0 ? XQ : nil, xs: gs > 0 ? XS : nil, groupSize: gs), n: n, tokens: tokens, threads: threads)
    }

    /// Causal attention of the queries in Q (n, dim) at positions start..<start+n over the cached
    /// keys/values of `layer`, written to XB (n, dim). Query head h reads kv head h / kv_mul
    /// (grouped-query attention). The (token, head) pairs are split across the pool's threads, each
    /// with its own row of `att`.
    func attention(layer l: Int, count n: Int, start: Int) {
        let c = config
        let pairs = n * c.nHeads
        let work = pairs * (start + n) * c.headSize
        if threads <= 1 || work < 1 << 15 {
            for p in 0..<pairs { attend(p, c.nHeads, start: start, layer: l, scores: att) }
            return
        }
        let parts = min(threads, pairs)
        let s = Kernels.Shared(value: self)
        WorkerPool.shared(threads: parts).run { t in
            let me = s.value
            for p in (pairs * t / parts)..<(pairs * (t + 1) / parts) {
                me.attend(p, c.nHeads, start: start, layer: l, scores: me.att + t * c.seqLen)
            }
        }
    }

    /// Pair p = token (p / heads), head (p % heads): scores (pos + 1), softmax, weighted values.
    @inline(__always)
    func attend(_ p: Int, _ heads: Int, start: Int, layer l: Int, scores a: UnsafeMutablePointer<Float>) {
        let c = config
        let hs = c.headSize, kvDim = c.kvDim
        let t = p / heads, h = p % heads
        let pos = start + t
        let loff = l * c.seqLen * kvDim
        let qh = Q + t * c.dim + h * hs
        let kvh = (h / c.kvMul) * hs
        let root = Float(hs).squareRoot()
        for s in 0...pos { a[s] = Kernels.dot(qh, keyCache + loff + s * kvDim + kvh, hs) / root }
        Kernels.softmax(a, pos + 1)
        let o = XB + t * c.dim + h * hs
        o.initialize(repeating: 0, count: hs)
        for s in 0...pos {
            let vt = valueCache + loff + s * kvDim + kvh
            let at = a[s]
            for i in 0..<hs { o[i] += at * vt[i] }
        }
    }
}
