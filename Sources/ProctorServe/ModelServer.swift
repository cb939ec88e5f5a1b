import Foundation
import ProctorConstrain
import ProctorJSON
import ProctorModel
import Synchronization
import ProctorConversation

/// The built-in model behind an OpenAI-compatible HTTP/1.1 API (`GET /health`, `GET /v1/models`,
/// `POST /v1/completions`, `POST /v1/chat/completions`, streaming as server-sent events, and
/// `POST /v1/embeddings` as a mean-pooled demonstration embedding), on the
/// toolchain's sockets. Generation is `Generator`'s, with the `builtin` backend's defaults
/// (greedy unless `temperature` is given, top-p 0.9, seed 42) and its chat template, so a suite
/// gets the same answers through this server as from the backend.
///
/// Each connection is served on its own thread; at most `maxConcurrency` generations run at once
/// (each on its own run state), the others wait in line. A client that disconnects cancels its
/// generation at the next token.
public final class ModelServer: @unchecked Sendable {
    // @unchecked Sendable: the checkpoint and tokenizer are immutable; `idle` (the free run states)
    // is only touched under `lock`; the counters are atomics; the listening socket is closed once,
    // under `lock`.

    /// How the server listens and shares the model.
    public struct Options: Sendable {
        /// IPv4 address to listen on; loopback only by default.
        public var host = "127.0.0.1"
        /// TCP port to listen on; 0 picks a free one (see `port`).
        public var port = 8080
        /// Threads each generation's products are split over; every core by default.
        public var threads = ProcessInfo.processInfo.activeProcessorCount
        /// Most generations that run at once, each on its own run state; further requests wait in line.
        public var maxConcurrency = 1
        /// Largest accepted request body.
        public var maxBody = 1 << 20
        /// The model id clients must name (and `GET /v1/models` lists).
        public var modelName = "proctor-builtin"
        /// Options with the defaults: loopback port 8080, every core, one generation at a time.
        public init() {}
    }

    /// The server could not start: the host or port.
    public struct StartError: Error, CustomStringConvertible {
        /// What failed, in words.
        public let description: String
    }

    /// The options the server was started with.
    public let options: Options
    /// The port listened on (the one the system chose when `options.port` was 0).
    public var port: Int { listener.port }
    let checkpoint: Checkpoint
    let tokenizer: Tokenizer
    /// The tokenizer's tables for constrained decoding (`response_format`), built once.
    let vocabulary: Result<TokenVocabulary, ConstraintError>
    /// Tool calls under their grammars (`tools`), built once per tool set; nil when the tokenizer cannot decode under one.
    let toolCallers: ToolCallerCache?
    private let listener: HTTPListener
    private let router: Router
    private let lock = NSLock()
    private var idle: [Transformer] = []
    private let slots: DispatchSemaphore
    private let stopping = Atomic<Bool>(false)
    private let serial = Atomic<Int>(0)

    /// Hands the listener's requests to the server once it exists (the listener is made first, in
    /// `init`). `@unchecked Sendable`: `server` is set once in `init`, before `start` starts the
    /// thread that reads it.
    private final class Router: @unchecked Sendable {
        weak var server: ModelServer?
    }

    /// Builds the tokenizer's tables for constrained decoding and binds the listening socket; throws when the host or port cannot be used, and serves nothing until `start`.
    public init(checkpoint: Checkpoint, tokenizer: Tokenizer, options: Options) throws(StartError) {
        self.checkpoint = checkpoint
        self.tokenizer = tokenizer
        self.options = options
        do { vocabulary = .success(try TokenVocabulary(tokenizer: tokenizer)) } catch { vocabulary = .failure(error) }
        toolCallers = (try? vocabulary.get()).map(ToolCallerCache.init(vocab:))
        slots = DispatchSemaphore(value: max(1, options.maxConcurrency))
        var lo = HTTPListener.Options()
        lo.host = options.host
        lo.port = options.port
        lo.maxBody = options.maxBody
        let router = Router()
        do { listener = try HTTPListener(options: lo, handler: { ex in router.server?.handle(ex) }) } catch {
            throw StartError(description: error.description)
        }
        self.router = router
        router.server = self
    }

    /// Accepts connections on a background thread until `shutdown`.
    public func start() { listener.start() }

    /// Stops accepting, cancels running generations at their next token, and returns when every
    /// request has been answered or dropped (at most `timeout` seconds).
    public func shutdown(timeout: Double = 10) {
        stopping.store(true, ordering: .releasing)
        listener.shutdown(timeout: timeout)
    }

    // MARK: - Routing

    func handle(_ conn: HTTPExchange) {
        let request = conn.request
        switch (request.method, request.path) {
        case ("GET", "/health"):
            conn.respond(200, body: Array(#"{"status":"ok"}"#.utf8))
        case ("GET", "/v1/models"):
            let model: JSONValue = ["id": .string(options.modelName), "object": "model", "created": 0, "owned_by": "proctor"]
            conn.respond(200, body: JSONSerializer.bytes(["object": "list", "data": [model]]))
        case ("POST", "/v1/completions"):
            complete(request, kind: .completion, conn)
        case ("POST", "/v1/chat/completions"):
            complete(request, kind: .chat, conn)
        case ("POST", "/v1/embeddings"):
            embed(request, conn)
        case (_, "/health"), (_, "/v1/models"), (_, "/v1/completions"), (_, "/v1/chat/completions"), (_, "/v1/embeddings"):
            conn.respond(405, body: Self.errorBody("\(request.method) is not allowed on \(request.path)", type: "invalid_request_error", param: nil))
        default:
            conn.respond(404, body: Self.errorBody("no route \(request.method) \(request.path) (the server has /health, /v1/models, /v1/completions, /v1/chat/completions, /v1/embeddings)",
                                                 type: "invalid_request_error", param: nil))
        }
    }

    static func errorBody(_ message: String, type: String, param: String?) -> [UInt8] {
        JSONSerializer.bytes(["error": ["message": .string(message), "type": .string(type), "param": param.map { .string($0) } ?? .null, "code": .null]])
    }

    // MARK: - Embeddings

    /// `POST /v1/embeddings` (`input`: a string or a list of strings): each text's mean final
    /// hidden state (`Transformer.meanHiddenState`), a demonstration embedding that lets embedding
    /// similarity run offline, not a semantic model.
    func embed(_ http: HTTPRequest, _ conn: HTTPExchange) {
        let bad = { (m: String, p: String?) in conn.respond(400, body: Self.errorBody(m, type: "invalid_request_error", param: p)) }
        guard let v = try? JSONParser.parse(http.body), case .object(let o) = v else { return bad("the body must be a JSON object", nil) }
        for (k, _) in o where !["model", "input", "encoding_format", "user"].contains(k) { return bad("unknown field '\(k)'", k) }
        guard let model = o["model"]?.stringValue else { return bad("'model' is required", "model") }
        guard model == options.modelName else { return bad("the model '\(model)' does not exist; this server has '\(options.modelName)'", "model") }
        if let f = o["encoding_format"], f != "float" { return bad("'encoding_format' must be \"float\" (base64 is not supported)", "encoding_format") }
        let texts: [String]
        switch o["input"] {
        case .string(let s)?: texts = [s]
        case .array(let xs)? where !xs.isEmpty && xs.allSatisfy({ $0.stringValue != nil }): texts = xs.map { $0.stringValue! }
        default: return bad("'input' must be a string or a non-empty list of strings", "input")
        }
        let context = checkpoint.config.seqLen
        var tokens: [[Int]] = []
        for (i, t) in texts.enumerated() {
            let ids = tokenizer.encode(t, bos: true, eos: false)
            guard ids.count <= context else { return bad("input \(i) is \(ids.count) tokens but the model's context is \(context) tokens", "input") }
            tokens.append(ids)
        }
        while slots.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if conn.clientGone || stopping.load(ordering: .acquiring) { return }
        }
        defer { slots.signal() }
        let transformer = lock.withLock { idle.popLast() } ?? Transformer(checkpoint: checkpoint, threads: options.threads)
        defer { lock.withLock { idle.append(transformer) } }
        let data: [JSONValue] = tokens.enumerated().map { i, ids in
            ["object": "embedding", "index": .number(JSONNumber(i)),
             "embedding": .array(transformer.meanHiddenState(ids).map { .number(JSONNumber(Double($0))) })]
        }
        let used = tokens.reduce(0) { $0 + $1.count }
        conn.respond(200, body: JSONSerializer.bytes(["object": "list", "data": .array(data), "model": .string(options.modelName),
                                                      "usage": ["prompt_tokens": .number(JSONNumber(used)), "total_tokens": .number(JSONNumber(used))]]))
    }

    // MARK: - Generation

    func complete(_ http: HTTPRequest, kind: OpenAIRequest.Kind, _ conn: HTTPExchange) {
        var r: OpenAIRequest
        do { r = try OpenAIRequest.parse(http.body, kind: kind) } catch {
            conn.respond(error.status, body: Self.errorBody(error.message, type: "invalid_request_error", param: error.param))
            return
        }
        if kind == .chat {
            // The model's own prompt format when its file records one, else the builtin backend's.
            switch ChatTemplate.prompt(r.messages, template: checkpoint.promptTemplate) {
            case .success(let p): r.prompt = p
            case .failure(let e):
                conn.respond(400, body: Self.errorBody(e.message, type: "invalid_request_error", param: "messages"))
                return
            }
        }
        guard r.model == options.modelName else {
            conn.respond(400, body: Self.errorBody("the model '\(r.model)' does not exist; this server has '\(options.modelName)'",
                                                   type: "invalid_request_error", param: "model"))
            return
        }
        let promptTokens = tokenizer.encode(r.prompt, bos: true, eos: false).count
        let context = checkpoint.config.seqLen
        guard promptTokens <= context else {
            conn.respond(400, body: Self.errorBody("the prompt is \(promptTokens) tokens but the model's context is \(context) tokens",
                                                   type: "invalid_request_error", param: kind == .chat ? "messages" : "prompt"))
            return
        }
        if let m = r.maxTokens, m > context {
            conn.respond(400, body: Self.errorBody("'max_tokens' is \(m) but the model's context is \(context) tokens", type: "invalid_request_error", param: "max_tokens"))
            return
        }
        // response_format: the schema compiles, the tokenizer suits it, and its shortest instance fits.
        var grammar: Grammar? = nil
        if let schema = r.responseSchema {
            do {
                _ = try vocabulary.get()
                // Whitespace between tokens is the model's choice, as with OpenAI's structured outputs
                // (models trained on spaced JSON, the default one included, need it).
                let g = try Grammar(schema: schema, options: ConstraintOptions(allowWhitespace: true))
                let capacity = min(context - (promptTokens - 1), r.maxTokens ?? Int.max)
                let shortest = g.remainingBytes(g.start())
                guard shortest <= capacity else {
                    conn.respond(400, body: Self.errorBody("the schema's shortest instance needs up to \(shortest) tokens but only \(capacity) fit",
                                                           type: "invalid_request_error", param: r.maxTokens == nil ? "response_format" : "max_tokens"))
                    return
                }
                grammar = g
            } catch {
                conn.respond(400, body: Self.errorBody("response_format: \(error)", type: "invalid_request_error", param: "response_format"))
                return
            }
        }
        // tools: each tool's parameters become a grammar the call is decoded under.
        var caller: ToolCaller?
        if !r.tools.isEmpty, r.toolChoice != ToolChoice.none {
            do {
                guard let cache = toolCallers else { throw ConstraintError(pointer: "", "this model's tokenizer cannot decode under a grammar") }
                caller = try cache.caller(r.tools, r.toolChoice ?? .auto)
            } catch {
                conn.respond(400, body: Self.errorBody("tools: \(error)", type: "invalid_request_error", param: "tools"))
                return
            }
            // A call that cannot fit is refused now, as a schema's shortest instance is: never a stream cut short.
            let capacity = min(context - (promptTokens - 1), r.maxTokens ?? Int.max)
            if let c = caller, c.choice != .auto, c.shortestCallBytes > capacity {
                conn.respond(400, body: Self.errorBody("the shortest tool call needs up to \(c.shortestCallBytes) tokens but only \(capacity) fit",
                                                       type: "invalid_request_error", param: r.maxTokens == nil ? "messages" : "max_tokens"))
                return
            }
        }
        // Wait for a free generation slot (the line), giving up if the client leaves or the server stops.
        while slots.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if conn.clientGone || stopping.load(ordering: .acquiring) { return }
        }
        defer { slots.signal() }
        let transformer = lock.withLock { idle.popLast() } ?? Transformer(checkpoint: checkpoint, threads: options.threads)
        defer { lock.withLock { idle.append(transformer) } }

        let id = (kind == .chat ? "chatcmpl-" : "cmpl-") + String(serial.add(1, ordering: .relaxed).newValue)
        let created = Int(Date().timeIntervalSince1970)
        var stream = StreamState(request: r, id: id, created: created, model: options.modelName, conn: conn)
        if r.stream { stream.begin() }
        // The model's one generation entry point: the request's options over the sampling defaults,
        // constrained by `response_format` when given. Constrained decoding may step back from a dead
        // end, so a streamed constrained answer sends the instance in one delta once it is complete.
        let constraint = grammar.flatMap { g in (try? vocabulary.get()).map { GrammarConstraint(grammar: g, vocab: $0) } }
        if let caller {
            answerWithTools(caller, r, transformer: transformer, stream: &stream, id: id, created: created, conn)
            return
        }
        let generation: Generation
        do {
            generation = try Generator(transformer: transformer, tokenizer: tokenizer).generate(
                prompt: r.prompt, options: r.options, constraint: constraint,
                progress: { text in
                    if self.stopping.load(ordering: .relaxed) || conn.clientGone { return false }
                    if r.stream && constraint == nil { stream.send(upTo: text) }
                    return true
                })
        } catch {
            // Cancelled (client gone or shutting down) or a model error: answer if anyone is listening.
            if !conn.clientGone && !r.stream {
                conn.respond(503, body: Self.errorBody("generation stopped: \(error)", type: "server_error", param: nil))
            }
            return
        }
        if r.stream && constraint != nil { Array(generation.text.utf8).withUnsafeBufferPointer { stream.send(upTo: $0) } }
        answer(kind, text: generation.text, finish: generation.hitLimit ? "length" : "stop", prompt: generation.promptTokenIds.count,
               completion: generation.generatedTokenIds.count, stream: &stream, stream: r.stream, id: id, created: created, conn)
    }

    /// A request with tools: words (sent whole once decided), or a call as `tool_calls` with
    /// `finish_reason: "tool_calls"`, streamed as OpenAI streams one (`delta.tool_calls`: the id and
    /// name first, then the arguments in pieces).
    func answerWithTools(_ caller: ToolCaller, _ r: OpenAIRequest, transformer: Transformer, stream: inout StreamState, id: String, created: Int,
                         _ conn: HTTPExchange) {
        let reply: ToolCaller.Reply
        do {
            reply = try caller.reply(Generator(transformer: transformer, tokenizer: tokenizer), prompt: r.prompt, options: r.options,
                                     callId: ToolCaller.nextCallId(after: r.messages),
                                     capacity: min(checkpoint.config.seqLen - (tokenizer.encode(r.prompt, bos: true, eos: false).count - 1), r.maxTokens ?? .max),
                                     progress: { _ in !(self.stopping.load(ordering: .relaxed) || conn.clientGone) })
        } catch {
            if !conn.clientGone && !r.stream { conn.respond(503, body: Self.errorBody("generation stopped: \(error)", type: "server_error", param: nil)) }
            return
        }
        switch reply {
        case .text(let g):
            if r.stream { Array(g.text.utf8).withUnsafeBufferPointer { stream.send(upTo: $0) } }
            answer(.chat, text: g.text, finish: g.hitLimit ? "length" : "stop", prompt: g.promptTokenIds.count, completion: g.generatedTokenIds.count,
                   stream: &stream, stream: r.stream, id: id, created: created, conn)
        case .call(let call, let g, let spent):
            let usage: JSONValue = ["prompt_tokens": .number(JSONNumber(g.promptTokenIds.count)), "completion_tokens": .number(JSONNumber(spent)),
                                    "total_tokens": .number(JSONNumber(g.promptTokenIds.count + spent))]
            let arguments = JSONSerializer.string(call.arguments)
            if r.stream {
                stream.sendToolCall(call, arguments: arguments)
                stream.finish(finishReason: "tool_calls", usage: usage)
                return
            }
            let calls: JSONValue = [.object(JSONObject([("id", .string(call.id)), ("type", "function"),
                                                        ("function", .object(JSONObject([("name", .string(call.name)), ("arguments", .string(arguments))])))]))]
            let message: JSONValue = .object(JSONObject([("role", "assistant"), ("content", .null), ("tool_calls", calls)]))
            let body: JSONValue = ["id": .string(id), "object": "chat.completion", "created": .number(JSONNumber(created)), "model": .string(options.modelName),
                                   "choices": [["index": 0, "message": message, "logprobs": .null, "finish_reason": "tool_calls"]], "usage": usage]
            conn.respond(200, body: JSONSerializer.bytes(body))
        }
    }

    /// The final answer: the closing stream chunk, or the whole completion object.
    func answer(_ kind: OpenAIRequest.Kind, text: String, finish: String, prompt: Int, completion: Int, stream: inout StreamState,
                stream streaming: Bool, id: String, created: Int, _ conn: HTTPExchange) {
        let usage: JSONValue = ["prompt_tokens": .number(JSONNumber(prompt)), "completion_tokens": .number(JSONNumber(completion)),
                                "total_tokens": .number(JSONNumber(prompt + completion))]
        if streaming {
            stream.finish(finishReason: finish, usage: usage)
            return
        }
        let choice: JSONValue = kind == .chat
            ? ["index": 0, "message": ["role": "assistant", "content": .string(text)], "logprobs": .null, "finish_reason": .string(finish)]
            : ["text": .string(text), "index": 0, "logprobs": .null, "finish_reason": .string(finish)]
        let body: JSONValue = ["id": .string(id), "object": .string(kind == .chat ? "chat.completion" : "text_completion"),
                               "created": .number(JSONNumber(created)), "model": .string(options.modelName),
                               "choices": [choice], "usage": usage]
        conn.respond(200, body: JSONSerializer.bytes(body))
    }
}
