import CProctorKernels
import Dispatch
import Foundation

/// The small numeric kernels of the forward pass, on raw float buffers.
/// The matrix products themselves are in `Linear`.
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

    /// Rows lo..<hi of out = W · x.
    @inline(__always)
    static func rows(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, n: Int, _ lo: Int, _ hi: Int) {
        if fast { proctor_matvec_rows(out, x, w, n, lo, hi); return }
        for i in lo..<hi { out[i] = dot(w + i * n, x, n) }
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

    /// RoPE angles for one position: cos and sin of pos · 10000^(−2j / head_size) for each pair j of a
    /// head (run.c computes them per layer; they depend only on the position, so once per token here).
    static func ropeTable(pos: Int, headSize: Int, cos c: UnsafeMutablePointer<Float>, sin s: UnsafeMutablePointer<Float>) {
        var i = 0
        while i < headSize {
            let freq = 1 / powf(10000, Float(i) / Float(headSize))
            let val = Float(pos) * freq
            c[i / 2] = cosf(val)
            s[i / 2] = sinf(val)
            i += 2
        }
    }

    /// RoPE on interleaved pairs (2j, 2j+1) of every head of q (dim) and k (kvDim), with the angles
    /// of `ropeTable` (head_size / 2 each).
    static func rope(q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, dim: Int, kvDim: Int, headSize: Int,
                     cos c: UnsafePointer<Float>, sin s: UnsafePointer<Float>) {
        var i = 0
        while i < dim {
            let j = (i % headSize) / 2
            let fcr = c[j], fci = s[j]
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
