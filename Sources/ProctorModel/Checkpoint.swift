import Foundation
import ProctorJSON
import ProctorConversation

/// One int8 matrix of a version-2 checkpoint: values row-major, one fp32 scale per group of
/// `groupSize` consecutive values (groups run across row ends, as llama2.c's exporter writes them).
public struct QuantizedTensor: @unchecked Sendable {
    // @unchecked Sendable: pointers into a read-only mapping that outlives every user.
    /// The int8 values, row-major `[rows × cols]`.
    public let values: UnsafePointer<Int8>
    /// One fp32 scale per group of `groupSize` consecutive values: `[rows·cols / groupSize]`.
    public let scales: UnsafePointer<Float>
}

/// A matrix of the forward pass as stored: fp32 rows, or int8 groups with scales.
public enum WeightMatrix: @unchecked Sendable {
    // @unchecked Sendable: as QuantizedTensor, read-only pointers into the mapping.
    case f32(UnsafePointer<Float>)
    case q8(QuantizedTensor)
}

/// The matrices of one layer, and the classifier.
public enum MatrixName: CaseIterable, Sendable { case wq, wk, wv, wo, w1, w2, w3 }

/// A checkpoint mapped into memory (no copy), with a pointer to every weight tensor.
///
/// Formats: llama2.c "version 0" (a 7-int32 header, then fp32 tensors, each for all layers before
/// the next), "version 1" (magic `ak42`, a 256-byte header, fp32 tensors with the norms first) and
/// "version 2" (magic `ak42`, Q8_0: int8 matrices in groups of `group_size` with one fp32 scale per
/// group, norms in fp32; what llama2.c `export.py --version 2` writes and `runq.c` reads).
/// Matrices are row-major with one row per output (y = W·x, W of shape (out, in)).
public final class Checkpoint: @unchecked Sendable {
    // @unchecked Sendable: every stored property is set in init and never written again, and the
    // mapping is read-only (PROT_READ), so sharing across threads is read-only access to immutable data.
    /// The model's shape, from the header.
    public let config: ModelConfig
    /// The file path the checkpoint was mapped from, as given (used in messages).
    public let path: String
    /// Size of the whole file in bytes, prompt-template trailer included.
    public let fileSize: Int
    /// The llama2.c format version: 0 or 1 (fp32), or 2 (int8 Q8_0).
    public let version: Int
    /// Values per int8 group (version 2), 0 for fp32 files.
    public let groupSize: Int
    /// The prompt format the model was trained on, when its file records one (a trailer after the
    /// weights, which llama2.c's readers never look at; see `CheckpointTrailer`).
    public let promptTemplate: PromptTemplate?
    private let mapping: UnsafeMutableRawPointer?
    private let owned: UnsafeMutablePointer<Float>?

    // Weights, each with its shape:
    /// Token embedding table `[vocab × dim]` in fp32; for version 2 it is dequantized once at load, as runq.c does.
    public let tokenEmbedding: UnsafePointer<Float>  // (vocab, dim); dequantized into memory for version 2, as runq.c does
    /// RMSNorm weights before attention, `[layer × dim]`.
    public let rmsAtt: UnsafePointer<Float>          // (layer, dim)
    /// RMSNorm weights before the feed-forward block, `[layer × dim]`.
    public let rmsFFN: UnsafePointer<Float>          // (layer, dim)
    /// RMSNorm weights after the last layer, `[dim]`.
    public let rmsFinal: UnsafePointer<Float>        // (dim)
    /// The fp32 matrices (versions 0 and 1), nil for int8 files.
    public let f32: FloatMatrices?
    /// The int8 matrices (version 2), nil for fp32 files.
    public let q8: QuantizedMatrices?

    /// fp32 matrices, each for all layers.
    public struct FloatMatrices: @unchecked Sendable {
        // @unchecked Sendable: read-only pointers into the mapping.
        /// Query projections `[layer × dim × dim]`, rows grouped by head (`n_heads × head_size`).
        public let wq: UnsafePointer<Float>              // (layer, dim, dim)          rows: n_heads * head_size
        /// Key projections `[layer × kv_dim × dim]`.
        public let wk: UnsafePointer<Float>              // (layer, kv_dim, dim)
        /// Value projections `[layer × kv_dim × dim]`.
        public let wv: UnsafePointer<Float>              // (layer, kv_dim, dim)
        /// Attention output projections `[layer × dim × dim]`.
        public let wo: UnsafePointer<Float>              // (layer, dim, dim)
        /// Feed-forward gate projections `[layer × hidden × dim]` (the SwiGLU branch that goes through SiLU).
        public let w1: UnsafePointer<Float>              // (layer, hidden, dim)
        /// Feed-forward down projections `[layer × dim × hidden]`.
        public let w2: UnsafePointer<Float>              // (layer, dim, hidden)
        /// Feed-forward up projections `[layer × hidden × dim]`, multiplied elementwise with the gated `w1` branch.
        public let w3: UnsafePointer<Float>              // (layer, hidden, dim)
        /// Classifier `[vocab × dim]`; the same pointer as `tokenEmbedding` when the classifier is shared.
        public let wcls: UnsafePointer<Float>            // (vocab, dim), the embedding when shared
    }

    /// int8 matrices, one tensor per layer (shapes as FloatMatrices).
    public struct QuantizedMatrices: Sendable {
        /// Each layer's attention (`wq`, `wk`, `wv`, `wo`) and feed-forward (`w1`, `w2`, `w3`) matrices, one tensor per layer, indexed by layer.
        public let wq, wk, wv, wo, w1, w2, w3: [QuantizedTensor]
        /// Classifier `[vocab × dim]`; the token embedding's int8 tensor when the classifier is shared.
        public let wcls: QuantizedTensor                 // the token embedding's when shared
    }

    /// Whether the matrices are int8 (version 2).
    public var isQuantized: Bool { q8 != nil }

    /// (rows, columns) of a layer matrix.
    public func shape(_ m: MatrixName) -> (rows: Int, cols: Int) {
        let c = config
        switch m {
        case .wq, .wo: return (c.dim, c.dim)
        case .wk, .wv: return (c.kvDim, c.dim)
        case .w1, .w3: return (c.hiddenDim, c.dim)
        case .w2: return (c.dim, c.hiddenDim)
        }
    }

    /// Layer `l`'s matrix `m` as stored.
    public func matrix(_ m: MatrixName, layer l: Int) -> WeightMatrix {
        if let q8 {
            switch m {
            case .wq: return .q8(q8.wq[l]); case .wk: return .q8(q8.wk[l]); case .wv: return .q8(q8.wv[l]); case .wo: return .q8(q8.wo[l])
            case .w1: return .q8(q8.w1[l]); case .w2: return .q8(q8.w2[l]); case .w3: return .q8(q8.w3[l])
            }
        }
        let f = f32!
        let (r, cols) = shape(m)
        let off = l * r * cols
        switch m {
        case .wq: return .f32(f.wq + off); case .wk: return .f32(f.wk + off); case .wv: return .f32(f.wv + off); case .wo: return .f32(f.wo + off)
        case .w1: return .f32(f.w1 + off); case .w2: return .f32(f.w2 + off); case .w3: return .f32(f.w3 + off)
        }
    }

    /// The classifier (vocab, dim) as stored.
    public var classifier: WeightMatrix { q8.map { .q8($0.wcls) } ?? .f32(f32!.wcls) }

    /// The first byte of the mapped file (bandwidth measurements read the file itself).
    public var mappedBytes: UnsafeRawPointer { UnsafeRawPointer(mapping!) }

    /// Bytes of weights one decode step reads: every layer matrix and the classifier once.
    public var weightBytesPerToken: Int {
        let c = config
        let values = c.nLayers * (2 * c.dim * c.dim + 2 * c.kvDim * c.dim + 3 * c.hiddenDim * c.dim) + c.vocabSize * c.dim
        return groupSize > 0 ? values + values / groupSize * 4 : values * 4
    }

    /// What runq.c semantics leave out for this file, if anything: a matrix whose input width is not
    /// a multiple of the group size uses only its whole groups (the last inputs are ignored).
    public var quantizationNote: String? {
        guard groupSize > 0 else { return nil }
        var parts: [String] = []
        if config.dim % groupSize != 0 { parts.append("dim \(config.dim)") }
        if config.hiddenDim % groupSize != 0 { parts.append("hidden \(config.hiddenDim)") }
        guard !parts.isEmpty else { return nil }
        return "\(parts.joined(separator: " and ")) \(parts.count == 1 ? "is" : "are") not a multiple of the group size \(groupSize): as in llama2.c runq.c, "
            + "products over that width use only whole groups and ignore the last inputs"
    }

    /// Maps `path` and checks that its size matches its header exactly.
    public init(path: String) throws(ModelError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelError("\(path): cannot open the checkpoint (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError("\(path): cannot stat the checkpoint") }
        let size = Int(st.st_size)
        fileSize = size
        guard size >= 28 else { throw ModelError("\(path): too small for a llama2.c checkpoint (\(size) bytes; the header alone is 28)") }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw ModelError("\(path): cannot map the checkpoint into memory")
        }
        mapping = m
        do {
            let trailer = try CheckpointTrailer.read(base: UnsafeRawPointer(m), size: size, path: path)
            promptTemplate = trailer.template
            let parsed = try Self.layout(base: UnsafeRawPointer(m), size: size - trailer.bytes, path: path)
            config = parsed.config
            version = parsed.version
            groupSize = parsed.groupSize
            (rmsAtt, rmsFFN, rmsFinal) = (parsed.rmsAtt, parsed.rmsFFN, parsed.rmsFinal)
            f32 = parsed.f32
            q8 = parsed.q8?.matrices
            if let e = parsed.embedding {
                owned = nil
                tokenEmbedding = e
            } else {
                // runq.c: the embedding is looked up in fp32, so it is dequantized once at load.
                let n = config.vocabSize * config.dim
                let table = UnsafeMutablePointer<Float>.allocate(capacity: n)
                let qt = parsed.q8!.wcls0
                for i in 0..<n { table[i] = Float(qt.values[i]) * qt.scales[i / parsed.groupSize] }
                owned = table
                tokenEmbedding = UnsafePointer(table)
            }
        } catch {
            munmap(m, size)
            throw error
        }
    }

    deinit {
        if let mapping { munmap(mapping, fileSize) }
        owned?.deallocate()
    }

    struct Layout {
        var config: ModelConfig
        var version: Int
        var groupSize = 0
        var embedding: UnsafePointer<Float>?
        var rmsAtt, rmsFFN, rmsFinal: UnsafePointer<Float>
        var f32: FloatMatrices?
        var q8: Quantized?
    }

    /// Parsed int8 tensors: the embedding's (also the shared classifier) and the matrices.
    struct Quantized {
        var wcls0: QuantizedTensor
        var matrices: QuantizedMatrices
    }

    static func readInt32(_ base: UnsafeRawPointer, _ offset: Int) -> Int {
        Int(Int32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
    }

    static func layout(base: UnsafeRawPointer, size: Int, path: String) throws(ModelError) -> Layout {
        let magic = UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))
        if magic == 0x616b_3432 {
            guard size >= 256 else { throw ModelError("\(path): truncated version-1/2 header (\(size) bytes; the header is 256)") }
            let version = readInt32(base, 4)
            guard version == 1 || version == 2 else {
                throw ModelError("\(path): checkpoint format version \(version) is not supported (versions 0 and 1 (fp32) and 2 (int8 Q8_0) are)")
            }
            let h = (0..<7).map { readInt32(base, 8 + $0 * 4) }
            let shared = base.load(fromByteOffset: 36, as: UInt8.self) != 0
            let cfg = ModelConfig(dim: h[0], hiddenDim: h[1], nLayers: h[2], nHeads: h[3], nKVHeads: h[4], vocabSize: h[5], seqLen: h[6], sharedClassifier: shared)
            if version == 2 { return try pointersV2(cfg, groupSize: readInt32(base, 37), base: base, size: size, path: path) }
            return try pointersV1(cfg, base: base, size: size, path: path)
        }
        let h = (0..<7).map { readInt32(base, $0 * 4) }
        let cfg = ModelConfig(dim: h[0], hiddenDim: h[1], nLayers: h[2], nHeads: h[3], nKVHeads: h[4], vocabSize: abs(h[5]), seqLen: h[6],
                              sharedClassifier: h[5] > 0)
        if let problem = cfg.problem { throw ModelError("\(path): not a valid llama2.c checkpoint: \(problem)") }
        // Version 0: tensors each for all layers, then legacy RoPE tables, then the classifier if unshared.
        let d = cfg.dim, kv = cfg.kvDim, hd = cfg.hiddenDim, L = cfg.nLayers, V = cfg.vocabSize
        let counts = [V * d, L * d, L * d * d, L * kv * d, L * kv * d, L * d * d, L * d, L * hd * d, L * d * hd, L * hd * d, d]
        var floats = counts.reduce(0, +) + cfg.seqLen * cfg.headSize
        if !cfg.sharedClassifier { floats += V * d }
        let expected = 28 + floats * 4
        guard size == expected else {
            throw ModelError("\(path): size \(size) bytes does not match its header (\(cfg)): expected \(expected) bytes"
                             + (size < expected ? "; the file is truncated" : "; the file has extra data"))
        }
        var p: [UnsafePointer<Float>] = []
        var off = 28
        for c in counts {
            p.append((base + off).assumingMemoryBound(to: Float.self))
            off += c * 4
        }
        off += cfg.seqLen * cfg.headSize * 4  // freq_cis_real + freq_cis_imag (unused: RoPE is computed)
        let cls = cfg.sharedClassifier ? p[0] : (base + off).assumingMemoryBound(to: Float.self)
        return Layout(config: cfg, version: 0, embedding: p[0], rmsAtt: p[1], rmsFFN: p[6], rmsFinal: p[10],
                      f32: FloatMatrices(wq: p[2], wk: p[3], wv: p[4], wo: p[5], w1: p[7], w2: p[8], w3: p[9], wcls: cls))
    }

    static func pointersV1(_ cfg: ModelConfig, base: UnsafeRawPointer, size: Int, path: String) throws(ModelError) -> Layout {
        if let problem = cfg.problem { throw ModelError("\(path): not a valid llama2.c checkpoint: \(problem)") }
        let d = cfg.dim, kv = cfg.kvDim, hd = cfg.hiddenDim, L = cfg.nLayers, V = cfg.vocabSize
        // Version 1 order: attention norms, FFN norms, final norm, embedding, wq, wk, wv, wo, w1, w2, w3, [classifier].
        let order = [L * d, L * d, d, V * d, L * d * d, L * kv * d, L * kv * d, L * d * d, L * hd * d, L * d * hd, L * hd * d]
        let floats = order.reduce(0, +) + (cfg.sharedClassifier ? 0 : V * d)
        let expected = 256 + floats * 4
        guard size == expected else {
            throw ModelError("\(path): size \(size) bytes does not match its version-1 header (\(cfg)): expected \(expected) bytes")
        }
        var p: [UnsafePointer<Float>] = []
        var off = 256
        for c in order { p.append((base + off).assumingMemoryBound(to: Float.self)); off += c * 4 }
        let cls = cfg.sharedClassifier ? p[3] : (base + off).assumingMemoryBound(to: Float.self)
        return Layout(config: cfg, version: 1, embedding: p[3], rmsAtt: p[0], rmsFFN: p[1], rmsFinal: p[2],
                      f32: FloatMatrices(wq: p[4], wk: p[5], wv: p[6], wo: p[7], w1: p[8], w2: p[9], w3: p[10], wcls: cls))
    }

    /// Version 2 (runq.c `memory_map_weights`): fp32 norms (attention, FFN, final), then for the
    /// embedding, each layer's wq, then wk, wv, wo, w1, w2, w3, and the classifier if unshared: the
    /// tensor's int8 values followed by its fp32 scales.
    static func pointersV2(_ cfg: ModelConfig, groupSize gs: Int, base: UnsafeRawPointer, size: Int, path: String) throws(ModelError) -> Layout {
        if let problem = cfg.problem { throw ModelError("\(path): not a valid llama2.c checkpoint: \(problem)") }
        guard gs > 0, gs % 4 == 0, gs <= 1 << 16 else {
            throw ModelError("\(path): version-2 group size \(gs) is not supported (a positive multiple of 4 is; export.py writes 64)")
        }
        let d = cfg.dim, kv = cfg.kvDim, hd = cfg.hiddenDim, L = cfg.nLayers, V = cfg.vocabSize
        for (name, n) in [("dim × dim", d * d), ("kv_dim × dim", kv * d), ("hidden × dim", hd * d), ("vocab × dim", V * d)] where n % gs != 0 {
            throw ModelError("\(path): the \(name) matrices (\(n) values) are not a whole number of groups of \(gs)")
        }
        let normFloats = 2 * L * d + d
        let each = [V * d] + Array(repeating: d * d, count: L) + Array(repeating: kv * d, count: 2 * L) + Array(repeating: d * d, count: L)
            + Array(repeating: hd * d, count: 3 * L) + (cfg.sharedClassifier ? [] : [V * d])
        let expected = 256 + normFloats * 4 + each.reduce(0) { $0 + $1 + $1 / gs * 4 }
        guard size == expected else {
            throw ModelError("\(path): size \(size) bytes does not match its version-2 header (\(cfg), group size \(gs)): expected \(expected) bytes"
                             + (size < expected ? "; the file is truncated" : "; the file has extra data"))
        }
        let f = (base + 256).assumingMemoryBound(to: Float.self)
        var off = 256 + normFloats * 4
        var tensors: [QuantizedTensor] = []
        for n in each {
            let values = (base + off).assumingMemoryBound(to: Int8.self)
            off += n
            let scales = (base + off).assumingMemoryBound(to: Float.self)
            off += n / gs * 4
            tensors.append(QuantizedTensor(values: values, scales: scales))
        }
        func layers(_ k: Int) -> [QuantizedTensor] { Array(tensors[(1 + k * L)..<(1 + (k + 1) * L)]) }
        let cls = cfg.sharedClassifier ? tensors[0] : tensors[1 + 7 * L]
        let q = QuantizedMatrices(wq: layers(0), wk: layers(1), wv: layers(2), wo: layers(3), w1: layers(4), w2: layers(5), w3: layers(6), wcls: cls)
        return Layout(config: cfg, version: 2, groupSize: gs, embedding: nil, rmsAtt: f, rmsFFN: f + L * d, rmsFinal: f + 2 * L * d,
                      f32: nil, q8: Quantized(wcls0: tensors[0], matrices: q))
    }
}
