import Foundation
import ProctorCommandLine
import ProctorJSON
import ProctorModel
import ProctorSupport

/// `proctor model …`: the built-in transformer from the command line (every subcommand in `subcommands`).
enum ModelCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "model",
        summary: "The built-in model: info, init, quantize, generate, bench, export, serve, corpus, tokenizer, train, eval.",
        usage: """
        proctor model info MODEL
               proctor model init --dim N --hidden N --layers N --heads N [--kv-heads N] --vocab N --seq N [--unshared] --seed S --out FILE [--tokenizer-out FILE]
               proctor model quantize IN.bin OUT.bin [--group-size 64]
               proctor model generate MODEL --tokenizer TOK --prompt TEXT [--steps N] [--temperature T] [--top-p P] [--seed S] [--no-stop] [--json] [--threads N]
                                     [--max-tokens N] [--samples N] [--schema S.json [--registry BASE_URI=DIR]... [--draft D] | --json-value] [--pretty] [--any-order] [--max-depth N]
               proctor model bench MODEL [--threads N] [--json] | proctor model bench --split [--threads N] [--json]
               proctor model bench MODEL --tokenizer TOK --schema S.json... [--registry BASE_URI=DIR]... [--tokens N] [--temperature T] [--top-p P] [--seed S] [--threads N] [--json]
               proctor model export MODEL --tokenizer TOK --gguf OUT.gguf [--chat-template model|none]
               proctor model serve MODEL --tokenizer TOK [--host 127.0.0.1] [--port 8080] [--threads N] [--max-concurrency N] [--model-name NAME]
               proctor model corpus --out DIR [--seed S] [--examples N]
               proctor model tokenizer --corpus FILE|DIR [--format text|jsonl|tasks] [--separator S] --vocab N --out TOK
               proctor model train --corpus FILE|DIR [--format text|jsonl|tasks] [--separator S] [--max-time SECONDS] --tokenizer TOK --dim N --layers N --heads N [--kv-heads N] --seq N --batch N --steps N --lr R --seed S --out MODEL [--init MODEL] [--threads N]
               proctor model eval MODEL --tokenizer TOK --corpus HELDOUT [--limit N] [--schemas DIR [--pretty]] [--json]
        """,
        options: [
            OptionSpec("dim", value: "N", help: "init: model width."),
            OptionSpec("hidden", value: "N", help: "init: FFN width (default: llama rule from dim)."),
            OptionSpec("layers", value: "N", help: "init: layers."),
            OptionSpec("heads", value: "N", help: "init: attention heads."),
            OptionSpec("kv-heads", value: "N", help: "init: key/value heads (default: heads)."),
            OptionSpec("vocab", value: "N", help: "init: vocabulary size."),
            OptionSpec("seq", value: "N", help: "init: context length."),
            OptionSpec("unshared", help: "init: a classifier separate from the token embedding."),
            OptionSpec("seed", value: "S", help: "init: weight seed; generate: sampling seed (default 42)."),
            OptionSpec("out", value: "FILE", help: "init: where to write the checkpoint."),
            OptionSpec("tokenizer-out", value: "FILE", help: "init: also write a byte-level tokenizer (vocab must be 354: specials, bytes, printable ASCII)."),
            OptionSpec("group-size", value: "N", help: "quantize: values per int8 group, each with one fp32 scale (default 64; halved until it divides dim, as llama2.c's export.py does)."),
            OptionSpec("tokenizer", value: "TOK", help: "generate: tokenizer.bin."),
            OptionSpec("prompt", value: "TEXT", help: "generate: the prompt."),
            OptionSpec("steps", value: "N", help: "generate: positions to run, prompt included, as run.c counts them (default: the context)."),
            OptionSpec("temperature", value: "T", help: "generate: 0 is greedy (default 0)."),
            OptionSpec("top-p", value: "P", help: "generate: nucleus sampling threshold (default 0.9)."),
            OptionSpec("no-stop", help: "generate: run all steps; do not stop at BOS/EOS."),
            OptionSpec("json", help: "Print one JSON object."),
            OptionSpec("schema", value: "S.json", repeatable: true, help: "generate: constrain the output to instances of this JSON Schema (valid by construction); bench: time the constraint (one or more)."),
            OptionSpec("json-value", help: "generate: constrain the output to any JSON value."),
            OptionSpec("pretty", help: "generate --schema, eval --schemas: allow whitespace between tokens (compact by default)."),
            OptionSpec("any-order", help: "generate --schema: properties in any order (default: the schema's order)."),
            OptionSpec("max-depth", value: "N", help: "generate --schema: deepest nesting of objects and arrays (default 16; bounds recursive schemas)."),
            OptionSpec("max-tokens", value: "N", help: "generate: most new tokens (with --schema the output always completes within it)."),
            OptionSpec("samples", value: "N", help: "generate: N outputs, seeds S, S+1, … (one each)."),
            OptionSpec("gguf", value: "OUT.gguf", help: "export: write the model and tokenizer as GGUF (llama.cpp, Ollama, LM Studio)."),
            OptionSpec("chat-template", value: "model|none", help: "export: embed the model's prompt template (or, when its file records none, the builtin backend's) as the chat template (model, the default), or none."),
            OptionSpec("host", value: "ADDR", help: "serve: IPv4 address to listen on (default 127.0.0.1; anything else is reachable from the network)."),
            OptionSpec("port", value: "N", help: "serve: TCP port (default 8080; 0 picks a free one)."),
            OptionSpec("max-concurrency", value: "N", help: "serve: generations at once; more requests wait in line (default 1)."),
            OptionSpec("model-name", value: "NAME", help: "serve: the model id clients name (default proctor-builtin)."),
            OptionSpec("threads", value: "N", help: "Threads for the matrix products (generate, bench, train: default cores; serve: by the model's schedule)."),
            OptionSpec("tokens", value: "N", help: "bench: decode tokens to time (default 64; with --schema, at most this many per instance, default 160)."),
            OptionSpec("split", help: "bench: time products of growing size on one thread and split, to show where splitting pays."),
            OptionSpec("corpus", value: "FILE", help: "tokenizer/train/eval: corpus: a file, or a folder of files (one document each)."),
            OptionSpec("format", value: "text|jsonl|tasks", help: "tokenizer/train: plain text (documents split by blank lines), JSON Lines with a \"text\" field, or the task format (default: detected)."),
            OptionSpec("separator", value: "S", help: "tokenizer/train: plain-text documents are separated by S instead of blank lines."),
            OptionSpec("max-time", value: "SECONDS", help: "train: stop and write the checkpoint after this long."),
            OptionSpec("examples", value: "N", help: "corpus: training examples to generate (default 20000)."),
            OptionSpec("batch", value: "N", help: "train: sequences per step (default 16)."),
            OptionSpec("lr", value: "RATE", help: "train: peak learning rate (default 1e-3)."),
            OptionSpec("warmup", value: "N", help: "train: warmup steps (default: 10% of steps, at most 100)."),
            OptionSpec("init", value: "MODEL", help: "train: resume from this checkpoint."),
            OptionSpec("checkpoint-every", value: "N", help: "train: write the checkpoint every N steps (default 500)."),
            OptionSpec("eval-every", value: "N", help: "train: validation loss every N steps (default 100)."),
            OptionSpec("limit", value: "N", help: "eval: at most N held-out prompts."),
            OptionSpec("schemas", value: "DIR", help: "eval: also decode constrained by each task's schema, DIR/TASK.schema.json (any JSON value where none)."),
        ] + SchemaInput.options)

    /// Every subcommand, in the order the usage lists them (the usage checks itself against this list in tests).
    static let subcommands = ["info", "init", "quantize", "generate", "bench", "export", "serve", "corpus", "tokenizer", "train", "eval"]

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard let sub = args.positionals.first else { throw CLIError.usage("name a model subcommand: \(subcommands.joined(separator: ", "))") }
        let rest = Array(args.positionals.dropFirst())
        switch sub {
        case "info": return try info(rest, args, console)
        case "init": return try initModel(args, console)
        case "quantize": return try quantize(rest, args, console)
        case "generate": return try generate(rest, args, console)
        case "bench": return try bench(rest, args, console)
        case "serve": return try await ModelServe.run(rest, args, console)
        case "export": return try export(rest, args, console)
        case "corpus": return try ModelTraining.corpus(args, console)
        case "tokenizer": return try ModelTraining.tokenizer(args, console)
        case "train": return try ModelTraining.train(args, console)
        case "eval": return try ModelTraining.eval(rest, args, console)
        default:
            throw CLIError.usage("unknown model subcommand '\(sub)'" + Suggestions.hint(for: sub, among: subcommands))
        }
    }

    static func load(_ path: String?) throws(CLIError) -> Checkpoint {
        guard let path else { throw CLIError.usage("give the MODEL checkpoint path") }
        do { return try Checkpoint(path: path) } catch { throw CLIError.input("\(error)") }
    }

    static func initModel(_ args: ParsedArguments, _ console: Console) throws -> Int32 {
        func need(_ name: String) throws(CLIError) -> Int {
            guard let v = try args.int(name, min: 1) else { throw CLIError.usage("model init needs --\(name)") }
            return v
        }
        let dim = try need("dim")
        let heads = try need("heads")
        let cfg = ModelConfig(dim: dim, hiddenDim: try args.int("hidden", min: 1) ?? ModelConfig.llamaHidden(dim: dim), nLayers: try need("layers"), nHeads: heads,
                              nKVHeads: try args.int("kv-heads", min: 1) ?? heads, vocabSize: try need("vocab"), seqLen: try need("seq"),
                              sharedClassifier: !args.flag("unshared"))
        if let p = cfg.problem { throw CLIError.usage("bad model shape: \(p)") }
        guard let out = args.value("out") else { throw CLIError.usage("model init needs --out FILE") }
        let seed = UInt64(try args.int("seed", min: 0) ?? 1)
        if let tokOut = args.value("tokenizer-out") {
            let base = TokenizerWriter.baseVocabulary()
            guard base.vocab.count == cfg.vocabSize else {
                throw CLIError.usage("--tokenizer-out writes a \(base.vocab.count)-token byte-level tokenizer; use --vocab \(base.vocab.count)")
            }
            do { try TokenizerWriter.write(vocab: base.vocab, scores: base.scores, to: tokOut) } catch { throw CLIError.input("\(error)") }
        }
        do { try CheckpointWriter.writeRandom(cfg, seed: seed, to: out) } catch { throw CLIError.input("\(error)") }
        console.out("wrote \(out): \(cfg), \(cfg.parameterCount) parameters")
        return 0
    }

    static func quantize(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        guard rest.count == 2 else { throw CLIError.usage("model quantize needs IN.bin and OUT.bin") }
        let c = try load(rest[0])
        let report: Quantizer.Report
        do { report = try Quantizer.quantize(c, groupSize: try args.int("group-size", min: 1) ?? 64, to: rest[1]) } catch { throw CLIError.input("\(error)") }
        console.out(String(format: "wrote %@: int8 Q8_0, group size %d, %d bytes (%.1f%% of the fp32 file); largest weight error %.3g",
                           rest[1], report.groupSize, report.bytes, Double(report.bytes) / Double(c.fileSize) * 100, Double(report.maxError)))
        if let note = report.note { console.err("note: \(note)") }
        return 0
    }

    static func export(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let c = try load(rest.first)
        guard let tokPath = args.value("tokenizer") else { throw CLIError.usage("model export needs --tokenizer TOK") }
        guard let out = args.value("gguf") else { throw CLIError.usage("model export needs --gguf OUT.gguf") }
        let template: String?
        switch args.value("chat-template") ?? "model" {
        case "model": template = c.promptTemplate?.jinja ?? GGUFWriter.builtinChatTemplate
        case "none": template = nil
        case let other: throw CLIError.usage("--chat-template is model or none, not '\(other)'")
        }
        do {
            let tok = try Tokenizer(path: tokPath, vocabSize: c.config.vocabSize)
            let written = try GGUFWriter.write(c, tokenizer: tok, chatTemplate: template, to: out)
            console.out(String(format: "wrote %@: GGUF v3, llama architecture, %d tensors in F32, %d-token tokenizer%@ (%.1f MB)", out,
                               written.tensors, c.config.vocabSize, template == nil ? "" : ", chat template", Double(written.bytes) / 1e6))
        } catch { throw CLIError.input("\(error)") }
        return 0
    }
}
