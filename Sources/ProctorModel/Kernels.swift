import CProctorKernels
import Dispatch
import Foundation

/// The small numeric kernels of the forward pass, on raw float buffers.
/// `matmul` is SIMD over 16-float lanes and splits rows across threads for large matrices.
enum Kernels {
    /// AVX2/FMA kernels (C, selected at run time) when the CPU has them; Swift SIMD otherwise.
    static let fast = proctor_kernels_fast() != 0

    /// A pointer bundle that crosses into `concurrentPerform`.
    struct Shared<T>: @unchecked Sendable {
        // @unchecked Sendable: each worker writes a disjoint row range of `out` and only reads the
        // inputs, and `concurrentPerform` returns only after every worker is done.
        let value: T
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= n {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self)
            i += 32
        }
        if i + 16 <= n {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// out(d) = W(d, n) · x(n).
    static func matmul(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, n: Int, d: Int, threads: Int) {
        let work = n * d
        if threads <= 1 || work < 1 << 16 {
            rows(out, x, w, n: n, 0, d)
            return
        }
        let parts = min(threads, d)
        let p = Shared(value: (out, x, w))
        WorkerPool.shared(threads: parts).run { t in
            let (out, x, w) = p.value
            rows(out, x, w, n: n, d * t / parts, d * (t + 1) / parts)
        }
    }

    /// Rows lo..<hi of out = W · x.
    @inline(__always)
    static func rows(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, n: Int, _ lo: Int, _ hi: Int) {
        if fast { proctor_matvec_rows(out, x, w, n, lo, hi); return }
        for i in lo..<hi { out[i] = dot(w + i * n, x, n) }
    }

    /// Several products of the same input x(n) in one parallel pass (q/k/v, or w1/w3): fewer
    /// thread hand-offs per token than one `matmul` each.
    static func matmulFused(_ jobs: [(out: UnsafeMutablePointer<Float>, w: UnsafePointer<Float>, d: Int)], _ x: UnsafePointer<Float>, n: Int, threads: Int) {
        let total = jobs.reduce(0) { $0 + $1.d }
        if threads <= 1 || total * n < 1 << 16 {
            for j in jobs { rows(j.out, x, j.w, n: n, 0, j.d) }
            return
        }
        let parts = min(threads, total)
        let p = Shared(value: (jobs, x))
        WorkerPool.shared(threads: parts).run { t in
            let (jobs, x) = p.value
            var lo = total * t / parts
            let hi = total * (t + 1) / parts
            var base = 0
            for j in jobs {
                let end = base + j.d
                if lo < hi && lo < end {
                    let stop = min(hi, end)
                    rows(j.out, x, j.w, n: n, lo - base, stop - base)
                    lo = stop
                }
                base = end
            }
        }
    }

    /// Batched: out(T, d) = X(T, n) · W(d, n)ᵀ, reading each weight row once for four tokens at a time.
    static func matmulBatch(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, n: Int, d: Int, tokens: Int, threads: Int) {
        if threads <= 1 || n * d * tokens < 1 << 16 {
            batchRows(0, d, out, x, w, n: n, d: d, tokens: tokens)
            return
        }
        let parts = min(threads, d)
        let p = Shared(value: (out, x, w))
        WorkerPool.shared(threads: parts).run { t in
            let (out, x, w) = p.value
            batchRows(d * t / parts, d * (t + 1) / parts, out, x, w, n: n, d: d, tokens: tokens)
        }
    }

    /// Rows `lo..<hi` of a batched matmul, 64 tokens at a time so a block of X stays in cache while
    /// every weight row passes over it.
    static func batchRows(_ lo: Int, _ hi: Int, _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                          n: Int, d: Int, tokens: Int) {
        var tb = 0
        while tb < tokens {
            let count = min(64, tokens - tb)
            let xb = x + tb * n, ob = out + tb * d
            if fast {
                proctor_matmat_rows(ob, xb, w, n, d, count, lo, hi)
            } else {
                for i in lo..<hi {
                    let row = w + i * n
                    var t = 0
                    while t + 4 <= count {
                        let (a, b, c, e) = dot4(row, xb + t * n, xb + (t + 1) * n, xb + (t + 2) * n, xb + (t + 3) * n, n)
                        ob[t * d + i] = a; ob[(t + 1) * d + i] = b; ob[(t + 2) * d + i] = c; ob[(t + 3) * d + i] = e
                        t += 4
                    }
                    while t < count { ob[t * d + i] = dot(row, xb + t * n, n); t += 1 }
                }
            }
            tb += count
        }
    }

    /// Four dot products sharing one row of W (8-float lanes keep all accumulators in registers).
    @inline(__always)
    static func dot4(_ w: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                     _ e: UnsafePointer<Float>, _ n: Int) -> (Float, Float, Float, Float) {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        let rw = UnsafeRawPointer(w), ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), rc = UnsafeRawPointer(c), re = UnsafeRawPointer(e)
        while i + 8 <= n {
            let wv = rw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            s0 += wv * ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            s1 += wv * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            s2 += wv * rc.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            s3 += wv * re.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        var r0 = s0.sum(), r1 = s1.sum(), r2 = s2.sum(), r3 = s3.sum()
        while i < n { r0 += w[i] * a[i]; r1 += w[i] * b[i]; r2 += w[i] * c[i]; r3 += w[i] * e[i]; i += 1 }
        return (r0, r1, r2, r3)
    }

    /// Sum of `n` floats (bandwidth measurement).
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float { proctor_sum(x, n) }

    /// out = weight ⊙ x / rms(x), eps 1e-5.
    static func rmsnorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ n: Int) {
        var ss: Float = 0
        for j in 0..<n { ss += x[j] * x[j] }
        ss /= Float(n)
        ss += 1e-5
        ss = 1 / ss.squareRoot()
        for j in 0..<n { out[j] = weight[j] * (ss * x[j]) }
    }

    /// In-place softmax over `n` values.
    static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var maxVal = x[0]
        for i in 1..<max(n, 1) where x[i] > maxVal { maxVal = x[i] }
        var sum: Float = 0
        for i in 0..<n { x[i] = expf(x[i] - maxVal); sum += x[i] }
        for i in 0..<n { x[i] /= sum }
    }

    /// RoPE on interleaved pairs (2j, 2j+1) of every head of q (dim) and k (kvDim), base 10000.
    static func rope(q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, pos: Int, dim: Int, kvDim: Int, headSize: Int) {
        var i = 0
        while i < dim {
            let headDim = i % headSize
            let freq = 1 / powf(10000, Float(headDim) / Float(headSize))
            let val = Float(pos) * freq
            let fcr = cosf(val), fci = sinf(val)
            let q0 = q[i], q1 = q[i + 1]
            q[i] = q0 * fcr - q1 * fci
            q[i + 1] = q0 * fci + q1 * fcr
            if i < kvDim {
                let k0 = k[i], k1 = k[i + 1]
                k[i] = k0 * fcr - k1 * fci
                k[i + 1] = k0 * fci + k1 * fcr
            }
            i += 2
        }
    }
}
