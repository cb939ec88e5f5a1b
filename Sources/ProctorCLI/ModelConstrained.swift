import Foundation
import ProctorConstrain
import ProctorJSON
import ProctorModel

/// `proctor model generate … --schema S.json | --json-value`: constrained generation from the command line.
extension ModelCommand {
    /// Reads a schema file for constrained decoding; a parse error names the file, line and column.
    static func loadGrammar(_ args: ParsedArguments) throws -> Grammar? {
        let options = ConstraintOptions(allowWhitespace: args.flag("pretty"), anyOrder: args.flag("any-order"),
                                        maxDepth: try args.int("max-depth", min: 1) ?? 16)
        if let path = args.value("schema") {
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.input("\(path): cannot read the schema") }
            let schema: JSONValue
            do { schema = try JSONParser.parse(String(decoding: data, as: UTF8.self), options: .jsonc) } catch {
                throw CLIError.input("\(path): \(error)")
            }
            do { return try Grammar(schema: schema, options: options) } catch {
                throw CLIError.input("\(path): \(error)")
            }
        }
        if args.flag("json-value") { return Grammar.anyJSON(options: options) }
        return nil
    }

    static func generateConstrained(_ c: Checkpoint, _ tok: Tokenizer, _ grammar: Grammar, _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        if args.flag("no-stop") { throw CLIError.usage("--no-stop cannot be combined with --schema/--json-value: constrained output ends when the instance is complete") }
        let t = Transformer(checkpoint: c, threads: try args.int("threads", min: 1) ?? ProcessInfo.processInfo.activeProcessorCount)
        let vocab: TokenVocabulary
        let gen: ConstrainedGenerator
        do {
            vocab = try TokenVocabulary(tokenizer: tok)
            gen = try ConstrainedGenerator(transformer: t, tokenizer: tok, grammar: grammar, vocab: vocab)
        } catch { throw CLIError.input("\(error)") }
        let temperature = Float(try args.double("temperature") ?? 0), topP = Float(try args.double("top-p") ?? 0.9)
        let seed = UInt64(try args.int("seed", min: 0) ?? 42)
        let samples = try args.int("samples", min: 1) ?? 1
        for i in 0..<samples {
            var rng = ModelRandom(seed: seed &+ UInt64(i))
            let g: ConstrainedGeneration
            do {
                g = try gen.generate(prompt: args.value("prompt") ?? "", steps: try args.int("steps", min: 1),
                                     maxNewTokens: try args.int("max-tokens", min: 1), temperature: temperature, topP: topP, rng: &rng)
            } catch { throw CLIError.input("\(error)") }
            if args.flag("json") {
                let v: JSONValue = [
                    "seed": .number(JSONNumber(Int(seed &+ UInt64(i)))),
                    "promptTokenIds": .array(g.promptTokenIds.map { .number(JSONNumber($0)) }),
                    "generatedTokenIds": .array(g.generatedTokenIds.map { .number(JSONNumber($0)) }),
                    "text": .string(g.text),
                    "finishReason": "stop",
                    "tokensPerSecond": .number(JSONNumber((g.tokensPerSecond * 10).rounded() / 10)),
                    "constraint": [
                        "microsPerToken": .number(JSONNumber((g.constraintMicrosPerToken * 100).rounded() / 100)),
                        "fullMasks": .number(JSONNumber(g.fullMasks)),
                        "backtracks": .number(JSONNumber(g.backtracks)),
                    ],
                ]
                console.out(JSONSerializer.string(v))
            } else {
                console.out(g.text)
                console.err(String(format: "constrained: %d tokens, %.1f tok/s, constraint %.1f µs/token (%d full masks, %d backtracks)",
                                   g.generatedTokenIds.count, g.tokensPerSecond, g.constraintMicrosPerToken, g.fullMasks, g.backtracks))
            }
        }
        return 0
    }
}
