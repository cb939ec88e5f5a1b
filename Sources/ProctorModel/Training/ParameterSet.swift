import Foundation
import ProctorConversation

/// Every trainable tensor of a model, in llama2.c version-0 order, in one contiguous buffer (so the
/// optimiser, gradient clipping and checkpoint writing each walk one array).
public final class ParameterSet {
    /// The model shape the tensors are laid out for.
    public let config: ModelConfig
    /// (name, offset, count, is a matrix).
    public private(set) var tensors: [(name: String, offset: Int, count: Int, matrix: Bool)] = []
    /// Every parameter in one buffer, the tensors back to back in the order of `tensors`.
    public var data: [Float]

    /// Lays out every tensor of a model of shape `c` in version-0 order, all zero (see `randomInit` and `load`).
    public init(config c: ModelConfig) {
        self.config = c
        let d = c.dim, kv = c.kvDim, hd = c.hiddenDim, L = c.nLayers, V = c.vocabSize
        var specs: [(String, Int, Bool)] = [("embedding", V * d, true), ("rmsAtt", L * d, false), ("wq", L * d * d, true),
                                            ("wk", L * kv * d, true), ("wv", L * kv * d, true), ("wo", L * d * d, true),
                                            ("rmsFFN", L * d, false), ("w1", L * hd * d, true), ("w2", L * d * hd, true),
                                            ("w3", L * hd * d, true), ("rmsFinal", d, false)]
        if !c.sharedClassifier { specs.append(("classifier", V * d, true)) }
        var off = 0
        for (n, cnt, m) in specs { tensors.append((n, off, cnt, m)); off += cnt }
        data = [Float](repeating: 0, count: off)
    }

    /// Where tensor `name` starts in `data`; traps when there is no tensor by that name.
    public func offset(_ name: String) -> Int { tensors.first { $0.name == name }!.offset }

    /// Small random matrices (N(0, 0.02), output projections scaled by 1/√(2·layers)) and unit norms.
    public func randomInit(seed: UInt64) {
        var rng = ModelRandom(seed: seed)
        for t in tensors {
            let std: Float = t.name == "wo" || t.name == "w2" ? 0.02 / Float(2 * config.nLayers).squareRoot() : 0.02
            for i in t.offset..<(t.offset + t.count) { data[i] = t.matrix ? std * rng.normal() : 1 }
        }
    }

    /// Loads weights from a checkpoint of the same shape (to resume training).
    public func load(from ckpt: Checkpoint) throws(ModelError) {
        guard ckpt.config == config else { throw ModelError("cannot resume: the checkpoint is \(ckpt.config), training wants \(config)") }
        guard let f = ckpt.f32 else { throw ModelError("cannot resume training from an int8 (version 2) checkpoint: resume from the fp32 file it was quantized from") }
        let src = [ckpt.tokenEmbedding, ckpt.rmsAtt, f.wq, f.wk, f.wv, f.wo, ckpt.rmsFFN, f.w1, f.w2, f.w3, ckpt.rmsFinal]
            + (config.sharedClassifier ? [] : [f.wcls])
        for (t, p) in zip(tensors, src) {
            data.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: t.offset).update(from: p, count: t.count) }
        }
    }

    /// Writes a llama2.c version-0 checkpoint (with the prompt template after the weights, if given).
    public func save(to path: String, promptTemplate: PromptTemplate? = nil) throws {
        let tmp = path + ".tmp"
        try CheckpointWriter.write(config, tensors: tensors.map { Array(data[$0.offset..<($0.offset + $0.count)]) }, promptTemplate: promptTemplate, to: tmp)
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }
}
