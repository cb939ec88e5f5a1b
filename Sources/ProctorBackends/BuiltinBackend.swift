import Foundation
import ProctorConstrain
import ProctorJSON
import ProctorModel
import ProctorSchema
import ProctorConversation

/// The built-in transformer as a backend: no API key, no network, no server.
///
/// The checkpoint is mapped once per run session and shared by every case (weights are immutable);
/// each request gets its own run state and its own sampler, built from the request's merged options.
/// Messages become one prompt: each message's content, in order, separated by a blank line
/// (non-user messages prefixed with their role and a colon), then a newline. Finish reason `length`
/// when `maxTokens` or the context ends generation, `stop` on EOS/BOS or a stop string.
public struct BuiltinBackend: Backend {
    /// The backend's id from the suite.
    public let id: String
    let checkpoint: Checkpoint
    let tokenizer: Tokenizer
    /// Threads per generation, and generations at once (`Schedule.plan`).
    let threads: Int
    let concurrent: Int
    /// The model's own prompt format (`"template": "model"`), or nil for the plain template.
    let template: PromptTemplate?
    /// Constrained decoding (`"schema"` or `"json": true`): the grammar with the tokenizer's token
    /// tables, and what the report says about it.
    let constraint: (rule: GrammarConstraint, description: String)?

    /// This type's entry in `BackendRegistry`: its keys and which generation options it honours, and as what.
    public static let kind = BackendKind(
        type: "builtin", keys: ["model", "tokenizer", "threads", "template", "schema", "json", "pretty", "anyOrder", "registry"],
        honours: [.maxTokens: "new-token limit (default: until the context ends)", .temperature: "sampler temperature (default 0, greedy)",
                  .topP: "sampler top-p (default 0.9)", .seed: "sampler seed (default 42; repeat i uses seed + i·0x9E3779B9)",
                  .stop: "stop strings: output ends before the first"],
        refusals: [.extra: "the built-in model has no backend-specific options"],
        identityIgnores: ["threads"], identityFiles: ["schema"],
        toolRefusal: { c in c["schema"] != nil || c["json"] == .bool(true)
            ? "it constrains every answer to its \"schema\" (or \"json\"), and a tool call has a grammar of its own" : nil },
        make: { ctx throws(BackendConfigError) in try BuiltinBackend(ctx) })

    /// Loads the checkpoint and tokenizer the suite entry in `ctx` names (once per session), plans threads and builds any output constraint; a bad key or file fails here, at load.
    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        id = ctx.id
        guard let m = try ctx.string("model", required: true), let t = try ctx.string("tokenizer", required: true) else {
            throw BackendConfigError(pointer: "", "builtin backend needs \"model\" and \"tokenizer\"")
        }
        (checkpoint, tokenizer) = try ctx.resources.model(checkpoint: ctx.path(m), tokenizer: ctx.path(t))
        // Where the parallelism is (`Schedule`): a small model runs one thread per generation and
        // several cases at once; a large one every core per generation, one case at a time.
        let asked = try ctx.number("threads", integer: true, min: 1).map { Int($0) }
        (threads, concurrent) = Schedule.plan(checkpoint.config, cores: ProcessInfo.processInfo.activeProcessorCount, threads: asked)
        switch try ctx.string("template") ?? "plain" {
        case "plain": template = nil
        case "model":
            guard let t = checkpoint.promptTemplate else {
                throw BackendConfigError(pointer: "/template", "\"template\": \"model\" but \(m) records no prompt template (models trained on the task format do)")
            }
            template = t
        case let other:
            throw BackendConfigError(pointer: "/template", "\"template\" is \"model\" (the format the model was trained on) or \"plain\", not \"\(other)\"")
        }
        constraint = try Self.constraint(ctx, tokenizer: tokenizer)
        let tok = tokenizer
        toolCallers = Result { () throws(ConstraintError) in ToolCallerCache(vocab: try TokenVocabulary(tokenizer: tok)) }
    }

    /// Tool calls under their grammars, built once per tool set (or why this tokenizer cannot decode under one).
    let toolCallers: Result<ToolCallerCache, ConstraintError>

    /// `"schema"` (an inline schema, or a file relative to the suite) or `"json": true` (any JSON value).
    static func constraint(_ ctx: BackendContext, tokenizer: Tokenizer) throws(BackendConfigError) -> (rule: GrammarConstraint, description: String)? {
        var schema: JSONValue? = nil
        var description = ""
        var pointer = "/schema"
        var uri: String? = nil
        // "registry": {"BASE_URI": "DIR", …}: documents the schema's references name, from folders
        // (relative to the suite), as `proctor validate --registry` serves them.
        var registry = SchemaRegistry()
        switch ctx.config["registry"] {
        case nil: break
        case .object(let folders)?:
            for (base, dir) in folders {
                guard let d = dir.stringValue else { throw BackendConfigError(pointer: "/registry/" + JSONPointer.escape(base), "a registry folder is a path, not \(dir.typeName)") }
                do { try registry.addFolder(checking: base, directory: ctx.path(d)) } catch {
                    throw BackendConfigError(pointer: "/registry/" + JSONPointer.escape(base), error.description)
                }
            }
        case let other?:
            throw BackendConfigError(pointer: "/registry", "\"registry\" is an object of base URIs and folders ({\"https://example.com/schemas/\": \"schemas\"}), not \(other.typeName)")
        }
        switch ctx.config["schema"] {
        case nil: break
        case .string(let file)?:
            let path = ctx.path(file)
            uri = SchemaRegistry.fileURI(path)
            guard let data = FileManager.default.contents(atPath: path) else { throw BackendConfigError(pointer: "/schema", "cannot read the schema file \(path)") }
            do { schema = try JSONParser.parse(String(decoding: data, as: UTF8.self), options: .jsonc) } catch {
                throw BackendConfigError(pointer: "/schema", "\(path): \(error)")
            }
            description = "JSON Schema \(file)"
        case .object?, .bool?:
            schema = ctx.config["schema"]
            description = "inline JSON Schema"
        case let other?:
            throw BackendConfigError(pointer: "/schema", "\"schema\" is a JSON Schema object or the path of a schema file, not \(other.typeName)")
        }
        switch ctx.config["json"] {
        case nil, .bool(false)?: break
        case .bool(true)?:
            guard schema == nil else { throw BackendConfigError(pointer: "/json", "give \"schema\" or \"json\": true, not both") }
            schema = true
            description = "any JSON value"
            pointer = "/json"
        case let other?:
            throw BackendConfigError(pointer: "/json", "\"json\" is true or false, not \(other)")
        }
        func flag(_ key: String) throws(BackendConfigError) -> Bool {
            switch ctx.config[key] {
            case nil: return false
            case .bool(let b)?: return b
            case let other?: throw BackendConfigError(pointer: "/" + key, "\"\(key)\" is true or false, not \(other)")
            }
        }
        let options = ConstraintOptions(allowWhitespace: try flag("pretty"), anyOrder: try flag("anyOrder"))
        guard let schema else {
            for k in ["pretty", "anyOrder", "registry"] where ctx.config[k] != nil {
                throw BackendConfigError(pointer: "/" + k, "\"\(k)\" shapes constrained output; give \"schema\" or \"json\": true with it")
            }
            return nil
        }
        let grammar: Grammar, vocab: TokenVocabulary
        do {
            grammar = try Grammar(schema: schema, uri: uri, registry: registry, options: options)
            vocab = try TokenVocabulary(tokenizer: tokenizer)
        } catch {
            throw BackendConfigError(pointer: error.pointer.isEmpty ? pointer : pointer + error.pointer, error.message)
        }
        // A backend that cannot honour part of its schema says so at load (instances would avoid it silently).
        if let r = grammar.unresolvedRefs.first, let colon = r.range(of: ": ") {
            throw BackendConfigError(pointer: pointer + String(r[..<colon.lowerBound]),
                                     String(r[colon.upperBound...]) + "; give the backend a \"registry\" folder that serves it")
        }
        return (GrammarConstraint(grammar: grammar, vocab: vocab), "constrained decoding: " + description)
    }

    /// Generations at once: every core's worth of single-threaded generations for a small model,
    /// one for a large one (its products use every core); see `Schedule`.
    public var maxConcurrency: Int? { concurrent }

    /// `maxTokens` cannot exceed the model's context.
    public func check(_ options: GenerationOptions) -> GenerationOptions.ParseError? {
        let context = checkpoint.config.seqLen
        if let m = options.maxTokens, m > context {
            return GenerationOptions.ParseError(field: .maxTokens, message: "\"maxTokens\" is \(m) but backend '\(id)' has a context of \(context) tokens")
        }
        if constraint != nil, let stop = options.stop, !stop.isEmpty {
            return GenerationOptions.ParseError(field: .stop, message: "backend '\(id)' constrains its output to a schema, which ends when the instance is complete; stop strings would cut it")
        }
        return nil
    }

    /// The checkpoint's training format, written so that this backend's plain prompt (the user
    /// message and a newline) reproduces it exactly. Nil under `"template": "model"`, where the
    /// backend applies the format itself.
    public var promptFormat: String? {
        guard template == nil, let t = checkpoint.promptTemplate?.text else { return nil }
        return t.hasSuffix("\n") ? String(t.dropLast()) : t
    }

    /// Generates on a thread of its own (`Offload`): a generation blocks while it computes.
    public func complete(_ request: BackendRequest) async -> BackendResponse {
        await Offload.run { generate(request) }
    }

    /// One request through the model's one generation entry point (`Generator.generate(prompt:options:…)`),
    /// which applies the sampling defaults and varies the default seed per repeat.
    func generate(_ request: BackendRequest) -> BackendResponse {
        let start = monotonicMs()
        let text: String
        switch ChatTemplate.prompt(request.messages, template: template) {
        case .success(let p): text = p
        case .failure(let e): return .failure("builtin model: \(e.message)", latencyMs: monotonicMs() - start)
        }
        if !request.tools.isEmpty, request.toolChoice != ToolChoice.none { return callingTools(request, prompt: text, start: start) }
        do {
            let g = try Generator(transformer: Transformer(checkpoint: checkpoint, threads: threads), tokenizer: tokenizer)
                .generate(prompt: text, options: request.options, repeatIndex: request.repeatIndex, constraint: constraint?.rule)
            var r = BackendResponse(text: g.text, finishReason: g.hitLimit ? .length : .stop,
                                    usage: TokenUsage(promptTokens: g.promptTokenIds.count, outputTokens: g.generatedTokenIds.count),
                                    latencyMs: monotonicMs() - start)
            r.constrained = constraint?.description
            return r
        } catch {
            return .failure("builtin model: \(error)", latencyMs: monotonicMs() - start)
        }
    }

    /// A request with tools: the model answers in words or calls one, its call decoded under the
    /// grammar of the declared tools (`ToolCaller`), so its arguments match the tool's parameters.
    func callingTools(_ request: BackendRequest, prompt: String, start: Double) -> BackendResponse {
        do {
            let caller = try toolCallers.get().caller(request.tools, request.toolChoice ?? .auto)
            let generator = Generator(transformer: Transformer(checkpoint: checkpoint, threads: threads), tokenizer: tokenizer)
            let room = checkpoint.config.seqLen - (tokenizer.encode(prompt, bos: true, eos: false).count - 1)
            switch try caller.reply(generator, prompt: prompt, options: request.options, repeatIndex: request.repeatIndex,
                                    callId: ToolCaller.nextCallId(after: request.messages), capacity: min(room, request.options.maxTokens ?? .max)) {
            case .text(let g):
                return BackendResponse(text: g.text, finishReason: g.hitLimit ? .length : .stop,
                                       usage: TokenUsage(promptTokens: g.promptTokenIds.count, outputTokens: g.generatedTokenIds.count),
                                       latencyMs: monotonicMs() - start)
            case .call(let call, let g, let spent):
                var r = BackendResponse(text: ToolCall.outputText([call]), finishReason: .stop,
                                        usage: TokenUsage(promptTokens: g.promptTokenIds.count, outputTokens: spent), latencyMs: monotonicMs() - start)
                r.toolCalls = [call]
                r.constrained = "constrained decoding: tool call"
                return r
            }
        } catch let e as ConstraintError {
            return .failure("builtin model: the tools cannot be decoded under a grammar: \(e)", latencyMs: monotonicMs() - start)
        } catch {
            return .failure("builtin model: \(error)", latencyMs: monotonicMs() - start)
        }
    }
}
