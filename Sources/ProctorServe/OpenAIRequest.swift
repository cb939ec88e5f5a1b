import ProctorJSON
import ProctorConversation

/// A completions or chat-completions request body, checked field by field the way OpenAI's API
/// checks it: a field the server cannot honour is an error naming it, never silently dropped.
struct OpenAIRequest {
    enum Kind { case completion, chat }

    var kind: Kind
    var model: String
    /// The completion prompt, or for chat the messages (rendered by the server with the model's template).
    var prompt: String
    var messages: [ChatMessage] = []
    var maxTokens: Int?
    var temperature: Double?
    var topP: Double?
    var seed: UInt64?
    var stop: [String]
    var stream: Bool
    var includeUsage: Bool
    /// `response_format`: nil for text; `true` (any JSON object, `json_object`) or a JSON Schema (`json_schema`).
    var responseSchema: JSONValue? = nil
    /// `tools`: functions the model may call (empty: none).
    var tools: [ToolDefinition] = []
    /// `tool_choice`, when sent.
    var toolChoice: ToolChoice?

    /// The request's generation options, as the model's one entry point takes them.
    var options: GenerationOptions {
        GenerationOptions(maxTokens: maxTokens, temperature: temperature, topP: topP, seed: seed, stop: stop.isEmpty ? nil : stop)
    }

    /// A 400 answer: message, the offending parameter, and OpenAI's error type.
    struct Invalid: Error {
        var message: String
        var param: String?
        var status = 400
    }

    /// Fields accepted with neutral values only (what clients send by default).
    static let neutral: Set<String> = ["user", "logprobs", "frequency_penalty", "presence_penalty", "stream_options", "n"]

    static func parse(_ body: [UInt8], kind: Kind) throws(Invalid) -> OpenAIRequest {
        let v: JSONValue
        do { v = try body.withUnsafeBufferPointer { b throws(JSONParseError) in try JSONParser.parse(bytes: b) } } catch {
            throw Invalid(message: "the request body is not valid JSON: \(error)", param: nil)
        }
        guard case .object(let o) = v else { throw Invalid(message: "the request body must be a JSON object", param: nil) }
        let known: Set<String> = kind == .chat
            ? ["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop", "stream", "response_format",
               "tools", "tool_choice", "parallel_tool_calls"]
            : ["model", "prompt", "max_tokens", "temperature", "top_p", "seed", "stop", "stream", "response_format"]
        for e in o.entries where !known.contains(e.key) && !neutral.contains(e.key) {
            throw Invalid(message: "unsupported parameter '\(e.key)' (the built-in model server takes: \(known.sorted().joined(separator: ", ")))", param: e.key)
        }
        func number(_ key: String, min: Double, max: Double) throws(Invalid) -> Double? {
            guard let x = o[key], x != .null else { return nil }
            guard case .number(let n) = x, let d = Double(n.text) else { throw Invalid(message: "'\(key)' must be a number", param: key) }
            guard d >= min && d <= max else { throw Invalid(message: "'\(key)' is \(n.text); it must be between \(min) and \(max)", param: key) }
            return d
        }
        func integer(_ key: String, min: Int) throws(Invalid) -> Int? {
            guard let x = o[key], x != .null else { return nil }
            guard case .number(let n) = x, let i = Int(n.text) else { throw Invalid(message: "'\(key)' must be an integer", param: key) }
            guard i >= min else { throw Invalid(message: "'\(key)' is \(i); it must be at least \(min)", param: key) }
            return i
        }
        // Neutral fields must really be neutral.
        if let n = try integer("n", min: 1), n != 1 { throw Invalid(message: "'n' must be 1 (one choice per request)", param: "n") }
        for k in ["frequency_penalty", "presence_penalty"] {
            if let p = try number(k, min: -2, max: 2), p != 0 { throw Invalid(message: "'\(k)' is not supported (only 0)", param: k) }
        }
        if let l = o["logprobs"], l != .null, l != .bool(false) { throw Invalid(message: "'logprobs' is not supported", param: "logprobs") }
        if let u = o["user"], u.stringValue == nil { throw Invalid(message: "'user' must be a string", param: "user") }

        guard let modelValue = o["model"] else { throw Invalid(message: "you must provide a model parameter", param: "model") }
        guard let model = modelValue.stringValue else { throw Invalid(message: "'model' must be a string", param: "model") }
        var prompt = ""
        var chat: [ChatMessage] = []
        switch kind {
        case .completion:
            guard let p = o["prompt"] else { throw Invalid(message: "you must provide a prompt parameter", param: "prompt") }
            guard let s = p.stringValue else { throw Invalid(message: "'prompt' must be a string (arrays and token lists are not supported)", param: "prompt") }
            prompt = s
        case .chat:
            guard let m = o["messages"] else { throw Invalid(message: "you must provide a messages parameter", param: "messages") }
            guard case .array(let items) = m, !items.isEmpty else { throw Invalid(message: "'messages' must be a non-empty array", param: "messages") }
            var messages: [ChatMessage] = []
            for (i, item) in items.enumerated() {
                guard case .object(let mo) = item, let role = mo["role"]?.stringValue else {
                    throw Invalid(message: "'messages[\(i)]' must be an object with a string 'role'", param: "messages[\(i)].role")
                }
                guard ["system", "user", "assistant", "developer", "tool"].contains(role) else {
                    throw Invalid(message: "'messages[\(i)].role' is '\(role)'; use system, developer, user, assistant or tool", param: "messages[\(i)].role")
                }
                // An assistant's tool calls come with no content (null); a tool's result answers a call by its id.
                let calls = try Self.toolCalls(mo["tool_calls"], at: i)
                let content = mo["content"]?.stringValue ?? (mo["content"] == nil || mo["content"] == .null ? (calls.isEmpty ? nil : "") : nil)
                guard let content else {
                    throw Invalid(message: "'messages[\(i)].content' must be a string", param: "messages[\(i)].content")
                }
                if !calls.isEmpty && role != "assistant" {
                    throw Invalid(message: "'messages[\(i)].tool_calls' belongs to an assistant message", param: "messages[\(i)].tool_calls")
                }
                var message = ChatMessage(role: role == "developer" ? "system" : role, content: content)
                message.toolCalls = calls
                if role == "tool" {
                    guard let id = mo["tool_call_id"]?.stringValue else {
                        throw Invalid(message: "'messages[\(i)].tool_call_id' must be the id of the call this result answers", param: "messages[\(i)].tool_call_id")
                    }
                    guard let call = messages.last(where: { !$0.toolCalls.isEmpty })?.toolCalls.first(where: { $0.id == id }) else {
                        throw Invalid(message: "'messages[\(i)].tool_call_id' is '\(id)', which no earlier assistant message called", param: "messages[\(i)].tool_call_id")
                    }
                    message = .toolResult(content, for: call)
                }
                messages.append(message)
            }
            chat = messages
        }
        var stop: [String] = []
        if let s = o["stop"], s != .null {
            if let one = s.stringValue { stop = [one] } else if case .array(let a) = s, a.count <= 4, a.allSatisfy({ $0.stringValue != nil }) {
                stop = a.compactMap(\.stringValue)
            } else {
                throw Invalid(message: "'stop' must be a string or an array of at most 4 strings", param: "stop")
            }
        }
        var stream = false
        if let s = o["stream"], s != .null {
            guard case .bool(let b) = s else { throw Invalid(message: "'stream' must be a boolean", param: "stream") }
            stream = b
        }
        var includeUsage = false
        if let so = o["stream_options"], so != .null {
            guard case .object(let opts) = so else { throw Invalid(message: "'stream_options' must be an object", param: "stream_options") }
            if let u = opts["include_usage"] {
                guard case .bool(let b) = u else { throw Invalid(message: "'stream_options.include_usage' must be a boolean", param: "stream_options.include_usage") }
                includeUsage = b
            }
        }
        // One validation of generation options (the suites' and the CLI's), in the API's spelling.
        var fields: [JSONObject.Entry] = []
        let spelled: [(GenerationOptions.Field, String)] = [(.temperature, "temperature"), (.topP, "top_p"), (.seed, "seed")]
        for (field, key) in spelled { if let x = o[key], x != .null { fields.append((field.rawValue, x)) } }
        let maxKeys = (kind == .chat ? ["max_completion_tokens", "max_tokens"] : ["max_tokens"]).filter { o[$0] != nil && o[$0] != .null }
        if maxKeys.count == 2, o["max_tokens"] != o["max_completion_tokens"] {
            throw Invalid(message: "'max_tokens' (\(o["max_tokens"]!)) and 'max_completion_tokens' (\(o["max_completion_tokens"]!)) disagree; send one of them",
                          param: "max_tokens")
        }
        if let k = maxKeys.first { fields.append(("maxTokens", o[k]!)) }
        // Stop strings too (a string is a list of one), so an empty one is refused as a suite refuses it.
        if !stop.isEmpty { fields.append(("stop", .array(stop.map { .string($0) }))) }
        let names: [GenerationOptions.Field: String] = [.temperature: "'temperature'", .topP: "'top_p'", .seed: "'seed'", .stop: "'stop'",
                                                        .maxTokens: "'\(maxKeys.first ?? "max_tokens")'"]
        let options: GenerationOptions
        do { options = try GenerationOptions.parse(JSONObject(fields), names: names) } catch {
            let param: String?
            switch error.field {
            case .maxTokens: param = maxKeys.first ?? "max_tokens"
            case .stop: param = "stop"
            default: param = spelled.first { $0.0 == error.field }?.1
            }
            throw Invalid(message: error.message, param: param)
        }
        var r = OpenAIRequest(kind: kind, model: model, prompt: prompt, messages: chat, maxTokens: options.maxTokens,
                              temperature: options.temperature, topP: options.topP,
                              seed: options.seed, stop: stop, stream: stream, includeUsage: includeUsage)
        r.responseSchema = try responseFormat(o["response_format"])
        (r.tools, r.toolChoice) = try tools(o["tools"], o["tool_choice"])
        if !r.tools.isEmpty && r.responseSchema != nil {
            throw Invalid(message: "'tools' cannot be combined with a JSON 'response_format': a tool call has a grammar of its own", param: "response_format")
        }
        if r.responseSchema != nil && !stop.isEmpty {
            throw Invalid(message: "'stop' cannot be combined with a JSON 'response_format': the output ends when the JSON value is complete", param: "stop")
        }
        return r
    }

    /// An assistant message's `tool_calls`: `[{id, type: "function", function: {name, arguments}}]`, arguments as JSON text.
    static func toolCalls(_ v: JSONValue?, at i: Int) throws(Invalid) -> [ToolCall] {
        guard let v, v != .null else { return [] }
        let at = "messages[\(i)].tool_calls"
        guard case .array(let xs) = v else { throw Invalid(message: "'\(at)' must be an array", param: at) }
        var out: [ToolCall] = []
        for (k, x) in xs.enumerated() {
            guard let id = x["id"]?.stringValue, let name = x["function"]?["name"]?.stringValue, let args = x["function"]?["arguments"]?.stringValue else {
                throw Invalid(message: "'\(at)[\(k)]' must have 'id' and 'function' with 'name' and 'arguments' strings", param: "\(at)[\(k)]")
            }
            guard let parsed = try? JSONParser.parse(args) else {
                throw Invalid(message: "'\(at)[\(k)].function.arguments' is not JSON", param: "\(at)[\(k)].function.arguments")
            }
            out.append(ToolCall(id: id, name: name, arguments: parsed))
        }
        return out
    }

    /// `tools` (`[{type: "function", function: {name, description, parameters}}]`) and
    /// `tool_choice` (`auto`, `none`, `required` or `{type: "function", function: {name}}`).
    static func tools(_ v: JSONValue?, _ c: JSONValue?) throws(Invalid) -> ([ToolDefinition], ToolChoice?) {
        var tools: [ToolDefinition] = []
        if let v, v != .null {
            guard case .array(let xs) = v, !xs.isEmpty else { throw Invalid(message: "'tools' must be a non-empty array", param: "tools") }
            for (k, x) in xs.enumerated() {
                guard x["type"]?.stringValue == "function", case .object(let f)? = x["function"], let name = f["name"]?.stringValue, !name.isEmpty else {
                    throw Invalid(message: "'tools[\(k)]' must be {\"type\": \"function\", \"function\": {\"name\", \"parameters\"}}", param: "tools[\(k)]")
                }
                // The API's rule for names: 1 to 64 letters, digits, '_' or '-'.
                guard name.utf8.count <= 64, name.utf8.allSatisfy({ $0 == 95 || $0 == 45 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }) else {
                    throw Invalid(message: "'tools[\(k)].function.name' '\(name)' must be 1 to 64 letters, digits, '_' or '-'", param: "tools[\(k)].function.name")
                }
                let params = f["parameters"] ?? ["type": "object", "properties": [:]]
                guard case .object(let po) = params, po["type"] == nil || po["type"] == "object" else {
                    throw Invalid(message: "'tools[\(k)].function.parameters' must be a JSON Schema of an object", param: "tools[\(k)].function.parameters")
                }
                if tools.contains(where: { $0.name == name }) { throw Invalid(message: "'tools[\(k)].function.name' '\(name)' is given twice", param: "tools[\(k)].function.name") }
                tools.append(ToolDefinition(name: name, description: f["description"]?.stringValue ?? "", parameters: params))
            }
        }
        guard let c, c != .null else { return (tools, nil) }
        let choice: ToolChoice
        if let s = c.stringValue, ["auto", "none", "required"].contains(s) {
            choice = ToolChoice(s)
        } else if c["type"]?.stringValue == "function", let name = c["function"]?["name"]?.stringValue {
            choice = .tool(name)
        } else {
            throw Invalid(message: "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\"}}", param: "tool_choice")
        }
        if choice != .none && choice != .auto && tools.isEmpty { throw Invalid(message: "'tool_choice' needs 'tools'", param: "tool_choice") }
        if case .tool(let name) = choice, !tools.contains(where: { $0.name == name }) {
            throw Invalid(message: "'tool_choice' names '\(name)', which is not among 'tools'", param: "tool_choice")
        }
        return (tools, choice)
    }

    /// OpenAI's `response_format`: `{"type": "text"}`, `{"type": "json_object"}` or
    /// `{"type": "json_schema", "json_schema": {"name": …, "schema": {…}, "strict": …}}`.
    static func responseFormat(_ v: JSONValue?) throws(Invalid) -> JSONValue? {
        guard let v, v != .null else { return nil }
        guard case .object(let o) = v, let type = o["type"]?.stringValue else {
            throw Invalid(message: "'response_format' must be an object with a string 'type'", param: "response_format")
        }
        switch type {
        case "text": return nil
        case "json_object": return ["type": "object"]
        case "json_schema":
            guard case .object(let js)? = o["json_schema"] else {
                throw Invalid(message: "'response_format.json_schema' must be an object with 'name' and 'schema'", param: "response_format.json_schema")
            }
            guard js["name"]?.stringValue != nil else {
                throw Invalid(message: "'response_format.json_schema.name' must be a string", param: "response_format.json_schema.name")
            }
            guard let schema = js["schema"], schema.objectValue != nil || schema.boolValue != nil else {
                throw Invalid(message: "'response_format.json_schema.schema' must be a JSON Schema object", param: "response_format.json_schema.schema")
            }
            for k in js.keys where !["name", "schema", "strict", "description"].contains(k) {
                throw Invalid(message: "unsupported field 'response_format.json_schema.\(k)'", param: "response_format.json_schema.\(k)")
            }
            return schema
        default:
            throw Invalid(message: "'response_format.type' is '\(type)'; use text, json_object or json_schema", param: "response_format.type")
        }
    }
}
