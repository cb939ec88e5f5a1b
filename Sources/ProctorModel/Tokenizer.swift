import Foundation

/// The llama2.c tokenizer (`tokenizer.bin`): int32 max_token_length, then per token a float score,
/// an int32 length and the bytes. Encoding follows `run.c` exactly: optional BOS, a dummy-prefix
/// space, UTF-8 code points looked up in the vocabulary (unknown bytes as `<0xXX>` tokens, id =
/// byte + 3), then repeatedly merge the adjacent pair with the highest-scoring concatenation.
public struct Tokenizer: Sendable {
    /// Each token's bytes, indexed by token id.
    public let vocab: [[UInt8]]
    /// Each token's merge score, indexed by token id: when encoding, the adjacent pair whose concatenation scores highest merges first.
    public let scores: [Float]
    /// The longest token in bytes, as the file header states (or measured, for a tokenizer built from pieces).
    public let maxTokenLength: Int
    let lookup: [[UInt8]: Int]

    /// Token id of `<s>`, the beginning-of-sequence token that starts every prompt.
    public static let bos = 1
    /// Token id of `</s>`, the end-of-sequence token that stops generation.
    public static let eos = 2

    /// Tokens in the vocabulary.
    public var vocabSize: Int { vocab.count }

    /// Every byte has its `<0xXX>` token at id 3 + byte (llama2.c's byte fallback), so any text can be encoded.
    public var hasByteFallback: Bool {
        vocab.count >= 259 && (0..<256).allSatisfy { vocab[3 + $0] == Array(String(format: "<0x%02X>", $0).utf8) }
    }

    /// Reads `path`, expecting exactly `vocabSize` tokens (the model's vocabulary).
    public init(path: String, vocabSize: Int) throws(ModelError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError("\(path): cannot read the tokenizer") }
        let b = [UInt8](data)
        func i32(_ o: Int) -> Int32 { b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: Int32.self) } }
        guard b.count >= 4 else { throw ModelError("\(path): too small for a tokenizer.bin") }
        maxTokenLength = Int(i32(0))
        var off = 4
        var vocab: [[UInt8]] = []
        var scores: [Float] = []
        vocab.reserveCapacity(vocabSize)
        while off < b.count {
            guard off + 8 <= b.count else { throw ModelError("\(path): truncated at token \(vocab.count)") }
            let score = b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off, as: Float.self) }
            let len = Int(i32(off + 4))
            guard len >= 0, off + 8 + len <= b.count else { throw ModelError("\(path): token \(vocab.count) has a bad length \(len)") }
            vocab.append(Array(b[(off + 8)..<(off + 8 + len)]))
            scores.append(score)
            off += 8 + len
        }
        guard vocab.count == vocabSize else {
            throw ModelError("\(path): the tokenizer has \(vocab.count) tokens but the model's vocabulary has \(vocabSize); use the tokenizer the model was trained with")
        }
        self.vocab = vocab
        self.scores = scores
        var map: [[UInt8]: Int] = [:]
        for (i, v) in vocab.enumerated() where map[v] == nil { map[v] = i }
        lookup = map
    }

    /// Builds a tokenizer from pieces (tokenizer training).
    public init(vocab: [[UInt8]], scores: [Float]) {
        self.vocab = vocab
        self.scores = scores
        maxTokenLength = vocab.map(\.count).max() ?? 0
        var map: [[UInt8]: Int] = [:]
        for (i, v) in vocab.enumerated() where map[v] == nil { map[v] = i }
        lookup = map
    }

    /// Token ids for `text`, as `run.c` `encode()` produces them.
    public func encode(_ text: String, bos: Bool = true, eos: Bool = false) -> [Int] {
        encode(bytes: Array(text.utf8), bos: bos, eos: eos)
    }

    /// Token ids for raw bytes (run.c works on C strings, so invalid UTF-8 is encoded byte by byte).
    public func encode(bytes: [UInt8], bos: Bool = true, eos: Bool = false) -> [Int] {
        var tokens: [Int] = []
        if bos { tokens.append(Self.bos) }
        if !bytes.isEmpty, let space = lookup[[0x20]] { tokens.append(space) }
        var i = 0
        while i < bytes.count {
            // One UTF-8 code point (at most 4 bytes), as run.c groups them.
            var j = i + 1
            while j < bytes.count && bytes[j] & 0xC0 == 0x80 && j - i < 4 { j += 1 }
            let cp = Array(bytes[i..<j])
            if let id = lookup[cp] { tokens.append(id) } else { for byte in cp { tokens.append(Int(byte) + 3) } }
            i = j
        }
        // Merge the best-scoring adjacent pair until none is in the vocabulary (first one on ties, as
        // run.c). pair[k] is the id of tokens[k] + tokens[k + 1] (or -1); a merge recomputes only the
        // two pairs beside it, so each round is a scan over floats rather than a hash of every pair.
        var buf: [UInt8] = []
        func merged(_ a: Int, _ b: Int) -> Int {
            buf.removeAll(keepingCapacity: true)
            buf.append(contentsOf: vocab[a])
            buf.append(contentsOf: vocab[b])
            return lookup[buf] ?? -1
        }
        var pair: [Int] = []
        pair.reserveCapacity(tokens.count)
        var k = 0
        while k + 1 < tokens.count { pair.append(merged(tokens[k], tokens[k + 1])); k += 1 }
        while true {
            var bestScore: Float = -1e10
            var bestIdx = -1
            for (k, id) in pair.enumerated() where id >= 0 && scores[id] > bestScore {
                bestScore = scores[id]; bestIdx = k
            }
            if bestIdx == -1 { break }
            tokens[bestIdx] = pair[bestIdx]
            tokens.remove(at: bestIdx + 1)
            pair.remove(at: bestIdx)
            if bestIdx > 0 { pair[bestIdx - 1] = merged(tokens[bestIdx - 1], tokens[bestIdx]) }
            if bestIdx < pair.count { pair[bestIdx] = merged(tokens[bestIdx], tokens[bestIdx + 1]) }
        }
        if eos { tokens.append(Self.eos) }
        return tokens
    }

    /// The bytes `token` stands for after `previous`, as `run.c` `decode()`: the leading space of the
    /// first piece after BOS is stripped, `<0xXX>` pieces become that byte.
    public func decode(previous: Int, token: Int) -> [UInt8] {
        guard token >= 0 && token < vocab.count else { return [] }
        var piece = vocab[token][...]
        if previous == Self.bos, piece.first == 0x20 { piece = piece.dropFirst() }
        if piece.count == 6, piece.starts(with: Array("<0x".utf8)), piece.last == UInt8(ascii: ">"),
           let v = UInt8(String(decoding: piece.dropFirst(3).prefix(2), as: UTF8.self), radix: 16) {
            return [v]
        }
        return Array(piece)
    }

    /// Text for a token sequence (each piece decoded after its predecessor), as run.c prints it:
    /// single raw bytes that are neither printable nor whitespace in the C locale (so every byte
    /// ≥ 0x80) are skipped. Backends use the raw bytes instead, so UTF-8 from byte tokens survives.
    public func text(_ tokens: [Int], after first: Int = bos) -> String {
        var out: [UInt8] = []
        var prev = first
        for t in tokens {
            let piece = decode(previous: prev, token: t)
            if piece.count == 1 {
                let c = piece[0]
                let printable = (c >= 0x20 && c < 0x7F) || (c >= 0x09 && c <= 0x0D)
                if printable { out.append(c) }
            } else {
                out.append(contentsOf: piece)
            }
            prev = t
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Writes `tokenizer.bin` files (tokenizer training, `model init --tokenizer-out`).
public enum TokenizerWriter {
    /// Writes `vocab` and `scores` to `path` in `tokenizer.bin` form: the longest token's length, then each token's score, byte length and bytes.
    public static func write(vocab: [[UInt8]], scores: [Float], to path: String) throws {
        var out: [UInt8] = []
        func i32(_ v: Int) { withUnsafeBytes(of: Int32(v).littleEndian) { out.append(contentsOf: $0) } }
        i32(vocab.map(\.count).max() ?? 0)
        for (piece, score) in zip(vocab, scores) {
            withUnsafeBytes(of: score) { out.append(contentsOf: $0) }
            i32(piece.count)
            out.append(contentsOf: piece)
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(out)) else { throw ModelError("\(path): cannot write") }
    }

    /// The base vocabulary every Proctor tokenizer starts from: `<unk>`, `<s>`, `</s>`, the 256 byte
    /// tokens `<0xXX>` (ids 3–258), then printable ASCII characters as their own tokens.
    public static func baseVocabulary() -> (vocab: [[UInt8]], scores: [Float]) {
        var vocab: [[UInt8]] = [Array("<unk>".utf8), Array("\n<s>\n".utf8), Array("\n</s>\n".utf8)]
        for b in 0..<256 { vocab.append(Array(String(format: "<0x%02X>", b).utf8)) }
        for c in 0x20..<0x7F { vocab.append([UInt8(c)]) }
        return (vocab, [Float](repeating: 0, count: vocab.count))
    }
}
