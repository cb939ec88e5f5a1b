import CProctorKernels
import Foundation
import ProctorJSON
import ProctorModel
import ProctorTestSupport
import XCTest

/// Int8 (llama2.c version 2, Q8_0) checkpoints: the reference file in ../shared/models/ref-tiny-q80
/// (written by llama2.c export.py, greedy ids from runq.c), the quantizer, and the kernels.
final class Int8ReferenceTests: XCTestCase {
    func reference() throws -> JSONValue {
        try JSONParser.parse(String(contentsOfFile: try SharedData.path("models/ref-tiny-q80/greedy.json"), encoding: .utf8))
    }

    func testHeaderAndFormat() throws {
        let c = try Checkpoint(path: try SharedData.path("models/ref-tiny-q80/model.bin"))
        XCTAssertEqual(c.version, 2)
        XCTAssertEqual(c.groupSize, 64)
        XCTAssertTrue(c.isQuantized)
        XCTAssertEqual(c.config, ModelConfig(dim: 64, hiddenDim: 172, nLayers: 2, nHeads: 4, nKVHeads: 4, vocabSize: 512, seqLen: 128))
        XCTAssertNotNil(c.quantizationNote, "hidden 172 is not a multiple of 64: the runq.c caveat is stated")
    }

    /// runq.c's greedy run, token for token, with one thread and with two (the thread split and the
    /// kernel path never change a bit).
    func testGreedyMatchesRunqTokenForToken() throws {
        let g = try reference()
        let c = try Checkpoint(path: try SharedData.path("models/ref-tiny-q80/model.bin"))
        let tok = try Tokenizer(path: try SharedData.path("models/ref-tiny/tokenizer.bin"), vocabSize: 512)
        for threads in [1, 2] {
            var sampler = Sampler(temperature: 0)
            let gen = try Generator(transformer: Transformer(checkpoint: c, threads: threads), tokenizer: tok)
                .generate(prompt: g["prompt"]!.stringValue!, steps: g["steps"]!.intValue!, sampler: &sampler, stopTokens: [Tokenizer.bos])
            XCTAssertEqual(gen.promptTokenIds, g["prompt_token_ids"]!.arrayValue!.map { $0.intValue! })
            XCTAssertEqual(gen.generatedTokenIds, g["generated_token_ids"]!.arrayValue!.map { $0.intValue! }, "threads \(threads)")
        }
    }

    /// `proctor model quantize`'s writer gives export.py's bytes exactly.
    func testQuantizerWritesExportPyBytes() throws {
        let dir = TempDir()
        let out = dir.file("q.bin")
        let report = try Quantizer.quantize(try Checkpoint(path: try SharedData.path("models/ref-tiny/model.bin")), groupSize: 64, to: out)
        XCTAssertEqual(report.groupSize, 64)
        let want = try Data(contentsOf: URL(fileURLWithPath: try SharedData.path("models/ref-tiny-q80/model.bin")))
        let got = try Data(contentsOf: URL(fileURLWithPath: out))
        XCTAssertEqual(got.count, want.count)
        XCTAssertTrue(got == want, "first difference at byte \(zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
        // Quantizing an int8 file is refused.
        XCTAssertThrowsError(try Quantizer.quantize(try Checkpoint(path: out), groupSize: 64, to: dir.file("qq.bin"))) { e in
            XCTAssertTrue("\(e)".contains("already int8"), "\(e)")
        }
    }
}

final class Int8ModelTests: XCTestCase {
    /// A random model whose widths are multiples of the group size, quantized.
    func models(_ dir: TempDir, kvHeads: Int = 2, groupSize: Int = 32) throws -> (f32: Checkpoint, q8: Checkpoint) {
        let f = dir.file("m.bin"), q = dir.file("q.bin")
        try CheckpointWriter.writeRandom(ModelConfig(dim: 128, hiddenDim: 320, nLayers: 2, nHeads: 4, nKVHeads: kvHeads, vocabSize: 300, seqLen: 64,
                                                     sharedClassifier: false), seed: 9, to: f)
        let a = try Checkpoint(path: f)
        _ = try Quantizer.quantize(a, groupSize: groupSize, to: q)
        return (a, try Checkpoint(path: q))
    }

    /// Prefill of an int8 model is the same bits as token-by-token decode.
    func testPrefillEqualsDecodeBitForBit() throws {
        let dir = TempDir()
        let (_, q) = try models(dir)
        let ids = [1, 17, 250, 3, 99, 42, 7, 8, 200, 11]
        let a = Transformer(checkpoint: q, threads: 1), b = Transformer(checkpoint: q, threads: 2)
        var last: [Float] = []
        for (p, id) in ids.enumerated() { last = Array(UnsafeBufferPointer(start: a.forward(token: id, pos: p), count: 300)) }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: b.prefill(ids, start: 0), count: 300)), last)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: a.forward(token: 5, pos: ids.count), count: 300)),
                       Array(UnsafeBufferPointer(start: b.forward(token: 5, pos: ids.count), count: 300)))
    }

    /// Logits of both formats against a double-precision forward pass of the same weights (the int8
    /// one dequantized). Tolerances: fp32 1e-4 of the largest logit; int8 3 % of it (activation
    /// quantization to 8 bits is the approximation runq.c makes).
    func testLogitsAgainstDoublePrecision() throws {
        let dir = TempDir()
        let (f, q) = try models(dir)
        let ids = [1, 40, 41, 290, 5]
        for (ckpt, tolerance) in [(f, 1e-4), (q, 3e-2)] {
            let t = Transformer(checkpoint: ckpt, threads: 2)
            let ref = DoubleForward(ckpt)
            for (pos, id) in ids.enumerated() {
                let got = Array(UnsafeBufferPointer(start: t.forward(token: id, pos: pos), count: 300))
                let want = ref.forward(token: id, pos: pos)
                let scale = want.map(abs).max()!
                let worst = zip(got, want).map { abs(Double($0) - $1) }.max()!
                XCTAssertLessThanOrEqual(worst, tolerance * scale, "\(ckpt.isQuantized ? "int8" : "fp32") pos \(pos): max error \(worst) of \(scale)")
            }
        }
    }

    /// Back-off and refusals of the quantizer; the int8 file is about a quarter of the fp32 one.
    func testQuantizerGroupSizes() throws {
        let dir = TempDir()
        let (f, q) = try models(dir, groupSize: 256)  // dim 128 % 256 ≠ 0: halved to 128, as export.py does
        XCTAssertEqual(q.groupSize, 128)
        XCTAssertNotNil(q.quantizationNote, "hidden 320 is not a multiple of 128")
        XCTAssertLessThan(Double(q.fileSize), Double(f.fileSize) * 0.3)
        XCTAssertThrowsError(try Quantizer.quantize(f, groupSize: 2, to: dir.file("x.bin"))) { e in XCTAssertTrue("\(e)".contains("at least 4"), "\(e)") }
        XCTAssertThrowsError(try Quantizer.quantize(f, groupSize: 96, to: dir.file("y.bin"))) { e in XCTAssertTrue("\(e)".contains("by halving"), "\(e)") }
    }

    func testTruncatedInt8FileIsAClearError() throws {
        let dir = TempDir()
        let (_, q) = try models(dir)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: q.path))
        let cut = dir.writeBytes("cut.bin", [UInt8](bytes.prefix(bytes.count - 10)))
        XCTAssertThrowsError(try Checkpoint(path: cut)) { e in XCTAssertTrue("\(e)".contains("truncated"), "\(e)") }
    }
}

/// The int8 and prefill kernels on awkward shapes, whatever the row split: the portable and AVX2
/// int8 paths give runq.c's bits, the VNNI path its value to rounding (and the same bits for a
/// token alone or in a block), the fp32 paths the same values to rounding.
final class Int8KernelTests: XCTestCase {
    func testQ8PathsAgreeBitForBit() {
        var rng = ModelRandom(seed: 3)
        var vnniShapes = 0
        for (n, d, tokens, gs) in [(128, 7, 1, 64), (192, 5, 6, 64), (128, 9, 9, 32), (172, 3, 2, 64), (96, 4, 5, 32), (40, 3, 3, 8),
                                   (1152, 11, 3, 64), (2048, 17, 2, 128)] {
            let x = (0..<(tokens * n)).map { _ in rng.normal() }
            let w = (0..<(d * n)).map { _ in Int8(Int(rng.nextU32() % 255) - 127) }
            let ws = (0..<(d * n / gs + 1)).map { _ in rng.uniform() * 0.01 }
            var xq = [Int8](repeating: 0, count: tokens * n), xs = [Float](repeating: 0, count: tokens * (n / gs))
            xq.withUnsafeMutableBufferPointer { q in
                xs.withUnsafeMutableBufferPointer { s in
                    x.withUnsafeBufferPointer { xp in
                        for t in 0..<tokens { proctor_q8_quantize_portable(q.baseAddress! + t * n, s.baseAddress! + t * (n / gs), xp.baseAddress! + t * n, n, gs) }
                    }
                }
            }
            func run(_ f: (UnsafeMutablePointer<Float>?, UnsafePointer<Int8>?, UnsafePointer<Float>?, Int, UnsafePointer<Int8>?, UnsafePointer<Float>?, Int, Int, Int, Int, Int) -> Void,
                     splits: [Int]) -> [Float] {
                var out = [Float](repeating: .nan, count: tokens * d)
                for (lo, hi) in zip(splits, splits.dropFirst()) { f(&out, xq, xs, tokens, w, ws, n, d, gs, lo, hi) }
                return out
            }
            let portable = run(proctor_q8_rows_portable, splits: [0, d])
            // The portable path is runq.c's loop; check one element by hand.
            var val: Float = 0
            var j = 0
            while j + gs <= n {
                var ival: Int32 = 0
                for k in 0..<gs { ival += Int32(xq[j + k]) * Int32(w[j + k]) }
                val = val + Float(ival) * ws[j / gs] * xs[j / gs]
                j += gs
            }
            XCTAssertEqual(portable[0], val)
            let level = proctor_kernels_q8_level()
            if level >= 1 && gs % 32 == 0 { XCTAssertEqual(run(proctor_q8_rows_avx2, splits: [0, 2, d]), portable, "avx2 n \(n) d \(d) tokens \(tokens)") }
            if level >= 2 && proctor_q8_vnni_fits(n, gs) != 0 {
                // Exact integer products, fp32 scaling per lane: equal to runq.c's value to rounding.
                let fast = run(proctor_q8_rows_vnni, splits: [0, 3, d])
                for k in 0..<fast.count { XCTAssertEqual(fast[k], portable[k], accuracy: 1e-5 * max(1, abs(portable[k])), "vnni n \(n) d \(d) tokens \(tokens) at \(k)") }
                // Each token alone gives the same bits as in a block (prefill = decode).
                for t in 0..<tokens {
                    var one = [Float](repeating: .nan, count: d)
                    xq.withUnsafeBufferPointer { q in xs.withUnsafeBufferPointer { s in
                        proctor_q8_rows_vnni(&one, q.baseAddress! + t * n, s.baseAddress! + t * (n / gs), 1, w, ws, n, d, gs, 0, d)
                    } }
                    XCTAssertEqual(one, Array(fast[(t * d)..<((t + 1) * d)]), "vnni token \(t) alone")
                }
                vnniShapes += 1
            }
        }
        if proctor_kernels_q8_level() >= 2 { XCTAssertEqual(vnniShapes, 4, "the VNNI path ran on its shapes") }
    }

    func testQuantizeIsRunqRounding() {
        let x: [Float] = [0.5, -1.27, 1.27, 0.005, -0.015, 0, 0.635, -0.635]
        var q = [Int8](repeating: 0, count: 8), s = [Float](repeating: 0, count: 2)
        proctor_q8_quantize_portable(&q, &s, x, 8, 4)
        XCTAssertEqual(s[0], 1.27 / 127)
        // Half away from zero (C round), not half to even.
        XCTAssertEqual(q[0], Int8((0.5 / (Float(1.27) / 127)).rounded(.toNearestOrAwayFromZero)))
        XCTAssertEqual(Array(q[1...2]), [-127, 127])
        var z = [Int8](repeating: 9, count: 4), zs: [Float] = [9]
        proctor_q8_quantize_portable(&z, &zs, [0, 0, 0, 0], 4, 4)
        XCTAssertEqual(z, [0, 0, 0, 0], "an all-zero group is zeros, not NaN casts")
        // The vector path gives the same bits, halves and near-halves included.
        var rng = ModelRandom(seed: 12)
        let n = 64 * 40, gs = 64
        var v = (0..<n).map { _ in rng.normal() * 3 }
        for g in 0..<40 {  // groups whose max is 127 · 1 so that v / scale hits k + 0.5 and its neighbours exactly
            v[g * gs] = 127
            v[g * gs + 1] = 2.5; v[g * gs + 2] = -2.5; v[g * gs + 3] = 0.5; v[g * gs + 4] = -0.5
            v[g * gs + 5] = 0.49999997; v[g * gs + 6] = -0.49999997; v[g * gs + 7] = 126.5; v[g * gs + 8] = 0
        }
        for g in 30..<40 { for i in 0..<gs { v[g * gs + i] = 0 } }
        var qa = [Int8](repeating: 0, count: n), sa = [Float](repeating: 0, count: n / gs)
        var qb = [Int8](repeating: 1, count: n), sb = [Float](repeating: 1, count: n / gs)
        proctor_q8_quantize_portable(&qa, &sa, v, n, gs)
        proctor_q8_quantize(proctor_kernels_q8_level(), &qb, &sb, v, n, gs)
        XCTAssertEqual(qa, qb)
        XCTAssertEqual(sa, sb)
        XCTAssertEqual(Array(qa[1...7]), [3, -3, 1, -1, 0, 0, 127])
    }

    func testXWTPathsMatchDoublePrecision() {
        var rng = ModelRandom(seed: 8)
        for (n, d, tokens) in [(64, 9, 7), (100, 13, 13), (768, 6, 2), (37, 5, 1), (256, 70, 20)] {
            let x = (0..<(tokens * n)).map { _ in rng.normal() }
            let w = (0..<(d * n)).map { _ in rng.normal() }
            var want = [Double](repeating: 0, count: tokens * d)
            for t in 0..<tokens { for i in 0..<d { for k in 0..<n { want[t * d + i] += Double(x[t * n + k]) * Double(w[i * n + k]) } } }
            let level = proctor_kernels_xwt_level()
            for l in 0...level {
                var out = [Float](repeating: .nan, count: tokens * d)
                let splits = [0, d / 3, d]
                for (lo, hi) in zip(splits, splits.dropFirst()) { proctor_xwt_rows(Int32(l), &out, x, w, n, d, tokens, lo, hi) }
                for k in 0..<(tokens * d) {
                    XCTAssertEqual(Double(out[k]), want[k], accuracy: 1e-4 * Double(n), "level \(l) n \(n) d \(d) tokens \(tokens) at \(k)")
                }
            }
        }
    }
}

/// A plain double-precision forward pass (run.c's loops), the int8 weights dequantized: the
/// reference the logits tests measure against.
struct DoubleForward {
    let c: ModelConfig
    let emb: [Double], rmsAtt: [Double], rmsFFN: [Double], rmsFinal: [Double]
    let mats: [[[Double]]]  // [layer][wq, wk, wv, wo, w1, w2, w3] flattened (rows, cols)
    let cls: [Double]
    final class Cache { var k: [[Double]], v: [[Double]]; init(_ l: Int, _ n: Int) { k = Array(repeating: [], count: l * n); v = k } }
    let cache: Cache

    init(_ ckpt: Checkpoint) {
        c = ckpt.config
        func dense(_ m: WeightMatrix, _ count: Int, base: Int = 0) -> [Double] {
            switch m {
            case .f32(let p): return (0..<count).map { Double(p[$0]) }
            case .q8(let t): return (0..<count).map { Double(t.values[$0]) * Double(t.scales[$0 / ckpt.groupSize]) }
            }
        }
        emb = (0..<(c.vocabSize * c.dim)).map { Double(ckpt.tokenEmbedding[$0]) }
        rmsAtt = (0..<(c.nLayers * c.dim)).map { Double(ckpt.rmsAtt[$0]) }
        rmsFFN = (0..<(c.nLayers * c.dim)).map { Double(ckpt.rmsFFN[$0]) }
        rmsFinal = (0..<c.dim).map { Double(ckpt.rmsFinal[$0]) }
        mats = (0..<c.nLayers).map { l in MatrixName.allCases.map { m in let s = ckpt.shape(m); return dense(ckpt.matrix(m, layer: l), s.rows * s.cols) } }
        cls = dense(ckpt.classifier, c.vocabSize * c.dim)
        cache = Cache(c.nLayers, c.seqLen)
    }

    func matvec(_ w: [Double], _ x: [Double], rows: Int) -> [Double] {
        let n = x.count
        return (0..<rows).map { i in var s = 0.0; for k in 0..<n { s += w[i * n + k] * x[k] }; return s }
    }

    func rmsnorm(_ x: [Double], _ w: [Double], _ off: Int) -> [Double] {
        let ss = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + 1e-5).squareRoot()
        return x.indices.map { w[off + $0] * ss * x[$0] }
    }

    func forward(token: Int, pos: Int) -> [Double] {
        let d = c.dim, hs = c.headSize, kv = c.kvDim
        var x = Array(emb[(token * d)..<((token + 1) * d)])
        for l in 0..<c.nLayers {
            let xb = rmsnorm(x, rmsAtt, l * d)
            var q = matvec(mats[l][0], xb, rows: d), k = matvec(mats[l][1], xb, rows: kv)
            let v = matvec(mats[l][2], xb, rows: kv)
            for i in stride(from: 0, to: d, by: 2) {
                let f = 1 / pow(10000.0, Double(i % hs) / Double(hs)), a = Double(pos) * f
                let (cr, ci) = (cos(a), sin(a))
                (q[i], q[i + 1]) = (q[i] * cr - q[i + 1] * ci, q[i] * ci + q[i + 1] * cr)
                if i < kv { (k[i], k[i + 1]) = (k[i] * cr - k[i + 1] * ci, k[i] * ci + k[i + 1] * cr) }
            }
            cache.k[l * c.seqLen + pos] = k
            cache.v[l * c.seqLen + pos] = v
            var out = [Double](repeating: 0, count: d)
            for h in 0..<c.nHeads {
                let kvh = (h / c.kvMul) * hs
                var s = (0...pos).map { t in (0..<hs).reduce(0.0) { $0 + q[h * hs + $1] * cache.k[l * c.seqLen + t][kvh + $1] } / Double(hs).squareRoot() }
                let m = s.max()!
                s = s.map { exp($0 - m) }
                let z = s.reduce(0, +)
                for t in 0...pos { for i in 0..<hs { out[h * hs + i] += s[t] / z * cache.v[l * c.seqLen + t][kvh + i] } }
            }
            let o = matvec(mats[l][3], out, rows: d)
            for i in 0..<d { x[i] += o[i] }
            let xf = rmsnorm(x, rmsFFN, l * d)
            let h1 = matvec(mats[l][4], xf, rows: c.hiddenDim), h3 = matvec(mats[l][6], xf, rows: c.hiddenDim)
            let hb = h1.indices.map { h1[$0] / (1 + exp(-h1[$0])) * h3[$0] }
            let f2 = matvec(mats[l][5], hb, rows: d)
            for i in 0..<d { x[i] += f2[i] }
        }
        return matvec(cls, rmsnorm(x, rmsFinal, 0), rows: c.vocabSize)
    }
}
