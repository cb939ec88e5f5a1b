import Foundation

/// A Llama-architecture transformer over a mapped checkpoint, in the shape of llama2.c `run.c`:
/// run state buffers, one `forward` that reads top to bottom, and a batched `prefill`.
///
/// The weights are immutable and shared by every request; each `Transformer` has its own run state
/// (KV cache and scratch buffers, allocated once: no allocation per token).
public final class Transformer {
    public let checkpoint: Checkpoint
    public var config: ModelConfig { checkpoint.config }
    /// Threads for the matrix products.
    public var threads: Int

    // Run state (buffers owned here):
    let x: UnsafeMutablePointer<Float>       // (dim) activation
    let xb: UnsafeMutablePointer<Float>      // (dim) activation inside a residual branch
    let xb2: UnsafeMutablePointer<Float>     // (dim)
    let hb: UnsafeMutablePointer<Float>      // (hidden)
    let hb2: UnsafeMutablePointer<Float>     // (hidden)
    let q: UnsafeMutablePointer<Float>       // (dim)
    let att: UnsafeMutablePointer<Float>     // (n_heads, seq_len) attention scores
    public let logits: UnsafeMutablePointer<Float>  // (vocab)
    let keyCache: UnsafeMutablePointer<Float>    // (layer, seq_len, kv_dim)
    let valueCache: UnsafeMutablePointer<Float>  // (layer, seq_len, kv_dim)
    // Prefill scratch (grown on demand): (tokens, width) matrices.
    var batchCapacity = 0
    var bx: UnsafeMutablePointer<Float>?, bxb: UnsafeMutablePointer<Float>?, bq: UnsafeMutablePointer<Float>?
    var bk: UnsafeMutablePointer<Float>?, bv: UnsafeMutablePointer<Float>?, bhb: UnsafeMutablePointer<Float>?, bhb2: UnsafeMutablePointer<Float>?

    public init(checkpoint: Checkpoint, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.checkpoint = checkpoint
        self.threads = max(1, threads)
        let c = checkpoint.config
        func buf(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        x = buf(c.dim); xb = buf(c.dim); xb2 = buf(c.dim); hb = buf(c.hiddenDim); hb2 = buf(c.hiddenDim); q = buf(c.dim)
        att = buf(c.nHeads * c.seqLen); logits = buf(c.vocabSize)
        keyCache = buf(c.nLayers * c.seqLen * c.kvDim); valueCache = buf(c.nLayers * c.seqLen * c.kvDim)
    }

    deinit {
        for p in [x, xb, xb2, hb, hb2, q, att, logits, keyCache, valueCache] { p.deallocate() }
        for p in [bx, bxb, bq, bk, bv, bhb, bhb2] { p?.deallocate() }
    }

    /// Logits for `token` at position `pos` (0 ≤ pos < seq_len), extending the KV cache.
    @discardableResult
    public func forward(token: Int, pos: Int) -> UnsafeMutablePointer<Float> {
        let c = config, w = checkpoint
        let dim = c.dim, kvDim = c.kvDim, hidden = c.hiddenDim, hs = c.headSize
        (x as UnsafeMutablePointer<Float>).update(from: w.tokenEmbedding + token * dim, count: dim)
        for l in 0..<c.nLayers {
            // Attention: rmsnorm, q/k/v (k and v straight into the cache), RoPE, scores, weighted values.
            Kernels.rmsnorm(xb, x, w.rmsAtt + l * dim, dim)
            let loff = l * c.seqLen * kvDim
            let k = keyCache + loff + pos * kvDim, v = valueCache + loff + pos * kvDim
            Kernels.matmulFused([(q, w.wq + l * dim * dim, dim), (k, w.wk + l * dim * kvDim, kvDim), (v, w.wv + l * dim * kvDim, kvDim)],
                                xb, n: dim, threads: threads)
            Kernels.rope(q: q, k: k, pos: pos, dim: dim, kvDim: kvDim, headSize: hs)
            attention(layer: l, pos: pos, q: q, out: xb)
            Kernels.matmul(xb2, xb, w.wo + l * dim * dim, n: dim, d: dim, threads: threads)
            for i in 0..<dim { x[i] += xb2[i] }
            // FFN: rmsnorm, w2(silu(w1 x) * w3 x).
            Kernels.rmsnorm(xb, x, w.rmsFFN + l * dim, dim)
            Kernels.matmulFused([(hb, w.w1 + l * dim * hidden, hidden), (hb2, w.w3 + l * dim * hidden, hidden)], xb, n: dim, threads: threads)
            for i in 0..<hidden { let s = hb[i]; hb[i] = s * (1 / (1 + expf(-s))) * hb2[i] }
            Kernels.matmul(xb, hb, w.w2 + l * dim * hidden, n: hidden, d: dim, threads: threads)
            for i in 0..<dim { x[i] += xb[i] }
        }
        Kernels.rmsnorm(x, x, w.rmsFinal, dim)
        Kernels.matmul(logits, x, w.wcls, n: dim, d: c.vocabSize, threads: threads)
        return logits
    }

    /// Causal attention of query vector `q` (dim) at `pos` over the cached keys/values of `layer`,
    /// written to `out` (dim). Query head h reads kv head h / kv_mul (grouped-query attention).
    func attention(layer l: Int, pos: Int, q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let c = config
        let hs = c.headSize, kvDim = c.kvDim
        let loff = l * c.seqLen * kvDim
        let scale = 1 / Float(hs).squareRoot()
        for h in 0..<c.nHeads {
            let qh = q + h * hs
            let a = att + h * c.seqLen
            let kvh = (h / c.kvMul) * hs
            for t in 0...pos { a[t] = Kernels.dot(qh, keyCache + loff + t * kvDim + kvh, hs) * scale }
            Kernels.softmax(a, pos + 1)
            let o = out + h * hs
            o.initialize(repeating: 0, count: hs)
            for t in 0...pos {
                let vt = valueCache + loff + t * kvDim + kvh
                let at = a[t]
                for i in 0..<hs { o[i] += at * vt[i] }
            }
        }
    }

    func ensureBatch(_ n: Int) {
        guard n > batchCapacity else { return }
        for p in [bx, bxb, bq, bk, bv, bhb, bhb2] { p?.deallocate() }
        let c = config
        bx = .allocate(capacity: n * c.dim); bxb = .allocate(capacity: n * c.dim); bq = .allocate(capacity: n * c.dim)
        bk = .allocate(capacity: n * c.kvDim); bv = .allocate(capacity: n * c.kvDim)
        bhb = .allocate(capacity: n * c.hiddenDim); bhb2 = .allocate(capacity: n * c.hiddenDim)
        batchCapacity = n
    }

    /// Runs `tokens` at positions `start..<start+count` as one batch (each weight read once per
    /// four tokens) and leaves the logits of the last one in `logits`. Same results as calling
    /// `forward` for each token.
    @discardableResult
    public func prefill(_ tokens: [Int], start: Int) -> UnsafeMutablePointer<Float> {
        let n = tokens.count
        precondition(n > 0 && start + n <= config.seqLen)
        if n == 1 { return forward(token: tokens[0], pos: start) }
        ensureBatch(n)
        let c = config, w = checkpoint
        let dim = c.dim, kvDim = c.kvDim, hidden = c.hiddenDim, hs = c.headSize
        let X = bx!, XB = bxb!, Q = bq!, K = bk!, V = bv!, HB = bhb!, HB2 = bhb2!
        for (t, tok) in tokens.enumerated() { (X + t * dim).update(from: w.tokenEmbedding + tok * dim, count: dim) }
        for l in 0..<c.nLayers {
            for t in 0..<n { Kernels.rmsnorm(XB + t * dim, X + t * dim, w.rmsAtt + l * dim, dim) }
            Kernels.matmulBatch(Q, XB, w.wq + l * dim * dim, n: dim, d: dim, tokens: n, threads: threads)
            Kernels.matmulBatch(K, XB, w.wk + l * dim * kvDim, n: dim, d: kvDim, tokens: n, threads: threads)
            Kernels.matmulBatch(V, XB, w.wv + l * dim * kvDim, n: dim, d: kvDim, tokens: n, threads: threads)
            let loff = l * c.seqLen * kvDim
            for t in 0..<n {
                Kernels.rope(q: Q + t * dim, k: K + t * kvDim, pos: start + t, dim: dim, kvDim: kvDim, headSize: hs)
                (keyCache + loff + (start + t) * kvDim).update(from: K + t * kvDim, count: kvDim)
                (valueCache + loff + (start + t) * kvDim).update(from: V + t * kvDim, count: kvDim)
            }
            for t in 0..<n { attention(layer: l, pos: start + t, q: Q + t * dim, out: XB + t * dim) }
            Kernels.matmulBatch(Q, XB, w.wo + l * dim * dim, n: dim, d: dim, tokens: n, threads: threads)
            for i in 0..<(n * dim) { X[i] += Q[i] }
            for t in 0..<n { Kernels.rmsnorm(XB + t * dim, X + t * dim, w.rmsFFN + l * dim, dim) }
            Kernels.matmulBatch(HB, XB, w.w1 + l * dim * hidden, n: dim, d: hidden, tokens: n, threads: threads)
            Kernels.matmulBatch(HB2, XB, w.w3 + l * dim * hidden, n: dim, d: hidden, tokens: n, threads: threads)
            for i in 0..<(n * hidden) { let s = HB[i]; HB[i] = s * (1 / (1 + expf(-s))) * HB2[i] }
            Kernels.matmulBatch(XB, HB, w.w2 + l * dim * hidden, n: hidden, d: dim, tokens: n, threads: threads)
            for i in 0..<(n * dim) { X[i] += XB[i] }
        }
        let last = X + (n - 1) * dim
        Kernels.rmsnorm(x, last, w.rmsFinal, dim)
        Kernels.matmul(logits, x, w.wcls, n: dim, d: c.vocabSize, threads: threads)
        return logits
    }
}
