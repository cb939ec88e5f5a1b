import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Gateways and Azure OpenAI through the CLI against the loopback server: the key in the header a
/// gateway names, query parameters on every request, and secrets refused where they would leak.
final class GatewayBackendTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir, env: [String: String]) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: env.merging(["PROCTOR_CACHE_DIR": dir.file("cache")]) { a, _ in a })
        let code = await Proctor.main(argv + ["--no-cache", "--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"),
                                              "--markdown", dir.file("r/s.md")], console: console)
        return (code, console.capturedErr)
    }

    func testAzureDeploymentWithApiKeyHeaderAndApiVersion() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("Paris") }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "azure", "type": "openai", "model": "gpt-4o-mini",
           "baseURL": "\(server.baseURL)/openai/deployments/my-gpt", "apiKeyEnv": "AZURE_OPENAI_API_KEY",
           "apiKeyHeader": "api-key", "query": {"api-version": "2024-10-21"}}],
         "prompts": [{"id": "p", "template": "capital of France?"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "Paris"}]}]}
        """)
        let r = await run(["run", suite], in: dir, env: ["AZURE_OPENAI_API_KEY": "azure-secret-123"])
        XCTAssertEqual(r.code, 0, r.err)
        let req = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(req.path, "/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21")
        XCTAssertEqual(req.headers["api-key"], "azure-secret-123")
        XCTAssertNil(req.headers["authorization"], "the key goes in the gateway's header only")
        XCTAssertFalse(try XCTUnwrap(dir.read("r/results.json")).contains("azure-secret-123"))
    }

    func testAnthropicThroughAGatewayHeader() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.anthropic("ok") }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "gw", "type": "anthropic", "model": "claude-x", "baseURL": "\(server.baseURL)",
           "apiKeyEnv": "GW_KEY", "apiKeyHeader": "x-gateway-key", "query": {"team": "search"}}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let r = await run(["run", suite], in: dir, env: ["GW_KEY": "gw-key-456"])
        XCTAssertEqual(r.code, 0, r.err)
        let req = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(req.path, "/v1/messages?team=search")
        XCTAssertEqual(req.headers["x-gateway-key"], "gw-key-456")
        XCTAssertNil(req.headers["x-api-key"])
    }

    func testBadGatewaySettingsAreLoadErrors() async throws {
        let dir = TempDir()
        for (extra, message) in [(#""apiKeyHeader": "api key""#, "\"apiKeyHeader\" must be a header name"),
                                 (#""query": {"api-key": "abc"}"#, "query parameter \"api-key\" carries a secret"),
                                 (#""query": {"v": 1}"#, "query values must be strings"),
                                 (#""query": "api-version=1""#, "\"query\" must be an object of strings"),
                                 (#""apiKeyHeader": "x-gw", "headers": {"X-GW": "other"}"#, "\"headers\" sets x-gw, the header \"apiKeyHeader\" carries the key in")] {
            let suite = dir.write("s.json", """
            {"suite": "s", "backends": [{"id": "o", "type": "openai", "model": "m", "baseURL": "http://127.0.0.1:9", \(extra)}],
             "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "x"}]}]}
            """)
            let r = await run(["run", suite], in: dir, env: [:])
            XCTAssertEqual(r.code, 2, extra)
            XCTAssertTrue(r.err.contains("s.json:1:") && r.err.contains(message), "\(extra): \(r.err)")
        }
    }
}
