import Foundation

/// A checkpoint mapped into memory (no copy), with a pointer to every weight tensor.
///
/// Formats: llama2.c "version 0" (a 7-int32 header, then fp32 tensors, each for all layers before
/// the next) and "version 1" (magic `ak42`, a 256-byte header, fp32 tensors with the norms first).
/// Matrices are row-major with one row per output (y = W·x, W of shape (out, in)).
public final class Checkpoint: @unchecked Sendable {
    // @unchecked Sendable: every stored property is set in init and never written again, and the
    // mapping is read-only (PROT_READ), so sharing across threads is read-only access to immutable data.
    public let config: ModelConfig
    public let path: String
    public let fileSize: Int
    public let version: Int
    private let mapping: UnsafeMutableRawPointer?
    private let owned: UnsafeMutablePointer<Float>?

    // Weights, each with its shape:
    public let tokenEmbedding: UnsafePointer<Float>  // (vocab, dim)
    public let rmsAtt: UnsafePointer<Float>          // (layer, dim)
    public let wq: UnsafePointer<Float>              // (layer, dim, dim)          rows: n_heads * head_size
    public let wk: UnsafePointer<Float>              // (layer, kv_dim, dim)
    public let wv: UnsafePointer<Float>              // (layer, kv_dim, dim)
    public let wo: UnsafePointer<Float>              // (layer, dim, dim)
    public let rmsFFN: UnsafePointer<Float>          // (layer, dim)
    public let w1: UnsafePointer<Float>              // (layer, hidden, dim)
    public let w2: UnsafePointer<Float>              // (layer, dim, hidden)
    public let w3: UnsafePointer<Float>              // (layer, hidden, dim)
    public let rmsFinal: UnsafePointer<Float>        // (dim)
    public let wcls: UnsafePointer<Float>            // (vocab, dim), the embedding when shared

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
        owned = nil
        do {
            let parsed = try Self.layout(base: UnsafeRawPointer(m), size: size, path: path)
            config = parsed.config
            version = parsed.version
            let p = parsed.pointers
            (tokenEmbedding, rmsAtt, wq, wk, wv, wo, rmsFFN, w1, w2, w3, rmsFinal, wcls) =
                (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11])
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
        let config: ModelConfig
        let version: Int
        let pointers: [UnsafePointer<Float>]
    }

    static func readInt32(_ base: UnsafeRawPointer, _ offset: Int) -> Int {
        Int(Int32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
    }

    static func layout(base: UnsafeRawPointer, size: Int, path: String) throws(ModelError) -> Layout {
        let magic = UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))
        if magic == 0x616b_3432 {
            guard size >= 256 else { throw ModelError("\(path): truncated version-1 header") }
            let version = readInt32(base, 4)
            guard version == 1 else {
                throw ModelError("\(path): checkpoint format version \(version) is not supported (versions 0 and 1 are; export fp32 weights)")
            }
            let h = (0..<7).map { readInt32(base, 8 + $0 * 4) }
            let shared = base.load(fromByteOffset: 36, as: UInt8.self) != 0
            let cfg = ModelConfig(dim: h[0], hiddenDim: h[1], nLayers: h[2], nHeads: h[3], nKVHeads: h[4], vocabSize: h[5], seqLen: h[6], sharedClassifier: shared)
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
        var ptrs: [UnsafePointer<Float>] = []
        var off = 28
        for c in counts {
            ptrs.append((base + off).assumingMemoryBound(to: Float.self))
            off += c * 4
        }
        off += cfg.seqLen * cfg.headSize * 4  // freq_cis_real + freq_cis_imag (unused: RoPE is computed)
        ptrs.append(cfg.sharedClassifier ? ptrs[0] : (base + off).assumingMemoryBound(to: Float.self))
        return Layout(config: cfg, version: 0, pointers: ptrs)
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
        // Reorder to: embedding, rmsAtt, wq, wk, wv, wo, rmsFFN, w1, w2, w3, rmsFinal, wcls.
        return Layout(config: cfg, version: 1, pointers: [p[3], p[0], p[4], p[5], p[6], p[7], p[1], p[8], p[9], p[10], p[2], cls])
    }
}
