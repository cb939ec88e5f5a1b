import Foundation
import ProctorJSON

/// OpenAI-compatible Chat Completions (`POST {baseURL}/chat/completions`): OpenAI, Azure-style
/// gateways, vLLM, llama.cpp's server, Ollama (`/v1`), LM Studio, LiteLLM.
public struct OpenAIBackend: Backend {
    public let id: String
    let cfg: HTTPBackendConfig
    let transport: HTTPTransport
    let responseFormat: JSONValue?

    /// Suite option → Chat Completions body field.
    static let names: [GenerationOptions.Field: String] = [.maxTokens: "max_tokens", .temperature: "temperature", .topP: "top_p",
                                                           .seed: "seed", .stop: "stop"]
    public static let kind = BackendKind(
        type: "openai", keys: HTTPBackendConfig.commonKeys + ["responseFormat"],
        honours: names.mapValues { "`\($0)`" }.merging([.extra: "merged into the request body"]) { a, _ in a },
        identityIgnores: HTTPBackendConfig.transportKeys,
        checkConfig: { c throws(BackendConfigError) in try HTTPBackendConfig.rejectLiteralSecrets(c) },
        checkOptions: { HTTPBackendConfig.checkExtra($0, reserved: Array(names.values) + ["response_format"]) },
        make: { ctx throws(BackendConfigError) in try OpenAIBackend(ctx) })

    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        id = ctx.id
        cfg = try HTTPBackendConfig(ctx, defaultBaseURL: "https://api.openai.com/v1", defaultKeyEnv: "OPENAI_API_KEY", keyRequired: false)
        transport = HTTPTransport(config: cfg.transport, secrets: cfg.apiKey.map { [$0] } ?? [])
        responseFormat = ctx.config["responseFormat"]
    }

    public var maxConcurrency: Int? { cfg.maxConcurrency }

    public var warnings: [String] { cfg.warnings }

    public func complete(_ request: BackendRequest) async -> BackendResponse {
        var base: [JSONObject.Entry] = [("model", .string(cfg.model)), ("messages", .array(request.messages.map(\.json)))]
        if let responseFormat { base.append(("response_format", responseFormat)) }
        let body = HTTPBackendConfig.body(base, request.options, names: Self.names)
        var headers = cfg.headers
        if let k = cfg.apiKey { headers["Authorization"] = "Bearer " + k }
        let url = cfg.baseURL.appendingPathComponent("chat/completions")
        switch await transport.post(url: url, headers: headers, body: JSONSerializer.bytes(.object(body))) {
        case .failure(let f):
            return .failure("\(id): \(transport.redact(f.description))")
        case .success(let out):
            guard let v = try? JSONParser.parse(out.body), let choice = v["choices"]?[0] else {
                return .failure("\(id): unexpected response body (HTTP \(out.status)): \(transport.redact(HTTPTransport.excerpt(out.body)))", latencyMs: out.latencyMs)
            }
            let content = choice["message"]?["content"]
            guard content?.stringValue != nil || content?.isNull == true else {
                return .failure("\(id): response has no choices[0].message.content: \(transport.redact(HTTPTransport.excerpt(out.body)))", latencyMs: out.latencyMs)
            }
            let finish: FinishReason = choice["finish_reason"]?.stringValue == "length" ? .length : .stop
            var usage: TokenUsage?
            if let p = v["usage"]?["prompt_tokens"]?.intValue, let c = v["usage"]?["completion_tokens"]?.intValue {
                usage = TokenUsage(promptTokens: p, outputTokens: c)
            }
            return BackendResponse(text: content?.stringValue ?? "", finishReason: finish, usage: usage, latencyMs: out.latencyMs)
        }
    }
}
