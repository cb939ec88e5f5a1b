import Foundation
import ProctorBackends
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

    /// `--temperature`, `--top-p` and `--seed` through the one validation of generation options
    /// (the suites' and the server's), over the shared sampling defaults.
    static func samplingOptions(_ args: ParsedArguments) throws -> GenerationOptions {
        var fields: [JSONObject.Entry] = []
        for (flag, field) in [("temperature", GenerationOptions.Field.temperature), ("top-p", .topP), ("seed", .seed)] {
            guard let text = args.value(flag) else { continue }
            // The flag's text as a JSON number when it is one, so "1e3" and "18446744073709551615" read exactly.
            let v = (try? JSONParser.parse(text)).flatMap { $0.numberValue != nil ? $0 : nil } ?? .string(text)
            fields.append((field.rawValue, v))
        }
        do {
            let given = try GenerationOptions.parse(JSONObject(fields), names: [.temperature: "--temperature", .topP: "--top-p", .seed: "--seed"])
            return GenerationOptions.samplingDefaults.overridden(by: given)
        } catch {
            throw CLIError.usage(error.message)
        }
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
        let sampling = try samplingOptions(args)
        let temperature = Float(sampling.temperature!), topP = Float(sampling.topP!), seed = sampling.seed!
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
