import Foundation

/// Matrix kernels for training: forward `Y = X Wᵀ` and its two gradients. Rows are split across
/// the worker pool so each thread owns the rows it writes; sums always run in the same order, so
/// results are bit-identical whatever the thread count.
enum TrainKernels {
    typealias P = UnsafeMutablePointer<Float>

    /// y += a * x over n floats.
    @inline(__always)
    static func axpy(_ y: P, _ x: UnsafePointer<Float>, _ a: Float, _ n: Int) {
        let av = SIMD8<Float>(repeating: a)
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 8 <= n {
            let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + av * rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    static func parallel(_ count: Int, threads: Int, minWork: Int, _ body: @escaping (Int, Int) -> Void) {
        let parts = min(max(1, threads), count)
        if parts <= 1 || minWork < 1 << 14 { body(0, count); return }
        WorkerPool.shared(threads: parts).run { t in body(count * t / parts, count * (t + 1) / parts) }
    }

    /// Y(N, O) = X(N, I) · W(O, I)ᵀ.
    static func forward(_ y: P, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, n: Int, inDim: Int, outDim: Int, threads: Int) {
        Kernels.matmulBatch(y, x, w, n: inDim, d: outDim, tokens: n, threads: threads)
    }

    /// dW(O, I) += dYᵀ · X and dX(N, I) += dY · W (dX may be nil).
    static func backward(dx: P?, dw: P, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         n: Int, inDim: Int, outDim: Int, threads: Int) {
        let s = Kernels.Shared(value: (dx, dw, dy, x, w))
        // dW: each thread owns a block of output rows.
        parallel(outDim, threads: threads, minWork: n * inDim * outDim) { lo, hi in
            let (_, dw, dy, x, _) = s.value
            for o in lo..<hi {
                let row = dw + o * inDim
                for t in 0..<n {
                    let g = dy[t * outDim + o]
                    if g != 0 { axpy(row, x + t * inDim, g, inDim) }
                }
            }
        }
        guard dx != nil else { return }
        // dX: each thread owns a block of tokens.
        parallel(n, threads: threads, minWork: n * inDim * outDim) { lo, hi in
            let (dx, _, dy, _, w) = s.value
            for t in lo..<hi {
                let row = dx! + t * inDim
                for o in 0..<outDim {
                    let g = dy[t * outDim + o]
                    if g != 0 { axpy(row, w + o * inDim, g, inDim) }
                }
            }
        }
    }
}
