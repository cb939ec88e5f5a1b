import Foundation
import ProctorCommandLine
import ProctorConstrain
import ProctorConversation
import ProctorJSON
import ProctorModel

/// `proctor model generate`: the model's one generation entry point from the command line, free or
/// constrained by `--schema S.json` / `--json-value`.
extension ModelCommand {
    static func generate(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let c = try load(rest.first)
        guard let tokPath = args.value("tokenizer") else { throw CLIError.usage("model generate needs --tokenizer TOK") }
        let tok: Tokenizer
        do { tok = try Tokenizer(path: tokPath, vocabSize: c.config.vocabSize) } catch { throw CLIError.input("\(error)") }
        var constraint: GrammarConstraint?
        if let grammar = try loadGrammar(args) {
            for r in grammar.unresolvedRefs { console.err("note: \(args.value("schema") ?? "")#\(r); outputs avoid it (pass --registry BASE_URI=DIR to serve it)") }
            if args.flag("no-stop") { throw CLIError.usage("--no-stop cannot be combined with --schema/--json-value: constrained output ends when the instance is complete") }
            do { constraint = GrammarConstraint(grammar: grammar, vocab: try TokenVocabulary(tokenizer: tok),
                                                debug: console.environment["PROCTOR_CONSTRAIN_DEBUG"] == "1") }
            catch { throw CLIError.input("\(error)") }
        }
        let generator = Generator(transformer: Transformer(checkpoint: c, threads: try args.int("threads", min: 1) ?? ProcessInfo.processInfo.activeProcessorCount),
                                  tokenizer: tok)
        var options = try samplingOptions(args)
        let seed = options.seed!, steps = try args.int("steps", min: 1)
        for i in 0..<(try args.int("samples", min: 1) ?? 1) {
            options.seed = seed &+ UInt64(i)
            let g: Generation
            do {
                g = try generator.generate(prompt: args.value("prompt") ?? "", options: options, steps: steps,
                                           stopTokens: args.flag("no-stop") ? [] : [Tokenizer.bos, Tokenizer.eos], constraint: constraint)
            } catch { throw CLIError.input("\(error)") }
            print(g, seed: options.seed!, args, console)
        }
        return 0
    }

    /// One generation as text (stderr gets the speeds) or as one JSON object (`--json`).
    static func print(_ g: Generation, seed: UInt64, _ args: ParsedArguments, _ console: Console) {
        let ids = { (t: [Int]) in JSONValue.array(t.map { .number(JSONNumber($0)) }) }
        let speed = JSONValue.number(JSONNumber((g.tokensPerSecond * 10).rounded() / 10))
        switch (args.flag("json"), g.constraint) {
        case (true, nil):
            console.out(JSONSerializer.string(["promptTokenIds": ids(g.promptTokenIds), "generatedTokenIds": ids(g.generatedTokenIds),
                                               "text": .string(g.fullText), "tokensPerSecond": speed]))
        case (true, let k?):
            console.out(JSONSerializer.string([
                "seed": .number(JSONNumber(Int(seed))), "promptTokenIds": ids(g.promptTokenIds), "generatedTokenIds": ids(g.generatedTokenIds),
                "text": .string(g.text), "finishReason": "stop", "tokensPerSecond": speed,
                "constraint": ["microsPerToken": .number(JSONNumber((k.microsPerToken * 100).rounded() / 100)),
                               "fullMasks": .number(JSONNumber(k.fullMasks)), "backtracks": .number(JSONNumber(k.backtracks))],
            ]))
        case (false, nil):
            console.out(g.fullText)
            console.err(String(format: "achieved tok/s: %.1f (prefill %.1f tok/s, %d prompt + %d generated tokens)",
                               g.tokensPerSecond, g.prefillTokensPerSecond, g.promptTokenIds.count, g.generatedTokenIds.count))
        case (false, let k?):
            console.out(g.text)
            console.err(String(format: "constrained: %d tokens, %.1f tok/s, constraint %.1f µs/token (%d full masks, %d backtracks)",
                               g.generatedTokenIds.count, g.tokensPerSecond, k.microsPerToken, k.fullMasks, k.backtracks))
        }
    }

    /// Reads a schema file for constrained decoding; a parse error names the file, line and column.
    static func loadGrammar(_ args: ParsedArguments) throws -> Grammar? {
        if args.all("schema").count > 1 { throw CLIError.usage("model generate takes one --schema") }
        if let path = args.value("schema") { return try grammar(path, args) }
        return args.flag("json-value") ? Grammar.anyJSON(options: try constraintOptions(args)) : nil
    }

    /// One schema file's grammar under the layout and depth flags.
    static func grammar(_ path: String, _ args: ParsedArguments) throws -> Grammar {
        let file = try SchemaInput.load(path, args)
        do { return try Grammar(file: file, options: try constraintOptions(args)) } catch { throw CLIError.input("\(path): \(error)") }
    }

    static func constraintOptions(_ args: ParsedArguments) throws -> ConstraintOptions {
        ConstraintOptions(allowWhitespace: args.flag("pretty"), anyOrder: args.flag("any-order"), maxDepth: try args.int("max-depth", min: 1) ?? 16)
    }

    /// `--temperature`, `--top-p` and `--seed` through the one validation of generation options
    /// (the suites' and the server's), over the shared sampling defaults.
    static func samplingOptions(_ args: ParsedArguments) throws -> GenerationOptions {
        do { return try GenerationOptions.sampling(temperature: args.value("temperature"), topP: args.value("top-p"), seed: args.value("seed"),
                                                   maxTokens: args.value("max-tokens")) }
        catch { throw CLIError.usage(error.message) }
    }
}
