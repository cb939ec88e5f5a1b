import Foundation
import ProctorModel
import ProctorTestSupport
import XCTest
import ProctorConversation

/// The prompt format recorded in a checkpoint: written by training on the task format, read back,
/// ignored by llama2.c's layout, carried by quantization.
final class PromptTemplateTests: XCTestCase {
    func testRenderAndValidation() throws {
        let t = PromptTemplate.taskFormat
        XCTAssertEqual(t.render(system: ["classify"], user: ["the app crashes"]), "Task: classify\nInput: the app crashes\nJSON:\n")
        XCTAssertEqual(t.render(system: [], user: ["a", "b"]), "Task: \nInput: a\nb\nJSON:\n")
        // A message that holds a placeholder's text is written as it is, not filled in.
        XCTAssertEqual(t.render(system: ["say {{user}}"], user: ["{{system}}"]), "Task: say {{user}}\nInput: {{system}}\nJSON:\n")
        XCTAssertThrowsError(try PromptTemplate("no placeholder")) { e in XCTAssertTrue("\(e)".contains("{{user}}"), "\(e)") }
        XCTAssertThrowsError(try PromptTemplate("{{user}} {{assistant}}")) { e in XCTAssertTrue("\(e)".contains("unknown placeholder"), "\(e)") }
        XCTAssertThrowsError(try PromptTemplate("{{user}} {{oops")) { e in XCTAssertTrue("\(e)".contains("unclosed"), "\(e)") }
        XCTAssertEqual(t.jinja, "{{ 'Task: ' }}{{ messages | selectattr('role', 'equalto', 'system') | map(attribute='content') | join('\\n') }}"
                       + "{{ '\\nInput: ' }}{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join('\\n') }}{{ '\\nJSON:\\n' }}")
    }

    func testTrainingRecordsItAndEveryReaderKeepsIt() throws {
        let dir = TempDir()
        let cfg = ModelConfig(dim: 32, hiddenDim: 64, nLayers: 1, nHeads: 4, nKVHeads: 4, vocabSize: 354, seqLen: 32)
        var o = TrainOptions(config: cfg)
        o.steps = 2
        o.batch = 2
        o.threads = 1
        o.promptTemplate = .taskFormat
        var corpus = TaskCorpus(seed: 3)
        let base = TokenizerWriter.baseVocabulary()
        let tok = Tokenizer(vocab: base.vocab, scores: base.scores)
        let docs = (0..<40).map { _ in [1] + Array(tok.encode(corpus.next().text).dropFirst()) + [2] }
        try Trainer(options: o, documents: docs).run(output: dir.file("m.bin")) { _ in }
        let c = try Checkpoint(path: dir.file("m.bin"))
        XCTAssertEqual(c.promptTemplate, .taskFormat)
        XCTAssertEqual(c.version, 0)
        // Without the trailer the file is a plain llama2.c checkpoint of the same weights.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("m.bin")))
        let plain = dir.writeBytes("plain.bin", [UInt8](bytes.prefix(bytes.count - 75)))
        let p = try Checkpoint(path: plain)
        XCTAssertNil(p.promptTemplate)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: p.tokenEmbedding, count: 100)), Array(UnsafeBufferPointer(start: c.tokenEmbedding, count: 100)))
        // Quantizing keeps the template.
        _ = try Quantizer.quantize(c, groupSize: 32, to: dir.file("q.bin"))
        XCTAssertEqual(try Checkpoint(path: dir.file("q.bin")).promptTemplate, .taskFormat)
        // A damaged trailer is an error, not a silent loss.
        var broken = [UInt8](bytes)
        broken[broken.count - 13] = UInt8(ascii: "#")  // the JSON's closing brace
        XCTAssertThrowsError(try Checkpoint(path: dir.writeBytes("broken.bin", broken))) { e in XCTAssertTrue("\(e)".contains("trailer"), "\(e)") }
        // The default model records the format it was trained on.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        XCTAssertEqual(try Checkpoint(path: root + "/fixtures/models/proctor-tiny.bin").promptTemplate, .taskFormat)
    }
}
