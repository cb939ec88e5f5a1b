import Foundation
import ProctorCLI
import ProctorJSON
import ProctorModel
import ProctorServe
import ProctorTestSupport
import XCTest

/// A suite on the `openai` backend pointed at `proctor model serve` gives the same results as the
/// same suite on the `builtin` backend.
final class ServeSuiteTests: XCTestCase {
    func testOpenAIBackendThroughTheServerEqualsBuiltin() async throws {
        let modelPath = try SharedData.path("models/ref-tiny/model.bin"), tokPath = try SharedData.path("models/ref-tiny/tokenizer.bin")
        var o = ModelServer.Options()
        o.port = 0
        o.threads = 1
        let server = try ModelServer(checkpoint: try Checkpoint(path: modelPath), tokenizer: try Tokenizer(path: tokPath, vocabSize: 512), options: o)
        server.start()
        defer { server.shutdown() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "served",
         "backends": [{"id": "local", "type": "builtin", "model": "\(modelPath)", "tokenizer": "\(tokPath)", "threads": 1},
                      {"id": "served", "type": "openai", "baseURL": "http://127.0.0.1:\(server.port)/v1", "model": "proctor-builtin"}],
         "prompts": [{"id": "p", "template": "Once upon a time {{x}}"}],
         "options": {"maxTokens": 12},
         "cases": [{"id": "a", "vars": {"x": "there"}, "validators": [{"type": "contains", "value": "e"}]},
                   {"id": "b", "vars": {"x": "a cat"}, "options": {"stop": [" "]}, "validators": [{"type": "length", "max": 200}]},
                   {"id": "c", "vars": {"x": "in a land"}, "options": {"temperature": 0.8, "seed": 7}, "validators": [{"type": "length", "max": 500}]}]}
        """)
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let code = await Proctor.main(["run", suite, "--no-cache", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")],
                                      console: console)
        XCTAssertTrue(code == 0 || code == 1, console.capturedErr)
        let results = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))["results"]!.arrayValue!
        var byCase: [String: [String: JSONValue]] = [:]
        for r in results { byCase[r["case"]!.stringValue!, default: [:]][r["backend"]!.stringValue!] = r }
        XCTAssertEqual(byCase.count, 3)
        for (id, pair) in byCase {
            let local = pair["local"]!, served = pair["served"]!
            XCTAssertEqual(local["output"], served["output"], "case \(id)")
            XCTAssertEqual(local["status"], served["status"], "case \(id)")
            XCTAssertEqual(local["finishReason"], served["finishReason"], "case \(id)")
            XCTAssertEqual(local["usage"], served["usage"], "case \(id)")
            XCTAssertNil(served["error"], "case \(id)")
        }
    }
}
