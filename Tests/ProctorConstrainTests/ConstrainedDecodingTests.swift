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
}
