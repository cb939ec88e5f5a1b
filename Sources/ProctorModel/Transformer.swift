import CProctorKernels
import Foundation

/// A Llama-architecture transformer over a mapped checkpoint, in the shape of llama2.c `run.c`
/// (and `runq.c` for int8 files): run state buffers and one layer implementation, which decode runs
/// for one token and prefill for a block of prompt tokens.
///
/// The weights are immutable and shared by every request; each `Transformer` has its own run state
/// (KV cache and scratch buffers, allocated once and grown only for a longer prompt block: no
/// allocation per token).
public final class Transformer {
    /// The weights, mapped once and shared read-only with every other transformer over them.
    public let checkpoint: Checkpoint
    /// The model's shape, from the checkpoint.
    public var config: ModelConfig { checkpoint.config }
    /// Threads for the matrix products and attention (work is split only where each thread gets
    /// at least `WorkerPool.minWorkPerThread`).
    public let threads: Int
    /// This transformer's own worker pool, started at the first split (none at one thread): two
    /// transformers never wait on each other's pool.
    var pool: WorkerPool {
        if let p = _pool { return p }
        let p = WorkerPool(threads: threads)
        _pool = p
        return p
    }
    private var _pool: WorkerPool?

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
    let att: UnsafeMutablePointer<Float>     // (threads, 32, seq_len) attention scores of a query block, one per worker
    /// Logits of the last token run, `[vocab]`; `forward` and `prefill` return this buffer and overwrite it on every call.
    public let logits: UnsafeMutablePointer<Float>  // (vocab)
    let keyCache: UnsafeMutablePointer<Float>    // (layer, seq_len, kv_dim)
    let valueCache: UnsafeMutablePointer<Float>  // (layer, seq_len, kv_dim)

    /// Makes run state over `checkpoint`: its own KV cache `[layer × seq_len × kv_dim]` and scratch buffers, with products split over `threads` threads (at least 1).
    public init(checkpoint: Checkpoint, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.checkpoint = checkpoint
        self.threads = max(1, threads)
        let c = checkpoint.config
        xFinal = Self.zeros(c.dim)
        att = Self.zeros(max(self.threads, 1) * Self.attentionRows * c.seqLen)
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

    /// The mean of the final-normed hidden states of `tokens` (at most the context; positions from
    /// 0), as a demonstration embedding: it lets `/v1/embeddings` and embedding similarity work
    /// offline, but a model trained to predict tokens is not a semantic embedding model.
    public func meanHiddenState(_ tokens: [Int]) -> [Float] {
        let used = Array(tokens.prefix(config.seqLen))
        let dim = config.dim
        var mean = [Float](repeating: 0, count: dim)
        guard !used.isEmpty else { return mean }
        _ = prefill(used, start: 0)
        // After the block ran, X holds every token's last residual: normalise each as the final norm does.
        let row = UnsafeMutablePointer<Float>.allocate(capacity: dim)
        defer { row.deallocate() }
        for t in 0..<used.count {
            Kernels.rmsnorm(row, X + t * dim, checkpoint.rmsFinal, dim)
            for i in 0..<dim { mean[i] += row[i] }
        }
        for i in 0..<dim { mean[i] /= Float(used.count) }
        return mean
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
        rows(n, width: dim) { me, t in Kernels.rmsnorm(me.XB + t * dim, me.X + t * dim, w.rmsAtt + l * dim, dim) }
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
        rows(n, width: dim) { me, t in for i in (t * dim)..<((t + 1) * dim) { me.X[i] += me.XB2[i] } }
        // FFN: rmsnorm, w2(silu(w1 x) * w3 x), residual.
        rows(n, width: dim) { me, t in Kernels.rmsnorm(me.XB + t * dim, me.X + t * dim, w.rmsFFN + l * dim, dim) }
        linear([.init(out: HB, w: w.matrix(.w1, layer: l), d: hidden), .init(out: HB2, w: w.matrix(.w3, layer: l), d: hidden)],
               XB, n: dim, tokens: n)
        rows(n, width: hidden * 8) { me, t in
            for i in (t * hidden)..<((t + 1) * hidden) { let s = me.HB[i]; me.HB[i] = s * (1 / (1 + expf(-s))) * me.HB2[i] }
        }
        linear([.init(out: XB, w: w.matrix(.w2, layer: l), d: dim)], HB, n: hidden, tokens: n)
        rows(n, width: dim) { me, t in for i in (t * dim)..<((t + 1) * dim) { me.X[i] += me.XB[i] } }
    }

    /// `body(self, t)` for each token row t of a block, split across the pool's threads when the
    /// block is large (prefill); every row is computed as one thread would, so results do not
    /// depend on the split.
    @inline(__always)
    func rows(_ n: Int, width: Int, _ body: @escaping (Transformer, Int) -> Void) {
        let parts = WorkerPool.parts(work: n * width, threads: min(threads, n))
        if parts <= 1 {
            for t in 0..<n { body(self, t) }
            return
        }
        let s = Kernels.Shared(value: self)
        pool.run(parts: parts) { p in
            for t in (n * p / parts)..<(n * (p + 1) / parts) { body(s.value, t) }
        }
    }

    /// The products of one input (T, n): quantized first for int8 weights.
    @inline(__always)
    func linear(_ jobs: [Linear.Job], _ x: UnsafePointer<Float>, n: Int, tokens: Int) {
        let gs = checkpoint.groupSize
        Linear.run(jobs, Linear.Input(x: x, xq: gs > 0 ? XQ : nil, xs: gs > 0 ? XS : nil, groupSize: gs), n: n, tokens: tokens,
                   threads: threads, pool: { self.pool })
    }

    /// Query rows per attention block.
    static let attentionRows = 32

    /// Causal attention of the queries in Q (n, dim) at positions start..<start+n over the cached
    /// keys/values of `layer`, written to XB (n, dim), as matrix products per head and block of up
    /// to 32 queries: S = Q·Kᵀ over the keys the block can see (one head's slice of the cache rows,
    /// read in place), scaled by 1/√head_size, each row masked to its own past and softmaxed, then
    /// O = S·V. Query head h reads kv head h / kv_mul (grouped-query attention). The (head, block)
    /// pairs are split across the pool's threads, each with its own scores buffer. Decode is the
    /// one-query case of the same code, so a token gives the same bits alone or in a prompt block.
    func attention(layer l: Int, count n: Int, start: Int) {
        let c = config
        let blocks = (n + Self.attentionRows - 1) / Self.attentionRows
        let pairs = c.nHeads * blocks
        let work = n * (start + n) * c.headSize * c.nHeads
        let parts = WorkerPool.parts(work: work, threads: min(threads, pairs))
        if parts <= 1 {
            for p in 0..<pairs { attendBlock(p, blocks: blocks, count: n, start: start, layer: l, scores: att) }
            return
        }
        let s = Kernels.Shared(value: self)
        pool.run(parts: parts) { t in
            let me = s.value
            for p in (pairs * t / parts)..<(pairs * (t + 1) / parts) {
                me.attendBlock(p, blocks: blocks, count: n, start: start, layer: l, scores: me.att + t * Self.attentionRows * c.seqLen)
            }
        }
    }

    /// Pair p = head (p / blocks), query block (p % blocks); `S` (32, seq_len) scratch.
    func attendBlock(_ p: Int, blocks: Int, count n: Int, start: Int, layer l: Int, scores S: UnsafeMutablePointer<Float>) {
        let c = config
        let hs = c.headSize, kvDim = c.kvDim
        let h = p / blocks, r0 = (p % blocks) * Self.attentionRows, r1 = min(r0 + Self.attentionRows, n)
        let rows = r1 - r0, keys = start + r1  // the last query of the block sees keys 0..<keys
        let loff = l * c.seqLen * kvDim, kvh = (h / c.kvMul) * hs
        let root = Float(hs).squareRoot()
        proctor_xwt_strided(Linear.xwtLevel, S, keys, Q + r0 * c.dim + h * hs, c.dim, keyCache + loff + kvh, kvDim, hs, rows, 0, keys)
        for r in 0..<rows {
            let row = S + r * keys, seen = start + r0 + r + 1
            for j in 0..<seen { row[j] /= root }
            Kernels.softmax(row, seen)
            if seen < keys { (row + seen).initialize(repeating: 0, count: keys - seen) }
        }
        proctor_gemm_strided(Linear.gemmLevel, XB + r0 * c.dim + h * hs, c.dim, S, keys, 1, valueCache + loff + kvh, kvDim, hs, keys, 0, rows, 0)
    }

}
