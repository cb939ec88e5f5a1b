import Foundation
import ProctorModel
import ProctorTestSupport
import XCTest

final class GradientCheckTests: XCTestCase {
    /// Finite differences against the hand-written backward pass, for every parameter tensor.
    func check(_ cfg: ModelConfig) {
        let ps = ParameterSet(config: cfg)
        ps.randomInit(seed: 3)
        // Larger weights than the training init, so every path carries signal.
        var rng = ModelRandom(seed: 11)
        for i in ps.data.indices { ps.data[i] += 0.3 * rng.normal() }
        let m = TrainingModel(config: cfg, params: ps, batch: 2, seqLen: 5, threads: 1)
        let tokens = (0..<10).map { ($0 * 7 + 3) % cfg.vocabSize }
        let targets = (0..<10).map { $0 == 4 ? -1 : ($0 * 5 + 1) % cfg.vocabSize }
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
