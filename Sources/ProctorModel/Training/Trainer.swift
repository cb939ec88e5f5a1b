import Foundation
import ProctorConversation

/// Everything `proctor model train` needs.
public struct TrainOptions: Sendable {
    /// Shape of the model to train.
    public var config: ModelConfig
    /// Sequences per training step.
    public var batch = 16
    /// Optimizer steps to run.
    public var steps = 1000
    /// Peak learning rate, reached at the end of warmup.
    public var learningRate: Float = 1e-3
    /// Steps of linear learning-rate warmup.
    public var warmup = 50
    /// AdamW decoupled weight decay, applied to matrices only.
    public var weightDecay: Float = 0.1
    /// Largest global gradient norm; a larger gradient is scaled down to it.
    public var clip: Float = 1
    /// Seeds the initial weights and the batch draws, so a run can be repeated.
    public var seed: UInt64 = 1
    /// Threads for the training step; every core by default.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Steps between validation-loss measurements (the last step always measures).
    public var evalEvery = 100
    /// Steps between intermediate checkpoints (the final one is always written).
    public var checkpointEvery = 500
    /// Fraction of examples held out for validation loss.
    public var validationFraction = 0.05
    /// Stop (and write the checkpoint) once training has run this long.
    public var maxSeconds: Double?
    /// Recorded in the checkpoint: the prompt format of the corpus (the task format's, for task corpora).
    public var promptTemplate: PromptTemplate?

    /// Makes options for training a model of shape `config`, every other setting at its default.
    public init(config: ModelConfig) { self.config = config }
}

/// One line of training progress.
public struct TrainProgress: Sendable {
    /// Steps done so far, counting from 1.
    public let step: Int
    /// Steps the run was asked for.
    public let totalSteps: Int
    /// Training loss of this step's batch: mean cross-entropy per token, in nats.
    public let loss: Float
    /// Held-out loss when it was measured at this step; `nil` otherwise.
    public let validationLoss: Float?
    /// Learning rate this step used.
    public let learningRate: Float
    /// Training tokens per second, averaged since the start.
    public let tokensPerSecond: Double
    /// Seconds since training started.
    public let elapsedSeconds: Double

    /// The progress line `model train` prints: step, losses, learning rate, speed, elapsed and ETA.
    public var line: String {
        let eta = elapsedSeconds / Double(step) * Double(totalSteps - step)
        return String(format: "step %d/%d loss %.4f%@ lr %.2e %.0f tok/s %.0fs elapsed ETA %.0fs", step, totalSteps, loss,
                      validationLoss.map { String(format: " val %.4f", $0) } ?? "", learningRate, tokensPerSecond, elapsedSeconds, eta)
    }

    /// "2 h 05 min", "3 min 20 s", "12 s": estimated and allowed training times.
    public static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return String(format: "%d h %02d min", t / 3600, (t % 3600) / 60) }
        if t >= 60 { return String(format: "%d min %02d s", t / 60, t % 60) }
        return "\(max(t, 1)) s"
    }
}

/// The training loop: random windows of the tokenised corpus, AdamW with warmup + cosine, gradient
/// clipping, a held-out validation split, checkpoints every K steps and at the end, and the loss
/// history as CSV and SVG next to the model. Same seed and thread count: same weights, bit for bit
/// (and the kernels are order-stable, so the thread count does not change them either).
public final class Trainer {
    /// The settings this trainer runs with.
    public let options: TrainOptions
    /// The weights being trained, updated in place; they hold the final weights after `run`.
    public let params: ParameterSet
    let train: [Int]
    let validation: [Int]
    var history: [(step: Int, loss: Float, validation: Float?)] = []

    /// `documents`: token ids of each example (BOS first), in corpus order.
    public init(options: TrainOptions, documents: [[Int]], initial: Checkpoint? = nil) throws(ModelError) {
        self.options = options
        params = ParameterSet(config: options.config)
        if let initial { try params.load(from: initial) } else { params.randomInit(seed: options.seed) }
        let nValid = max(1, Int(Double(documents.count) * options.validationFraction))
        if documents.count >= 20 {
            // Whole documents held out.
            train = documents.dropLast(nValid).flatMap { $0 }
            validation = documents.suffix(nValid).flatMap { $0 }
        } else {
            // A few long documents (a book, a manual): the last tokens are held out.
            let all = documents.flatMap { $0 }
            let cut = all.count - max(options.config.seqLen + 2, Int(Double(all.count) * options.validationFraction))
            train = cut > 0 ? Array(all[..<cut]) : []
            validation = cut > 0 ? Array(all[cut...]) : all
        }
        guard train.count > options.config.seqLen + 1, validation.count > options.config.seqLen + 1 else {
            throw ModelError("the corpus (\(documents.reduce(0) { $0 + $1.count }) tokens) is shorter than one training window of \(options.config.seqLen) tokens "
                             + "plus a held-out window; give more text or a smaller --seq")
        }
        if let bad = (train + validation).first(where: { $0 < 0 || $0 >= options.config.vocabSize }) {
            throw ModelError("token id \(bad) is outside the model's vocabulary of \(options.config.vocabSize)")
        }
    }

    /// Fills tokens/targets with `batch` windows from `stream`.
    static func sample(_ stream: [Int], batch: Int, seqLen: Int, rng: inout ModelRandom, tokens: inout [Int], targets: inout [Int]) {
        for b in 0..<batch {
            let start = Int(rng.nextU32()) % (stream.count - seqLen - 1)
            for t in 0..<seqLen {
                tokens[b * seqLen + t] = stream[start + t]
                targets[b * seqLen + t] = stream[start + t + 1]
            }
        }
    }

    /// Tokens in the training split (the held-out split excluded).
    public var trainingTokens: Int { train.count }

    /// Seconds one training step takes here: a forward and backward pass on a batch drawn with its
    /// own generator (training's draws and weights are untouched), for the estimate printed first.
    public func secondsPerStep() -> Double {
        let o = options, T = o.config.seqLen
        let model = TrainingModel(config: o.config, params: params, batch: o.batch, seqLen: T, threads: o.threads)
        var rng = ModelRandom(seed: 12345)
        var tokens = [Int](repeating: 0, count: o.batch * T), targets = tokens
        Self.sample(train, batch: o.batch, seqLen: T, rng: &rng, tokens: &tokens, targets: &targets)
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = model.forward(tokens: tokens, targets: targets)
        model.backward(targets: targets, tokens: tokens)
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 * 1.1  // + AdamW and bookkeeping
    }

    /// Runs training; `output` receives checkpoints (and `.csv`/`.svg` beside it). Stops early,
    /// after writing the checkpoint, when `maxSeconds` is reached (`stoppedAt` is then the last step).
    public private(set) var stoppedAt: Int?

    /// Trains for `options.steps` steps (fewer when `maxSeconds` runs out), calls `progress` after each, writes the checkpoint to `output`, and returns the last training and validation losses.
    public func run(output: String, progress: (TrainProgress) -> Void) throws -> (loss: Float, validationLoss: Float) {
        let o = options
        let T = o.config.seqLen
        let model = TrainingModel(config: o.config, params: params, batch: o.batch, seqLen: T, threads: o.threads)
        var adam = AdamW(count: params.data.count, weightDecay: o.weightDecay)
        let schedule = LearningRateSchedule(peak: o.learningRate, warmup: o.warmup, total: o.steps)
        var rng = ModelRandom(seed: o.seed &+ 1)
        var tokens = [Int](repeating: 0, count: o.batch * T), targets = tokens
        let start = DispatchTime.now().uptimeNanoseconds
        var lastLoss: Float = 0, lastValid: Float = .nan
        for step in 0..<o.steps {
            Self.sample(train, batch: o.batch, seqLen: T, rng: &rng, tokens: &tokens, targets: &targets)
            let loss = model.forward(tokens: tokens, targets: targets)
            model.grads.withUnsafeMutableBufferPointer { $0.initialize(repeating: 0) }
            model.backward(targets: targets, tokens: tokens)
            // Clip the global gradient norm (summed in order, as ever, through a buffer pointer
            // rather than the class's array property element by element).
            model.grads.withUnsafeMutableBufferPointer { g in
                var norm: Float = 0
                for i in g.indices { norm += g[i] * g[i] }
                norm = norm.squareRoot()
                if norm > o.clip { let s = o.clip / norm; for i in g.indices { g[i] *= s } }
            }
            let lr = schedule.rate(at: step)
            adam.update(params, grads: model.grads, lr: lr, pool: model.pool)
            lastLoss = loss
            var valid: Float?
            if (step + 1) % o.evalEvery == 0 || step + 1 == o.steps {
                valid = validationLoss(model)
                lastValid = valid!
            }
            history.append((step + 1, loss, valid))
            if (step + 1) % o.checkpointEvery == 0 && step + 1 < o.steps { try save(output) }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress(TrainProgress(step: step + 1, totalSteps: o.steps, loss: loss, validationLoss: valid, learningRate: lr,
                                   tokensPerSecond: Double((step + 1) * o.batch * T) / max(elapsed, 1e-9), elapsedSeconds: elapsed))
            if let limit = o.maxSeconds, elapsed >= limit, step + 1 < o.steps {
                stoppedAt = step + 1
                if valid == nil { lastValid = validationLoss(model) }
                break
            }
        }
        try save(output)
        return (lastLoss, lastValid)
    }

    /// Mean loss over fixed windows of the held-out split (the same windows every time).
    func validationLoss(_ model: TrainingModel) -> Float {
        var rng = ModelRandom(seed: 99)
        var tokens = [Int](repeating: 0, count: options.batch * options.config.seqLen), targets = tokens
        var total: Float = 0
        let rounds = 4
        for _ in 0..<rounds {
            Self.sample(validation, batch: options.batch, seqLen: options.config.seqLen, rng: &rng, tokens: &tokens, targets: &targets)
            total += model.forward(tokens: tokens, targets: targets)
        }
        return total / Float(rounds)
    }

    func save(_ path: String) throws {
        try params.save(to: path, promptTemplate: options.promptTemplate)
        let base = (path as NSString).deletingPathExtension
        var csv = "step,loss,validation_loss\n"
        for h in history { csv += "\(h.step),\(h.loss),\(h.validation.map { String($0) } ?? "")\n" }
        try csv.write(toFile: base + ".loss.csv", atomically: true, encoding: .utf8)
        try LossPlot.svg(history).write(toFile: base + ".loss.svg", atomically: true, encoding: .utf8)
    }
}

/// A small SVG line plot of the training and validation loss.
public enum LossPlot {
    /// A 640×360 SVG plot of the loss history `h`: training loss in blue, validation loss in red, against step.
    public static func svg(_ h: [(step: Int, loss: Float, validation: Float?)]) -> String {
        let w = 640.0, ht = 360.0, pad = 48.0
        guard let last = h.last else { return "<svg xmlns=\"http://www.w3.org/2000/svg\"/>" }
        let maxL = Double(h.map(\.loss).max() ?? 1), minL = Double(min(h.map(\.loss).min() ?? 0, h.compactMap(\.validation).min() ?? .infinity))
        func x(_ s: Int) -> Double { pad + (w - 2 * pad) * Double(s) / Double(max(1, last.step)) }
        func y(_ l: Float) -> Double { ht - pad - (ht - 2 * pad) * (Double(l) - minL) / max(1e-9, maxL - minL) }
        let train = h.map { String(format: "%.1f,%.1f", x($0.step), y($0.loss)) }.joined(separator: " ")
        let valid = h.compactMap { e in e.validation.map { String(format: "%.1f,%.1f", x(e.step), y($0)) } }.joined(separator: " ")
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(ht))\" font-family=\"sans-serif\" font-size=\"12\">"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        s += "<line x1=\"\(pad)\" y1=\"\(ht - pad)\" x2=\"\(w - pad)\" y2=\"\(ht - pad)\" stroke=\"#888\"/><line x1=\"\(pad)\" y1=\"\(pad)\" x2=\"\(pad)\" y2=\"\(ht - pad)\" stroke=\"#888\"/>"
        s += "<text x=\"\(w / 2)\" y=\"\(ht - 12)\" text-anchor=\"middle\">step (last \(last.step))</text>"
        s += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.2f</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.2f</text>", pad - 4, pad + 4, maxL, pad - 4, ht - pad, minL)
        s += "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.2\" points=\"\(train)\"/>"
        if !valid.isEmpty { s += "<polyline fill=\"none\" stroke=\"#cf222e\" stroke-width=\"2\" points=\"\(valid)\"/>" }
        s += "<text x=\"\(w - pad)\" y=\"\(pad - 14)\" text-anchor=\"end\"><tspan fill=\"#0969da\">training loss</tspan>  <tspan fill=\"#cf222e\">validation loss</tspan></text></svg>\n"
        return s
    }
}
