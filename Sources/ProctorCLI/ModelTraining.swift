import Foundation
import ProctorConstrain
import ProctorJSON
import ProctorModel

/// `proctor model corpus|tokenizer|train|eval`: training the built-in model.
enum ModelTraining {
    static func corpus(_ args: ParsedArguments, _ console: Console) throws -> Int32 {
        guard let out = args.value("out") else { throw CLIError.usage("model corpus needs --out DIR") }
        let seed = UInt64(try args.int("seed", min: 0) ?? 1)
        let n = try args.int("examples", min: 10) ?? 20_000
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var train = TaskCorpus(seed: seed)
        var held = TaskCorpus(seed: seed &+ 1_000_003, heldOut: true)
        try train.text(count: n).write(toFile: out + "/train.txt", atomically: true, encoding: .utf8)
        try held.text(count: max(100, n / 50)).write(toFile: out + "/heldout.txt", atomically: true, encoding: .utf8)
        console.out("wrote \(out)/train.txt (\(n) examples) and \(out)/heldout.txt (\(max(100, n / 50)) examples)")
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
        var hidden = try args.int("hidden", min: 1) ?? initial?.config.hiddenDim ?? 0
        if hidden == 0 { hidden = 32 * ((4 * dim * 2 / 3 + 31) / 32) }
        let probe: Tokenizer
        do { probe = try Tokenizer(path: tokPath, vocabSize: countTokens(tokPath)) } catch { throw CLIError.input("\(error)") }
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
        if let (d, line, ch) = corpus.uncovered(by: probe) {
            throw CLIError.input("\(corpusPath): document \(d + 1), line \(line): the tokenizer cannot encode \(String(reflecting: String(ch))) "
                                 + "(it has no piece for it and no <0xXX> byte tokens); train a tokenizer on this corpus with proctor model tokenizer")
        }
        let docs = corpus.documents.map { [Tokenizer.bos] + Array(probe.encode($0).dropFirst()) + [Tokenizer.eos] }
        let trainer: Trainer
        do { trainer = try Trainer(options: o, documents: docs, initial: initial) } catch { throw CLIError.input("\(corpusPath): \(error)") }
        let perStep = o.batch * cfg.seqLen
        let seconds = trainer.secondsPerStep() * Double(o.steps)
        console.err("training \(cfg)")
        console.err(String(format: "  %d parameters (%.2f M); corpus: %d documents (%@), %d training tokens; %d tokens per step (%d × %d); %d steps, %d threads",
                           cfg.parameterCount, Double(cfg.parameterCount) / 1e6, docs.count, corpus.format.rawValue, trainer.trainingTokens,
                           perStep, o.batch, cfg.seqLen, o.steps, o.threads))
        console.err("  estimated wall time: \(Self.duration(seconds))" + (o.maxSeconds.map { " (stops at --max-time \(Self.duration($0)))" } ?? ""))
        let live = console.isTerminal
        let result = try trainer.run(output: out) { p in
            let eta = p.elapsedSeconds / Double(p.step) * Double(p.totalSteps - p.step)
            let line = String(format: "step %d/%d loss %.4f%@ lr %.2e %.0f tok/s %.0fs elapsed ETA %.0fs", p.step, p.totalSteps, p.loss,
                              p.validationLoss.map { String(format: " val %.4f", $0) } ?? "", p.learningRate, p.tokensPerSecond, p.elapsedSeconds, eta)
            if live { console.rawErr("\r\u{1B}[K" + line) } else if p.validationLoss != nil || p.step == 1 { console.err(line) }
        }
        if live { console.rawErr("\n") }
        if let at = trainer.stoppedAt { console.err("stopped after step \(at) of \(o.steps): --max-time reached") }
        console.out(String(format: "wrote %@ (final loss %.4f, validation loss %.4f); loss history in %@.loss.csv and .loss.svg",
                           out, result.loss, result.validationLoss, (out as NSString).deletingPathExtension))
        return 0
    }

    /// "2 h 05 min", "3 min 20 s", "12 s".
    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return String(format: "%d h %02d min", t / 3600, (t % 3600) / 60) }
        if t >= 60 { return String(format: "%d min %02d s", t / 60, t % 60) }
        return "\(max(t, 1)) s"
    }

    /// Counts the tokens in a tokenizer.bin (its vocabulary size).
    static func countTokens(_ path: String) throws(CLIError) -> Int {
        guard let d = FileManager.default.contents(atPath: path) else { throw CLIError.input("\(path): cannot read the tokenizer") }
        let b = [UInt8](d)
        var off = 4, n = 0
        while off + 8 <= b.count {
            let len = Int(b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off + 4, as: Int32.self) })
            guard len >= 0 else { break }
            off += 8 + len
            n += 1
        }
        return n
    }

    /// Greedy answers to held-out prompts: share that are valid JSON and exactly right.
    static func eval(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let c = try ModelCommand.load(rest.first)
        guard let tokPath = args.value("tokenizer") else { throw CLIError.usage("model eval needs --tokenizer TOK") }
        let tok: Tokenizer
        do { tok = try Tokenizer(path: tokPath, vocabSize: c.config.vocabSize) } catch { throw CLIError.input("\(error)") }
        var examples = TaskCorpus.examples(in: try readText(args.value("corpus")))
        if let limit = try args.int("limit", min: 1) { examples = Array(examples.prefix(limit)) }
        let transformer = Transformer(checkpoint: c, threads: try args.int("threads", min: 1) ?? ProcessInfo.processInfo.activeProcessorCount)
        let gen = Generator(transformer: transformer, tokenizer: tok)
        // --schemas DIR: also decode each prompt constrained by its task's schema (DIR/TASK.schema.json).
        let schemaDir = args.value("schemas")
        var constrainedBy: [String: ConstrainedGenerator] = [:]
        let vocab = try schemaDir.map { _ throws(CLIError) in
            do { return try TokenVocabulary(tokenizer: tok) } catch { throw CLIError.input("\(error)") }
        }
        var valid = 0, exact = 0, constrainedExact = 0
        var byTask: [String: (exact: Int, n: Int, valid: Int, constrained: Int)] = [:]
        for e in examples {
            var s = Sampler(temperature: 0)
            let g = try gen.generate(prompt: e.prompt + "\n", maxNewTokens: 96, sampler: &s, stopStrings: ["\n"])
            let out = g.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let parsed = try? JSONParser.parse(out)
            let expected = try? JSONParser.parse(e.answer)
            let ok = parsed != nil && parsed == expected
            if parsed != nil { valid += 1 }
            if ok { exact += 1 }
            var t = byTask[e.task] ?? (0, 0, 0, 0)
            t.exact += ok ? 1 : 0
            t.n += 1
            t.valid += parsed != nil ? 1 : 0
            if let schemaDir, let vocab {
                if constrainedBy[e.task] == nil {
                    let path = (schemaDir as NSString).appendingPathComponent("\(e.task).schema.json")
                    do {
                        let schema: JSONValue = try FileManager.default.fileExists(atPath: path)
                            ? JSONParser.parse(String(contentsOfFile: path, encoding: .utf8), options: .jsonc) : true
                        constrainedBy[e.task] = try ConstrainedGenerator(transformer: transformer, tokenizer: tok, grammar: try Grammar(schema: schema, options: ConstraintOptions(allowWhitespace: args.flag("pretty"))), vocab: vocab)
                    } catch { throw CLIError.input("\(path): \(error)") }
                }
                var rng = ModelRandom(seed: 42)
                let cg = try constrainedBy[e.task]!.generate(prompt: e.prompt + "\n", maxNewTokens: 96, temperature: 0, topP: 0.9, rng: &rng)
                if let v = try? JSONParser.parse(cg.text), v == expected {
                    t.constrained += 1
                    constrainedExact += 1
                }
            }
            byTask[e.task] = t
        }
        let n = max(1, examples.count)
        let tasks = byTask.sorted(by: { $0.key < $1.key })
        if args.flag("json") {
            var v = JSONObject([("n", .number(JSONNumber(examples.count))), ("validJSON", .number(JSONNumber(valid))), ("exact", .number(JSONNumber(exact)))])
            var perTask = JSONObject()
            for task in tasks {
                var o = JSONObject([("n", .number(JSONNumber(task.value.n))), ("validJSON", .number(JSONNumber(task.value.valid))),
                                    ("exact", .number(JSONNumber(task.value.exact)))])
                if schemaDir != nil { o["constrainedExact"] = .number(JSONNumber(task.value.constrained)) }
                perTask[task.key] = .object(o)
            }
            v["tasks"] = .object(perTask)
            if schemaDir != nil { v["constrainedExact"] = .number(JSONNumber(constrainedExact)) }
            console.out(JSONSerializer.string(.object(v)))
            return 0
        }
        console.out(String(format: "held-out prompts: %d; valid JSON %.1f%%; exactly right %.1f%%", examples.count,
                           Double(valid) * 100 / Double(n), Double(exact) * 100 / Double(n))
                    + (schemaDir == nil ? "" : String(format: "; constrained by the task schemas: exactly right %.1f%% (valid 100%%)", Double(constrainedExact) * 100 / Double(n))))
        for (task, t) in tasks {
            console.out(String(format: "  %@: %d/%d exactly right, %d valid JSON", task, t.exact, t.n, t.valid)
                        + (schemaDir == nil ? "" : ", constrained \(t.constrained)/\(t.n) exactly right"))
        }
        return 0
    }
}
