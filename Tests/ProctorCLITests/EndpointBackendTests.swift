import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// The `http` backend through the CLI against the loopback server: a team's own application, its
/// request built from the prompt, the messages and the case's variables, its answer read by pointer,
/// its secrets redacted, its errors and retries as for model APIs.
final class EndpointBackendTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir, env: [String: String] = [:]) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: env.merging(["PROCTOR_CACHE_DIR": dir.file("cache")]) { a, _ in a })
        let code = await Proctor.main(argv + ["--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"), "--markdown", dir.file("r/s.md")],
                                      console: console)
        return (code, console.capturedErr)
    }

    func results(_ dir: TempDir) throws -> [JSONValue] { try XCTUnwrap(try JSONParser.parse(dir.read("r/results.json") ?? "")["results"]?.arrayValue) }

    func suite(_ dir: TempDir, backend: String, cases: String = #"[{"id": "a", "vars": {"user": "ada", "q": "capital?"}, "validators": [{"type": "contains", "value": "Paris"}]}]"#) -> String {
        dir.write("s.json", """
        {"suite": "s", "backends": [\(backend)],
         "prompts": [{"id": "p", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "{{q}}"}]}],
         "cases": \(cases)}
        """)
    }

    func testJSONBodyFromPromptMessagesAndVarsOutputAndUsageByPointerSecretsRedacted() async throws {
        let server = try MockHTTPServer { _ in .respond(status: 200, headers: [:], body: #"{"answer": {"text": "Paris"}, "usage": {"prompt_tokens": 11, "completion_tokens": 2}}"#) }
        defer { server.stop() }
        let dir = TempDir()
        let s = suite(dir, backend: """
        {"id": "app", "type": "http", "url": "\(server.baseURL)/ask", "headers": {"X-Token": "${APP_TOKEN}"},
         "body": {"question": "{{prompt}}", "history": "{{messages}}", "user": "{{vars.user}}", "note": "for {{vars.user}}"},
         "outputPath": "/answer/text", "usagePath": "/usage"}
        """)
        let r = await run(["run", s], in: dir, env: ["APP_TOKEN": "tok-very-secret-1"])
        XCTAssertEqual(r.code, 0, r.err)
        let req = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(req.method, "POST")
        XCTAssertEqual(req.path, "/ask")
        XCTAssertEqual(req.headers["x-token"], "tok-very-secret-1")
        let body = try JSONParser.parse(req.body)
        XCTAssertEqual(body["question"], "[system]\nbe brief\n\ncapital?")
        XCTAssertEqual(body["history"], [["role": "system", "content": "be brief"], ["role": "user", "content": "capital?"]])
        XCTAssertEqual(body["user"], "ada")
        XCTAssertEqual(body["note"], "for ada")
        let res = try results(dir)[0]
        XCTAssertEqual(res["output"], "Paris")
        XCTAssertEqual(res["usage"]?["promptTokens"], 11)
        // The token is in no report and no cache file.
        for f in ["r/results.json", "r/junit.xml", "r/s.md"] { XCTAssertFalse(try XCTUnwrap(dir.read(f)).contains("tok-very-secret-1"), f) }
        let cached = try FileManager.default.subpathsOfDirectory(atPath: dir.file("cache")).compactMap { dir.read("cache/" + $0) }
        XCTAssertFalse(cached.isEmpty)
        XCTAssertFalse(cached.contains { $0.contains("tok-very-secret-1") })
        // A failing server that echoes the token: the error shows the body's start, redacted.
        let leaky = try MockHTTPServer { req in .respond(status: 403, headers: [:], body: "denied for \(req.headers["x-token"] ?? "")") }
        defer { leaky.stop() }
        let s2 = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(leaky.baseURL)/ask", "headers": {"X-Token": "${APP_TOKEN}"}, "outputPath": "/a"}"#)
        let r2 = await run(["run", s2, "--no-cache"], in: dir, env: ["APP_TOKEN": "tok-very-secret-1"])
        XCTAssertEqual(r2.code, 1)
        let e = try XCTUnwrap(try results(dir)[0]["error"]?.stringValue)
        XCTAssertTrue(e.contains("403") && e.contains("denied for [redacted]"), e)
    }

    func testVariablesAreInTheCacheKeyAndRetriesFollowRetryAfter() async throws {
        let server = try MockHTTPServer { req in
            let user = (try? JSONParser.parse(req.body))?["user"]?.stringValue ?? ""
            return .respond(status: 200, headers: [:], body: #"{"a": "Paris for \#(user)"}"#)
        }
        defer { server.stop() }
        server.enqueue(.respond(status: 429, headers: ["Retry-After": "0"], body: "slow down"))
        let dir = TempDir()
        let s = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(server.baseURL)/ask", "body": {"q": "{{prompt}}", "user": "{{vars.user}}"}, "outputPath": "/a"}"#,
                      cases: #"[{"id": "a", "vars": {"user": "ada", "q": "capital?"}, "validators": [{"type": "contains", "value": "ada"}]}, {"id": "b", "vars": {"user": "bob", "q": "capital?"}, "validators": [{"type": "contains", "value": "bob"}]}]"#)
        let r = await run(["run", s, "-j", "1"], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(server.requests.count, 3, "one 429 retried, then one request per case: same prompt, other variables")
        let again = await run(["run", s], in: dir)
        XCTAssertEqual(again.code, 0, again.err)
        XCTAssertEqual(server.requests.count, 3, "both answers come from the cache, each under its own variables")
    }

    func testServerSentEventsTextBodiesAndGET() async throws {
        let sse = "data: {\"delta\": \"Par\"}\n\ndata: {\"delta\": \"is\"}\n\ndata: [DONE]\n\n"
        let server = try MockHTTPServer { req in
            req.path.hasPrefix("/stream") ? .respond(status: 200, headers: ["Content-Type": "text/event-stream"], body: sse)
                : .respond(status: 200, headers: [:], body: "Paris (\(req.method) \(req.path) \(req.body))")
        }
        defer { server.stop() }
        let dir = TempDir()
        let s = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(server.baseURL)/stream", "stream": true, "streamPath": "/delta", "body": {"q": "{{prompt}}"}}"#)
        let r = await run(["run", s, "--no-cache"], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(try results(dir)[0]["output"], "Paris")
        XCTAssertEqual(server.requests.last?.headers["accept"], "text/event-stream")
        let t = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(server.baseURL)/text", "body": "Q: {{vars.q}}"}"#)
        let rt = await run(["run", t, "--no-cache"], in: dir)
        XCTAssertEqual(rt.code, 0, rt.err)
        XCTAssertEqual(try results(dir)[0]["output"], "Paris (POST /text Q: capital?)")
        let g = suite(dir, backend: #"{"id": "app", "type": "http", "method": "GET", "url": "\#(server.baseURL)/get", "query": {"q": "{{vars.q}}"}}"#)
        let rg = await run(["run", g, "--no-cache"], in: dir)
        XCTAssertEqual(rg.code, 0, rg.err)
        XCTAssertEqual(try results(dir)[0]["output"], "Paris (GET /get?q=capital? )")
    }

    /// Secrets in the URL or a query parameter are filled from the environment and redacted like headers.
    func testSecretsInURLAndQueryAreRedacted() async throws {
        let server = try MockHTTPServer { _ in .respond(status: 200, headers: [:], body: #"{"a": "Paris"}"#) }
        defer { server.stop() }
        let dir = TempDir()
        let s = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(server.baseURL)/ask?key=${APP_TOKEN}", "query": {"sig": "${APP_TOKEN}"}, "outputPath": "/a"}"#)
        let r = await run(["run", s], in: dir, env: ["APP_TOKEN": "tok-url-secret-9"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(server.requests.first?.path, "/ask?key=tok-url-secret-9&sig=tok-url-secret-9")
        for f in ["r/results.json", "r/junit.xml", "r/s.md"] { XCTAssertFalse(try XCTUnwrap(dir.read(f)).contains("tok-url-secret-9"), f) }
        let cached = try FileManager.default.subpathsOfDirectory(atPath: dir.file("cache")).compactMap { dir.read("cache/" + $0) }
        XCTAssertFalse(cached.contains { $0.contains("tok-url-secret-9") })
    }

    /// A body naming a variable a case lacks is a load error; a stream that is not one is an error result.
    func testUndefinedBodyVariablesAndEmptyStreamsAreErrors() async throws {
        let server = try MockHTTPServer { _ in .respond(status: 200, headers: [:], body: #"{"a": "Paris"}"#) }
        defer { server.stop() }
        let dir = TempDir()
        let s = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(server.baseURL)/ask", "body": {"u": "{{vars.usr}}"}}"#)
        let r = await run(["run", s], in: dir)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("case 'a' does not define variable 'usr' used by the body of http backend 'app'"), r.err)
        XCTAssertTrue(server.requests.isEmpty)
        let bad = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(server.baseURL)/ask", "body": {"u": "{{nope}}"}}"#)
        let b = await run(["run", bad], in: dir)
        XCTAssertEqual(b.code, 2)
        XCTAssertTrue(b.err.contains("{{nope}} is not {{prompt}}, {{messages}} or {{vars.NAME}}"), b.err)
        let noUsage = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(server.baseURL)/ask", "outputPath": "/a", "usagePath": "/usage"}"#)
        let nu = await run(["run", noUsage, "--no-cache"], in: dir)
        XCTAssertEqual(nu.code, 1)
        XCTAssertTrue(try results(dir)[0]["error"]?.stringValue?.contains("no token usage at usagePath /usage") == true)
        let stream = suite(dir, backend: #"{"id": "app", "type": "http", "url": "\#(server.baseURL)/ask", "stream": true, "streamPath": "/d"}"#)
        let st = await run(["run", stream, "--no-cache"], in: dir)
        XCTAssertEqual(st.code, 1)
        XCTAssertTrue(try results(dir)[0]["error"]?.stringValue?.contains("has no server-sent events") == true)
    }

    func testBadConfigurationIsALoadErrorAtItsPlace() async throws {
        let dir = TempDir()
        for (backend, message) in [(#"{"id": "app", "type": "http", "url": "ftp://x"}"#, "\"url\" must be an http(s) URL"),
                                   (#"{"id": "app", "type": "http", "url": "http://127.0.0.1:9/a", "outputPath": "answer"}"#, "\"outputPath\" must be a JSON Pointer"),
                                   (#"{"id": "app", "type": "http", "url": "http://127.0.0.1:9/a", "method": "GET", "body": {"q": 1}}"#, "a GET request has no body"),
                                   (#"{"id": "app", "type": "http", "url": "http://127.0.0.1:9/a", "streamPath": "/d"}"#, "set \"stream\": true"),
                                   (#"{"id": "app", "type": "http", "url": "http://127.0.0.1:9/a", "headers": {"X-Token": "${NOT_SET_ANYWHERE}"}}"#, "NOT_SET_ANYWHERE is not set"),
                                   (#"{"id": "app", "type": "http", "url": "http://127.0.0.1:9/a", "headers": {"Authorization": "Bearer abcdef"}}"#, "write it as ${VARIABLE}"),
                                   (#"{"id": "app", "type": "http", "url": "http://127.0.0.1:9/a", "temperature": 0.2}"#, "an http endpoint is an application"),
                                   (#"{"id": "app", "type": "http", "url": "http://127.0.0.1:9/a", "outputpath": "/a"}"#, "outputpath")] {
            let s = suite(dir, backend: backend)
            let r = await run(["run", s], in: dir)
            XCTAssertEqual(r.code, 2, backend)
            XCTAssertTrue(r.err.contains("s.json:1:") && r.err.contains(message), "\(backend): \(r.err)")
        }
    }
}
