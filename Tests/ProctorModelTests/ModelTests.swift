import Foundation
import ProctorModel
import ProctorTestSupport
import XCTest

/// Shapes the shared checkpoint does not exercise (GQA, separate classifier), checked against a naive
/// forward pass written here from the architecture description; and every bad-input path.
final class ModelTests: XCTestCase {
    /// A straightforward forward pass over all positions, in Double, reading the file itself.
    func naiveLogits(path: String, tokens: [Int]) throws -> [[Double]] {
        let data = [UInt8](FileManager.default.contents(atPath: path)!)
        let h = (0..<7).map { i in data.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) } }
        let (dim, hidden, L, H, KVH, vRaw, seq) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6])
        let V = abs(vRaw), hs = dim / H, kvDim = KVH * hs
        let floats: [Float] = data.withUnsafeBytes { raw in
            Array(UnsafeBufferPointer(start: (raw.baseAddress! + 28).assumingMemoryBound(to: Float.self), count: (data.count - 28) / 4))
        }
        var off = 0
        func take(_ n: Int) -> [Double] { defer { off += n }; return floats[off..<(off + n)].map(Double.init) }
        let emb = take(V * dim), rmsAtt = take(L * dim), wq = take(L * dim * dim), wk = take(L * kvDim * dim), wv = take(L * kvDim * dim)
        let wo = take(L * dim * dim), rmsFFN = take(L * dim), w1 = take(L * hidden * dim), w2 = take(L * dim * hidden), w3 = take(L * hidden * dim)
        let rmsF = take(dim)
        off += seq * hs
        let wcls = vRaw > 0 ? emb : take(V * dim)
        func mat(_ w: [Double], _ base: Int, _ x: [Double], rows: Int) -> [Double] {
            (0..<rows).map { r in (0..<x.count).reduce(0.0) { $0 + w[base + r * x.count + $1] * x[$1] } }
        }
        func norm(_ x: [Double], _ w: [Double], _ base: Int) -> [Double] {
            let s = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + 1e-5).squareRoot()
            return x.indices.map { w[base + $0] * x[$0] * s }
        }
        var kc = [[[Double]]](repeating: [], count: L), vc = [[[Double]]](repeating: [], count: L)
        var out: [[Double]] = []
        for (pos, tok) in tokens.enumerated() {
            var x = Array(emb[(tok * dim)..<((tok + 1) * dim)])
            for l in 0..<L {
                let xb = norm(x, rmsAtt, l * dim)
                var q = mat(wq, l * dim * dim, xb, rows: dim), k = mat(wk, l * kvDim * dim, xb, rows: kvDim)
                let v = mat(wv, l * kvDim * dim, xb, rows: kvDim)
                for i in stride(from: 0, to: dim, by: 2) {
                    let f = 1 / pow(10000.0, Double(i % hs) / Double(hs))
                    let (c, s) = (cos(Double(pos) * f), sin(Double(pos) * f))
                    (q[i], q[i + 1]) = (q[i] * c - q[i + 1] * s, q[i] * s + q[i + 1] * c)
                    if i < kvDim { (k[i], k[i + 1]) = (k[i] * c - k[i + 1] * s, k[i] * s + k[i + 1] * c) }
                }
                kc[l].append(k); vc[l].append(v)
                var att = [Double](repeating: 0, count: dim)
                for head in 0..<H {
                    let kvh = head / (H / KVH)
                    var scores = (0...pos).map { t in (0..<hs).reduce(0.0) { $0 + q[head * hs + $1] * kc[l][t][kvh * hs + $1] } / Double(hs).squareRoot() }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let sum = scores.reduce(0, +)
                    for t in 0...pos { for i in 0..<hs { att[head * hs + i] += scores[t] / sum * vc[l][t][kvh * hs + i] } }
                }
                let o = mat(wo, l * dim * dim, att, rows: dim)
                x = x.indices.map { x[$0] + o[$0] }
                let xb2 = norm(x, rmsFFN, l * dim)
                let a = mat(w1, l * hidden * dim, xb2, rows: hidden), b = mat(w3, l * hidden * dim, xb2, rows: hidden)
                let g = a.indices.map { a[$0] / (1 + exp(-a[$0])) * b[$0] }
                let f = mat(w2, l * dim * hidden, g, rows: dim)
                x = x.indices.map { x[$0] + f[$0] }
            }
            out.append(mat(wcls, 0, norm(x, rmsF, 0), rows: V))
        }
        return out
    }

    func checkShape(_ cfg: ModelConfig) throws {
        let dir = TempDir()
        let path = dir.file("m.bin")
        try CheckpointWriter.writeRandom(cfg, seed: 7, to: path)
        let ckpt = try Checkpoint(path: path)
        XCTAssertEqual(ckpt.config, cfg)
        let tokens = [1, 5, 9, 3, 12, 7]
        let want = try naiveLogits(path: path, tokens: tokens)
        let t = Transformer(checkpoint: ckpt, threads: 2)
        for (pos, tok) in tokens.enumerated() {
            let got = t.forward(token: tok, pos: pos)
            for i in 0..<cfg.vocabSize { XCTAssertEqual(Double(got[i]), want[pos][i], accuracy: 1e-3, "\(cfg) pos \(pos) logit \(i)") }
        }
        let b = Transformer(checkpoint: ckpt, threads: 1)
        let batched = b.prefill(tokens, start: 0)
        for i in 0..<cfg.vocabSize { XCTAssertEqual(Double(batched[i]), want.last![i], accuracy: 1e-3) }
    }

    func testGroupedQueryAttention() throws {
        try checkShape(ModelConfig(dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKVHeads: 2, vocabSize: 40, seqLen: 16))
        try checkShape(ModelConfig(dim: 48, hiddenDim: 64, nLayers: 1, nHeads: 6, nKVHeads: 1, vocabSize: 33, seqLen: 8))
    }

    func testSeparateClassifier() throws {
        try checkShape(ModelConfig(dim: 32, hiddenDim: 40, nLayers: 2, nHeads: 2, nKVHeads: 2, vocabSize: 50, seqLen: 16, sharedClassifier: false))
    }

    // MARK: - Bad input

    func testTruncatedAndCorruptCheckpoints() throws {
        let dir = TempDir()
        let good = dir.file("good.bin")
        try CheckpointWriter.writeRandom(ModelConfig(dim: 16, hiddenDim: 32, nLayers: 1, nHeads: 2, nKVHeads: 2, vocabSize: 20, seqLen: 8), seed: 1, to: good)
        let bytes = [UInt8](FileManager.default.contents(atPath: good)!)
        let truncated = dir.writeBytes("t.bin", Array(bytes.dropLast(100)))
        XCTAssertThrowsError(try Checkpoint(path: truncated)) { e in XCTAssertTrue("\(e)".contains("the file is truncated"), "\(e)") }
        let extra = dir.writeBytes("x.bin", bytes + [0, 0, 0, 0])
        XCTAssertThrowsError(try Checkpoint(path: extra)) { e in XCTAssertTrue("\(e)".contains("extra data"), "\(e)") }
        var corrupt = bytes
        corrupt[12] = 7  // n_heads 7 does not divide dim 16
        XCTAssertThrowsError(try Checkpoint(path: dir.writeBytes("c.bin", corrupt))) { e in
            XCTAssertTrue("\(e)".contains("not a multiple of n_heads 7"), "\(e)")
        }
        XCTAssertThrowsError(try Checkpoint(path: dir.writeBytes("tiny.bin", [1, 2, 3]))) { e in XCTAssertTrue("\(e)".contains("too small")) }
        XCTAssertThrowsError(try Checkpoint(path: dir.file("missing.bin"))) { e in XCTAssertTrue("\(e)".contains("cannot open")) }
        XCTAssertThrowsError(try Checkpoint(path: dir.writeBytes("noise.bin", (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) })))
    }

    func testTokenizerThatDoesNotMatchTheModel() throws {
        let tok = try SharedData.path("models/ref-tiny/tokenizer.bin")
        XCTAssertThrowsError(try Tokenizer(path: tok, vocabSize: 1000)) { e in
            XCTAssertEqual("\(e)", "\(tok): the tokenizer has 512 tokens but the model's vocabulary has 1000; use the tokenizer the model was trained with")
        }
        let dir = TempDir()
        let cut = dir.writeBytes("cut.bin", Array([UInt8](FileManager.default.contents(atPath: tok)!).dropLast(3)))
        XCTAssertThrowsError(try Tokenizer(path: cut, vocabSize: 512)) { e in XCTAssertTrue("\(e)".contains("token 511"), "\(e)") }
    }

    func testPromptLongerThanTheContextAndEmptyPrompt() throws {
        let ckpt = try Checkpoint(path: try SharedData.path("models/ref-tiny/model.bin"))
        let tok = try Tokenizer(path: try SharedData.path("models/ref-tiny/tokenizer.bin"), vocabSize: 512)
        let gen = Generator(transformer: Transformer(checkpoint: ckpt, threads: 1), tokenizer: tok)
        var s = Sampler()
        XCTAssertThrowsError(try gen.generate(prompt: String(repeating: "xyzzy ", count: 100), sampler: &s)) { e in
            XCTAssertTrue("\(e)".contains("but the model's context is 128 tokens"), "\(e)")
        }
        let empty = try gen.generate(prompt: "", steps: 10, sampler: &s, stopTokens: [])
        XCTAssertEqual(empty.promptTokenIds, [1])
        XCTAssertEqual(empty.generatedTokenIds.count, 10)
        XCTAssertTrue(empty.hitLimit)
        let capped = try gen.generate(prompt: "Once", maxNewTokens: 3, sampler: &s, stopTokens: [])
        XCTAssertEqual(capped.generatedTokenIds.count, 3)
    }

    func testSamplingIsSeededAndDeterministic() throws {
        let ckpt = try Checkpoint(path: try SharedData.path("models/ref-tiny/model.bin"))
        let tok = try Tokenizer(path: try SharedData.path("models/ref-tiny/tokenizer.bin"), vocabSize: 512)
        func run(_ seed: UInt64) throws -> [Int] {
            var s = Sampler(temperature: 1, topP: 0.9, seed: seed)
            return try Generator(transformer: Transformer(checkpoint: ckpt, threads: 1), tokenizer: tok)
                .generate(prompt: "Once upon", steps: 40, sampler: &s, stopTokens: []).generatedTokenIds
        }
        XCTAssertEqual(try run(5), try run(5))
        XCTAssertNotEqual(try run(5), try run(6))
        var r = ModelRandom(seed: 42)
        // xorshift64* as llama2.c: fixed values for a fixed seed on every machine.
        XCTAssertEqual((0..<3).map { _ in r.nextU32() }, [ModelRandomVector.first, ModelRandomVector.second, ModelRandomVector.third])
    }
}

/// llama2.c random_u32 with state 42, computed by hand from its definition.
enum ModelRandomVector {
    static var values: [UInt32] {
        var s: UInt64 = 42
        return (0..<3).map { _ in
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27
            return UInt32(truncatingIfNeeded: (s &* 0x2545_F491_4F6C_DD1D) >> 32)
        }
    }
    static var first: UInt32 { values[0] }
    static var second: UInt32 { values[1] }
    static var third: UInt32 { values[2] }
}

final class CheckpointFormatTests: XCTestCase {
    /// A version-1 file (magic "ak42", 256-byte header, norms first) built from a version-0 one gives the same logits.
    func testVersion1MatchesVersion0() throws {
        let dir = TempDir()
        let cfg = ModelConfig(dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, nKVHeads: 2, vocabSize: 40, seqLen: 16, sharedClassifier: false)
        let v0 = dir.file("v0.bin")
        try CheckpointWriter.writeRandom(cfg, seed: 9, to: v0)
        let bytes = [UInt8](FileManager.default.contents(atPath: v0)!)
        let floats: [Float] = bytes.withUnsafeBytes { Array(UnsafeBufferPointer(start: ($0.baseAddress! + 28).assumingMemoryBound(to: Float.self), count: (bytes.count - 28) / 4)) }
        let d = cfg.dim, kv = cfg.kvDim, hd = cfg.hiddenDim, L = cfg.nLayers, V = cfg.vocabSize
        let sizes = [V * d, L * d, L * d * d, L * kv * d, L * kv * d, L * d * d, L * d, L * hd * d, L * d * hd, L * hd * d, d]
        var parts: [[Float]] = []
        var off = 0
        for n in sizes { parts.append(Array(floats[off..<(off + n)])); off += n }
        off += cfg.seqLen * cfg.headSize
        let cls = Array(floats[off..<(off + V * d)])
        // v0 order: emb, rmsAtt, wq, wk, wv, wo, rmsFFN, w1, w2, w3, rmsFinal. v1: rmsAtt, rmsFFN, rmsFinal, emb, wq, wk, wv, wo, w1, w2, w3, cls.
        var out: [UInt8] = []
        func i32(_ v: Int) { withUnsafeBytes(of: Int32(v).littleEndian) { out.append(contentsOf: $0) } }
        i32(0x616b_3432); i32(1)
        for v in [d, hd, L, cfg.nHeads, cfg.nKVHeads, V, cfg.seqLen] { i32(v) }
        out.append(0)  // shared classifier: no
        out += [UInt8](repeating: 0, count: 256 - out.count)
        for t in [parts[1], parts[6], parts[10], parts[0], parts[2], parts[3], parts[4], parts[5], parts[7], parts[8], parts[9], cls] {
            t.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        let v1 = dir.writeBytes("v1.bin", out)
        let a = try Checkpoint(path: v0), b = try Checkpoint(path: v1)
        XCTAssertEqual(b.version, 1)
        XCTAssertEqual(a.config, b.config)
        let ta = Transformer(checkpoint: a, threads: 1), tb = Transformer(checkpoint: b, threads: 1)
        for (pos, tok) in [3, 7, 1].enumerated() {
            let la = Array(UnsafeBufferPointer(start: ta.forward(token: tok, pos: pos), count: V))
            let lb = Array(UnsafeBufferPointer(start: tb.forward(token: tok, pos: pos), count: V))
            XCTAssertEqual(la, lb)
        }
        // A version-1 body labelled version 2 has no group size: a clear error, not a misread.
        var v2 = out
        v2[4] = 2
        XCTAssertThrowsError(try Checkpoint(path: dir.writeBytes("v2.bin", v2))) { e in XCTAssertTrue("\(e)".contains("group size 0 is not supported"), "\(e)") }
        v2[4] = 3
        XCTAssertThrowsError(try Checkpoint(path: dir.writeBytes("v3.bin", v2))) { e in XCTAssertTrue("\(e)".contains("version 3 is not supported"), "\(e)") }
    }
}

final class ConcurrentGenerationTests: XCTestCase {
    /// Two generations at once share the worker pool and still give the same logits as one alone.
    func testTwoTransformersInParallel() async throws {
        let dir = TempDir()
        let path = dir.file("m.bin")
        try CheckpointWriter.writeRandom(ModelConfig(dim: 128, hiddenDim: 256, nLayers: 2, nHeads: 4, nKVHeads: 4, vocabSize: 600, seqLen: 32), seed: 4, to: path)
        let ckpt = try Checkpoint(path: path)
        func run() -> [Float] {
            let t = Transformer(checkpoint: ckpt, threads: 2)
            var last: [Float] = []
            for p in 0..<20 { last = Array(UnsafeBufferPointer(start: t.forward(token: (p * 37) % 600, pos: p), count: 600)) }
            return last
        }
        let alone = run()
        async let a = Task.detached { run() }.value
        async let b = Task.detached { run() }.value
        let (ra, rb) = await (a, b)
        XCTAssertEqual(ra, alone)
        XCTAssertEqual(rb, alone)
    }
}
