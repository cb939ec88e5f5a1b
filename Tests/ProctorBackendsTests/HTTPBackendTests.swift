import Foundation
import ProctorBackends
import ProctorJSON
import ProctorTestSupport
import XCTest
import ProctorConversation

/// The HTTP backends against a real server on 127.0.0.1 that imitates both APIs and misbehaves on cue.
final class HTTPBackendTests: XCTestCase {
    static let key = "sk-proctor-test-0123456789abcdefXYZ"

    func openai(_ server: MockHTTPServer, _ extra: [(String, JSONValue)] = []) throws -> Configured {
        var e: [(key: String, value: JSONValue)] = [("id", "oa"), ("type", "openai"), ("baseURL", .string(server.baseURL + "/v1")), ("model", "gpt-test"),
                                                    ("apiKeyEnv", "PROCTOR_TEST_API_KEY"), ("retryBaseDelaySeconds", 0.1), ("timeoutSeconds", 5)]
        for x in extra { e.append((x.0, x.1)) }
        return try Configured(JSONObject(e))
    }

    let request = BackendRequest(messages: [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi")], caseId: "c")

    func testOpenAINormalAnswer() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("hello there") }
        let r = try await openai(server, [("temperature", 0), ("maxTokens", 32), ("responseFormat", ["type": "json_object"])]).complete(request)
        XCTAssertEqual(r.text, "hello there")
        XCTAssertEqual(r.finishReason, .stop)
        XCTAssertEqual(r.usage, TokenUsage(promptTokens: 7, outputTokens: 3))
        let req = server.requests[0]
        XCTAssertEqual(req.path, "/v1/chat/completions")
        XCTAssertEqual(req.headers["authorization"], "Bearer \(Self.key)")
        let body = try JSONParser.parse(req.body)
        XCTAssertEqual(body["model"], "gpt-test")
        XCTAssertEqual(body["max_tokens"], 32)
        XCTAssertEqual(body["response_format"], ["type": "json_object"])
        XCTAssertEqual(body["messages"]?[0]?["role"], "system")
    }

    /// OpenAI's reasoning models take `max_completion_tokens` (they refuse `max_tokens`).
    func testReasoningModelsTakeMaxCompletionTokens() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        let e: [(key: String, value: JSONValue)] = [("id", "oa"), ("type", "openai"), ("baseURL", .string(server.baseURL + "/v1")), ("model", "o4-mini"),
                                                    ("apiKeyEnv", "PROCTOR_TEST_API_KEY"), ("retryBaseDelaySeconds", 0.1), ("timeoutSeconds", 5), ("maxTokens", 50)]
        _ = try await Configured(JSONObject(e)).complete(request)
        let body = try JSONParser.parse(server.requests[0].body)
        XCTAssertEqual(body["max_completion_tokens"], 50)
        XCTAssertNil(body["max_tokens"])
        for m in ["o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5-mini"] { XCTAssertTrue(OpenAIBackend.isReasoningModel(m), m) }
        for m in ["gpt-4o", "gpt-4.1-mini", "olmo-7b", "o", "omni"] { XCTAssertFalse(OpenAIBackend.isReasoningModel(m), m) }
    }

    func testFinishReasonLengthMeansTruncated() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("cut", finish: "length") }
        let r = try await openai(server).complete(request)
        XCTAssertEqual(r.finishReason, .length)
    }

    func test429WithRetryAfterThenSuccess() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        server.enqueue(.respond(status: 429, headers: ["Retry-After": "1"], body: #"{"error": "slow down"}"#))
        let t0 = Date()
        let r = try await openai(server).complete(request)
        XCTAssertEqual(r.text, "ok")
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.95, "Retry-After was honoured")
    }

    func test500TwiceThenSuccessWithBackoff() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        server.enqueue(.respond(status: 500, headers: [:], body: "boom"), .respond(status: 503, headers: [:], body: "busy"))
        let t0 = Date()
        let r = try await openai(server).complete(request)
        XCTAssertEqual(r.text, "ok")
        XCTAssertEqual(server.requests.count, 3)
        // Base 0.1 s, doubling, jitter ±50 %: at least 0.05 + 0.1 s of waiting.
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.15)
    }

    func testRetriesGiveUp() async throws {
        let server = try MockHTTPServer { _ in .respond(status: 502, headers: [:], body: "bad gateway") }
        let r = try await openai(server, [("maxRetries", 2)]).complete(request)
        XCTAssertEqual(r.finishReason, .error)
        XCTAssertEqual(server.requests.count, 3)
        XCTAssertEqual(r.error, "oa: HTTP 502 after 3 attempts: bad gateway")
    }

    func testClientErrorsAreNotRetried() async throws {
        let server = try MockHTTPServer { _ in .respond(status: 400, headers: [:], body: #"{"error": "bad request"}"#) }
        let r = try await openai(server).complete(request)
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertTrue(r.error!.contains("HTTP 400 after 1 attempt"))
    }

    func testTimeoutIsAnErrorNotAHang() async throws {
        let server = try MockHTTPServer { _ in .delay(5, then: MockHTTPServer.openAI("late")) }
        let t0 = Date()
        let r = try await openai(server, [("timeoutSeconds", 0.5)]).complete(request)
        XCTAssertEqual(r.finishReason, .error)
        XCTAssertTrue(r.error!.contains("timed out after 0.5 s"), r.error!)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 4)
    }

    func testHTMLPageIsQuoted() async throws {
        let server = try MockHTTPServer { _ in .respond(status: 200, headers: ["Content-Type": "text/html"], body: "<html><body>Gateway login</body></html>") }
        let r = try await openai(server).complete(request)
        XCTAssertEqual(r.error, "oa: unexpected response body (HTTP 200): <html><body>Gateway login</body></html>")
    }

    func testMissingFieldsAndCutBodiesAndClosedConnections() async throws {
        let missing = try MockHTTPServer { _ in .respond(status: 200, headers: [:], body: #"{"choices": []}"#) }
        let r1 = try await openai(missing).complete(request)
        XCTAssertTrue(r1.error!.contains("unexpected response body"), r1.error!)
        let cut = try MockHTTPServer { _ in .cutBody(#"{"choices":[{"message":{"content":"hello"},"finish_reason":"stop"}]}"#) }
        let r2 = try await openai(cut, [("maxRetries", 1)]).complete(request)
        XCTAssertEqual(r2.finishReason, .error)
        let closed = try MockHTTPServer { _ in .close }
        let r3 = try await openai(closed, [("maxRetries", 1)]).complete(request)
        XCTAssertEqual(r3.finishReason, .error)
        XCTAssertEqual(closed.requests.count, 2, "connection errors are retried")
    }

    func testAnthropicMessages() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.anthropic("bonjour", stop: "max_tokens") }
        let b = try Configured(JSONObject([("id", "an"), ("type", "anthropic"), ("baseURL", .string(server.baseURL)),
                                           ("model", "claude-test"), ("apiKeyEnv", "PROCTOR_TEST_API_KEY"),
                                           ("maxTokens", 50), ("stop", ["\n\n"])]))
        let r = await b.complete(request)
        XCTAssertEqual(r.text, "bonjour")
        XCTAssertEqual(r.finishReason, .length)
        XCTAssertEqual(r.usage, TokenUsage(promptTokens: 9, outputTokens: 4))
        let req = server.requests[0]
        XCTAssertEqual(req.path, "/v1/messages")
        XCTAssertEqual(req.headers["x-api-key"], Self.key)
        XCTAssertEqual(req.headers["anthropic-version"], "2023-06-01")
        let body = try JSONParser.parse(req.body)
        XCTAssertEqual(body["system"], "Be brief.")
        XCTAssertEqual(body["messages"]?.arrayValue?.count, 1)
        XCTAssertEqual(body["max_tokens"], 50)
        XCTAssertEqual(body["stop_sequences"], ["\n\n"])
    }

    func testKeysNeverLeakIntoErrors() async throws {
        let server = try MockHTTPServer { req in .respond(status: 401, headers: [:], body: "invalid key \(req.headers["authorization"] ?? "")") }
        let r = try await openai(server).complete(request)
        XCTAssertFalse(r.error!.contains(Self.key), r.error!)
        XCTAssertTrue(r.error!.contains("[redacted]"))
    }

    func testLiteralKeysInSuitesAreRejected() {
        for (k, v) in [("apiKey", JSONValue.string("x")), ("headers", ["Authorization": "Bearer abc"]), ("baseURL", .string(Self.key))] {
            XCTAssertThrowsError(try Configured(JSONObject([("id", "o"), ("type", "openai"), ("model", "m"), (k, v)]))) { e in
                XCTAssertTrue("\(e)".contains("apiKeyEnv"), "\(e)")
            }
        }
    }

    func testRetryAfterAsHTTPDate() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let when = f.string(from: Date().addingTimeInterval(3))
        let s = HTTPTransport.retryAfter(when)
        XCTAssertNotNil(s)
        XCTAssertGreaterThan(s!, 1)
        XCTAssertLessThanOrEqual(s!, 3.5)
        XCTAssertEqual(HTTPTransport.retryAfter("7"), 7)
        XCTAssertNil(HTTPTransport.retryAfter("soon"))
    }

    func testRequestsPerMinuteSpacing() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        let b = try openai(server, [("requestsPerMinute", 120)])
        let t0 = Date()
        for _ in 0..<3 { _ = await b.complete(request) }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 0.95, "120/min spaces three requests at least 1 s apart in all")
    }
}

/// A backend built from its suite JSON that sends its own backend-level options with each request,
/// as a run session does.
struct Configured {
    let backend: any Backend
    let spec: BackendSpec
    /// The environment the backend is given (no test changes the process's own).
    static let environment = ["PROCTOR_TEST_API_KEY": HTTPBackendTests.key]
    init(_ config: JSONObject, baseDirectory: String = "/tmp", environment: [String: String] = Configured.environment) throws {
        (backend, spec) = try BackendRegistry.standard.make(config, baseDirectory: baseDirectory, environment: environment)
    }
    func complete(_ request: BackendRequest) async -> BackendResponse {
        var r = request
        r.options = spec.options.overridden(by: request.options)
        return await backend.complete(r)
    }
}

/// Real servers: llama.cpp's `/completions`, server-specific body fields, tool calls.
final class HTTPServerFeatureTests: XCTestCase {
    let request = BackendRequest(messages: [ChatMessage(role: "user", content: "Hi")], caseId: "c")

    func backend(_ server: MockHTTPServer, _ type: String = "openai", _ extra: [(String, JSONValue)] = []) throws -> Configured {
        var e: [(key: String, value: JSONValue)] = [("id", "b"), ("type", .string(type)), ("model", "m"),
                                                    ("baseURL", .string(server.baseURL + (type == "openai" ? "/v1" : "")))]
        for x in extra { e.append((x.0, x.1)) }
        return try Configured(JSONObject(e))
    }

    func testCompletionsEndpointAndExtraBody() async throws {
        let server = try MockHTTPServer { _ in
            .respond(status: 200, headers: [:], body: #"{"choices": [{"text": "once upon", "finish_reason": "length"}]}"#)
        }
        let b = try backend(server, "openai", [("endpoint", "completions"), ("extraBody", ["top_k": 1, "repeat_penalty": 1.0]),
                                              ("temperature", 0)])
        let r = await b.complete(request)
        XCTAssertEqual(r.text, "once upon")
        XCTAssertEqual(r.finishReason, .length)
        XCTAssertEqual(server.requests[0].path, "/v1/completions")
        let body = try JSONParser.parse(server.requests[0].body)
        XCTAssertEqual(body["prompt"], "Hi")
        XCTAssertNil(body["messages"])
        XCTAssertEqual(body["top_k"], 1)
        XCTAssertEqual(body["repeat_penalty"], 1.0)
        XCTAssertEqual(body["temperature"], 0)
        XCTAssertThrowsError(try backend(server, "openai", [("extraBody", ["model": "other"])])) { e in
            XCTAssertTrue("\(e)".contains("\"extraBody\" cannot set \"model\": Proctor sets it"), "the key the user wrote: \(e)")
        }
        XCTAssertThrowsError(try backend(server, "openai", [("endpoint", "chat/completions")])) { e in
            XCTAssertTrue("\(e)".contains("\"endpoint\" must be \"chat\""), "\(e)")
        }
    }

    func testToolCallsBecomeTheOutput() async throws {
        let openai = try MockHTTPServer { _ in
            .respond(status: 200, headers: [:], body: #"""
            {"choices": [{"finish_reason": "tool_calls", "message": {"content": null, "tool_calls": [
              {"id": "1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"c"}}]}}]}
            """#)
        }
        let r = try await backend(openai).complete(request)
        XCTAssertEqual(r.finishReason, .stop)
        XCTAssertEqual(try JSONParser.parse(r.text), ["name": "get_weather", "arguments": ["city": "Paris", "unit": "c"]],
                       "truncated arguments are repaired")
        let anthropic = try MockHTTPServer { _ in
            .respond(status: 200, headers: [:], body: #"""
            {"content": [{"type": "text", "text": "Let me check."}, {"type": "tool_use", "id": "t", "name": "lookup", "input": {"q": "x"}},
                         {"type": "tool_use", "id": "u", "name": "lookup", "input": {"q": "y"}}], "stop_reason": "tool_use"}
            """#)
        }
        let a = try await backend(anthropic, "anthropic").complete(request)
        XCTAssertEqual(try JSONParser.parse(a.text), [["name": "lookup", "arguments": ["q": "x"]], ["name": "lookup", "arguments": ["q": "y"]]])
    }
}
