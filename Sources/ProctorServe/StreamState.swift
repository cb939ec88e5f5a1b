import ProctorJSON
import ProctorConversation

/// A streamed answer in OpenAI's chunk format: text deltas as the model writes them, then a chunk
/// with the finish reason, optionally one with the usage, then `data: [DONE]`.
///
/// A delta never ends inside a UTF-8 sequence or inside what could still become a stop string, so
/// the deltas put together are exactly the non-streamed text.
struct StreamState {
    let request: OpenAIRequest
    let id: String
    let created: Int
    let model: String
    let conn: HTTPExchange
    /// Bytes of the model's text sent so far, and that text as last seen (raw, before any UTF-8
    /// repair, so offsets into it stay right).
    var emitted = 0
    var raw: [UInt8] = []

    var isChat: Bool { request.kind == .chat }

    func chunk(delta: String?, finishReason: String?) -> JSONValue {
        let choice: JSONValue
        if isChat {
            var d: [(String, JSONValue)] = []
            if emitted == 0 && delta == "" { d.append(("role", "assistant")) }
            if let delta { d.append(("content", .string(delta))) }
            choice = .object(JSONObject(d.map { (key: $0.0, value: $0.1) }) )
        } else {
            choice = .string(delta ?? "")
        }
        let c: JSONValue = isChat
            ? ["index": 0, "delta": choice, "logprobs": .null, "finish_reason": finishReason.map { .string($0) } ?? .null]
            : ["text": choice, "index": 0, "logprobs": .null, "finish_reason": finishReason.map { .string($0) } ?? .null]
        return ["id": .string(id), "object": .string(isChat ? "chat.completion.chunk" : "text_completion"), "created": .number(JSONNumber(created)),
                "model": .string(model), "choices": [c]]
    }

    mutating func begin() {
        conn.startEvents()
        if isChat { conn.event(JSONSerializer.bytes(chunk(delta: "", finishReason: nil))) }
    }

    /// Sends what of `text` is safe to send now.
    mutating func send(upTo text: UnsafeBufferPointer<UInt8>) {
        raw = Array(text)
        var end = text.count
        // Hold back a tail that is the start of a stop string.
        for stop in request.stop {
            let s = Array(stop.utf8)
            var k = min(s.count - 1, end)
            while k > 0 {
                if text[(end - k)..<end].elementsEqual(s[0..<k]) { end -= k; break }
                k -= 1
            }
        }
        // Never split a UTF-8 sequence.
        var i = end
        while i > emitted && i > 0 && text[i - 1] & 0xC0 == 0x80 { i -= 1 }
        if i > emitted && i > 0 && text[i - 1] >= 0xC0 {
            let lead = text[i - 1]
            let need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            if end - (i - 1) < need { end = i - 1 }
        }
        guard end > emitted else { return }
        let delta = String(decoding: UnsafeBufferPointer(rebasing: text[emitted..<end]), as: UTF8.self)
        conn.event(JSONSerializer.bytes(chunk(delta: delta, finishReason: nil)))
        emitted = end
    }

    /// A tool call as OpenAI streams one: a delta with the call's index, id, type and name (and
    /// empty arguments), then the arguments in pieces of up to 16 bytes, never inside a UTF-8 sequence.
    mutating func sendToolCall(_ call: ToolCall, arguments: String) {
        func event(_ toolCall: JSONValue) {
            conn.event(JSONSerializer.bytes(["id": .string(id), "object": "chat.completion.chunk", "created": .number(JSONNumber(created)),
                                             "model": .string(model),
                                             "choices": [["index": 0, "delta": ["tool_calls": [toolCall]], "logprobs": .null, "finish_reason": .null]]]))
        }
        event(.object(JSONObject([("index", 0), ("id", .string(call.id)), ("type", "function"),
                                  ("function", .object(JSONObject([("name", .string(call.name)), ("arguments", "")])))])))
        let bytes = Array(arguments.utf8)
        var start = 0
        while start < bytes.count {
            var end = min(start + 16, bytes.count)
            while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
            event(["index": 0, "function": ["arguments": .string(String(decoding: bytes[start..<end], as: UTF8.self))]])
            start = end
        }
    }

    /// The rest of the final text (as last seen), the finish reason, the usage if asked for, and `[DONE]`.
    mutating func finish(finishReason: String, usage: JSONValue) {
        if raw.count > emitted {
            let delta = String(decoding: raw[emitted...], as: UTF8.self)
            conn.event(JSONSerializer.bytes(chunk(delta: delta, finishReason: nil)))
            emitted = raw.count
        }
        var last = chunk(delta: isChat ? nil : "", finishReason: finishReason)
        if isChat, case .object(var o) = last, case .array(var cs)? = o["choices"], case .object(var c) = cs[0] {
            c["delta"] = .object(JSONObject([]))
            cs[0] = .object(c)
            o["choices"] = .array(cs)
            last = .object(o)
        }
        conn.event(JSONSerializer.bytes(last))
        if request.includeUsage {
            conn.event(JSONSerializer.bytes(["id": .string(id), "object": .string(isChat ? "chat.completion.chunk" : "text_completion"),
                                             "created": .number(JSONNumber(created)), "model": .string(model), "choices": [], "usage": usage]))
        }
        conn.event(Array("[DONE]".utf8))
    }
}
