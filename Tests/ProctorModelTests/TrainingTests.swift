import Foundation
import ProctorModel
import ProctorTestSupport
import XCTest

final class GradientCheckTests: XCTestCase {
    /// Finite differences against the hand-written backward pass, for every parameter tensor.
    func check(_ cfg: ModelConfig, batch: Int = 2, seqLen: Int = 5) {
        let ps = ParameterSet(config: cfg)
        ps.randomInit(seed: 3)
        // Larger weights than the training init, so every path carries signal.
        var rng = ModelRandom(seed: 11)
        for i in ps.data.indices { ps.data[i] += 0.3 * rng.normal() }
        let m = TrainingModel(config: cfg, params: ps, batch: batch, seqLen: seqLen, threads: 1)
        let n = batch * seqLen
        let tokens = (0..<n).map { ($0 * 7 + 3) % cfg.vocabSize }
        let targets = (0..<n).map { $0 == 4 ? -1 : ($0 * 5 + 1) % cfg.vocabSize }
        _ = m.forward(tokens: tokens, targets: targets)
        for i in m.grads.indices { m.grads[i] = 0 }
        m.backward(targets: targets, tokens: tokens)
        for t in ps.tensors {
            var worst: Float = 0
            for j in 0..<min(t.count, 12) {
                let idx = t.offset + (j * 7919) % t.count
                let saved = ps.data[idx]
                let eps: Float = 1e-2
                ps.data[idx] = saved + eps
                let lp = m.forward(tokens: tokens, targets: targets)
                ps.data[idx] = saved - eps
                let lm = m.forward(tokens: tokens, targets: targets)
                ps.data[idx] = saved
                let numeric = (lp - lm) / (2 * eps)
                let analytic = m.grads[idx]
                let err = abs(numeric - analytic) / max(1e-3, abs(numeric) + abs(analytic))
                worst = max(worst, err)
                XCTAssertLessThan(err, 0.05, "\(cfg) \(t.name)[\(idx - t.offset)]: numeric \(numeric), analytic \(analytic)")
            }
        }
    }

    func testGradientsSharedClassifierMultiHead() {
        check(ModelConfig(dim: 8, hiddenDim: 12, nLayers: 2, nHeads: 2, nKVHeads: 2, vocabSize: 11, seqLen: 5, sharedClassifier: true))
    }

    func testGradientsGroupedQueryAttentionSeparateClassifier() {
        check(ModelConfig(dim: 8, hiddenDim: 10, nLayers: 2, nHeads: 4, nKVHeads: 2, vocabSize: 9, seqLen: 5, sharedClassifier: false))
    }

    /// Sequences longer than one attention block (16 query rows), so the blocked attention products
    /// and their diagonal offsets are checked too.
    func testGradientsAcrossAttentionBlocks() {
        check(ModelConfig(dim: 8, hiddenDim: 12, nLayers: 1, nHeads: 2, nKVHeads: 1, vocabSize: 13, seqLen: 37, sharedClassifier: true),
              batch: 1, seqLen: 37)
    }

    /// The training forward pass and the inference engine agree on the same weights.
    func testTrainingLogitsMatchInference() throws {
        let cfg = ModelConfig(dim: 16, hiddenDim: 24, nLayers: 2, nHeads: 4, nKVHeads: 2, vocabSize: 13, seqLen: 6, sharedClassifier: false)
        let ps = ParameterSet(config: cfg)
        ps.randomInit(seed: 5)
        var rng = ModelRandom(seed: 2)
        for i in ps.data.indices { ps.data[i] += 0.2 * rng.normal() }
        let dir = TempDir()
        try ps.save(to: dir.file("m.bin"))
        let m = TrainingModel(config: cfg, params: ps, batch: 1, seqLen: 6, threads: 1)
        let tokens = [1, 4, 7, 2, 9, 3]
        let loss = m.forward(tokens: tokens, targets: [4, 7, 2, 9, 3, 5])
        let t = Transformer(checkpoint: try Checkpoint(path: dir.file("m.bin")), threads: 1)
        var nll: Double = 0
        for (pos, tok) in tokens.enumerated() {
            let logits = t.forward(token: tok, pos: pos)
            let target = [4, 7, 2, 9, 3, 5][pos]
            let mx = (0..<13).map { logits[$0] }.max()!
            let z = (0..<13).reduce(0.0) { $0 + exp(Double(logits[$1] - mx)) }
            nll -= Double(logits[target] - mx) - log(z)
        }
        XCTAssertEqual(Double(loss), nll / 6, accuracy: 1e-4)
    }
}

final class TrainerTests: XCTestCase {
    func tinyCorpus() -> (Tokenizer, [[Int]]) {
        var c = TaskCorpus(seed: 4)
        let text = c.text(count: 300)
        let tok = try! BPETrainer.train(corpus: text, vocabSize: 400)
        let docs = TaskCorpus.examples(in: text).map { [Tokenizer.bos] + Array(tok.encode($0.text).dropFirst()) + [Tokenizer.eos] }
        return (tok, docs)
    }

    func options(_ vocab: Int, steps: Int, threads: Int) -> TrainOptions {
        var o = TrainOptions(config: ModelConfig(dim: 32, hiddenDim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, vocabSize: vocab, seqLen: 32))
        o.batch = 4
        o.steps = steps
        o.learningRate = 3e-3
        o.warmup = 10
        o.evalEvery = 50
        o.threads = threads
        return o
    }

    /// A tiny model on a tiny corpus learns: the loss falls well below where it starts.
    func testLossFallsOnATinyCorpus() throws {
        let (tok, docs) = tinyCorpus()
        let dir = TempDir()
        let t = try Trainer(options: options(tok.vocabSize, steps: 200, threads: 2), documents: docs)
        var first: Float = 0
        let r = try t.run(output: dir.file("m.bin")) { p in if p.step == 1 { first = p.loss } }
        XCTAssertGreaterThan(first, 5.5, "starts near ln(vocab)")
        // Ten tasks in 200 steps of 4 × 32 tokens: well below ln(400) ≈ 6.0, far from memorised.
        XCTAssertLessThan(r.loss, 3.4)
        XCTAssertLessThan(r.validationLoss, 3.6)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("m.loss.csv")))
        XCTAssertTrue(try String(contentsOfFile: dir.file("m.loss.svg"), encoding: .utf8).contains("<polyline"))
        // The checkpoint loads in the inference engine.
        let ckpt = try Checkpoint(path: dir.file("m.bin"))
        XCTAssertEqual(ckpt.config.vocabSize, tok.vocabSize)
    }

    /// Same seed and threads: the same weights, bit for bit (and the kernels are order-stable, so
    /// a different thread count gives them too).
    func testTrainingIsDeterministic() throws {
        let (tok, docs) = tinyCorpus()
        let dir = TempDir()
        var weights: [[Float]] = []
        for (i, threads) in [1, 1, 2].enumerated() {
            let t = try Trainer(options: options(tok.vocabSize, steps: 20, threads: threads), documents: docs)
            _ = try t.run(output: dir.file("m\(i).bin")) { _ in }
            weights.append(t.params.data)
        }
        XCTAssertEqual(weights[0], weights[1])
        XCTAssertEqual(weights[0], weights[2])
    }

    /// Resuming from a checkpoint starts from its weights.
    func testResumeFromInit() throws {
        let (tok, docs) = tinyCorpus()
        let dir = TempDir()
        let a = try Trainer(options: options(tok.vocabSize, steps: 30, threads: 1), documents: docs)
        _ = try a.run(output: dir.file("a.bin")) { _ in }
        let b = try Trainer(options: options(tok.vocabSize, steps: 1, threads: 1), documents: docs, initial: try Checkpoint(path: dir.file("a.bin")))
        XCTAssertEqual(b.params.data, a.params.data)
    }
}

final class BPETests: XCTestCase {
    /// The trained tokenizer, written and read back, encodes with run.c's rules to the merged pieces,
    /// and decodes back to the text.
    func testTrainedTokenizerRoundTrips() throws {
        var c = TaskCorpus(seed: 8)
        let text = c.text(count: 200)
        let tok = try BPETrainer.train(corpus: text, vocabSize: 420)
        XCTAssertEqual(tok.vocabSize, 420)
        XCTAssertEqual(tok.vocab[1], Array("\n<s>\n".utf8))
        XCTAssertEqual(tok.vocab[3], Array("<0x00>".utf8))
        XCTAssertEqual(tok.vocab[3 + 65], Array("<0x41>".utf8))
        let dir = TempDir()
        try TokenizerWriter.write(vocab: tok.vocab, scores: tok.scores, to: dir.file("t.bin"))
        let back = try Tokenizer(path: dir.file("t.bin"), vocabSize: 420)
        let sample = TaskCorpus.examples(in: text)[0].text
        let ids = back.encode(sample)
        XCTAssertLessThan(ids.count, sample.utf8.count * 3 / 4, "merges compress the text")
        var out: [UInt8] = []
        var prev = ids[0]
        for id in ids.dropFirst() { out += back.decode(previous: prev, token: id); prev = id }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), sample)
        XCTAssertThrowsError(try BPETrainer.train(corpus: text, vocabSize: 100))
    }
}
