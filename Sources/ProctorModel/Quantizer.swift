import Foundation

/// Writes llama2.c version-2 (Q8_0) checkpoints from fp32 ones, with the rounding of llama2.c
/// `export.py` (`quantize_q80`): per group of `groupSize` consecutive values of a tensor,
/// scale = max|w| / 127 in fp32, q = round-half-to-even(w / scale). The file is byte for byte what
/// `export.py --version 2` writes for the same weights.
public enum Quantizer {
    /// What a quantization did.
    public struct Report: Sendable {
        /// The group size used (halved from the requested one until it divides dim, as export.py does).
        public var groupSize: Int
        /// The largest |w − dequantized w| over all matrices.
        public var maxError: Float
        /// Size of the written checkpoint in bytes, prompt-template trailer included.
        public var bytes: Int
        /// Shapes runq.c semantics handle only partly (see `Checkpoint.quantizationNote`).
        public var note: String?
    }

    /// Quantizes `ckpt` (fp32) into `path`.
    public static func quantize(_ ckpt: Checkpoint, groupSize requested: Int, to path: String) throws(ModelError) -> Report {
        guard let f = ckpt.f32 else { throw ModelError("\(ckpt.path): already int8 (version 2, group size \(ckpt.groupSize)); quantize the fp32 file") }
        guard requested >= 4 else { throw ModelError("--group-size must be at least 4 (got \(requested))") }
        let c = ckpt.config
        var gs = requested
        while c.dim % gs != 0 { gs /= 2 }  // export.py's back-off
        guard gs >= 4, gs % 4 == 0 else {
            throw ModelError("dim \(c.dim) has no group size of at least 4 that divides it from \(requested) by halving; give --group-size explicitly")
        }
        let d = c.dim, kv = c.kvDim, hd = c.hiddenDim, L = c.nLayers, V = c.vocabSize
        var tensors: [(UnsafePointer<Float>, Int)] = [(ckpt.tokenEmbedding, V * d)]
        for (base, each) in [(f.wq, d * d), (f.wk, kv * d), (f.wv, kv * d), (f.wo, d * d), (f.w1, hd * d), (f.w2, d * hd), (f.w3, hd * d)] {
            for l in 0..<L { tensors.append((base + l * each, each)) }
        }
        if !c.sharedClassifier { tensors.append((f.wcls, V * d)) }
        for (_, n) in tensors where n % gs != 0 {
            throw ModelError("a matrix of \(n) values is not a whole number of groups of \(gs); choose a --group-size that divides it")
        }
        var out = Data()
        func i32(_ v: Int) { withUnsafeBytes(of: Int32(v).littleEndian) { out.append(contentsOf: $0) } }
        i32(0x616b_3432); i32(2)
        for v in [d, hd, L, c.nHeads, c.nKVHeads, V, c.seqLen] { i32(v) }
        out.append(c.sharedClassifier ? 1 : 0)
        i32(gs)
        out.append(Data(count: 256 - out.count))
        func floats(_ p: UnsafePointer<Float>, _ n: Int) { out.append(UnsafeBufferPointer(start: p, count: n)) }
        floats(ckpt.rmsAtt, L * d); floats(ckpt.rmsFFN, L * d); floats(ckpt.rmsFinal, d)
        var maxError: Float = 0
        var q = [Int8](), s = [Float]()
        for (w, n) in tensors {
            q.removeAll(keepingCapacity: true); s.removeAll(keepingCapacity: true)
            q.reserveCapacity(n); s.reserveCapacity(n / gs)
            for g in 0..<(n / gs) {
                let group = UnsafeBufferPointer(start: w + g * gs, count: gs)
                var wmax: Float = 0
                for v in group {
                    guard v.isFinite else { throw ModelError("\(ckpt.path): a weight is \(v); only finite weights can be quantized") }
                    wmax = max(wmax, abs(v))
                }
                let scale = wmax / 127
                s.append(scale)
                for v in group {
                    let iv: Int8 = scale == 0 ? 0 : Int8((v / scale).rounded(.toNearestOrEven))
                    q.append(iv)
                    maxError = max(maxError, abs(Float(iv) * scale - v))
                }
            }
            q.withUnsafeBytes { out.append(contentsOf: $0) }
            s.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        if let t = ckpt.promptTemplate { out.append(contentsOf: CheckpointTrailer.bytes(template: t)) }  // the template travels with the weights
        let tmp = path + ".tmp"
        do {
            try out.write(to: URL(fileURLWithPath: tmp))
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw ModelError("\(path): cannot write the checkpoint (\(error.localizedDescription))")
        }
        let written = try Checkpoint(path: path)  // reads back what was written: the layout is checked
        return Report(groupSize: gs, maxError: maxError, bytes: out.count, note: written.quantizationNote)
    }
}
