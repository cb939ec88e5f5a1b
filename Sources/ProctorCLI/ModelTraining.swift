import Foundation
import ProctorCommandLine
import ProctorConstrain
import ProctorConversation
import ProctorJSON
import ProctorModel
import ProctorSupport

/// `proctor model corpus|tokenizer|train|eval`: training the built-in model.
enum ModelTraining {
    static func corpus(_ args: ParsedArguments, _ console: Console) throws -> Int32 {
        guard let out = args.value("out") else { throw CLIError.usage("model corpus needs --out DIR") }
        let seed = UInt64(try args.int("seed", min: 0) ?? 1)
        let n = try args.int("examples", min: 10) ?? 20_000
        let held: Int
        do { held = try TaskCorpus.write(to: out, seed: seed, examples: n) } catch { throw CLIError.input("\(out): cannot write the corpus (\(error.localizedDescription))") }
        console.out("wrote \(out)/train.txt (\(n) examples) and \(out)/heldout.txt (\(held) examples)")
        return 0
    }

    static func readText(_ path: String?) throws(CLIError) -> String {
        guard let path else { throw CLIError.usage("give --corpus FILE") }
        guard let d = TextInput.read(path) else { throw CLIError.input("\(path): cannot read the corpus") }
        return String(decoding: d, as: UTF8.self)
    }

    /// The corpus named by --corpus, in --format (or detected), split by --separator for plain text.
    static func corpus(_ args: ParsedArguments) throws(CLIError) -> Corpus {
        guard let path = args.value("corpus") else { throw CLIError.usage("give --corpus FILE (or a folder: one document per file)") }
        var format: CorpusFormat?
        if let f = args.value("format") {
            guard let cf = CorpusFormat(rawValue: f) else { throw CLIError.usage("--format is text, jsonl or tasks, not '\(f)'") }
            format = cf
        }
        do { return try Corpus.read(path, format: format, separator: args.value("separator")) } catch { throw CLIError.input("\(error)") }
    }

    static func tokenizer(_ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let c = try corpus(args)
        guard let vocab = try args.int("vocab", min: 1), let out = args.value("out") else { throw CLIError.usage("model tokenizer needs --vocab N and --out TOK") }
        let tok: Tokenizer
        do { tok = try BPETrainer.train(corpus: c.documents.joined(separator: "\n\n"), vocabSize: vocab) } catch { throw CLIError.usage("\(error)") }
        try TokenizerWriter.write(vocab: tok.vocab, scores: tok.scores, to: out)
        let sample = c.documents.first ?? ""
        console.out("wrote \(out): \(tok.vocabSize) tokens from \(c.documents.count) documents (\(c.format.rawValue)); the first is \(tok.encode(sample).count) tokens (\(sample.utf8.count) bytes)")
        return 0
    }

    static func train(_ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let corpus = try corpus(args)
        guard let tokPath = args.value("tokenizer"), let out = args.value("out") else { throw CLIError.usage("model train needs --tokenizer TOK and --out MODEL") }
        var initial: Checkpoint?
        if let i = args.value("init") { initial = try ModelCommand.load(i) }
        let dim = try args.int("dim", min: 2) ?? initial?.config.dim ?? 128
        let heads = try args.int("heads", min: 1) ?? initial?.config.nHeads ?? 4
        let hidden = try args.int("hidden", min: 1) ?? initial?.config.hiddenDim ?? ModelConfig.llamaHidden(dim: dim)
        let probe: Tokenizer
        do { probe = try Tokenizer(path: tokPath, vocabSize: Tokenizer.count(atPath: tokPath)) } catch { throw CLIError.input("\(error)") }
        let cfg = ModelConfig(dim: dim, hiddenDim: hidden, nLayers: try args.int("layers", min: 1) ?? initial?.config.nLayers ?? 4, nHeads: heads,
                              nKVHeads: try args.int("kv-heads", min: 1) ?? initial?.config.nKVHeads ?? heads, vocabSize: probe.vocabSize,
                              seqLen: try args.int("seq", min: 8) ?? initial?.config.seqLen ?? 128, sharedClassifier: !args.flag("unshared"))
        if let p = cfg.problem { throw CLIError.usage("bad model shape: \(p)") }
        var o = TrainOptions(config: cfg)
        o.batch = try args.int("batch", min: 1) ?? 16
        o.steps = try args.int("steps", min: 1) ?? 1000
        o.learningRate = Float(try args.double("lr") ?? 1e-3)
        o.seed = UInt64(try args.int("seed", min: 0) ?? 1)
        o.threads = try args.int("threads", min: 1) ?? ProcessInfo.processInfo.activeProcessorCount
        o.warmup = try args.int("warmup", min: 0) ?? min(100, o.steps / 10)
        o.checkpointEvery = try args.int("checkpoint-every", min: 1) ?? 500
        o.evalEvery = try args.int("eval-every", min: 1) ?? 100
        o.maxSeconds = try args.double("max-time").map { max(0, $0) }
        if corpus.format == .tasks { o.promptTemplate = .taskFormat }
        let corpusPath = args.value("corpus") ?? ""
        let docs: [[Int]]
        do { docs = try corpus.trainingDocuments(tokenizer: probe, path: corpusPath) } catch { throw CLIError.input(error.message) }
        let trainer: Trainer
        do { trainer = try Trainer(options: o, documents: docs, initial: initial) } catch { throw CLIError.input("\(corpusPath): \(error)") }
        let perStep = o.batch * cfg.seqLen
        let seconds = trainer.secondsPerStep() * Double(o.steps)
        console.err("training \(cfg)")
        console.err(String(format: "  %d parameters (%.2f M); corpus: %d documents (%@), %d training tokens; %d tokens per step (%d × %d); %d steps, %d threads",
                           cfg.parameterCount, Double(cfg.parameterCount) / 1e6, docs.count, corpus.format.rawValue, trainer.trainingTokens,
                           perStep, o.batch, cfg.seqLen, o.steps, o.threads))
        console.err("  estimated wall time: \(TrainProgress.duration(seconds))" + (o.maxSeconds.map { " (stops at --max-time \(TrainProgress.duration($0)))" } ?? ""))
        let live = console.isTerminal
        let result = try trainer.run(output: out) { p in
            if live { console.rawErr("\r\u{1B}[K" + p.line) } else if p.validationLoss != nil || p.step == 1 { console.err(p.line) }
        }
        if live { console.rawErr("\n") }
        if let at = trainer.stoppedAt { console.err("stopped after step \(at) of \(o.steps): --max-time reached") }
        console.out(String(format: "wrote %@ (final loss %.4f, validation loss %.4f); loss history in %@.loss.csv and .loss.svg",
                           out, result.loss, result.validationLoss, (out as NSString).deletingPathExtension))
        return 0
    }

    /// Greedy answers to held-out prompts: share that are valid JSON and exactly right (`TaskEvaluation`).
    static func eval(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let c = try ModelCommand.load(rest.first)
        guard let tokPath = args.value("tokenizer") else { throw CLIError.usage("model eval needs --tokenizer TOK") }
        let tok: Tokenizer
        do { tok = try Tokenizer(path: tokPath, vocabSize: c.config.vocabSize) } catch { throw CLIError.input("\(error)") }
        var examples = TaskCorpus.examples(in: try readText(args.value("corpus")))
        if let limit = try args.int("limit", min: 1) { examples = Array(examples.prefix(limit)) }
        let transformer = Transformer(checkpoint: c, threads: try args.int("threads", min: 1) ?? ProcessInfo.processInfo.activeProcessorCount)
        // --schemas DIR: also decode each prompt constrained by its task's schema (DIR/TASK.schema.json; any JSON value where none).
        var constraint: ((String) throws -> any DecodingConstraint)?
        if let dir = args.value("schemas") {
            do { constraint = try GrammarConstraint.perTask(directory: dir, tokenizer: tok, options: ConstraintOptions(allowWhitespace: args.flag("pretty"))) } catch {
                throw CLIError.input("\(error)")
            }
        }
        let result: TaskEvaluation
        do { result = try TaskEvaluation.run(examples, generator: Generator(transformer: transformer, tokenizer: tok), constraint: constraint) } catch { throw CLIError.input("\(error)") }
        if args.flag("json") { console.out(JSONSerializer.string(result.json)) } else { for l in result.lines { console.out(l) } }
        return 0
    }
}
