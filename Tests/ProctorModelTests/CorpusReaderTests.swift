import Foundation
import ProctorModel
import ProctorTestSupport
import XCTest

/// Training corpora: plain text, JSON Lines, the task format, folders; and the errors before training.
final class CorpusReaderTests: XCTestCase {
    func testFormatsAndDetection() throws {
        let text = "First paragraph,\nstill the first.\n\n\n  \nSecond one.\r\n\r\nThird."
        let t = try Corpus.parse(text, name: "t.txt")
        XCTAssertEqual(t.format, .text)
        XCTAssertEqual(t.documents, ["First paragraph,\nstill the first.", "Second one.", "Third."])
        let sep = try Corpus.parse("a\n\nb<|doc|>c", name: "t.txt", separator: "<|doc|>")
        XCTAssertEqual(sep.documents, ["a\n\nb", "c"])
        let j = try Corpus.parse("{\"text\": \"one\"}\n\n{\"text\": \"two\\nlines\", \"id\": 2}\n", name: "c.jsonl")
        XCTAssertEqual(j.format, .jsonl)
        XCTAssertEqual(j.documents, ["one", "two\nlines"])
        let tasks = try Corpus.parse("Task: classify\nInput: x\nJSON:\n{\"label\": \"a\"}\n\nTask: convert\nInput: 1 m to cm\nJSON:\n{\"value\": 100}\n", name: "c.txt")
        XCTAssertEqual(tasks.format, .tasks)
        XCTAssertEqual(tasks.documents.count, 2)
        // Forced formats win over detection.
        XCTAssertEqual(try Corpus.parse("{\"text\": \"x\"}", name: "c", format: .text).documents, ["{\"text\": \"x\"}"])
    }

    func testErrorsNameTheFileAndLine() throws {
        XCTAssertThrowsError(try Corpus.parse("{\"text\": \"ok\"}\n{\"text\": 3}\n", name: "c.jsonl")) { e in
            XCTAssertTrue("\(e)".hasPrefix("c.jsonl:2:1:"), "\(e)")
        }
        XCTAssertThrowsError(try Corpus.parse("{\"text\": \"ok\"}\n{\"text\": \"x\",}\n", name: "c.jsonl")) { e in
            XCTAssertTrue("\(e)".hasPrefix("c.jsonl:2:"), "\(e)")
        }
        XCTAssertThrowsError(try Corpus.parse("\n \n\n", name: "e.txt")) { e in XCTAssertTrue("\(e)".contains("empty"), "\(e)") }
        XCTAssertThrowsError(try Corpus.parse("no tasks here", name: "t.txt", format: .tasks)) { e in XCTAssertTrue("\(e)".contains("task format"), "\(e)") }
        let dir = TempDir()
        let bad = dir.writeBytes("bad.txt", Array("line one\nline two\n".utf8) + [0xFF, 0x41])
        XCTAssertThrowsError(try Corpus.read(bad)) { e in XCTAssertTrue("\(e)".contains("bad.txt:3: not UTF-8"), "\(e)") }
        XCTAssertThrowsError(try Corpus.read(dir.file("missing.txt"))) { e in XCTAssertTrue("\(e)".contains("no such file"), "\(e)") }
    }

    func testFolderIsOneDocumentPerFile() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("docs"), withIntermediateDirectories: true)
        dir.write("docs/b.txt", "Second file.\n\nStill second.")
        dir.write("docs/a.md", "First file.")
        dir.write("docs/.hidden", "ignored")
        dir.write("docs/empty.txt", "  \n")
        let c = try Corpus.read(dir.file("docs"))
        XCTAssertEqual(c.documents, ["First file.", "Second file.\n\nStill second."])
    }

    func testUncoveredCharactersAreFoundBeforeTraining() throws {
        // A tokenizer without byte fallback: specials and a few letters only.
        let vocab: [[UInt8]] = [Array("<unk>".utf8), Array("\n<s>\n".utf8), Array("\n</s>\n".utf8)] + "abc \n".utf8.map { [$0] }
        let tok = Tokenizer(vocab: vocab, scores: vocab.map { _ in 0 })
        XCTAssertFalse(tok.hasByteFallback)
        let c = try Corpus.parse("abc cab\n\nab\nbaé", name: "t.txt")
        let u = c.uncovered(by: tok)
        XCTAssertEqual(u?.document, 1)
        XCTAssertEqual(u?.line, 2)
        XCTAssertEqual(u?.character, "é")
        // The shared tokenizer is looked up outside the assertion: a skip thrown inside one counts as a failure.
        let shared = try SharedData.path("models/ref-tiny/tokenizer.bin")
        XCTAssertNil(c.uncovered(by: try Tokenizer(path: shared, vocabSize: 512)), "byte fallback covers everything")
    }

    /// One long document: the held-out split is its last tokens; too short is a clear error.
    func testSingleDocumentCorpus() throws {
        var o = TrainOptions(config: ModelConfig(dim: 16, hiddenDim: 32, nLayers: 1, nHeads: 2, nKVHeads: 2, vocabSize: 300, seqLen: 16))
        o.steps = 1
        XCTAssertNoThrow(try Trainer(options: o, documents: [Array(repeating: 5, count: 200)]))
        XCTAssertThrowsError(try Trainer(options: o, documents: [Array(repeating: 5, count: 20)])) { e in
            XCTAssertTrue("\(e)".contains("shorter than one training window"), "\(e)")
        }
    }
}
