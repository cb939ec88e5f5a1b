import Foundation
import ProctorConstrain
import ProctorJSON
import ProctorModel
import ProctorSchema
import ProctorTestSupport
import XCTest

/// Constrained generation end to end: random-weight models (noise when unconstrained) must give
/// instances Proctor's validator accepts, for every schema of the test set, sampled at temperature 1.
final class ConstrainedDecodingTests: XCTestCase {
    static let schemaFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Schemas")

    static func schemas() throws -> [(String, JSONValue)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: schemaFolder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { n in
            (n, try JSONParser.parse(String(contentsOf: schemaFolder.appendingPathComponent(n), encoding: .utf8)))
        }
    }

    func testRandomModelAlwaysProducesValidInstances() throws {
        let model = try SharedData.path("models/ref-tiny/model.bin"), tok = try SharedData.path("models/ref-tiny/tokenizer.bin")
        let c = try Checkpoint(path: model)
        let tokenizer = try Tokenizer(path: tok, vocabSize: c.config.vocabSize)
        let vocab = try TokenVocabulary(tokenizer: tokenizer)
        let t = Transformer(checkpoint: c, threads: 1)
        for (name, schema) in try Self.schemas() {
            let grammar = try Grammar(schema: schema)
            let validator = try CompiledSchema.compile(schema)
            let gen = try ConstrainedGenerator(transformer: t, tokenizer: tokenizer, grammar: grammar, vocab: vocab)
            for seed in 1...6 {
                var rng = ModelRandom(seed: UInt64(seed))
                let g = try gen.generate(prompt: "Data:", temperature: 1, topP: seed % 2 == 0 ? 0.9 : 1, rng: &rng)
                let v = try JSONParser.parse(g.text)
                XCTAssertTrue(validator.isValid(v), "\(name) seed \(seed): \(g.text)")
            }
        }
    }

    /// The trained default model, sampled at temperature 1 (whitespace allowed, as it was trained):
    /// valid every time too.
    func testDefaultModelAtTemperatureOneIsAlwaysValid() throws {
        let root = SharedData.projectRoot.appendingPathComponent("fixtures/models")
        let c = try Checkpoint(path: root.appendingPathComponent("proctor-tiny.bin").path)
        let tokenizer = try Tokenizer(path: root.appendingPathComponent("proctor-tiny.tokenizer.bin").path, vocabSize: c.config.vocabSize)
        let vocab = try TokenVocabulary(tokenizer: tokenizer)
        let t = Transformer(checkpoint: c, threads: 1)
        for (name, schema) in try Self.schemas() {
            let gen = try ConstrainedGenerator(transformer: t, tokenizer: tokenizer, grammar: try Grammar(schema: schema, options: ConstraintOptions(allowWhitespace: true)), vocab: vocab)
            let validator = try CompiledSchema.compile(schema)
            for seed in 1...3 {
                var rng = ModelRandom(seed: UInt64(seed))
                let g = try gen.generate(prompt: "Task: extract\nInput: Ann Lee, 31, lives in Rome.\nJSON:\n", temperature: 1, topP: seed == 2 ? 0.9 : 1, rng: &rng)
                XCTAssertTrue(validator.isValid(try JSONParser.parse(g.text)), "\(name) seed \(seed): \(g.text)")
            }
        }
    }

    /// A real-size vocabulary (llama2.c's 32,000 tokens) on a small random model.
    func testThirtyTwoThousandTokenVocabulary() throws {
        let tok = try SharedData.path("models/llama2c-tokenizer/tokenizer.bin")
        let dir = TempDir()
        let cfg = ModelConfig(dim: 16, hiddenDim: 32, nLayers: 1, nHeads: 2, nKVHeads: 2, vocabSize: 32000, seqLen: 160)
        try CheckpointWriter.writeRandom(cfg, seed: 5, to: dir.file("m.bin"))
        let c = try Checkpoint(path: dir.file("m.bin"))
        let tokenizer = try Tokenizer(path: tok, vocabSize: 32000)
        let vocab = try TokenVocabulary(tokenizer: tokenizer)
        let t = Transformer(checkpoint: c, threads: 1)
        for (name, schema) in try Self.schemas() where ["person.json", "patterns.json", "tree.json", "alternatives.json", "enums.json"].contains(name) {
            let gen = try ConstrainedGenerator(transformer: t, tokenizer: tokenizer, grammar: try Grammar(schema: schema), vocab: vocab)
            let validator = try CompiledSchema.compile(schema)
            for seed in 1...2 {
                var rng = ModelRandom(seed: UInt64(seed))
                let g = try gen.generate(prompt: "Data:", temperature: 1, topP: 1, rng: &rng)
                XCTAssertTrue(validator.isValid(try JSONParser.parse(g.text)), "\(name) seed \(seed): \(g.text)")
            }
        }
    }
}
