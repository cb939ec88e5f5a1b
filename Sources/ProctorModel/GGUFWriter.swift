import Foundation

/// Writes a checkpoint and its tokenizer as GGUF (version 3), the format llama.cpp, Ollama and LM
/// Studio load: architecture `llama`, fp32 tensors, the SentencePiece-style "llama" tokenizer with
/// byte-fallback tokens, and optionally a Jinja chat template.
///
/// llama2.c rotates interleaved pairs (2j, 2j+1) in RoPE, which is what llama.cpp's `llama`
/// architecture does for GGUF files (it is HF checkpoints that need their q/k rows permuted on the
/// way in), so q and k are written as stored. Tokens are written the way SentencePiece spells
/// them: a space becomes "▁", the three specials lose llama2.c's surrounding newlines.
public enum GGUFWriter {
    /// The `builtin` backend's chat template in Jinja: message contents in order, separated by a
    /// blank line, non-user messages prefixed with their capitalised role, then a newline.
    public static let builtinChatTemplate =
        "{% for m in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}"
        + "{% if m['role'] == 'user' %}{{ m['content'] }}{% else %}{{ m['role'] | capitalize }}: {{ m['content'] }}{% endif %}"
        + "{% endfor %}{{ '\\n' }}"

    enum ValueType: UInt32 { case uint32 = 4, int32 = 5, float32 = 6, string = 8, array = 9 }

    /// A metadata value.
    enum Value {
        case u32(UInt32), f32(Float), string([UInt8]), strings([[UInt8]]), f32s([Float]), i32s([Int32])
    }

    /// What an export wrote, so a caller reports the file as it is rather than recounting it.
    public struct Written: Sendable, Equatable {
        /// Bytes in the file.
        public let bytes: Int
        /// Tensors in the file (all F32).
        public let tensors: Int
    }

    /// Writes `checkpoint` (fp32) and `tokenizer` to `path`; returns what it wrote.
    @discardableResult
    public static func write(_ checkpoint: Checkpoint, tokenizer: Tokenizer, chatTemplate: String?, to path: String) throws(ModelError) -> Written {
        guard let f = checkpoint.f32 else {
            throw ModelError("\(checkpoint.path): GGUF export takes fp32 checkpoints (this one is int8, version 2); export the file it was quantized from")
        }
        let c = checkpoint.config
        guard tokenizer.vocabSize == c.vocabSize else {
            throw ModelError("the tokenizer has \(tokenizer.vocabSize) tokens but the model's vocabulary has \(c.vocabSize)")
        }
        var meta: [(String, Value)] = [
            ("general.architecture", .string(Array("llama".utf8))),
            ("general.name", .string(Array(URL(fileURLWithPath: checkpoint.path).deletingPathExtension().lastPathComponent.utf8))),
            ("general.alignment", .u32(32)),
            ("general.file_type", .u32(0)),  // all F32
            ("llama.context_length", .u32(UInt32(c.seqLen))),
            ("llama.embedding_length", .u32(UInt32(c.dim))),
            ("llama.block_count", .u32(UInt32(c.nLayers))),
            ("llama.feed_forward_length", .u32(UInt32(c.hiddenDim))),
            ("llama.attention.head_count", .u32(UInt32(c.nHeads))),
            ("llama.attention.head_count_kv", .u32(UInt32(c.nKVHeads))),
            ("llama.rope.dimension_count", .u32(UInt32(c.headSize))),
            ("llama.attention.layer_norm_rms_epsilon", .f32(1e-5)),
            ("llama.rope.freq_base", .f32(10000)),
            ("tokenizer.ggml.model", .string(Array("llama".utf8))),
        ]
        var tokens: [[UInt8]] = [], types: [Int32] = []
        for (i, piece) in tokenizer.vocab.enumerated() {
            if i <= 2 {
                tokens.append(Array(String(decoding: piece, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8))
                types.append(i == 0 ? 2 : 3)  // unknown, control
            } else if piece.count == 6 && piece.starts(with: Array("<0x".utf8)) && piece.last == UInt8(ascii: ">") {
                tokens.append(piece)
                types.append(6)  // byte
            } else {
                var t: [UInt8] = []
                for b in piece { if b == 0x20 { t += [0xE2, 0x96, 0x81] } else { t.append(b) } }  // " " → "▁"
                tokens.append(t)
                types.append(1)  // normal
            }
        }
        meta += [("tokenizer.ggml.tokens", .strings(tokens)), ("tokenizer.ggml.scores", .f32s(tokenizer.scores)),
                 ("tokenizer.ggml.token_type", .i32s(types)), ("tokenizer.ggml.bos_token_id", .u32(1)),
                 ("tokenizer.ggml.eos_token_id", .u32(2)), ("tokenizer.ggml.unknown_token_id", .u32(0))]
        if let chatTemplate { meta.append(("tokenizer.chat_template", .string(Array(chatTemplate.utf8)))) }

        // Tensors: name, GGUF dims (innermost first), data.
        let d = c.dim, kv = c.kvDim, hd = c.hiddenDim
        var tensors: [(String, [Int], UnsafePointer<Float>)] = [("token_embd.weight", [d, c.vocabSize], checkpoint.tokenEmbedding)]
        for l in 0..<c.nLayers {
            tensors += [("blk.\(l).attn_norm.weight", [d], checkpoint.rmsAtt + l * d),
                        ("blk.\(l).attn_q.weight", [d, d], f.wq + l * d * d), ("blk.\(l).attn_k.weight", [d, kv], f.wk + l * kv * d),
                        ("blk.\(l).attn_v.weight", [d, kv], f.wv + l * kv * d), ("blk.\(l).attn_output.weight", [d, d], f.wo + l * d * d),
                        ("blk.\(l).ffn_norm.weight", [d], checkpoint.rmsFFN + l * d),
                        ("blk.\(l).ffn_gate.weight", [d, hd], f.w1 + l * hd * d), ("blk.\(l).ffn_down.weight", [hd, d], f.w2 + l * d * hd),
                        ("blk.\(l).ffn_up.weight", [d, hd], f.w3 + l * hd * d)]
        }
        tensors += [("output_norm.weight", [d], checkpoint.rmsFinal), ("output.weight", [d, c.vocabSize], f.wcls)]

        var head: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { head += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { head += $0 } }
        func str(_ s: [UInt8]) { u64(UInt64(s.count)); head += s }
        head += Array("GGUF".utf8)
        u32(3)
        u64(UInt64(tensors.count))
        u64(UInt64(meta.count))
        for (key, value) in meta {
            str(Array(key.utf8))
            switch value {
            case .u32(let v): u32(ValueType.uint32.rawValue); u32(v)
            case .f32(let v): u32(ValueType.float32.rawValue); u32(v.bitPattern)
            case .string(let s): u32(ValueType.string.rawValue); str(s)
            case .strings(let a): u32(ValueType.array.rawValue); u32(ValueType.string.rawValue); u64(UInt64(a.count)); for s in a { str(s) }
            case .f32s(let a): u32(ValueType.array.rawValue); u32(ValueType.float32.rawValue); u64(UInt64(a.count)); for v in a { u32(v.bitPattern) }
            case .i32s(let a): u32(ValueType.array.rawValue); u32(ValueType.int32.rawValue); u64(UInt64(a.count)); for v in a { u32(UInt32(bitPattern: v)) }
            }
        }
        var offset = 0
        for (name, dims, _) in tensors {
            str(Array(name.utf8))
            u32(UInt32(dims.count))
            for x in dims { u64(UInt64(x)) }
            u32(0)  // GGML_TYPE_F32
            u64(UInt64(offset))
            offset += (dims.reduce(1, *) * 4 + 31) / 32 * 32
        }
        while head.count % 32 != 0 { head.append(0) }

        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let fh = FileHandle(forWritingAtPath: tmp) else {
            throw ModelError("\(path): cannot write")
        }
        var written = 0
        do {
            try fh.write(contentsOf: head)
            written = head.count
            for (_, dims, data) in tensors {
                let bytes = dims.reduce(1, *) * 4
                try fh.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: data), count: bytes, deallocator: .none))
                let pad = (bytes + 31) / 32 * 32 - bytes
                if pad > 0 { try fh.write(contentsOf: Data(count: pad)) }
                written += bytes + pad
            }
            try fh.close()
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            try? fh.close()
            try? FileManager.default.removeItem(atPath: tmp)
            throw ModelError("\(path): cannot write the GGUF file (\(error.localizedDescription))")
        }
        return Written(bytes: written, tensors: tensors.count)
    }
}
