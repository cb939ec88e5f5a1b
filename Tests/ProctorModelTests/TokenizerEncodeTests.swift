import Foundation
import ProctorModel
import ProctorTestSupport
import XCTest

/// `encode` keeps the pair ids beside each merge up to date instead of re-hashing every pair each
/// round; these tests hold it to the plain run.c algorithm, written out here, on many inputs.
final class TokenizerEncodeTests: XCTestCase {
    /// run.c `encode()` as written there: every round looks up every adjacent pair.
    func reference(_ tok: Tokenizer, _ lookup: [[UInt8]: Int], _ bytes: [UInt8]) -> [Int] {
        var tokens = [Tokenizer.bos]
        if !bytes.isEmpty, let space = lookup[[0x20]] { tokens.append(space) }
        var i = 0
        while i < bytes.count {
            var j = i + 1
            while j < bytes.count && bytes[j] & 0xC0 == 0x80 && j - i < 4 { j += 1 }
            let cp = Array(bytes[i..<j])
            if let id = lookup[cp] { tokens.append(id) } else { tokens += cp.map { Int($0) + 3 } }
            i = j
        }
        while true {
            var best: (score: Float, id: Int, at: Int) = (-1e10, -1, -1)
            for k in 0..<max(0, tokens.count - 1) {
                if let id = lookup[tok.vocab[tokens[k]] + tok.vocab[tokens[k + 1]]], tok.scores[id] > best.score { best = (tok.scores[id], id, k) }
            }
            if best.at < 0 { break }
            tokens[best.at] = best.id
            tokens.remove(at: best.at + 1)
        }
        return tokens
    }

    func inputs() throws -> [[UInt8]] {
        var rng = SeededGenerator(seed: 17)
        let corpus = try String(contentsOf: SharedData.projectRoot.appendingPathComponent("fixtures/corpus/heldout.txt"), encoding: .utf8)
        var out = corpus.components(separatedBy: "\n\n").prefix(150).map { Array($0.utf8) }
        let alphabet = Array("  aeiou{}\":,[]0123456789éü日本🙂\n\t".utf8)
        for _ in 0..<150 {
            let n = Int.random(in: 0...80, using: &rng)
            // Mostly text-like bytes, some arbitrary ones (invalid UTF-8 included).
            out.append((0..<n).map { _ in Bool.random(using: &rng) || Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng) })
        }
        return out
    }

    func check(_ tok: Tokenizer) throws {
        var lookup: [[UInt8]: Int] = [:]
        for (i, v) in tok.vocab.enumerated() where lookup[v] == nil { lookup[v] = i }
        for bytes in try inputs() {
            XCTAssertEqual(tok.encode(bytes: bytes), reference(tok, lookup, bytes), "\(bytes)")
        }
    }

    func testTrainedTokenizer() throws {
        try check(Tokenizer(path: SharedData.projectRoot.appendingPathComponent("fixtures/models/proctor-tiny.tokenizer.bin").path, vocabSize: 512))
    }

    func testLlama2Tokenizer() throws {
        try check(Tokenizer(path: SharedData.path("models/llama2c-tokenizer/tokenizer.bin"), vocabSize: 32000))
    }
}
