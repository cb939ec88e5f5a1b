import Dispatch

/// Where a model's parallelism is: inside one generation (its matrix products split across
/// threads) or across generations (several cases at once, one thread each).
///
/// The rule, stated once and used by the `builtin` backend and `proctor model serve`: a model whose
/// products mostly split under `WorkerPool.parts` on this machine's cores (at least half of a
/// token's multiply-adds) runs each generation on every core, one generation at a time; a smaller
/// model runs each generation on one thread and as many generations at once as there are cores
/// (the harness's `-j` and the server's `--max-concurrency` cap that further). An explicit thread
/// count overrides it, and then `cores / threads` generations run at once.
public enum Schedule {
    /// Multiply-adds of one token's products, and how many of them split across `cores` threads.
    public static func tokenWork(_ c: ModelConfig, cores: Int) -> (total: Int, split: Int) {
        let products = [(c.dim + 2 * c.kvDim) * c.dim, c.dim * c.dim, 2 * c.hiddenDim * c.dim, c.dim * c.hiddenDim]
        var total = 0, split = 0
        for p in products {
            total += p * c.nLayers
            if WorkerPool.parts(work: p, threads: cores) > 1 { split += p * c.nLayers }
        }
        let cls = c.vocabSize * c.dim
        total += cls
        if WorkerPool.parts(work: cls, threads: cores) > 1 { split += cls }
        return (total, split)
    }

    /// Splitting this model's products across `cores` threads pays for most of its work.
    public static func splitPays(_ c: ModelConfig, cores: Int) -> Bool {
        let w = tokenWork(c, cores: cores)
        return cores > 1 && w.split * 2 >= w.total
    }

    /// Threads per generation and generations at once on `cores`, with an explicit `threads` override.
    public static func plan(_ c: ModelConfig, cores: Int, threads: Int? = nil) -> (threads: Int, concurrent: Int) {
        let cores = max(1, cores)
        if let t = threads { return (max(1, t), max(1, cores / max(1, t))) }
        return splitPays(c, cores: cores) ? (cores, 1) : (1, cores)
    }
}

/// Where splitting a product across threads starts to pay on this machine: fp32 matrix-vector
/// products of growing size, timed on one thread and split across a pool (`proctor model bench --split`).
public enum SplitBenchmark {
    /// One size: multiply-adds per product, microseconds on one thread and split.
    public struct Row: Sendable {
        /// Multiply-adds in one product (`d × d` for the `d`-wide square).
        public let work: Int
        /// Best time of one product on one thread, in microseconds.
        public let singleMicros: Double
        /// Best time of one product split across the pool's threads, in microseconds.
        public let splitMicros: Double
        /// One thread's time over the split's: above 1, splitting pays.
        public var speedup: Double { singleMicros / splitMicros }
    }

    /// Square products from 64×64 to 1024×1024 on `threads` threads (best of `repeats` runs each).
    public static func measure(threads: Int, repeats: Int = 200) -> [Row] {
        let pool = WorkerPool(threads: max(2, threads))
        var rows: [Row] = []
        var d = 64
        while d <= 1024 {
            let n = d
            let w = UnsafeMutablePointer<Float>.allocate(capacity: d * n)
            let x = UnsafeMutablePointer<Float>.allocate(capacity: n)
            let out = UnsafeMutablePointer<Float>.allocate(capacity: d)
            defer { w.deallocate(); x.deallocate(); out.deallocate() }
            for i in 0..<(d * n) { w[i] = Float(i % 7) * 0.01 }
            for i in 0..<n { x[i] = Float(i % 5) * 0.1 }
            let s = Kernels.Shared(value: (out, x, UnsafePointer(w)))
            func time(_ body: () -> Void) -> Double {
                var best = Double.infinity
                for _ in 0..<repeats {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    body()
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3)
                }
                return best
            }
            let single = time { Kernels.rows(out, x, w, n: n, 0, d) }
            let parts = pool.threads
            let split = time {
                pool.run(parts: parts) { t in
                    let (o, xx, ww) = s.value
                    Kernels.rows(o, xx, ww, n: n, d * t / parts, d * (t + 1) / parts)
                }
            }
            rows.append(Row(work: d * n, singleMicros: single, splitMicros: split))
            d *= 2
        }
        return rows
    }
}
