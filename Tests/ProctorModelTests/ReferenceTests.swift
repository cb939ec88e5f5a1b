import Foundation
import ProctorJSON
import ProctorModel
import ProctorTestSupport
import XCTest

/// Golden tests against llama2.c run.c outputs in ../shared/models/ref-tiny.
final class ReferenceTests: XCTestCase {
    func json(_ name: String) throws -> JSONValue {
        try JSONParser.parse(String(contentsOfFile: try SharedData.path("models/ref-tiny/\(name)"), encoding: .utf8))
    }

    func load() throws -> (Transformer, Tokenizer) {
        let ckpt = try Checkpoint(path: try SharedData.path("models/ref-tiny/model.bin"))
        let tok = try Tokenizer(path: try SharedData.path("models/ref-tiny/tokenizer.bin"), vocabSize: ckpt.config.vocabSize)
        return (Transformer(checkpoint: ckpt, threads: 2), tok)
    }

    func testConfigFromHeader() throws {
        let (t, _) = try load()
        XCTAssertEqual(t.config, ModelConfig(dim: 64, hiddenDim: 172, nLayers: 2, nHeads: 4, nKVHeads: 4, vocabSize: 512, seqLen: 128, sharedClassifier: true))
    }

    func testTokenizerVectors() throws {
        let (_, tok) = try load()
        let v = try json("tokenizer_vectors.json")
        guard case .array(let cases)? = v["tokenizer"]?["cases"] else { return XCTFail("no cases") }
        XCTAssertEqual(cases.count, 20)
        for c in cases {
            let hex = c["text_hex"]!.stringValue!
            var bytes: [UInt8] = []
            var i = hex.startIndex
            while i < hex.endIndex { let j = hex.index(i, offsetBy: 2); bytes.append(UInt8(hex[i..<j], radix: 16)!); i = j }
            let text = String(decoding: bytes, as: UTF8.self)
            let ids = c["ids"]!.arrayValue!.map { $0.intValue! }
            XCTAssertEqual(tok.encode(bytes: bytes), ids, "encode \(text.debugDescription)")
            let pieces = c["decoded_pieces_hex"]!.arrayValue!.map { $0.stringValue! }
            var prev = ids.first ?? 1
            var got: [String] = []
            for id in ids.dropFirst() {
                got.append(tok.decode(previous: prev, token: id).map { String(format: "%02x", $0) }.joined())
                prev = id
            }
            XCTAssertEqual(got, pieces, "decode \(text.debugDescription)")
        }
    }

    func testLogitsAtTheFirstPositions() throws {
        let (t, _) = try load()
        let v = try json("logits.json")
        let fed = v["tokens_fed"]!.arrayValue!.map { $0.intValue! }
        let expected = v["logits"]!.arrayValue!.map { $0.arrayValue!.map { Float($0.doubleValue!) } }
        for (pos, tok) in fed.enumerated() {
            let logits = t.forward(token: tok, pos: pos)
            for (i, e) in expected[pos].enumerated() {
                XCTAssertEqual(logits[i], e, accuracy: 1e-4 * max(1, abs(e)), "pos \(pos) logit \(i)")
            }
        }
    }

    func testGreedyGenerationMatchesTokenForToken() throws {
        let (t, tok) = try load()
        let g = try json("greedy.json")
        var sampler = Sampler(temperature: 0)
        let gen = try Generator(transformer: t, tokenizer: tok).generate(prompt: g["prompt"]!.stringValue!, steps: g["steps"]!.intValue!,
                                                                      sampler: &sampler, stopTokens: [Tokenizer.bos])
        XCTAssertEqual(gen.promptTokenIds, g["prompt_token_ids"]!.arrayValue!.map { $0.intValue! })
        XCTAssertEqual(gen.generatedTokenIds, g["generated_token_ids"]!.arrayValue!.map { $0.intValue! })
        XCTAssertEqual(gen.fullText, g["text"]!.stringValue!)
    }

    func testPrefillEqualsTokenByTokenForward() throws {
        let (a, tok) = try load()
        let (b, _) = try load()
        let ids = tok.encode("Once upon a time there was a little model")
        var last: [Float] = []
        for (p, id) in ids.enumerated() { let l = a.forward(token: id, pos: p); last = Array(UnsafeBufferPointer(start: l, count: 512)) }
        let batched = b.prefill(ids, start: 0)
        for i in 0..<512 { XCTAssertEqual(batched[i], last[i], accuracy: 1e-4) }
        // The caches agree too: the next step gives the same logits.
        let n1 = Array(UnsafeBufferPointer(start: a.forward(token: 300, pos: ids.count), count: 512))
        let n2 = Array(UnsafeBufferPointer(start: b.forward(token: 300, pos: ids.count), count: 512))
        for i in 0..<512 { XCTAssertEqual(n1[i], n2[i], accuracy: 1e-4) }
    }
}
