import Foundation
import ProctorJSON

/// Anthropic Messages API (`POST {baseURL}/v1/messages`).
public struct AnthropicBackend: Backend {
    public let id: String
    let cfg: HTTPBackendConfig
    let transport: HTTPTransport
    let params: JSONObject
    let version: String

    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        try HTTPBackendConfig.rejectLiteralSecrets(ctx)
        try ctx.checkKeys(HTTPBackendConfig.commonKeys + ["anthropicVersion"])
        id = ctx.id
        cfg = try HTTPBackendConfig(ctx, defaultBaseURL: "https://api.anthropic.com", defaultKeyEnv: "ANTHROPIC_API_KEY", keyRequired: false)
        transport = HTTPTransport(config: cfg.transport, secrets: cfg.apiKey.map { [$0] } ?? [])
        version = try ctx.string("anthropicVersion") ?? "2023-06-01"
        var p: [JSONObject.Entry] = [("max_tokens", ctx.config["maxTokens"] ?? .number(JSONNumber(1024)))]
        for (ours, theirs) in [("temperature", "temperature"), ("topP", "top_p"), ("stop", "stop_sequences")] {
            if let v = ctx.config[ours] { p.append((theirs, v)) }
        }
        params = JSONObject(p)
    }

    public var maxConcurrency: Int? { cfg.maxConcurrency }

    public var modelOptions: JSONObject { cfg.modelOptions(params) }

    public func complete(_ request: BackendRequest) async -> BackendResponse {
        var body = params
        body["model"] = .string(cfg.model)
        let system = request.messages.filter { $0.role == "system" }.map(\.content).joined(separator: "\n\n")
        if !system.isEmpty { body["system"] = .string(system) }
        body["messages"] = .array(request.messages.filter { $0.role != "system" }.map(\.json))
        var headers = cfg.headers
        headers["anthropic-version"] = version
        if let k = cfg.apiKey { headers["x-api-key"] = k }
        let url = cfg.baseURL.appendingPathComponent("v1/messages")
        switch await transport.post(url: url, headers: headers, body: JSONSerializer.bytes(.object(body))) {
        case .failure(let f):
            return .failure("\(id): \(transport.redact(f.description))")
        case .success(let out):
            guard let v = try? JSONParser.parse(out.body), case .array(let blocks)? = v["content"] else {
                return .failure("\(id): unexpected response body (HTTP \(out.status)): \(transport.redact(HTTPTransport.excerpt(out.body)))", latencyMs: out.latencyMs)
            }
            let text = blocks.filter { $0["type"]?.stringValue == "text" }.compactMap { $0["text"]?.stringValue }.joined()
            let finish: FinishReason = v["stop_reason"]?.stringValue == "max_tokens" ? .length : .stop
            var usage: TokenUsage?
            if let i = v["usage"]?["input_tokens"]?.intValue, let o = v["usage"]?["output_tokens"]?.intValue { usage = TokenUsage(promptTokens: i, outputTokens: o) }
            return BackendResponse(text: text, finishReason: finish, usage: usage, latencyMs: out.latencyMs)
        }
    }
}
