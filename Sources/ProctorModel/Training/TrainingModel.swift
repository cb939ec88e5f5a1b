import Foundation

/// Forward and backward passes for training, written by hand (no autograd): embedding, RMSNorm,
/// attention with RoPE and grouped-query heads, SwiGLU, classifier and cross-entropy. Activations for
/// a batch of `B` sequences of `T` tokens are kept for the backward pass.
public final class TrainingModel {
    /// The shape of the model being trained.
    public let config: ModelConfig
    /// The weights the passes read, shared with the trainer and its optimizer.
    public let params: ParameterSet
    /// Gradients laid out like `params.data`; `backward` adds into them, so callers zero them first.
    public var grads: [Float]
    /// Sequences per batch (`B`).
    public let batch: Int
    /// Tokens per sequence (`T`); positions run from 0 to `seqLen - 1`.
    public let seqLen: Int
    /// Threads for the training step's matrix products and row passes.
    public var threads: Int { pool.threads }
    /// The model's own worker pool (one per model: nothing shared between trainings).
    let pool: WorkerPool

    typealias P = UnsafeMutablePointer<Float>
    // Activations, per layer where marked (layer, B*T, width).
    let xs: P        // residual stream entering each layer (L+1, N, d): xs[L] is the final stream
    let xn1: P       // attention rmsnorm output (L, N, d)
    let r1: P        // its reciprocal rms (L, N)
    let q: P         // queries after RoPE (L, N, d)
    let k: P         // keys after RoPE (L, N, kv)
    let v: P         // values (L, N, kv)
    let att: P       // attention probabilities (L, B, H, T, T)
    let ao: P        // attention output before wo (L, N, d)
    let xmid: P      // stream after attention (L, N, d)
    let xn2: P       // FFN rmsnorm output (L, N, d)
    let r2: P        // (L, N)
    let h1: P        // w1 x (L, N, hidden)
    let h3: P        // w3 x (L, N, hidden)
    let g: P         // silu(h1) * h3 (L, N, hidden)
    let xf: P        // final rmsnorm output (N, d)
    let rf: P        // (N)
    let probs: P     // softmax of the logits (N, V)
    // Gradient scratch.
    let dx: P, dtmp: P, dq: P, dk: P, dv: P, dh1: P, dh3: P, dg: P, dxn: P, dlogits: P
    let cosT: [Float], sinT: [Float]

    var N: Int { batch * seqLen }

    /// Allocates activations and gradient scratch for `batch` sequences of `seqLen` tokens, the RoPE tables and a pool of `threads` threads; `grads` starts at zero.
    public init(config: ModelConfig, params: ParameterSet, batch: Int, seqLen: Int, threads: Int) {
        self.config = config
        self.params = params
        self.batch = batch
        self.seqLen = seqLen
        pool = WorkerPool(threads: max(1, threads))
        grads = [Float](repeating: 0, count: params.data.count)
        let N = batch * seqLen, d = config.dim, kv = config.kvDim, hd = config.hiddenDim, L = config.nLayers, V = config.vocabSize
        func buf(_ n: Int) -> P { let p = P.allocate(capacity: max(1, n)); p.initialize(repeating: 0, count: max(1, n)); return p }
        xs = buf((L + 1) * N * d); xn1 = buf(L * N * d); r1 = buf(L * N); q = buf(L * N * d); k = buf(L * N * kv); v = buf(L * N * kv)
        att = buf(L * batch * config.nHeads * seqLen * seqLen); ao = buf(L * N * d); xmid = buf(L * N * d); xn2 = buf(L * N * d); r2 = buf(L * N)
        h1 = buf(L * N * hd); h3 = buf(L * N * hd); g = buf(L * N * hd); xf = buf(N * d); rf = buf(N); probs = buf(N * V)
        dx = buf(N * d); dtmp = buf(N * max(d, hd)); dq = buf(N * d); dk = buf(N * kv); dv = buf(N * kv); dh1 = buf(N * hd); dh3 = buf(N * hd)
        dg = buf(N * hd); dxn = buf(N * d); dlogits = buf(N * V)
        // RoPE tables for positions 0..<seqLen, pairs (2j, 2j+1) of each head, as the inference code computes them.
        let hs = config.headSize
        var c = [Float](), s = [Float]()
        for pos in 0..<seqLen {
            for i in stride(from: 0, to: hs, by: 2) {
                let f = 1 / powf(10000, Float(i) / Float(hs))
                c.append(cosf(Float(pos) * f)); s.append(sinf(Float(pos) * f))
            }
        }
        cosT = c; sinT = s
    }

    deinit {
        for p in [xs, xn1, r1, q, k, v, att, ao, xmid, xn2, r2, h1, h3, g, xf, rf, probs, dx, dtmp, dq, dk, dv, dh1, dh3, dg, dxn, dlogits] { p.deallocate() }
    }

    // MARK: - Pieces

    /// out = w ⊙ x · r per row, r = 1 / rms(x) kept for the backward pass; rows split across threads.
    func rmsnormForward(_ out: P, _ rOut: P, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, rows: Int, dim: Int) {
        let s = Kernels.Shared(value: (out, rOut, x, w))
        TrainKernels.rows(rows, width: dim, cost: 2, pool: pool) { lo, hi in
            let (out, rOut, x, w) = s.value
            for t in lo..<hi {
                let xr = x + t * dim, o = out + t * dim
                var ss: Float = 0
                for j in 0..<dim { ss += xr[j] * xr[j] }
                let r = 1 / (ss / Float(dim) + 1e-5).squareRoot()
                rOut[t] = r
                for j in 0..<dim { o[j] = w[j] * (r * xr[j]) }
            }
        }
    }

    /// dx += ∂/∂x, dw += ∂/∂w of y = w ⊙ x · r(x). dx rows are split across threads; dw columns are
    /// (each column summed over the rows in order), so the result does not depend on the split.
    func rmsnormBackward(_ dx: P, _ dw: P, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                         _ r: UnsafePointer<Float>, rows: Int, dim: Int) {
        let s = Kernels.Shared(value: (dx, dw, dy, x, w, r))
        TrainKernels.rows(rows, width: dim, cost: 4, pool: pool) { lo, hi in
            let (dx, _, dy, x, w, r) = s.value
            for t in lo..<hi {
                let xr = x + t * dim, dyr = dy + t * dim, dxr = dx + t * dim
                let rt = r[t]
                var dot: Float = 0
                for j in 0..<dim { dot += dyr[j] * w[j] * xr[j] }
                let c = rt * rt * rt * dot / Float(dim)
                for j in 0..<dim { dxr[j] += rt * w[j] * dyr[j] - c * xr[j] }
            }
        }
        TrainKernels.parallel(dim, pool: pool, minWork: rows * dim * 2) { lo, hi in
            let (_, dw, dy, x, _, r) = s.value
            for t in 0..<rows {
                let xr = x + t * dim, dyr = dy + t * dim, rt = r[t]
                for j in lo..<hi { dw[j] += dyr[j] * xr[j] * rt }
            }
        }
    }

    /// out = a + b over n floats, split across threads.
    func add(_ out: P, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) {
        let s = Kernels.Shared(value: (out, a, b))
        TrainKernels.parallel(n, pool: pool, minWork: n / 4) { lo, hi in
            let (out, a, b) = s.value
            for i in lo..<hi { out[i] = a[i] + b[i] }
        }
    }

    /// Rotates interleaved pairs of each head by +θ (forward) or −θ (backward).
    func rope(_ x: P, rows: Int, width: Int, inverse: Bool) {
        let s = Kernels.Shared(value: (x, self))
        TrainKernels.rows(rows, width: width, cost: 2, pool: pool) { lo, hi in
            let (x, me) = s.value
            me.ropeRows(x, lo, hi, width: width, inverse: inverse)
        }
    }

    func ropeRows(_ x: P, _ lo: Int, _ hi: Int, width: Int, inverse: Bool) {
        let hs = config.headSize, half = hs / 2
        for t in lo..<hi {
            let pos = t % seqLen
            let row = x + t * width
            var i = 0
            while i < width {
                let j = (i % hs) / 2
                let c = cosT[pos * half + j], s = inverse ? -sinT[pos * half + j] : sinT[pos * half + j]
                let a = row[i], b = row[i + 1]
                row[i] = a * c - b * s
                row[i + 1] = a * s + b * c
                i += 2
            }
        }
    }
}
