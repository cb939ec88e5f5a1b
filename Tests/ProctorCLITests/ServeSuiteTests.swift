import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProctorCLI
import ProctorJSON
import ProctorModel
import ProctorServe
import ProctorTestSupport
import XCTest

/// A model server on a free loopback port, one thread.
func startServer(model: String, tokenizer: String) throws -> ModelServer {
    var o = ModelServer.Options()
    o.port = 0
    o.threads = 1
    let server = try ModelServer(checkpoint: try Checkpoint(path: model), tokenizer: try Tokenizer(path: tokenizer, vocabSize: 512), options: o)
    server.start()
    return server
}

/// A suite on the `openai` backend pointed at `proctor model serve` gives the same results as the
/// same suite on the `builtin` backend.
final class ServeSuiteTests: XCTestCase {
    func testOpenAIBackendThroughTheServerEqualsBuiltin() async throws {
        let modelPath = try SharedData.path("models/ref-tiny/model.bin"), tokPath = try SharedData.path("models/ref-tiny/tokenizer.bin")
        let server = try startServer(model: modelPath, tokenizer: tokPath)
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

/// `"template": "model"`: the builtin backend (and the server's chat) use the prompt format the
/// model file records, so system = task and user = input is exactly a training prompt.
final class ModelTemplateSuiteTests: XCTestCase {
    func testModelTemplateEqualsTheTrainingFormat() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let model = root + "/fixtures/models/proctor-tiny.bin", tok = root + "/fixtures/models/proctor-tiny.tokenizer.bin"
        let server = try startServer(model: model, tokenizer: tok)
        defer { server.shutdown() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "formats",
         "backends": [{"id": "plain", "type": "builtin", "model": "\(model)", "tokenizer": "\(tok)", "threads": 1},
                      {"id": "own", "type": "builtin", "model": "\(model)", "tokenizer": "\(tok)", "threads": 1, "template": "model"},
                      {"id": "served", "type": "openai", "baseURL": "http://127.0.0.1:\(server.port)/v1", "model": "proctor-builtin"}],
         "prompts": [{"id": "written", "template": "Task: {{task}}\\nInput: {{input}}\\nJSON:"},
                     {"id": "roles", "messages": [{"role": "system", "content": "{{task}}"}, {"role": "user", "content": "{{input}}"}]}],
         "options": {"maxTokens": 40, "stop": ["\\n"]},
         "cases": [{"id": "c1", "vars": {"task": "classify", "input": "The app crashes when I open order 4821."}, "validators": [{"type": "json"}]},
                   {"id": "c2", "vars": {"task": "convert", "input": "7 kg to g"}, "validators": [{"type": "json"}]}]}
        """)
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let code = await Proctor.main(["run", suite, "--no-cache", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")],
                                      console: console)
        XCTAssertTrue(code == 0 || code == 1, console.capturedErr)
        var out: [String: String] = [:]
        for r in try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))["results"]!.arrayValue! {
            out["\(r["case"]!.stringValue!)/\(r["prompt"]!.stringValue!)/\(r["backend"]!.stringValue!)"] = r["output"]?.stringValue
        }
        for c in ["c1", "c2"] {
            let written = out["\(c)/written/plain"]
            XCTAssertNotNil(written)
            XCTAssertEqual(out["\(c)/roles/own"], written, "system + user in the model's template is the training prompt")
            XCTAssertEqual(out["\(c)/roles/served"], written, "the server's chat uses the model's template")
            XCTAssertTrue(written?.hasPrefix("{") == true, written ?? "")
        }
        // A model without a template cannot be asked for one.
        let bad = dir.write("bad.json", """
        {"backends": [{"id": "b", "type": "builtin", "model": "\(try SharedData.path("models/ref-tiny/model.bin"))",
                       "tokenizer": "\(try SharedData.path("models/ref-tiny/tokenizer.bin"))", "template": "model"}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "allowEmpty": true}]}
        """)
        let e = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let badCode = await Proctor.main(["run", bad, "--json", dir.file("r2.json"), "--junit", dir.file("j2.xml"), "--markdown", dir.file("s2.md")], console: e)
        XCTAssertEqual(badCode, 2)
        XCTAssertTrue(e.capturedErr.contains("records no prompt template"), e.capturedErr)
    }
}

/// Embedding similarity offline: `proctor model serve` answers `/v1/embeddings` with the built-in
/// model (a mean-pooled final hidden state), and `similar` with `embedding` compares through it.
final class EmbeddingSimilarityTests: XCTestCase {
    func testSimilarThroughTheServersEmbeddingsIsCachedAndChecked() async throws {
        let model = SharedData.projectRoot.appendingPathComponent("fixtures/models/proctor-tiny.bin").path
        let tok = SharedData.projectRoot.appendingPathComponent("fixtures/models/proctor-tiny.tokenizer.bin").path
        let checkpoint = try Checkpoint(path: model)
        var o = ModelServer.Options()
        o.port = 0
        o.threads = 1
        let server = try ModelServer(checkpoint: checkpoint, tokenizer: try Tokenizer(path: tok, vocabSize: checkpoint.config.vocabSize), options: o)
        server.start()
        // URLSession keeps its connection open: do not wait for it at shutdown.
        defer { server.shutdown(timeout: 0.5) }
        // The endpoint itself: one vector per input, of the model's width.
        var req = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/embeddings")!)
        req.httpMethod = "POST"
        req.httpBody = Data(#"{"model": "proctor-builtin", "input": ["hello there", "goodbye"]}"#.utf8)
        let (data, resp) = try await URLSession.shared.data(for: req)
        XCTAssertEqual((resp as? HTTPURLResponse)?.statusCode, 200)
        let body = try JSONParser.parse([UInt8](data))
        XCTAssertEqual(body["data"]?.arrayValue?.count, 2)
        XCTAssertEqual(body["data"]?[0]?["embedding"]?.arrayValue?.count, checkpoint.config.dim)
        var bad = req
        bad.httpBody = Data(#"{"model": "proctor-builtin", "input": []}"#.utf8)
        let (_, badResp) = try await URLSession.shared.data(for: bad)
        XCTAssertEqual((badResp as? HTTPURLResponse)?.statusCode, 400)

        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "emb", "backends": [{"id": "e", "type": "echo"}],
         "graders": [{"id": "emb", "type": "openai", "baseURL": "http://127.0.0.1:\(server.port)/v1", "model": "proctor-builtin"}],
         "prompts": [{"id": "p", "template": "{{x}}"}],
         "cases": [{"id": "same", "vars": {"x": "The cat sat on the mat."}, "validators": [{"type": "similar", "embedding": "emb", "value": "The cat sat on the mat.", "threshold": 0.999}]},
                   {"id": "other", "vars": {"x": "{\\"total\\": 42}"}, "validators": [{"type": "similar", "embedding": "emb", "value": "A poem about the sea", "threshold": 0.999}]}]}
        """)
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let argv = ["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")]
        let code = await Proctor.main(argv, console: console)
        XCTAssertEqual(code, 1, console.capturedErr)
        let results = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))["results"]!.arrayValue!
        let same = results.first { $0["case"] == "same" }!, other = results.first { $0["case"] == "other" }!
        XCTAssertEqual(same["status"], "passed")
        XCTAssertEqual(try XCTUnwrap(same["validators"]?[0]?["score"]?.doubleValue), 1, accuracy: 1e-6)
        XCTAssertEqual(other["status"], "failed")
        XCTAssertTrue(other["validators"]?[0]?["message"]?.stringValue?.hasPrefix("cosine similarity") == true)
        // The embeddings were cached: a run with the server gone gives the same verdicts.
        server.shutdown(timeout: 0.5)
        let again = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let code2 = await Proctor.main(argv, console: again)
        XCTAssertEqual(code2, 1, again.capturedErr)
        let results2 = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))["results"]!.arrayValue!
        XCTAssertEqual(results2.first { $0["case"] == "same" }?["status"], "passed")
        // A backend that cannot embed says so.
        let noEmbed = dir.write("n.json", #"{"suite": "n", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "a", "validators": [{"type": "similar", "embedding": "e", "value": "x"}]}]}"#)
        let c3 = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let code3 = await Proctor.main(["run", noEmbed, "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")], console: c3)
        XCTAssertEqual(code3, 2, "a load error, before anything runs")
        XCTAssertTrue(c3.capturedErr.contains("backend 'e' (echo) cannot embed text"), c3.capturedErr)
    }
}

/// The agent example's tool loop on the `openai` backend pointed at `proctor model serve` gives the
/// calls, transcript and answers of the same loop on the `builtin` backend: the server's tool calls,
/// ids and tool-result handling are the backend's.
final class ServeAgentTests: XCTestCase {
    func testToolLoopThroughTheServerEqualsBuiltin() async throws {
        let root = SharedData.projectRoot.path
        let model = root + "/fixtures/models/proctor-tiny.bin", tok = root + "/fixtures/models/proctor-tiny.tokenizer.bin"
        let server = try startServer(model: model, tokenizer: tok)
        defer { server.shutdown() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "agent",
         "backends": [{"id": "local", "type": "builtin", "model": "\(model)", "tokenizer": "\(tok)", "template": "model", "threads": 1},
                      {"id": "served", "type": "openai", "baseURL": "http://127.0.0.1:\(server.port)/v1", "model": "proctor-builtin"}],
         "options": {"maxTokens": 64, "temperature": 0, "stop": ["\\n"]},
         "tools": [{"name": "get_weather", "parameters": {"type": "object", "additionalProperties": false, "required": ["location", "days"],
                    "properties": {"location": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 14}}},
                    "mock": {"location": "{{args.location}}", "forecast": "{{forecast}}", "tempC": "{{tempC}}"}}],
         "prompts": [{"id": "agent", "system": "tool", "template": "{{question}}"}],
         "cases": [{"id": "oslo", "vars": {"question": "Will it rain in Oslo in the next 2 days?", "forecast": "rain", "tempC": 12},
                    "validators": [{"type": "tool-call", "name": "get_weather"}, {"type": "contains", "value": "rain"}]},
                   {"id": "hello", "vars": {"question": "Say hello to Maria.", "forecast": "-", "tempC": 0},
                    "validators": [{"type": "no-tool-call"}]}]}
        """)
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let code = await Proctor.main(["run", suite, "--no-cache", "--json", dir.file("r.json")], console: console)
        XCTAssertEqual(code, 0, console.capturedErr)
        let results = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))["results"]!.arrayValue!
        var byCase: [String: [String: JSONValue]] = [:]
        for r in results { byCase[r["case"]!.stringValue!, default: [:]][r["backend"]!.stringValue!] = r }
        for (id, pair) in byCase {
            let local = try XCTUnwrap(pair["local"]), served = try XCTUnwrap(pair["served"])
            XCTAssertEqual(local["output"], served["output"], id)
            XCTAssertEqual(local["toolCalls"], served["toolCalls"], id)
            XCTAssertEqual(local["transcript"]?.arrayValue?.map { $0["content"] }, served["transcript"]?.arrayValue?.map { $0["content"] }, id)
            XCTAssertEqual(local["status"], "passed", id)
        }
        XCTAssertEqual(byCase["oslo"]?["served"]?["toolCalls"]?.arrayValue?.count, 1)
    }
}
