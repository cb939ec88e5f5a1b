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

    /// dst(cols, rows) = src(rows, cols)ᵀ.
    static func transpose(_ dst: P, _ src: UnsafePointer<Float>, rows: Int, cols: Int) {
        let bs = 32
        var r0 = 0
        while r0 < rows {
            var c0 = 0
            while c0 < cols {
                for r in r0..<min(r0 + bs, rows) {
                    for c in c0..<min(c0 + bs, cols) { dst[c * rows + r] = src[r * cols + c] }
                }
                c0 += bs
            }
            r0 += bs
        }
    }

    /// dW(O, I) += dYᵀ · X and dX(N, I) += dY · W (dX may be nil). Both are rewritten as products of
    /// row-major operands (via transposes), so they run on the same fast kernel as the forward pass.
    static func backward(dx: P?, dw: P, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         n: Int, inDim: Int, outDim: Int, threads: Int) {
        let dyT = P.allocate(capacity: outDim * n), xT = P.allocate(capacity: inDim * n)
        let tmp = P.allocate(capacity: max(outDim * inDim, n * inDim))
        defer { dyT.deallocate(); xT.deallocate(); tmp.deallocate() }
        transpose(dyT, dy, rows: n, cols: outDim)
        transpose(xT, x, rows: n, cols: inDim)
        // tmp(O, I)[o][i] = dot(dyT[o], xT[i]) over the n tokens.
        Kernels.matmulBatch(tmp, xT, dyT, n: n, d: outDim, tokens: inDim, threads: threads)
        // matmulBatch wrote out[t * d + o] with t over inDim: that is tmp(I, O); add its transpose.
        for i in 0..<inDim {
            let row = tmp + i * outDim
            for o in 0..<outDim { dw[o * inDim + i] += row[o] }
        }
        guard let dx else { return }
        let wT = P.allocate(capacity: inDim * outDim)
        defer { wT.deallocate() }
        transpose(wT, w, rows: outDim, cols: inDim)
        // tmp(N, I)[t][i] = dot(dy[t], wT[i]) over the outDim features.
        Kernels.matmulBatch(tmp, dy, wT, n: outDim, d: inDim, tokens: n, threads: threads)
        for j in 0..<(n * inDim) { dx[j] += tmp[j] }
    }
}
