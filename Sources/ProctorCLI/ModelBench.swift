import Foundation
import ProctorCommandLine
import ProctorConstrain
import ProctorJSON
import ProctorModel

/// `proctor model bench` and `model info`: the figures come from `ModelBenchmark`; this prints them.
extension ModelCommand {
    static func bench(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let report: ModelBenchmark.Report
        if !args.all("schema").isEmpty {
            report = try schemaBench(rest, args, cores: cores)
        } else if args.flag("split") {
            report = ModelBenchmark.split(threads: try args.int("threads", min: 2) ?? max(2, cores))
        } else {
            let c = try load(rest.first)
            let threads = try args.int("threads", min: 1).map { [$0] } ?? Array(Set([1, cores])).sorted()
            report = ModelBenchmark.run(c, threadCounts: threads, decodeTokens: try args.int("tokens", min: 2) ?? 64, cores: cores)
        }
        for line in report.lines { console.out(line) }
        if args.flag("json") { console.out(JSONSerializer.string(report.json)) }
        return 0
    }

    /// `--schema`: the constraint's cost per token and per full mask (temperature 1 unless given, so masks are built).
    static func schemaBench(_ rest: [String], _ args: ParsedArguments, cores: Int) throws -> ModelBenchmark.Report {
        let c = try load(rest.first)
        guard let tokPath = args.value("tokenizer") else { throw CLIError.usage("model bench --schema needs --tokenizer TOK") }
        let tok: Tokenizer, vocab: TokenVocabulary
        do { tok = try Tokenizer(path: tokPath, vocabSize: c.config.vocabSize); vocab = try TokenVocabulary(tokenizer: tok) } catch { throw CLIError.input("\(error)") }
        let grammars = try args.all("schema").map { ((($0 as NSString).lastPathComponent), try grammar($0, args)) }
        var sampling = try samplingOptions(args)
        if args.value("temperature") == nil { sampling.temperature = 1 }
        let t = Transformer(checkpoint: c, threads: try args.int("threads", min: 1) ?? cores), tokens = try args.int("tokens", min: 2) ?? 160
        do { return try ConstraintBenchmark.run(transformer: t, tokenizer: tok, vocab: vocab, grammars: grammars, tokens: tokens,
                                                temperature: Float(sampling.temperature!), topP: Float(sampling.topP!), seed: sampling.seed!)
        } catch { throw CLIError.input("\(error)") }
    }

    static func info(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let report = ModelBenchmark.info(try load(rest.first))
        if args.flag("json") { console.out(JSONSerializer.string(report.json)) } else { for line in report.lines { console.out(line) } }
        return 0
    }
}
