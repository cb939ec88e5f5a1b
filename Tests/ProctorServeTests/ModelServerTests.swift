import Foundation
import ProctorBackends
import ProctorJSON
import ProctorSchema
import ProctorModel
import ProctorServe
import ProctorTestSupport
import XCTest
import ProctorConversation

/// `proctor model serve`'s server, spoken to over real loopback sockets.
final class ModelServerTests: XCTestCase {
    struct Reply { var status: Int; var headers: String; var body: String }

    /// Sends `bytes` on a fresh loopback connection; reads until the server closes (unless `readReply` is false).
    static func exchange(_ port: Int, _ bytes: [UInt8], readReply: Bool = true) -> [UInt8]? {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { return nil }
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { return nil }
        _ = bytes.withUnsafeBytes { send(s, $0.baseAddress, $0.count, 0) }
        guard readReply else { return [] }
        var all: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(s, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            all += buf[0..<n]
        }
        return all
    }

    /// A minimal HTTP/1.1 client: one request (`Connection: close`), read until the server closes.
    static func request(_ port: Int, _ method: String, _ path: String, body: String? = nil, rawBody: [UInt8]? = nil,
                        closeAfterHeaders: Bool = false) -> Reply? {
        let payload = rawBody ?? Array((body ?? "").utf8)
        let head = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(payload.count)\r\n\r\n".utf8)
        guard let all = exchange(port, head + payload, readReply: !closeAfterHeaders) else { return nil }
        if closeAfterHeaders { return Reply(status: 0, headers: "", body: "") }
        let text = String(decoding: all, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let head2 = String(text[..<split.lowerBound])
        let status = Int(head2.split(separator: " ")[1]) ?? 0
        return Reply(status: status, headers: head2, body: String(text[split.upperBound...]))
    }

    /// Sends bytes as they are (headers a client library would not write) and reads the whole answer.
    static func rawRequest(_ port: Int, _ text: String) -> String {
        exchange(port, Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    var model: (Checkpoint, Tokenizer)!

    override func setUpWithError() throws {
        let c = try Checkpoint(path: try SharedData.path("models/ref-tiny/model.bin"))
        model = (c, try Tokenizer(path: try SharedData.path("models/ref-tiny/tokenizer.bin"), vocabSize: 512))
    }

    func server(maxBody: Int = 1 << 20, maxConcurrency: Int = 1) throws -> ModelServer {
        var o = ModelServer.Options()
        o.port = 0
        o.threads = 1
        o.maxBody = maxBody
        o.maxConcurrency = maxConcurrency
        let s = try ModelServer(checkpoint: model.0, tokenizer: model.1, options: o)
        s.start()
        return s
    }

    func json(_ r: Reply?) throws -> JSONValue { try JSONParser.parse(r?.body ?? "") }

    func greedy(_ prompt: String, max: Int, stop: [String] = []) throws -> Generation {
        var sampler = Sampler(temperature: 0)
        return try Generator(transformer: Transformer(checkpoint: model.0, threads: 1), tokenizer: model.1)
            .generate(prompt: prompt, maxNewTokens: max, sampler: &sampler, stopStrings: stop)
    }

    func testHealthModelsAndCompletionsMatchTheGenerator() throws {
        let s = try server()
        defer { s.shutdown() }
        XCTAssertEqual(try json(Self.request(s.port, "GET", "/health"))["status"], "ok")
        XCTAssertEqual(try json(Self.request(s.port, "GET", "/v1/models"))["data"]?[0]?["id"], "proctor-builtin")
        let r = Self.request(s.port, "POST", "/v1/completions", body: #"{"model": "proctor-builtin", "prompt": "Once upon a time", "max_tokens": 20}"#)
        XCTAssertEqual(r?.status, 200)
        let v = try json(r)
        let g = try greedy("Once upon a time", max: 20)
        XCTAssertEqual(v["choices"]?[0]?["text"]?.stringValue, g.text)
        XCTAssertEqual(v["choices"]?[0]?["finish_reason"], "length")
        XCTAssertEqual(v["usage"]?["prompt_tokens"]?.intValue, g.promptTokenIds.count)
        XCTAssertEqual(v["usage"]?["completion_tokens"], 20)
        XCTAssertEqual(v["object"], "text_completion")
    }

    func testChatMatchesTheBuiltinBackendAndStopStringsCut() async throws {
        let s = try server()
        defer { s.shutdown() }
        let messages = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Once upon a time")]
        let g = try greedy(ChatTemplate.prompt(messages), max: 30)
        let r = Self.request(s.port, "POST", "/v1/chat/completions", body: """
        {"model": "proctor-builtin", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Once upon a time"}], "max_tokens": 30}
        """)
        XCTAssertEqual(r?.status, 200, r?.body ?? "")
        let v = try json(r)
        XCTAssertEqual(v["choices"]?[0]?["message"]?["content"]?.stringValue, g.text)
        XCTAssertEqual(v["choices"]?[0]?["message"]?["role"], "assistant")
        XCTAssertEqual(v["object"], "chat.completion")
        // A stop string taken from the middle of the greedy text ends the answer just before it.
        let words = g.text.split(separator: " ")
        if words.count > 2 {
            let stop = String(words[2])
            let cut = try greedy(ChatTemplate.prompt(messages), max: 30, stop: [stop])
            let rs = Self.request(s.port, "POST", "/v1/chat/completions", body: """
            {"model": "proctor-builtin", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Once upon a time"}], "max_tokens": 30, "stop": \(JSONSerializer.quote(stop))}
            """)
            let vs = try json(rs)
            XCTAssertEqual(vs["choices"]?[0]?["message"]?["content"]?.stringValue, cut.text)
            XCTAssertEqual(vs["choices"]?[0]?["finish_reason"], "stop")
            XCTAssertFalse(cut.text.contains(stop))
        }
    }

    func testStreamingDeltasAddUpToTheAnswer() throws {
        let s = try server()
        defer { s.shutdown() }
        for (path, body) in [("/v1/completions", #""prompt": "Once upon a time""#),
                             ("/v1/chat/completions", #""messages": [{"role": "user", "content": "Once upon a time"}]"#)] {
            let whole = try json(Self.request(s.port, "POST", path, body: #"{"model": "proctor-builtin", \#(body), "max_tokens": 25}"#))
            let r = Self.request(s.port, "POST", path, body: #"{"model": "proctor-builtin", \#(body), "max_tokens": 25, "stream": true, "stream_options": {"include_usage": true}}"#)
            XCTAssertEqual(r?.status, 200)
            XCTAssertTrue(r?.headers.contains("text/event-stream") == true)
            let events = (r?.body ?? "").components(separatedBy: "\n\n").filter { !$0.isEmpty }
            XCTAssertEqual(events.last, "data: [DONE]")
            var text = "", finish: String?, usage: JSONValue?
            for e in events.dropLast() {
                XCTAssertTrue(e.hasPrefix("data: "), e)
                let v = try JSONParser.parse(String(e.dropFirst(6)))
                if let u = v["usage"], u != .null { usage = u }
                guard let c = v["choices"]?[0] else { continue }
                text += c["text"]?.stringValue ?? c["delta"]?["content"]?.stringValue ?? ""
                if let f = c["finish_reason"]?.stringValue { finish = f }
            }
            let expected = whole["choices"]?[0]?["text"]?.stringValue ?? whole["choices"]?[0]?["message"]?["content"]?.stringValue
            XCTAssertEqual(text, expected, path)
            XCTAssertEqual(finish, "length")
            XCTAssertEqual(usage?["completion_tokens"], 25)
        }
    }

    /// The listener keeps a connection open between requests (HTTP/1.1 keep-alive) and closes it
    /// when the client says `Connection: close`: three requests in one write, three answers in order.
    func testKeepAliveAnswersEveryRequestOnOneConnection() throws {
        let s = try server()
        defer { s.shutdown() }
        let body = #"{"model": "proctor-builtin", "prompt": "Once", "max_tokens": 3}"#
        let three = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            + "GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let started = Date()
        let reply = Self.rawRequest(s.port, three)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "the server closed only at its idle timeout")
        let statuses = reply.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
        XCTAssertEqual(statuses, ["200", "200", "200"], reply)
        XCTAssertEqual(reply.components(separatedBy: "Connection: keep-alive").count - 1, 2, reply)
        XCTAssertTrue(reply.contains("\"text_completion\""), reply)
        XCTAssertTrue(reply.hasSuffix("}") || reply.hasSuffix("}\n"), reply)
    }

    func testBadRequestsGetOpenAIErrors() throws {
        let s = try server(maxBody: 4096)
        defer { s.shutdown() }
        func check(_ body: String, _ status: Int, param: String?, _ fragment: String, path: String = "/v1/completions", line: UInt = #line) throws {
            let r = Self.request(s.port, "POST", path, body: body)
            XCTAssertEqual(r?.status, status, r?.body ?? "", line: line)
            let e = try json(r)["error"]
            XCTAssertEqual(e?["param"]?.stringValue, param, line: line)
            XCTAssertEqual(e?["type"], "invalid_request_error", line: line)
            XCTAssertTrue(e?["message"]?.stringValue?.contains(fragment) == true, e?["message"]?.stringValue ?? "", line: line)
        }
        try check("{not json", 400, param: nil, "not valid JSON")
        try check("[1]", 400, param: nil, "JSON object")
        try check(#"{"model": "proctor-builtin"}"#, 400, param: "prompt", "provide a prompt")
        try check(#"{"prompt": "x"}"#, 400, param: "model", "provide a model")
        try check(#"{"model": "gpt-4", "prompt": "x"}"#, 400, param: "model", "does not exist")
        try check(#"{"model": "proctor-builtin", "prompt": "x", "max_tokens": "ten"}"#, 400, param: "max_tokens", "integer")
        // Generation options: the one rule of suites and the CLI, with the same words.
        try check(#"{"model": "proctor-builtin", "prompt": "x", "temperature": -1}"#, 400, param: "temperature", "'temperature' must be a number ≥ 0")
        try check(#"{"model": "proctor-builtin", "prompt": "x", "top_p": 0}"#, 400, param: "top_p", "'top_p' must be a number greater than 0 and at most 1")
        try check(#"{"model": "proctor-builtin", "prompt": "x", "seed": -1}"#, 400, param: "seed", "'seed' must be an integer from 0 to 18446744073709551615")
        try check(#"{"model": "proctor-builtin", "prompt": "x", "stop": [""]}"#, 400, param: "stop", "'stop' must be an array of non-empty strings")
        try check(#"{"model": "proctor-builtin", "prompt": "x", "stop": ""}"#, 400, param: "stop", "'stop' must be an array of non-empty strings")
        try check(#"{"model": "proctor-builtin", "messages": [{"role": "user", "content": "x"}], "max_tokens": 50, "max_completion_tokens": 3}"#,
                  400, param: "max_tokens", "disagree", path: "/v1/chat/completions")
        let bigSeed = Self.request(s.port, "POST", "/v1/completions", body: #"{"model": "proctor-builtin", "prompt": "x", "seed": 18446744073709551615, "max_tokens": 2}"#)
        XCTAssertEqual(bigSeed?.status, 200, bigSeed?.body ?? "")
        try check(#"{"model": "proctor-builtin", "prompt": "x", "n": 2}"#, 400, param: "n", "must be 1")
        try check(#"{"model": "proctor-builtin", "prompt": "x", "best_of": 2}"#, 400, param: "best_of", "unsupported parameter")
        try check(#"{"model": "proctor-builtin", "prompt": ["a", "b"]}"#, 400, param: "prompt", "must be a string")
        try check(#"{"model": "proctor-builtin", "messages": [{"role": "robot", "content": "x"}]}"#, 400, param: "messages[0].role", "robot",
                  path: "/v1/chat/completions")
        let long = String(repeating: "word ", count: 300)
        try check(#"{"model": "proctor-builtin", "prompt": "\#(long)"}"#, 400, param: "prompt", "context")
        // Oversized bodies, unknown paths, wrong methods.
        let big = Self.request(s.port, "POST", "/v1/completions", body: #"{"model": "proctor-builtin", "prompt": "\#(String(repeating: "x", count: 5000))"}"#)
        XCTAssertEqual(big?.status, 413)
        let huge = Self.rawRequest(s.port, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n")
        XCTAssertTrue(huge.hasPrefix("HTTP/1.1 413"), huge)
        XCTAssertTrue(huge.contains("too large"), huge)
        XCTAssertEqual(Self.request(s.port, "GET", "/v2/whatever")?.status, 404)
        XCTAssertEqual(Self.request(s.port, "GET", "/v1/completions")?.status, 405)
        // The server is still fine.
        XCTAssertEqual(Self.request(s.port, "GET", "/health")?.status, 200)
    }

    /// `response_format`: json_schema and json_object answers are valid instances, streamed or not;
    /// a schema outside the coverage, or one whose shortest instance cannot fit, is a 400.
    func testResponseFormatConstrainsTheAnswer() throws {
        let s = try server()
        defer { s.shutdown() }
        let schema = #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}, "n": {"type": "integer", "minimum": 1, "maximum": 9}}, "required": ["name", "n"], "additionalProperties": false}"#
        let validator = try CompiledSchema.compile(try JSONParser.parse(schema))
        for stream in [false, true] {
            for temperature in [0, 1] {
                let body = #"{"model": "proctor-builtin", "messages": [{"role": "user", "content": "Give a name"}], "temperature": \#(temperature), "seed": 5, "stream": \#(stream), "response_format": {"type": "json_schema", "json_schema": {"name": "thing", "strict": true, "schema": \#(schema)}}}"#
                let r = Self.request(s.port, "POST", "/v1/chat/completions", body: body)
                XCTAssertEqual(r?.status, 200, r?.body ?? "")
                var content = "", finish: String?
                if stream {
                    for e in (r?.body ?? "").components(separatedBy: "\n\n") where e.hasPrefix("data: {") {
                        let v = try JSONParser.parse(String(e.dropFirst(6)))
                        content += v["choices"]?[0]?["delta"]?["content"]?.stringValue ?? ""
                        if let f = v["choices"]?[0]?["finish_reason"]?.stringValue { finish = f }
                    }
                } else {
                    let v = try json(r)
                    content = v["choices"]?[0]?["message"]?["content"]?.stringValue ?? ""
                    finish = v["choices"]?[0]?["finish_reason"]?.stringValue
                }
                XCTAssertTrue(validator.isValid(try JSONParser.parse(content)), content)
                XCTAssertEqual(finish, "stop")
            }
        }
        let obj = try json(Self.request(s.port, "POST", "/v1/completions",
                                        body: #"{"model": "proctor-builtin", "prompt": "x", "temperature": 1, "response_format": {"type": "json_object"}}"#))
        XCTAssertNotNil(try JSONParser.parse(obj["choices"]?[0]?["text"]?.stringValue ?? "").objectValue)
        func bad(_ format: String, param: String, _ fragment: String, extra: String = "") throws {
            let r = Self.request(s.port, "POST", "/v1/completions", body: #"{"model": "proctor-builtin", "prompt": "x", \#(extra)"response_format": \#(format)}"#)
            XCTAssertEqual(r?.status, 400, format)
            let e = try json(r)["error"]
            XCTAssertEqual(e?["param"]?.stringValue, param, format)
            XCTAssertTrue(e?["message"]?.stringValue?.contains(fragment) == true, e?["message"]?.stringValue ?? "")
        }
        try bad(#"{"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "array", "contains": {"type": "string"}}}}"#, param: "response_format", "/contains")
        try bad(#"{"type": "yaml"}"#, param: "response_format.type", "yaml")
        try bad(#"{"type": "json_schema", "json_schema": {"schema": {}}}"#, param: "response_format.json_schema.name", "name")
        try bad(#"{"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "minLength": 50}}}"#, param: "max_tokens", "shortest", extra: #""max_tokens": 10, "#)
        try bad(#"{"type": "json_object"}"#, param: "stop", "stop", extra: #""stop": ["}"], "#)
    }

    /// Requests beyond --max-concurrency wait in line; a client that leaves mid-stream does not hold
    /// its slot; shutdown returns.
    func testQueueAndDisconnect() throws {
        let s = try server(maxConcurrency: 1)
        // A client that sends a long streaming request and leaves at once.
        _ = Self.request(s.port, "POST", "/v1/completions", body: #"{"model": "proctor-builtin", "prompt": "Once", "max_tokens": 120, "stream": true}"#,
                         closeAfterHeaders: true)
        // Three more at once: all are answered, in line.
        let group = DispatchGroup()
        let results = Mutexed([Int]())
        for _ in 0..<3 {
            group.enter()
            DispatchQueue.global().async {
                let r = Self.request(s.port, "POST", "/v1/completions", body: #"{"model": "proctor-builtin", "prompt": "Once upon", "max_tokens": 10}"#)
                results.append(r?.status ?? -1)
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(results.value, [200, 200, 200])
        let t0 = Date()
        s.shutdown()
        XCTAssertLessThan(Date().timeIntervalSince(t0), 5)
        XCTAssertNil(Self.request(s.port, "GET", "/health"), "no longer accepting")
    }
}

/// A value shared by test threads.
final class Mutexed<T>: @unchecked Sendable {
    // @unchecked Sendable: `v` is only touched under `lock`.
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T { lock.withLock { v } }
    func append<E>(_ e: E) where T == [E] { lock.withLock { v.append(e) } }
}
