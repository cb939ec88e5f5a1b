import Foundation
import ProctorJSON
import ProctorConversation

/// Options common to the HTTP backends, read and checked from a suite entry.
struct HTTPBackendConfig {
    let baseURL: URL
    let model: String
    let apiKey: String?
    let apiKeyEnv: String
    let headers: [String: String]
    /// `apiKeyHeader`: the header that carries the key as it is (gateways, Azure's `api-key`), instead of the API's own.
    let apiKeyHeader: String?
    /// `query`: parameters added to every request's URL (Azure's `api-version`).
    let query: [(String, String)]
    /// Values filled into `query` from `${VAR}`: secrets, redacted from every message.
    let querySecrets: [String]
    let transport: HTTPTransport.Config
    let maxConcurrency: Int?
    /// Shown before the run: requests will carry no key.
    let warnings: [String]
    /// Hosts that always need a key.
    static let keyedHosts = ["api.openai.com", "api.anthropic.com"]

    static let commonKeys = ["baseURL", "model", "apiKeyEnv", "apiKeyHeader", "query", "headers", "timeoutSeconds", "maxRetries", "maxConcurrency",
                             "requestsPerMinute", "retryBaseDelaySeconds"]
    /// Keys that change how requests are sent, not what the model answers.
    static let transportKeys = ["apiKeyEnv", "timeoutSeconds", "maxRetries", "maxConcurrency", "requestsPerMinute", "retryBaseDelaySeconds"]

    /// Body fields Proctor sets itself (or cannot handle, like streaming): `extra` may not replace them.
    /// `names` maps the typed options to the API's fields, so the message can say which option to use.
    static func checkExtra(_ o: GenerationOptions, reserved: [String], names: [GenerationOptions.Field: String]) -> GenerationOptions.ParseError? {
        for k in o.extra?.keys ?? [] where (reserved + ["model", "messages", "stream"]).contains(k) {
            let typed = names.first { $0.value == k }?.key
            return GenerationOptions.ParseError(field: .extra, message: "\"extra\" cannot set \"\(k)\": Proctor sets it"
                                                + (k == "stream" ? " (responses are read whole)"
                                                   : typed.map { "; use the typed option \"\($0.rawValue)\" instead" } ?? "; use the typed option instead"))
        }
        return nil
    }

    /// The request body: fixed fields, then the typed options under the API's names, then `extra`.
    static func body(_ base: [JSONObject.Entry], _ o: GenerationOptions, names: [GenerationOptions.Field: String]) -> JSONObject {
        var body = JSONObject(base)
        let typed = o.json
        for f in GenerationOptions.Field.allCases where f != .extra {
            if let name = names[f], let v = typed[f.rawValue] { body[name] = v }
        }
        for (k, v) in o.extra ?? JSONObject() { body[k] = v }
        return body
    }
    static let secretHeaders = ["authorization", "x-api-key", "api-key", "proxy-authorization"]

    /// A key written into the suite would end up in version control: refuse it (checked first,
    /// before unknown keys, so the message says what to do).
    static func rejectLiteralSecrets(_ config: JSONObject) throws(BackendConfigError) {
        for (k, v) in config {
            let lk = k.lowercased()
            if lk == "apikey" || lk == "api_key" || lk == "key" || lk == "token" {
                throw BackendConfigError(pointer: "/" + k, "do not put API keys in suites: set \"apiKeyEnv\" to the name of an environment variable that holds the key")
            }
            if case .string(let s) = v, looksLikeKey(s) {
                throw BackendConfigError(pointer: "/" + k, "\"\(k)\" looks like an API key; keys belong in the environment: use \"apiKeyEnv\"")
            }
            if k == "headers", case .object(let h) = v {
                for (hk, hv) in h where secretHeaders.contains(hk.lowercased()) || looksLikeKey(hv.stringValue ?? "") {
                    throw BackendConfigError(pointer: "/headers/" + hk, "header \"\(hk)\" carries a secret; put the key in the environment and name it with \"apiKeyEnv\"")
                }
            }
        }
    }

    init(_ ctx: BackendContext, defaultBaseURL: String, defaultKeyEnv: String, keyRequired: Bool) throws(BackendConfigError) {
        try Self.rejectLiteralSecrets(ctx.config)
        guard let m = try ctx.string("model", required: true) else { throw BackendConfigError(pointer: "/model", "missing model") }
        model = m
        let base = try ctx.string("baseURL") ?? defaultBaseURL
        guard let u = URL(string: base.hasSuffix("/") ? String(base.dropLast()) : base), u.scheme == "http" || u.scheme == "https" else {
            throw BackendConfigError(pointer: "/baseURL", "\"baseURL\" must be an http(s) URL, found \"\(base)\"")
        }
        baseURL = u
        apiKeyEnv = try ctx.string("apiKeyEnv") ?? defaultKeyEnv
        apiKey = ctx.environment[apiKeyEnv].flatMap { $0.isEmpty ? nil : $0 }
        // The vendors' own hosts always need a key: failing here beats one 401 per case.
        if apiKey == nil && (keyRequired || Self.keyedHosts.contains(u.host ?? "")) {
            throw BackendConfigError(pointer: try ctx.string("apiKeyEnv") == nil ? "" : "/apiKeyEnv",
                                     "backend '\(ctx.id)' sends requests to \(u.host ?? base), which needs an API key, but the environment variable \(apiKeyEnv) is not set")
        }
        warnings = apiKey == nil ? ["the environment variable \(apiKeyEnv) is not set, so requests to \(u.absoluteString) carry no API key"] : []
        var h: [String: String] = [:]
        if let hv = ctx.config["headers"] {
            guard case .object(let o) = hv else { throw BackendConfigError(pointer: "/headers", "\"headers\" must be an object of strings") }
            for (k, v) in o {
                guard let s = v.stringValue else { throw BackendConfigError(pointer: "/headers/" + k, "header values must be strings") }
                if Self.secretHeaders.contains(k.lowercased()) || looksLikeKey(s) {
                    throw BackendConfigError(pointer: "/headers/" + k, "header \"\(k)\" carries a secret; put the key in the environment and name it with \"apiKeyEnv\"")
                }
                h[k] = s
            }
        }
        headers = h
        if let name = try ctx.string("apiKeyHeader") {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains($0) }) else {
                throw BackendConfigError(pointer: "/apiKeyHeader", "\"apiKeyHeader\" must be a header name (letters, digits, '-'), found \"\(name)\"")
            }
            if h.keys.contains(where: { $0.lowercased() == name.lowercased() }) {
                throw BackendConfigError(pointer: "/headers", "\"headers\" sets \(name), the header \"apiKeyHeader\" carries the key in; give one of them")
            }
            apiKeyHeader = name
        } else {
            apiKeyHeader = nil
        }
        var q: [(String, String)] = []
        var hidden: [String] = []
        for (k, v) in try Self.query(ctx) {
            if !v.contains("${") && (looksLikeKey(v) || ["key", "api-key", "api_key", "apikey", "token", "code", "sig"].contains(k.lowercased())) {
                throw BackendConfigError(pointer: "/query/" + JSONPointer.escape(k), "query parameter \"\(k)\" carries a secret; write it as ${VARIABLE} (redacted everywhere) or use \"apiKeyEnv\"")
            }
            let filled = try EndpointBackend.fill(v, ctx.environment, pointer: "/query/" + JSONPointer.escape(k))
            if filled != v { hidden += EndpointBackend.variableValues(v, ctx.environment) }
            q.append((k, filled))
        }
        query = q
        querySecrets = hidden
        transport = try Self.transport(ctx)
        maxConcurrency = Int(try ctx.number("maxConcurrency", integer: true, min: 1) ?? 4)
    }

    /// `query`: an object of strings, in order.
    static func query(_ ctx: BackendContext) throws(BackendConfigError) -> [(String, String)] {
        guard let qv = ctx.config["query"] else { return [] }
        guard case .object(let o) = qv else { throw BackendConfigError(pointer: "/query", "\"query\" must be an object of strings") }
        var q: [(String, String)] = []
        for (k, v) in o {
            guard let s = v.stringValue else { throw BackendConfigError(pointer: "/query/" + JSONPointer.escape(k), "query values must be strings") }
            q.append((k, s))
        }
        return q
    }

    /// `timeoutSeconds`, `maxRetries`, `retryBaseDelaySeconds` and `requestsPerMinute`, checked.
    static func transport(_ ctx: BackendContext) throws(BackendConfigError) -> HTTPTransport.Config {
        var t = HTTPTransport.Config()
        t.timeoutSeconds = try ctx.number("timeoutSeconds", min: 0.001) ?? 60
        t.maxRetries = Int(try ctx.number("maxRetries", integer: true, min: 0) ?? 3)
        t.baseDelaySeconds = try ctx.number("retryBaseDelaySeconds", min: 0) ?? 0.5
        t.requestsPerMinute = try ctx.number("requestsPerMinute", min: 0.001)
        return t
    }

    /// The request headers: the suite's, then the key in `apiKeyHeader` when one is named, else in the API's own header.
    func headers(keyHeader: String, keyPrefix: String = "") -> [String: String] {
        var h = headers
        if let apiKey { if let apiKeyHeader { h[apiKeyHeader] = apiKey } else { h[keyHeader] = keyPrefix + apiKey } }
        return h
    }

    /// `path` under the base URL, with the `query` parameters.
    func url(_ path: String) -> URL {
        let u = baseURL.appendingPathComponent(path)
        guard !query.isEmpty, var c = URLComponents(url: u, resolvingAgainstBaseURL: false) else { return u }
        c.queryItems = (c.queryItems ?? []) + query.map { URLQueryItem(name: $0.0, value: $0.1) }
        return c.url ?? u
    }
}

/// Heuristic for literal API keys (`sk-…`, `sk-ant-…`, long bearer tokens).
func looksLikeKey(_ s: String) -> Bool {
    let t = s.trimmingCharacters(in: .whitespaces)
    if t.lowercased().hasPrefix("bearer ") { return true }
    if (t.hasPrefix("sk-") || t.hasPrefix("sk_")) && t.count >= 20 && !t.contains(" ") { return true }
    return false
}
