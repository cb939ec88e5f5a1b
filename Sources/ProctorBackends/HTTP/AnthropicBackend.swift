import Foundation
import ProctorJSON
import ProctorConversation

/// Anthropic Messages API (`POST {baseURL}/v1/messages`).
public struct AnthropicBackend: Backend {
    /// The backend's id from the suite, which prefixes its error messages.
    public let id: String
    let cfg: HTTPBackendConfig
    let transport: HTTPTransport
    let version: String

    /// The API requires `max_tokens`; this is sent when no layer sets `maxTokens`.
    public static let defaultMaxTokens = 1024
    /// Suite option → Messages API body field.
    static let names: [GenerationOptions.Field: String] = [.maxTokens: "max_tokens", .temperature: "temperature", .topP: "top_p",
                                                           .stop: "stop_sequences"]
    /// This type's entry in `BackendRegistry`: its keys and which generation options it honours, and as what.
    public static let kind = BackendKind(
        type: "anthropic", keys: HTTPBackendConfig.commonKeys + ["anthropicVersion"],
        honours: names.mapValues { "`\($0)`" }.merging([.maxTokens: "`max_tokens` (default \(defaultMaxTokens): the API requires it)",
                                                       .extra: "merged into the request body"]) { _, b in b },
        refusals: [.seed: "the Anthropic Messages API has no seed"],
        identityIgnores: HTTPBackendConfig.transportKeys, cachedByDefault: true,
        checkConfig: { c throws(BackendConfigError) in try HTTPBackendConfig.rejectLiteralSecrets(c) },
        checkOptions: { o in
            if let t = o.temperature, t > 1 {
                return GenerationOptions.ParseError(field: .temperature, message: "\"temperature\" must be at most 1 for the Anthropic API, found \(JSONNumber(t))")
            }
            return HTTPBackendConfig.checkExtra(o, reserved: Array(names.values) + ["system"], names: names)
        },
        toolRefusal: { _ in nil },
        make: { ctx throws(BackendConfigError) in try AnthropicBackend(ctx) })

    /// Reads the common HTTP keys and `anthropicVersion` (default `2023-06-01`) from the suite entry in `ctx`, with the API key from `ANTHROPIC_API_KEY` or the variable `apiKeyEnv` names.
    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        id = ctx.id
        cfg = try HTTPBackendConfig(ctx, defaultBaseURL: "https://api.anthropic.com", defaultKeyEnv: "ANTHROPIC_API_KEY", keyRequired: false)
        transport = HTTPTransport(config: cfg.transport, secrets: (cfg.apiKey.map { [$0] } ?? []) + cfg.querySecrets)
        version = try ctx.string("anthropicVersion") ?? "2023-06-01"
    }

    /// Requests at once, from the suite's `maxConcurrency` (default 4).
    public var maxConcurrency: Int? { cfg.maxConcurrency }

    /// A warning when no API key is set, since requests then go without one.
    public var warnings: [String] { cfg.warnings }

    /// Posts `request` to the Messages API (system messages joined into `system`) and reads the text blocks, or the tool calls as JSON, with usage and whether `max_tokens` cut it.
    public func complete(_ request: BackendRequest) async -> BackendResponse {
        var base: [JSONObject.Entry] = [("model", .string(cfg.model)), ("max_tokens", .number(JSONNumber(Self.defaultMaxTokens)))]
        let system = request.messages.filter { $0.role == "system" }.map(\.content).joined(separator: "\n\n")
        if !system.isEmpty { base.append(("system", .string(system))) }
        base.append(("messages", .array(ToolWire.anthropicMessages(request.messages))))
        if !request.tools.isEmpty { base.append(("tools", ToolWire.anthropicTools(request.tools))) }
        if let choice = request.toolChoice { base.append(("tool_choice", ToolWire.anthropicChoice(choice))) }
        let body = HTTPBackendConfig.body(base, request.options, names: Self.names)
        var headers = cfg.headers(keyHeader: "x-api-key")
        headers["anthropic-version"] = version
        let url = cfg.url("v1/messages")
        switch await transport.post(url: url, headers: headers, body: JSONSerializer.bytes(.object(body))) {
        case .failure(let f):
            return .failure("\(id): \(transport.redact(f.description))")
        case .success(let out):
            guard let v = try? JSONParser.parse(out.body), case .array(let blocks)? = v["content"] else {
                return .failure("\(id): unexpected response body (HTTP \(out.status)): \(transport.redact(HTTPTransport.excerpt(out.body)))", latencyMs: out.latencyMs)
            }
            let cut = v["stop_reason"]?.stringValue == "max_tokens"
            let made = blocks.filter { $0["type"]?.stringValue == "tool_use" }.enumerated().compactMap { k, b -> (call: ToolCall, repairs: [String])? in
                guard let name = b["name"]?.stringValue else { return nil }
                return ToolWire.call(id: b["id"]?.stringValue ?? "toolu_\(k)", name: name, arguments: b["input"] ?? .null, truncated: cut)
            }
            let calls = made.map(\.call)
            let said = blocks.filter { $0["type"]?.stringValue == "text" }.compactMap { $0["text"]?.stringValue }.joined()
            let text = calls.isEmpty ? said : ToolCall.outputText(calls)
            let finish: FinishReason = v["stop_reason"]?.stringValue == "max_tokens" ? .length : .stop
            var usage: TokenUsage?
            if let i = v["usage"]?["input_tokens"]?.intValue, let o = v["usage"]?["output_tokens"]?.intValue { usage = TokenUsage(promptTokens: i, outputTokens: o) }
            var r = BackendResponse(text: text, finishReason: finish, usage: usage, latencyMs: out.latencyMs)
            r.repairs = made.flatMap(\.repairs)
            r.toolCalls = calls
            if !calls.isEmpty, !said.isEmpty { r.saidWithCalls = said }
            return r
        }
    }
}
