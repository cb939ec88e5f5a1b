import Foundation
import CProctorKernels

/// Matrix kernels for training: forward `Y = X Wᵀ` and its two gradients. Rows are split across
/// the worker pool so each thread owns the rows it writes; sums always run in the same order, so
/// results are bit-identical whatever the thread count.
enum TrainKernels {
    typealias P = UnsafeMutablePointer<Float>
    /// The CPU's GEMM level, detected once (every level gives the same bits).
    static let level = proctor_kernels_gemm_level()

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

    /// Runs body over `count` items split into one contiguous range per thread (serially when the
    /// work is small). Element-wise passes split by rows this way compute every row exactly as one
    /// thread would, so results do not depend on the thread count.
    static func parallel(_ count: Int, pool: WorkerPool, minWork: Int, _ body: @escaping (Int, Int) -> Void) {
        let parts = min(pool.threads, count)
        if parts <= 1 || minWork < 1 << 14 { body(0, count); return }
        pool.run(parts: parts) { t in body(count * t / parts, count * (t + 1) / parts) }
    }

    /// `parallel` over rows of `width` floats, the work estimated as rows × width × cost.
    static func rows(_ count: Int, width: Int, cost: Int = 1, pool: WorkerPool, _ body: @escaping (Int, Int) -> Void) {
        parallel(count, pool: pool, minWork: count * width * cost, body)
    }

    /// C(m, n) = A(m, k) · B(k, n), or C += A · B, row-major B and C; A's element (i, k) at
    /// a[i·sa + k·sk] (A: sa = lda, sk = 1; Aᵀ without a copy: sa = 1, sk = lda). Rows of C are split
    /// across the worker pool (each element's sum order is fixed, so results do not depend on the split).
    static func gemm(_ c: P, ldc: Int, _ a: UnsafePointer<Float>, sa: Int, sk: Int = 1, _ b: UnsafePointer<Float>, ldb: Int,
                     m: Int, n: Int, k: Int, accumulate: Bool, pool: WorkerPool) {
        let s = Kernels.Shared(value: (c, a, b))
        parallel(m, pool: pool, minWork: m * n * k / 64) { lo, hi in
            let (c, a, b) = s.value
            proctor_gemm_strided(level, c, ldc, a, sa, sk, b, ldb, n, k, lo, hi, accumulate ? 1 : 0)
        }
    }

    /// Y(N, O) = X(N, I) · W(O, I)ᵀ.
    static func forward(_ y: P, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, n: Int, inDim: Int, outDim: Int, pool: WorkerPool) {
        let wT = P.allocate(capacity: inDim * outDim)
        defer { wT.deallocate() }
        // Each thread transposes a band of W's rows (its own columns of Wᵀ): exact, so no bit moves.
        let st = Kernels.Shared(value: (wT, w))
        parallel(outDim, pool: pool, minWork: inDim * outDim) { lo, hi in
            let (wT, w) = st.value
            transpose(wT + lo, w + lo * inDim, rows: hi - lo, cols: inDim, dstStride: outDim)
        }
        gemm(y, ldc: outDim, x, sa: inDim, wT, ldb: outDim, m: n, n: outDim, k: inDim, accumulate: false, pool: pool)
    }

    /// dst(cols, rows) = src(rows, cols)ᵀ, src rows `stride` floats apart (default: packed), dst rows
    /// `dstStride` apart (default: `rows`, packed).
    static func transpose(_ dst: P, _ src: UnsafePointer<Float>, rows: Int, cols: Int, stride: Int? = nil, dstStride: Int? = nil) {
        let ld = stride ?? cols, ldd = dstStride ?? rows, bs = 32
        var r0 = 0
        while r0 < rows {
            var c0 = 0
            while c0 < cols {
                for r in r0..<min(r0 + bs, rows) {
                    for c in c0..<min(c0 + bs, cols) { dst[c * ldd + r] = src[r * ld + c] }
                }
                c0 += bs
            }
            r0 += bs
        }
    }

    /// dW(O, I) += dYᵀ · X (dY read transposed in place) and dX(N, I) += dY · W (dX may be nil);
    /// `dx = dY · W` instead when `overwrite` (the same bits as zeroing dX first: 0 + s = s).
    static func backward(dx: P?, dw: P, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         n: Int, inDim: Int, outDim: Int, pool: WorkerPool, overwrite: Bool = false) {
        gemm(dw, ldc: inDim, dy, sa: 1, sk: outDim, x, ldb: inDim, m: outDim, n: inDim, k: n, accumulate: true, pool: pool)
        guard let dx else { return }
        gemm(dx, ldc: inDim, dy, sa: outDim, w, ldb: inDim, m: n, n: inDim, k: outDim, accumulate: !overwrite, pool: pool)
    }
}
