import Foundation
import ProctorJSON
import ProctorConversation

/// OpenAI-compatible Chat Completions (`POST {baseURL}/chat/completions`): OpenAI, Azure-style
/// gateways, vLLM, llama.cpp's server, Ollama (`/v1`), LM Studio, LiteLLM. With
/// `"endpoint": "completions"` it posts the rendered prompt to `/completions` instead (base models,
/// llama.cpp and vLLM), reading `choices[0].text`. A reply that is a tool call becomes the call as
/// JSON, `{"name", "arguments"}` (an array when there are several), so suites can validate it.
public struct OpenAIBackend: Backend {
    /// The backend's id from the suite, which prefixes its error messages.
    public let id: String
    let cfg: HTTPBackendConfig
    let transport: HTTPTransport
    let responseFormat: JSONValue?

    /// Suite option → Chat Completions body field.
    static let names: [GenerationOptions.Field: String] = [.maxTokens: "max_tokens", .temperature: "temperature", .topP: "top_p",
                                                           .seed: "seed", .stop: "stop"]
    /// This type's entry in `BackendRegistry`: its keys and which generation options it honours, and as what.
    public static let kind = BackendKind(
        type: "openai", keys: HTTPBackendConfig.commonKeys + ["responseFormat", "endpoint"],
        honours: names.mapValues { "`\($0)`" }.merging([.extra: "merged into the request body"]) { a, _ in a },
        identityIgnores: HTTPBackendConfig.transportKeys, cachedByDefault: true,
        checkConfig: { c throws(BackendConfigError) in
            try HTTPBackendConfig.rejectLiteralSecrets(c)
            if let e = c["endpoint"], e != "chat", e != "completions" {
                throw BackendConfigError(pointer: "/endpoint", "\"endpoint\" must be \"chat\" (POST /chat/completions) or \"completions\" (POST /completions), found \(e)")
            }
        },
        checkOptions: { HTTPBackendConfig.checkExtra($0, reserved: Array(names.values) + ["response_format", "prompt"], names: names) },
        toolRefusal: { c in c["endpoint"]?.stringValue == "completions" ? "with \"endpoint\": \"completions\" it sends a prompt, which carries no tools" : nil },
        make: { ctx throws(BackendConfigError) in try OpenAIBackend(ctx) })

    /// Whether `model` names one of OpenAI's reasoning models (the o1, o3 and o4 families, gpt-5),
    /// which take `max_completion_tokens` and no `temperature` but their default.
    public static func isReasoningModel(_ model: String) -> Bool {
        let m = model.lowercased()
        return ["o1", "o3", "o4"].contains { m == $0 || m.hasPrefix($0 + "-") } || m.hasPrefix("gpt-5")
    }

    /// Reads the common HTTP keys, `responseFormat` and `endpoint` from the suite entry in `ctx`, with the API key from `OPENAI_API_KEY` or the variable `apiKeyEnv` names.
    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        id = ctx.id
        cfg = try HTTPBackendConfig(ctx, defaultBaseURL: "https://api.openai.com/v1", defaultKeyEnv: "OPENAI_API_KEY", keyRequired: false)
        transport = HTTPTransport(config: cfg.transport, secrets: (cfg.apiKey.map { [$0] } ?? []) + cfg.querySecrets)
        responseFormat = ctx.config["responseFormat"]
        completions = ctx.config["endpoint"]?.stringValue == "completions"
    }

    /// `/completions` with the rendered prompt instead of `/chat/completions` with messages.
    let completions: Bool

    /// Requests at once, from the suite's `maxConcurrency` (default 4).
    public var maxConcurrency: Int? { cfg.maxConcurrency }

    /// A warning when no API key is set, since requests then go without one.
    public var warnings: [String] { cfg.warnings }

    /// Posts `texts` to `{baseURL}/embeddings` with the backend's model and reads `data[i].embedding`.
    public func embed(_ texts: [String]) async -> Result<[[Double]], EmbeddingFailure> {
        let body: JSONValue = ["model": .string(cfg.model), "input": .array(texts.map { .string($0) })]
        switch await transport.post(url: cfg.url("embeddings"), headers: cfg.headers(keyHeader: "Authorization", keyPrefix: "Bearer "), body: JSONSerializer.bytes(body)) {
        case .failure(let f): return .failure(EmbeddingFailure("\(id): embeddings: \(transport.redact(f.description))"))
        case .success(let out):
            guard let v = try? JSONParser.parse(out.body), let data = v["data"]?.arrayValue, data.count == texts.count else {
                return .failure(EmbeddingFailure("\(id): unexpected embeddings response: \(transport.redact(HTTPTransport.excerpt(out.body)))"))
            }
            var vectors = [[Double]](repeating: [], count: texts.count)
            for (k, d) in data.enumerated() {
                let i = d["index"]?.intValue ?? k
                guard i >= 0, i < texts.count, let xs = d["embedding"]?.arrayValue, !xs.isEmpty else {
                    return .failure(EmbeddingFailure("\(id): an embedding in the response is missing or empty"))
                }
                vectors[i] = xs.compactMap(\.doubleValue)
            }
            return .success(vectors)
        }
    }

    /// Posts `request` to Chat Completions (or its flattened prompt to `/completions`) and reads the first choice's text, or its tool calls as JSON, with usage and whether `length` cut it.
    public func complete(_ request: BackendRequest) async -> BackendResponse {
        var base: [JSONObject.Entry] = [("model", .string(cfg.model))]
        base.append(completions ? ("prompt", .string(request.flattenedPrompt)) : ("messages", .array(request.messages.map(ToolWire.openAIMessage))))
        if let responseFormat { base.append(("response_format", responseFormat)) }
        if !request.tools.isEmpty { base.append(("tools", ToolWire.openAITools(request.tools))) }
        if let choice = request.toolChoice { base.append(("tool_choice", ToolWire.openAIChoice(choice))) }
        // OpenAI's reasoning models refuse `max_tokens`; they take `max_completion_tokens`.
        let body = HTTPBackendConfig.body(base, request.options, names: Self.isReasoningModel(cfg.model) ? Self.names.merging([.maxTokens: "max_completion_tokens"]) { _, b in b } : Self.names)
        let headers = cfg.headers(keyHeader: "Authorization", keyPrefix: "Bearer ")
        let url = cfg.url(completions ? "completions" : "chat/completions")
        switch await transport.post(url: url, headers: headers, body: JSONSerializer.bytes(.object(body))) {
        case .failure(let f):
            return .failure("\(id): \(transport.redact(f.description))")
        case .success(let out):
            guard let v = try? JSONParser.parse(out.body), let choice = v["choices"]?[0] else {
                return .failure("\(id): unexpected response body (HTTP \(out.status)): \(transport.redact(HTTPTransport.excerpt(out.body)))", latencyMs: out.latencyMs)
            }
            let content = completions ? choice["text"] : choice["message"]?["content"]
            let cut = choice["finish_reason"]?.stringValue == "length"
            let made = (choice["message"]?["tool_calls"]?.arrayValue ?? []).enumerated().compactMap { k, c -> (call: ToolCall, repairs: [String])? in
                guard let name = c["function"]?["name"]?.stringValue else { return nil }
                return ToolWire.call(id: c["id"]?.stringValue ?? "call_\(k)", name: name, arguments: c["function"]?["arguments"] ?? .null, truncated: cut)
            }
            let calls = made.map(\.call)
            guard content?.stringValue != nil || content?.isNull == true || !calls.isEmpty else {
                return .failure("\(id): response has no \(completions ? "choices[0].text" : "choices[0].message.content"): \(transport.redact(HTTPTransport.excerpt(out.body)))", latencyMs: out.latencyMs)
            }
            let finish: FinishReason = choice["finish_reason"]?.stringValue == "length" ? .length : .stop
            var usage: TokenUsage?
            if let p = v["usage"]?["prompt_tokens"]?.intValue, let c = v["usage"]?["completion_tokens"]?.intValue {
                usage = TokenUsage(promptTokens: p, outputTokens: c)
            }
            let text = calls.isEmpty ? content?.stringValue ?? "" : ToolCall.outputText(calls)
            var r = BackendResponse(text: text, finishReason: finish, usage: usage, latencyMs: out.latencyMs)
            r.repairs = made.flatMap(\.repairs)
            r.toolCalls = calls
            // Text written beside the calls is kept for the conversation (the output is the calls).
            if !calls.isEmpty, let said = content?.stringValue, !said.isEmpty { r.saidWithCalls = said }
            return r
        }
    }
}
