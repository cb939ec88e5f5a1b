import CProctorKernels

/// The matrix products of the forward pass, for fp32 and int8 weights and for one token (decode)
/// or a block of tokens (prefill): OUT(T, d) = X(T, n) · W(d, n)ᵀ with W as stored.
///
/// Several products of the same input (q/k/v, or w1/w3) run as one parallel pass: the row ranges
/// of all of them are split across the pool's threads, so a step makes one hand-off per input.
/// For int8 weights the input is quantized once (runq.c `quantize`) and shared by the products.
enum Linear {
    /// CPU levels, detected once (the kernels take the level as an argument, so tests can run
    /// every path side by side).
    static let q8Level = proctor_kernels_q8_level()
    static let xwtLevel = proctor_kernels_xwt_level()
    static let gemmLevel = proctor_kernels_gemm_level()

    /// One product of a fused pass: `d` rows of `w` into `out` (T, d).
    struct Job {
        var out: UnsafeMutablePointer<Float>
        var w: WeightMatrix
        var d: Int
    }

    /// The input of a pass: X (T, n) in fp32, and for int8 weights its quantized form
    /// (xq (T, n) int8 and xs (T, n / groupSize) scales), filled by `run`.
    struct Input {
        var x: UnsafePointer<Float>
        var xq: UnsafeMutablePointer<Int8>?
        var xs: UnsafeMutablePointer<Float>?
        var groupSize: Int
    }

    /// Runs every job over `tokens` input rows of width `n`, split across `pool()`'s threads only
    /// where each gets at least `WorkerPool.minWorkPerThread` multiply-adds.
    static func run(_ jobs: [Job], _ input: Input, n: Int, tokens: Int, threads: Int, pool: () -> WorkerPool) {
        if let xq = input.xq, let xs = input.xs {
            let gs = input.groupSize, groups = n / gs
            let parts = WorkerPool.parts(work: tokens * n * 4, threads: min(threads, tokens))
            if parts <= 1 {
                for t in 0..<tokens { proctor_q8_quantize(q8Level, xq + t * n, xs + t * groups, input.x + t * n, n, gs) }
            } else {
                let p = Kernels.Shared(value: (xq, xs, input.x))
                pool().run(parts: parts) { k in
                    let (xq, xs, x) = p.value
                    for t in (tokens * k / parts)..<(tokens * (k + 1) / parts) { proctor_q8_quantize(q8Level, xq + t * n, xs + t * groups, x + t * n, n, gs) }
                }
            }
        }
        let total = jobs.reduce(0) { $0 + $1.d }
        let parts = WorkerPool.parts(work: total * n * tokens, threads: min(threads, total))
        if parts <= 1 {
            for j in jobs { rows(j, input, n: n, tokens: tokens, 0, j.d) }
            return
        }
        let p = Kernels.Shared(value: (jobs, input))
        pool().run(parts: parts) { t in
            let (jobs, input) = p.value
            var lo = total * t / parts
            let hi = total * (t + 1) / parts
            var base = 0
            for j in jobs {
                let end = base + j.d
                if lo < hi && lo < end {
                    let stop = min(hi, end)
                    rows(j, input, n: n, tokens: tokens, lo - base, stop - base)
                    lo = stop
                }
                base = end
            }
        }
    }

    /// Rows lo..<hi of one job for every token.
    @inline(__always)
    static func rows(_ j: Job, _ input: Input, n: Int, tokens: Int, _ lo: Int, _ hi: Int) {
        switch j.w {
        case .f32(let w):
            if tokens == 1 {
                Kernels.rows(j.out, input.x, w, n: n, lo, hi)
            } else {
                proctor_xwt_rows(xwtLevel, j.out, input.x, w, n, j.d, tokens, lo, hi)
            }
        case .q8(let w):
            proctor_q8_rows(q8Level, j.out, input.xq, input.xs, tokens, w.values, w.scales, n, j.d, input.groupSize, lo, hi)
        }
    }
}
