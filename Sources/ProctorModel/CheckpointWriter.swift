import Foundation
import ProctorJSON
import ProctorConversation

/// Writes llama2.c version-0 checkpoints: random weights for tests and benchmarks (`proctor model
/// init`), and trained weights.
public enum CheckpointWriter {
    /// Writes a checkpoint with N(0, std) weights and RMSNorm weights of 1 + N(0, normStd), from `seed`.
    public static func writeRandom(_ cfg: ModelConfig, seed: UInt64, std: Float = 0.1, normStd: Float = 0.2, to path: String) throws {
        if let p = cfg.problem { throw ModelError("cannot write a checkpoint: \(p)") }
        var rng = ModelRandom(seed: seed)
        let d = cfg.dim, kv = cfg.kvDim, hd = cfg.hiddenDim, L = cfg.nLayers, V = cfg.vocabSize
        // (count, is a norm) in version-0 order.
        var tensors: [(Int, Bool)] = [(V * d, false), (L * d, true), (L * d * d, false), (L * kv * d, false), (L * kv * d, false),
                                      (L * d * d, false), (L * d, true), (L * hd * d, false), (L * d * hd, false), (L * hd * d, false),
                                      (d, true), (cfg.seqLen * cfg.headSize, false)]
        if !cfg.sharedClassifier { tensors.append((V * d, false)) }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let fh = FileHandle(forWritingAtPath: path) else { throw ModelError("\(path): cannot write") }
        defer { try? fh.close() }
        var header = [Int32(d), Int32(hd), Int32(L), Int32(cfg.nHeads), Int32(cfg.nKVHeads),
                      Int32(cfg.sharedClassifier ? V : -V), Int32(cfg.seqLen)]
        fh.write(Data(bytes: &header, count: 28))
        var buf = [Float](repeating: 0, count: 1 << 16)
        for (i, (count, isNorm)) in tensors.enumerated() {
            let isRopeTable = i == 11
            var left = count
            while left > 0 {
                let n = min(left, buf.count)
                for k in 0..<n {
                    buf[k] = isRopeTable ? 0 : (isNorm ? 1 + normStd * rng.normal() : std * rng.normal())
                }
                buf.withUnsafeBytes { fh.write(Data(bytes: $0.baseAddress!, count: n * 4)) }
                left -= n
            }
        }
    }

    /// Writes the given tensors (version-0 order, without the RoPE tables) as a checkpoint, and the
    /// prompt template after them when there is one.
    public static func write(_ cfg: ModelConfig, tensors: [[Float]], promptTemplate: PromptTemplate? = nil, to path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let fh = FileHandle(forWritingAtPath: path) else { throw ModelError("\(path): cannot write") }
        defer { try? fh.close() }
        var header = [Int32(cfg.dim), Int32(cfg.hiddenDim), Int32(cfg.nLayers), Int32(cfg.nHeads), Int32(cfg.nKVHeads),
                      Int32(cfg.sharedClassifier ? cfg.vocabSize : -cfg.vocabSize), Int32(cfg.seqLen)]
        fh.write(Data(bytes: &header, count: 28))
        for (i, t) in tensors.enumerated() {
            if i == 11 { fh.write(Data(count: cfg.seqLen * cfg.headSize * 4)) }
            t.withUnsafeBytes { fh.write(Data($0)) }
        }
        if tensors.count == 11 { fh.write(Data(count: cfg.seqLen * cfg.headSize * 4)) }
        if let promptTemplate { fh.write(Data(CheckpointTrailer.bytes(template: promptTemplate))) }
    }
}

/// The seeded generator used by `model init` and by the sampler: xorshift64* as in llama2.c, so a
/// seed gives the same numbers on every machine.
public struct ModelRandom: Sendable {
    var state: UInt64

    /// Seeds the generator; seed 0, which xorshift would never leave, is replaced by a fixed nonzero constant.
    public init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    /// llama2.c `random_u32`.
    public mutating func nextU32() -> UInt32 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return UInt32(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 32)
    }

    /// llama2.c `random_f32`: uniform in [0, 1).
    public mutating func uniform() -> Float { Float(nextU32() >> 8) / 16_777_216.0 }

    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
    }
}

/// What Proctor records after a checkpoint's weights: `JSON {"promptTemplate": …}`, then its
/// length (u32), a version (u32, 1) and the magic `PRTM`, so it is found from the end of the file.
/// llama2.c's readers map the file and read at fixed offsets, so the trailer costs them nothing.
enum CheckpointTrailer {
    static let magic: [UInt8] = Array("PRTM".utf8)

    static func bytes(template: PromptTemplate) -> [UInt8] {
        let json = JSONSerializer.bytes(["promptTemplate": .string(template.text)])
        var out = json
        for v in [UInt32(json.count), 1] { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        return out + magic
    }

    /// The trailer's size in bytes (0 when there is none) and its template.
    static func read(base: UnsafeRawPointer, size: Int, path: String) throws(ModelError) -> (bytes: Int, template: PromptTemplate?) {
        guard size >= 12, (0..<4).allSatisfy({ base.load(fromByteOffset: size - 4 + $0, as: UInt8.self) == magic[$0] }) else { return (0, nil) }
        let length = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: size - 12, as: UInt32.self)))
        let version = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: size - 8, as: UInt32.self))
        guard version == 1, length <= size - 12 else { throw ModelError("\(path): unreadable Proctor trailer (version \(version), \(length) bytes)") }
        let json = UnsafeBufferPointer(start: (base + size - 12 - length).assumingMemoryBound(to: UInt8.self), count: length)
        guard case .object(let o)? = try? JSONParser.parse(bytes: json), let t = o["promptTemplate"]?.stringValue else {
            throw ModelError("\(path): the Proctor trailer is not {\"promptTemplate\": …}")
        }
        do { return (length + 12, try PromptTemplate(t)) } catch { throw ModelError("\(path): \(error.description)") }
    }
}
