import CProctorKernels
import ProctorModel
import XCTest

/// The training matrix kernel: right answers on awkward shapes (tails of 16-, 8- and 4-wide tiles,
/// more than one k-block, padded leading dimensions) and the same bits whatever the row split.
final class GemmKernelTests: XCTestCase {
    let m = 11, n = 37, k = 300, lda = 303, ldb = 41, ldc = 39

    func operands() -> (a: [Float], b: [Float], c: [Float]) {
        var rng = ModelRandom(seed: 5)
        let a = (0..<(m * lda)).map { _ in rng.normal() }
        let b = (0..<(k * ldb)).map { _ in rng.normal() }
        let c = (0..<(m * ldc)).map { _ in rng.normal() }
        return (a, b, c)
    }

    func run(_ c: inout [Float], _ a: [Float], _ b: [Float], splits: [Int], accumulate: Bool) {
        c.withUnsafeMutableBufferPointer { cp in
            for (lo, hi) in zip(splits, splits.dropFirst()) {
                proctor_gemm_rows(cp.baseAddress, ldc, a, lda, b, ldb, n, k, lo, hi, accumulate ? 1 : 0)
            }
        }
    }

    func testAccumulateMatchesDoublePrecision() {
        let (a, b, c0) = operands()
        var c = c0
        run(&c, a, b, splits: [0, m], accumulate: true)
        for i in 0..<m {
            for j in 0..<n {
                var want = Double(c0[i * ldc + j])
                for p in 0..<k { want += Double(a[i * lda + p]) * Double(b[p * ldb + j]) }
                XCTAssertEqual(Double(c[i * ldc + j]), want, accuracy: 1e-3, "C[\(i)][\(j)]")
            }
            // Padding between rows is never written.
            for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j]) }
        }
    }

    func testOverwriteIgnoresOldContents() {
        let (a, b, c0) = operands()
        var acc = [Float](repeating: 0, count: c0.count), over = c0
        run(&acc, a, b, splits: [0, m], accumulate: true)
        run(&over, a, b, splits: [0, m], accumulate: false)
        for i in 0..<m { for j in 0..<n { XCTAssertEqual(over[i * ldc + j], acc[i * ldc + j]) } }
    }

    func testRowSplitDoesNotChangeBits() {
        let (a, b, c0) = operands()
        var whole = c0, pieces = c0, single = c0
        run(&whole, a, b, splits: [0, m], accumulate: true)
        run(&pieces, a, b, splits: [0, 3, 5, 10, m], accumulate: true)
        run(&single, a, b, splits: Array(0...m), accumulate: true)
        XCTAssertEqual(whole, pieces)
        XCTAssertEqual(whole, single)
    }

    /// Machines without AVX2 take the portable path; it sums in the same order, so the bits agree.
    func testPortablePathGivesTheSameBits() {
        let (a, b, c0) = operands()
        var fast = c0, portable = c0
        run(&fast, a, b, splits: [0, m], accumulate: true)
        portable.withUnsafeMutableBufferPointer { cp in
            proctor_gemm_rows_portable(cp.baseAddress, ldc, a, lda, b, ldb, n, k, 0, m)
        }
        XCTAssertEqual(fast, portable)
    }

    /// Every CPU level (portable, AVX2, AVX-512) gives the same bits, and A read transposed in
    /// place (sa = 1, sk = lda) gives what a transposed copy gives.
    func testLevelsAndTransposedAAgree() {
        let (a, b, c0) = operands()
        var want = c0
        run(&want, a, b, splits: [0, m], accumulate: true)
        // aT (k, m) with leading dimension lda2: aT[p][i] = a[i][p].
        let lda2 = m + 3
        var aT = [Float](repeating: .nan, count: k * lda2)
        for i in 0..<m { for p in 0..<k { aT[p * lda2 + i] = a[i * lda + p] } }
        for level in 0...proctor_kernels_gemm_level() {
            var direct = c0, strided = c0
            direct.withUnsafeMutableBufferPointer { cp in
                proctor_gemm_strided(level, cp.baseAddress, ldc, a, lda, 1, b, ldb, n, k, 0, 7, 1)
                proctor_gemm_strided(level, cp.baseAddress, ldc, a, lda, 1, b, ldb, n, k, 7, m, 1)
            }
            strided.withUnsafeMutableBufferPointer { cp in
                proctor_gemm_strided(level, cp.baseAddress, ldc, aT, 1, lda2, b, ldb, n, k, 0, m, 1)
            }
            XCTAssertEqual(direct, want, "level \(level)")
            XCTAssertEqual(strided, want, "level \(level), A transposed in place")
        }
    }
}
