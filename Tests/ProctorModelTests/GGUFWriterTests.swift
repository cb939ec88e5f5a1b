import Foundation
import ProctorModel
import ProctorTestSupport
import XCTest

/// `proctor model export --gguf`: the file read back with an independent little GGUF reader
/// (header, metadata, tensor table, alignment, data); llama.cpp itself is checked by
/// Tests/Scripts/gguf-llamacpp-check.py.
final class GGUFWriterTests: XCTestCase {
    struct Reader {
        let b: [UInt8]
        var p = 0
        mutating func u32() -> UInt32 { defer { p += 4 }; return b[p..<(p + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
        mutating func u64() -> UInt64 { defer { p += 8 }; return b[p..<(p + 8)].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }
        mutating func str() -> String { let n = Int(u64()); defer { p += n }; return String(decoding: b[p..<(p + n)], as: UTF8.self) }
        mutating func value(_ type: UInt32) -> Any {
            switch type {
            case 4: return u32()
            case 5: return Int32(bitPattern: u32())
            case 6: return Float(bitPattern: u32())
            case 8: return str()
            case 9:
                let t = u32(), n = Int(u64())
                return (0..<n).map { _ in value(t) }
            default: XCTFail("unexpected GGUF type \(type)"); return 0
            }
        }
    }

    func testRoundTrip() throws {
        let ckpt = try Checkpoint(path: try SharedData.path("models/ref-tiny/model.bin"))
        let tok = try Tokenizer(path: try SharedData.path("models/ref-tiny/tokenizer.bin"), vocabSize: 512)
        let dir = TempDir()
        let out = dir.file("m.gguf")
        let written = try GGUFWriter.write(ckpt, tokenizer: tok, chatTemplate: GGUFWriter.builtinChatTemplate, to: out)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        XCTAssertEqual(bytes.count, written.bytes)
        XCTAssertEqual(written.tensors, 2 + ckpt.config.nLayers * 9 + 1)
        var r = Reader(b: bytes)
        XCTAssertEqual(Array(bytes[0..<4]), Array("GGUF".utf8)); r.p = 4
        XCTAssertEqual(r.u32(), 3)
        let tensors = Int(r.u64()), kvs = Int(r.u64())
        XCTAssertEqual(tensors, 2 + 2 * 9 + 1)
        var meta: [String: Any] = [:]
        for _ in 0..<kvs { let k = r.str(); meta[k] = r.value(r.u32()) }
        XCTAssertEqual(meta["general.architecture"] as? String, "llama")
        XCTAssertEqual(meta["llama.embedding_length"] as? UInt32, 64)
        XCTAssertEqual(meta["llama.feed_forward_length"] as? UInt32, 172)
        XCTAssertEqual(meta["llama.context_length"] as? UInt32, 128)
        XCTAssertEqual(meta["llama.rope.dimension_count"] as? UInt32, 16)
        let tokens = meta["tokenizer.ggml.tokens"] as? [Any] ?? []
        XCTAssertEqual(tokens.count, 512)
        XCTAssertEqual(tokens[1] as? String, "<s>")
        XCTAssertEqual(tokens[3] as? String, "<0x00>")
        XCTAssertEqual(tokens[259] as? String, "\u{2581}", "a space is SentencePiece's ▁")
        XCTAssertEqual((meta["tokenizer.ggml.token_type"] as? [Any])?[3] as? Int32, 6, "byte token")
        XCTAssertEqual(meta["tokenizer.chat_template"] as? String, GGUFWriter.builtinChatTemplate)
        // Tensor table, then data at 32-byte alignment; check the embedding and the last norm.
        var infos: [(String, [UInt64], UInt64)] = []
        for _ in 0..<tensors {
            let name = r.str(), n = Int(r.u32())
            let dims = (0..<n).map { _ in r.u64() }
            XCTAssertEqual(r.u32(), 0, "F32")
            infos.append((name, dims, r.u64()))
        }
        let dataStart = (r.p + 31) / 32 * 32
        XCTAssertEqual(infos[0].0, "token_embd.weight")
        XCTAssertEqual(infos[0].1, [64, 512])
        for (_, _, off) in infos { XCTAssertEqual(off % 32, 0) }
        func floats(_ i: Int, _ count: Int) -> [Float] {
            let start = dataStart + Int(infos[i].2)
            return bytes[start..<(start + count * 4)].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        XCTAssertEqual(floats(0, 64 * 512), Array(UnsafeBufferPointer(start: ckpt.tokenEmbedding, count: 64 * 512)))
        let ffnDown = infos.firstIndex { $0.0 == "blk.1.ffn_down.weight" }!
        XCTAssertEqual(infos[ffnDown].1, [172, 64])
        XCTAssertEqual(floats(ffnDown, 172 * 64), Array(UnsafeBufferPointer(start: ckpt.f32!.w2 + 64 * 172, count: 172 * 64)))
        XCTAssertEqual(infos.last?.0, "output.weight")
        // int8 files and mismatched tokenizers are refused.
        let q8 = try Checkpoint(path: try SharedData.path("models/ref-tiny-q80/model.bin"))
        XCTAssertThrowsError(try GGUFWriter.write(q8, tokenizer: tok, chatTemplate: nil, to: dir.file("q.gguf"))) { e in XCTAssertTrue("\(e)".contains("fp32"), "\(e)") }
    }
}
