import Foundation
import ProctorJSON
import ProctorConversation

/// Any HTTP endpoint (`"type": "http"`): a team's own service (a RAG endpoint, an agent API)
/// rather than a model API. The request is built from templates over the rendered prompt, the
/// message list and the case's variables; the output is read at a JSON Pointer of the response
/// (or is the whole body), usage at another; `stream: true` reads server-sent events, joining the
/// `data:` chunks at `streamPath`. Timeouts, retries on 429/5xx with `Retry-After`, concurrency
/// limits, the cache and cassettes work as for the `openai` backend.
public struct EndpointBackend: Backend {
    /// The backend's id from the suite, which prefixes its error messages.
    public let id: String
    let url: URL
    let method: String
    /// Headers with their `${VAR}` values filled in (those values are secrets: redacted everywhere).
    let headers: [String: String]
    let query: [(String, String)]
    let body: JSONValue?
    let outputPath: JSONPointer?
    let usagePath: JSONPointer?
    let stream: Bool
    let streamPath: JSONPointer?
    let transport: HTTPTransport
    let limit: Int?

    static let keys = ["url", "method", "headers", "query", "body", "outputPath", "usagePath", "stream", "streamPath",
                       "timeoutSeconds", "maxRetries", "maxConcurrency", "requestsPerMinute", "retryBaseDelaySeconds"]

    /// This type's entry in `BackendRegistry`: an application takes no generation options (put what
    /// it needs in its `body`), and its requests read the case's variables.
    public static let kind: BackendKind = {
        var k = BackendKind(
            type: "http", keys: keys, honours: [:],
            refusals: Dictionary(uniqueKeysWithValues: GenerationOptions.Field.allCases.map {
                ($0, "an http endpoint is an application, not a model API: write what it needs into its \"body\" (for example {{vars.NAME}})")
            }),
            identityIgnores: HTTPBackendConfig.transportKeys.filter { $0 != "apiKeyEnv" }, cachedByDefault: true,
            make: { ctx throws(BackendConfigError) in try EndpointBackend(ctx) })
        k.readsVars = true
        return k
    }()

    /// Reads and checks the entry: `url` (http or https), `method`, `headers` (`${VAR}` filled from the environment), `query`, `body`, the pointers and the transport keys.
    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        id = ctx.id
        var secrets: [String] = []
        guard let written = try ctx.string("url", required: true) else { throw BackendConfigError(pointer: "/url", "missing url") }
        let u = try Self.fill(written, ctx.environment, pointer: "/url")
        if u != written { secrets += Self.variableValues(written, ctx.environment) }
        guard let parsed = URL(string: u), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
            throw BackendConfigError(pointer: "/url", "\"url\" must be an http(s) URL, found \"\(written)\"")
        }
        url = parsed
        let m = (try ctx.string("method") ?? "POST").uppercased()
        guard ["GET", "POST", "PUT", "PATCH"].contains(m) else { throw BackendConfigError(pointer: "/method", "\"method\" must be GET, POST, PUT or PATCH, found \"\(m)\"") }
        method = m
        var h: [String: String] = [:]
        if let hv = ctx.config["headers"] {
            guard case .object(let o) = hv else { throw BackendConfigError(pointer: "/headers", "\"headers\" must be an object of strings") }
            for (k, v) in o {
                guard let s = v.stringValue else { throw BackendConfigError(pointer: "/headers/" + JSONPointer.escape(k), "header values must be strings") }
                if !s.contains("${") && (HTTPBackendConfig.secretHeaders.contains(k.lowercased()) || looksLikeKey(s)) {
                    throw BackendConfigError(pointer: "/headers/" + JSONPointer.escape(k),
                                             "header \"\(k)\" carries a secret; write it as ${VARIABLE} so it comes from the environment and is redacted")
                }
                let filled = try Self.fill(s, ctx.environment, pointer: "/headers/" + JSONPointer.escape(k))
                if filled != s { secrets.append(contentsOf: Self.variableValues(s, ctx.environment)) }
                h[k] = filled
            }
        }
        headers = h
        var q: [(String, String)] = []
        for (k, v) in try HTTPBackendConfig.query(ctx) {
            let filled = try Self.fill(v, ctx.environment, pointer: "/query/" + JSONPointer.escape(k))
            if filled != v { secrets += Self.variableValues(v, ctx.environment) }
            q.append((k, filled))
        }
        query = q
        body = ctx.config["body"]
        if body != nil && method == "GET" { throw BackendConfigError(pointer: "/body", "a GET request has no body; use \"query\" or another method") }
        func pointer(_ key: String) throws(BackendConfigError) -> JSONPointer? {
            guard let p = try ctx.string(key) else { return nil }
            do { return try JSONPointer(p) } catch { throw BackendConfigError(pointer: "/" + key, "\"\(key)\" must be a JSON Pointer such as \"/answer\": \(error)") }
        }
        outputPath = try pointer("outputPath")
        usagePath = try pointer("usagePath")
        streamPath = try pointer("streamPath")
        if let s = ctx.config["stream"] {
            guard let b = s.boolValue else { throw BackendConfigError(pointer: "/stream", "\"stream\" must be true or false") }
            stream = b
        } else {
            stream = false
        }
        if streamPath != nil && !stream { throw BackendConfigError(pointer: "/streamPath", "\"streamPath\" reads server-sent events: set \"stream\": true") }
        if stream && outputPath != nil { throw BackendConfigError(pointer: "/outputPath", "with \"stream\": true the output is the joined chunks; use \"streamPath\" for where each chunk's text is") }
        transport = HTTPTransport(config: try HTTPBackendConfig.transport(ctx), secrets: secrets)
        limit = Int(try ctx.number("maxConcurrency", integer: true, min: 1) ?? 4)
    }

    /// Requests at once, from the suite's `maxConcurrency` (default 4).
    public var maxConcurrency: Int? { limit }

    /// Sends the request built for `request` and reads the output (and usage) from the response.
    public func complete(_ request: BackendRequest) async -> BackendResponse {
        let payload: [UInt8]?
        var contentType: String?
        switch body {
        case nil: payload = method == "GET" ? nil : JSONSerializer.bytes(["prompt": .string(request.flattenedPrompt)]); contentType = payload == nil ? nil : "application/json"
        case .string(let text)?: payload = Array(Self.render(text, request).utf8); contentType = "text/plain; charset=utf-8"
        case let value?: payload = JSONSerializer.bytes(Self.render(value, request)); contentType = "application/json"
        }
        var target = url
        if !query.isEmpty, var c = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            c.queryItems = (c.queryItems ?? []) + query.map { URLQueryItem(name: $0.0, value: Self.render($0.1, request)) }
            target = c.url ?? url
        }
        var h = headers
        if stream { h["Accept"] = "text/event-stream" }
        switch await transport.send(method: method, url: target, headers: h, body: payload, contentType: contentType) {
        case .failure(let f):
            return .failure("\(id): \(transport.redact(f.description))")
        case .success(let out):
            if stream { return streamed(out) }
            return read(out)
        }
    }

    /// The output at `outputPath` (or the whole body), and usage at `usagePath`.
    func read(_ out: HTTPTransport.Outcome) -> BackendResponse {
        let excerpt = { transport.redact(HTTPTransport.excerpt(out.body)) }
        if let usagePath, usage(try? JSONParser.parse(out.body)) == nil {
            return .failure("\(id): the response has no token usage at usagePath \(usagePath) ({prompt_tokens, completion_tokens} or {input_tokens, output_tokens}): \(excerpt())", latencyMs: out.latencyMs)
        }
        guard let outputPath else {
            return BackendResponse(text: String(decoding: out.body, as: UTF8.self), finishReason: .stop, usage: usage(try? JSONParser.parse(out.body)),
                                   latencyMs: out.latencyMs)
        }
        guard let v = try? JSONParser.parse(out.body) else {
            return .failure("\(id): the response is not JSON, so outputPath \(outputPath) cannot be read (HTTP \(out.status)): \(excerpt())", latencyMs: out.latencyMs)
        }
        guard let found = outputPath.resolve(in: v) else {
            return .failure("\(id): the response has nothing at outputPath \(outputPath): \(excerpt())", latencyMs: out.latencyMs)
        }
        return BackendResponse(text: found.stringValue ?? JSONSerializer.string(found), finishReason: .stop, usage: usage(v), latencyMs: out.latencyMs)
    }

    /// Server-sent events: each `data:` line's JSON, its text at `streamPath` (the whole data
    /// when none), joined; `[DONE]` ends it.
    func streamed(_ out: HTTPTransport.Outcome) -> BackendResponse {
        var text = ""
        var lastJSON: JSONValue?
        var events = 0, matched = 0
        for raw in String(decoding: out.body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            guard line.hasPrefix("data:") else { continue }
            let data = line.dropFirst(5).drop { $0 == " " }
            events += 1
            if data == "[DONE]" { break }
            guard let streamPath else { text += data; matched += 1; continue }
            guard let v = try? JSONParser.parse(String(data)) else {
                return .failure("\(id): a server-sent event is not JSON, so streamPath \(streamPath) cannot be read: \(transport.redact(String(data.prefix(200))))", latencyMs: out.latencyMs)
            }
            lastJSON = v
            if let piece = streamPath.resolve(in: v) { text += piece.stringValue ?? JSONSerializer.string(piece); matched += 1 }
        }
        // An answer that is not a stream, or a stream with nothing where streamPath points, is not an empty output.
        if events == 0 {
            return .failure("\(id): stream is true but the response has no server-sent events (data: lines): \(transport.redact(HTTPTransport.excerpt(out.body)))", latencyMs: out.latencyMs)
        }
        if matched == 0, let streamPath {
            return .failure("\(id): no server-sent event has anything at streamPath \(streamPath): \(transport.redact(HTTPTransport.excerpt(out.body)))", latencyMs: out.latencyMs)
        }
        return BackendResponse(text: text, finishReason: .stop, usage: usage(lastJSON), latencyMs: out.latencyMs)
    }

    /// Usage at `usagePath`: `prompt_tokens`/`completion_tokens` (OpenAI's names) or `input_tokens`/`output_tokens`.
    func usage(_ v: JSONValue?) -> TokenUsage? {
        guard let usagePath, let v, let u = usagePath.resolve(in: v) else { return nil }
        guard let p = u["prompt_tokens"]?.intValue ?? u["input_tokens"]?.intValue,
              let c = u["completion_tokens"]?.intValue ?? u["output_tokens"]?.intValue else { return nil }
        return TokenUsage(promptTokens: p, outputTokens: c)
    }

    /// A body template: a string that is exactly `{{messages}}` or `{{vars.NAME}}` becomes that
    /// value with its JSON type; elsewhere `{{prompt}}`, `{{messages}}` and `{{vars.NAME}}` are
    /// replaced by their text.
    static func render(_ v: JSONValue, _ r: BackendRequest) -> JSONValue {
        switch v {
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespaces)
            if t == "{{messages}}" { return .array(r.messages.map(\.json)) }
            if t.hasPrefix("{{vars."), t.hasSuffix("}}"), let x = r.vars[String(t.dropFirst(7).dropLast(2)).trimmingCharacters(in: .whitespaces)] { return x }
            return .string(render(s, r))
        case .array(let xs): return .array(xs.map { render($0, r) })
        case .object(let o):
            var out = o
            for (k, x) in o { out[k] = render(x, r) }
            return .object(out)
        default: return v
        }
    }

    /// `{{prompt}}`, `{{messages}}` (as JSON text) and `{{vars.NAME}}` in text.
    static func render(_ s: String, _ r: BackendRequest) -> String {
        guard s.contains("{{") else { return s }
        var out = ""
        var rest = Substring(s)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { out += rest[open.lowerBound...]; return out }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if name == "prompt" { out += r.flattenedPrompt } else if name == "messages" {
                out += JSONSerializer.string(.array(r.messages.map(\.json)))
            } else if name.hasPrefix("vars."), let x = r.vars[String(name.dropFirst(5))] {
                out += x.stringValue ?? JSONSerializer.string(x)
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// `${VAR}` in a header value filled from the environment (`$${` is a literal `${`); an unset variable is a load error.
    static func fill(_ s: String, _ env: [String: String], pointer: String) throws(BackendConfigError) -> String {
        guard s.contains("${") else { return s }
        var out = ""
        var rest = Substring(s)
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex && rest[rest.index(before: open.lowerBound)] == "$" {
                out += rest[..<rest.index(before: open.lowerBound)] + "${"
                rest = rest[open.upperBound...]
                continue
            }
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { throw BackendConfigError(pointer: pointer, "unclosed ${ in \"\(s)\"") }
            let name = String(rest[open.upperBound..<close])
            guard let v = env[name], !v.isEmpty else { throw BackendConfigError(pointer: pointer, "environment variable \(name) is not set (used as ${\(name)})") }
            out += v
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// The values of the variables `s` names (for redaction).
    static func variableValues(_ s: String, _ env: [String: String]) -> [String] {
        var names: [String] = []
        var rest = Substring(s)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            names.append(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names.compactMap { env[$0] }.filter { !$0.isEmpty }
    }
}
