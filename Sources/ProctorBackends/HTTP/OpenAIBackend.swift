import Foundation
import ProctorJSON

/// OpenAI-compatible Chat Completions (`POST {baseURL}/chat/completions`): OpenAI, Azure-style
/// gateways, vLLM, llama.cpp's server, Ollama (`/v1`), LM Studio, LiteLLM.
public struct OpenAIBackend: Backend {
    public let id: String
    let cfg: HTTPBackendConfig
    let transport: HTTPTransport
    let params: JSONObject

    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        try HTTPBackendConfig.rejectLiteralSecrets(ctx)
        try ctx.checkKeys(HTTPBackendConfig.commonKeys + ["responseFormat"])
        id = ctx.id
        cfg = try HTTPBackendConfig(ctx, defaultBaseURL: "https://api.openai.com/v1", defaultKeyEnv: "OPENAI_API_KEY", keyRequired: false)
        transport = HTTPTransport(config: cfg.transport, secrets: cfg.apiKey.map { [$0] } ?? [])
        var p: [JSONObject.Entry] = []
        let map = [("temperature", "temperature"), ("topP", "top_p"), ("maxTokens", "max_tokens"), ("seed", "seed"),
                   ("stop", "stop"), ("responseFormat", "response_format")]
        for (ours, theirs) in map { if let v = ctx.config[ours] { p.append((theirs, v)) } }
        params = JSONObject(p)
    }

    public var maxConcurrency: Int? { cfg.maxConcurrency }

    /// Everything that identifies the model configuration, no secrets.
    public var modelOptions: JSONObject { cfg.modelOptions(params) }

    public func complete(_ request: BackendRequest) async -> BackendResponse {
        var body = params
        body["model"] = .string(cfg.model)
        body["messages"] = .array(request.messages.map(\.json))
        if body["max_tokens"] == nil, let m = request.options["maxTokens"] { body["max_tokens"] = m }
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
