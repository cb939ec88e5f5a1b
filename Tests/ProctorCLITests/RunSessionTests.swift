import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// A suite runs exactly as declared: options reach every backend or are refused at load, replay
/// answers only the request as it is now, and every report counts cases the same way. Each test
/// is a finding from trying Proctor as a new user, checked through the real CLI entry point.
final class RunSessionTests: XCTestCase {
    static let model = SharedData.projectRoot.appendingPathComponent("fixtures/models/random-tiny.bin").path
    static let tokenizer = SharedData.projectRoot.appendingPathComponent("fixtures/models/random-tiny.tokenizer.bin").path

    func run(_ argv: [String], in dir: TempDir) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let out = ["--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"), "--markdown", dir.file("r/summary.md")]
        let code = await Proctor.main(argv + out, console: console)
        return (code, console.capturedErr.replacingOccurrences(of: dir.path + "/", with: ""))
    }

    func results(_ dir: TempDir) throws -> JSONValue { try JSONParser.parse(dir.read("r/results.json") ?? "") }

    // MARK: - 1. Options reach every backend, typed

    func testSuiteAndCaseOptionsReachTheOpenAIBody() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "gpt", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "m", "temperature": 0.9, "seed": 3}],
         "prompts": [{"id": "p", "template": "{{q}}"}],
         "options": {"temperature": 0.2, "topP": 0.5, "maxTokens": 77, "stop": ["END"], "extra": {"presence_penalty": 0.1}},
         "cases": [{"id": "a", "vars": {"q": "first"}, "validators": [{"type": "equals", "value": "ok"}]},
                   {"id": "b", "vars": {"q": "second"}, "options": {"temperature": 0, "seed": 18446744073709551615},
                    "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let r = await run(["run", suite, "-j", "1"], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        let bodies = try server.requests.map { try JSONParser.parse($0.body) }
        let a = try XCTUnwrap(bodies.first { $0["messages"]?[0]?["content"] == "first" })
        XCTAssertEqual(a["temperature"], 0.2, "suite options win over the backend's")
        XCTAssertEqual(a["top_p"], 0.5)
        XCTAssertEqual(a["max_tokens"], 77)
        XCTAssertEqual(a["seed"], 3, "the backend's own seed still applies")
        XCTAssertEqual(a["stop"], ["END"])
        XCTAssertEqual(a["presence_penalty"], 0.1, "extra fields are passed through")
        let b = try XCTUnwrap(bodies.first { $0["messages"]?[0]?["content"] == "second" })
        XCTAssertEqual(b["temperature"], 0, "case options win over the suite's")
        XCTAssertEqual(b["seed"]?.numberValue?.text, "18446744073709551615")
        let res = try results(dir)
        XCTAssertEqual(res["results"]?[1]?["options"]?["temperature"], 0, "each result says what it was sent with")
    }

    func testAnthropicGetsItsOptionsAndRefusesASeedAtLoad() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.anthropic("ok") }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "claude", "type": "anthropic", "baseURL": "\(server.baseURL)", "model": "c"}],
         "prompts": [{"id": "p", "template": "hi"}],
         "options": {"temperature": 0.3, "topP": 0.8, "maxTokens": 500, "stop": ["\\n\\n"]},
         "cases": [{"id": "a", "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let r = await run(["run", suite], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        let body = try JSONParser.parse(server.requests[0].body)
        XCTAssertEqual(body["max_tokens"], 500, "not the default 1024")
        XCTAssertEqual(body["temperature"], 0.3)
        XCTAssertEqual(body["top_p"], 0.8)
        XCTAssertEqual(body["stop_sequences"], ["\n\n"])

        let seeded = dir.write("seeded.json", """
        {"backends": [{"id": "claude", "type": "anthropic", "baseURL": "\(server.baseURL)", "model": "c"}],
         "prompts": [{"id": "p", "template": "hi"}],
         "cases": [{"id": "a", "options": {"seed": 1}, "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let before = server.requests.count
        let refused = await run(["run", seeded], in: dir)
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.err.contains("seeded.json:3:36: backend type 'anthropic' cannot honour \"seed\": the Anthropic Messages API has no seed"),
                      refused.err)
        XCTAssertEqual(server.requests.count, before, "nothing ran")
    }

    func testCommandBackendSeesMergedOptions() async throws {
        let dir = TempDir()
        dir.write("opts.sh", "cat >/dev/null; printf '%s' \"$PROCTOR_OPTIONS\"\n")
        let suite = dir.write("s.json", """
        {"backends": [{"id": "c", "type": "command", "argv": ["sh", "opts.sh"], "maxTokens": 5}],
         "prompts": [{"id": "p", "template": "x"}], "options": {"temperature": 0.7},
         "cases": [{"id": "a", "options": {"stop": ["Z"]}, "validators": [
            {"type": "equals", "value": "{\\"maxTokens\\":5,\\"temperature\\":0.7,\\"stop\\":[\\"Z\\"]}"}]}]}
        """)
        let r = await run(["run", suite], in: dir)
        XCTAssertEqual(r.code, 0, r.err + (dir.read("r/results.json") ?? ""))
    }

    func testBuiltinHonoursSamplingStopAndLimits() async throws {
        let dir = TempDir()
        func suite(_ name: String, _ options: String) -> String {
            dir.write(name, """
            {"backends": [{"id": "tiny", "type": "builtin", "model": "\(Self.model)", "tokenizer": "\(Self.tokenizer)", "threads": 1}],
             "prompts": [{"id": "p", "template": "Once upon a time"}], "options": \(options),
             "cases": [{"id": "a", "validators": [{"type": "length", "min": 0}]}]}
            """)
        }
        func output(_ options: String) async throws -> JSONValue {
            let r = await run(["run", suite("s.json", options)], in: dir)
            XCTAssertEqual(r.code, 0, r.err)
            return try XCTUnwrap(try results(dir)["results"]?[0])
        }
        let greedy = try await output(#"{"maxTokens": 40}"#)
        let hot = try await output(#"{"maxTokens": 40, "temperature": 1.5, "seed": 7}"#)
        let hotAgain = try await output(#"{"maxTokens": 40, "temperature": 1.5, "seed": 7}"#)
        XCTAssertNotEqual(hot["output"], greedy["output"], "temperature 1.5 samples, it is not greedy")
        XCTAssertEqual(hot["output"], hotAgain["output"], "the same seed gives the same text")
        XCTAssertEqual(greedy["usage"]?["outputTokens"], 40)
        XCTAssertEqual(greedy["finishReason"], "length")

        // A stop string taken from the greedy text ends the output right before it.
        let text = try XCTUnwrap(greedy["output"]?.stringValue)
        let stop = String(text.dropFirst(10).prefix(3))
        let stopped = try await output("{\"maxTokens\": 40, \"stop\": [\(JSONSerializer.quote(stop))]}")
        let cut = try XCTUnwrap(stopped["output"]?.stringValue)
        XCTAssertTrue(text.hasPrefix(cut) && !cut.contains(stop), "\(cut) vs \(text)")
        XCTAssertEqual(stopped["finishReason"], "stop")

        // No suite default caps the model: 200 tokens are generated when 200 are asked for.
        let long = try await output(#"{"maxTokens": 200}"#)
        XCTAssertEqual(long["usage"]?["outputTokens"], 200)
        // More than the context is an error before anything runs, not a silent cap.
        let over = await run(["run", suite("over.json", #"{"maxTokens": 500}"#)], in: dir)
        XCTAssertEqual(over.code, 2)
        XCTAssertTrue(over.err.contains("over.json:2:72: \"maxTokens\" is 500 but backend 'tiny' has a context of 256 tokens"), over.err)
    }

    func testBadOptionValuesAreLoadErrors() async {
        let dir = TempDir()
        let cases: [(String, String)] = [
            (#""temperature": "hot""#, #"s.json:2:14: "temperature" must be a number ≥ 0 (0 is greedy), found "hot""#),
            (#""stop": "END""#, #"s.json:2:14: "stop" must be an array of non-empty strings (e.g. ["END"]), found "END""#),
            (#""strictRepair": "yes""#, #"s.json:2:14: "strictRepair" must be true or false, found "yes""#),
            (#""topP": 0"#, #"s.json:2:14: "topP" must be a number greater than 0 and at most 1, found 0"#),
            (#""maxTokens": 2.7"#, #"s.json:2:14: "maxTokens" must be a positive integer, found 2.7"#),
            (#""maxTokens": 0"#, #"s.json:2:14: "maxTokens" must be a positive integer, found 0"#),
            (#""maxTokens": -5"#, #"s.json:2:14: "maxTokens" must be a positive integer, found -5"#),
            (#""maxTokens": 1e20"#, #"s.json:2:14: "maxTokens" must be a positive integer, found 1e20"#),
            (#""seed": 1e30"#, #"s.json:2:14: "seed" must be an integer from 0 to 18446744073709551615, found 1e30"#),
            (#""seed": -1"#, #"s.json:2:14: "seed" must be an integer from 0 to 18446744073709551615, found -1"#),
            (#""temprature": 1"#, #"s.json:2:14: unknown key "temprature" in options; did you mean 'temperature'?"#),
        ]
        for (option, message) in cases {
            let suite = dir.write("s.json", """
            {"backends": [{"id": "c", "type": "command", "argv": ["true"]}], "prompts": [{"id": "p", "template": "x"}],
             "options": {\(option)},
             "cases": [{"id": "a", "validators": [{"type": "length", "min": 0}]}]}
            """)
            let r = await run(["run", suite], in: dir)
            XCTAssertEqual(r.code, 2, option)
            XCTAssertTrue(r.err.contains(message), "\(option): \(r.err)")
        }
    }

    func testBuiltinRejectsTrapsAtLoad() async {
        let dir = TempDir()
        for (entry, message) in [(#""seed": 1e30"#, "\"seed\" must be an integer"), (#""maxTokens": 1e20"#, "\"maxTokens\" must be a positive integer"),
                                 (#""threads": -1"#, "\"threads\" must be at least 1, found -1"), (#""threads": 1.5"#, "\"threads\" must be an integer")] {
            let suite = dir.write("s.json", """
            {"backends": [{"id": "tiny", "type": "builtin", "model": "\(Self.model)", "tokenizer": "\(Self.tokenizer)", \(entry)}],
             "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "a", "validators": [{"type": "length", "min": 0}]}]}
            """)
            let r = await run(["run", suite], in: dir)
            XCTAssertEqual(r.code, 2, "\(entry): \(r.err)")
            XCTAssertTrue(r.err.contains(message), "\(entry): \(r.err)")
        }
    }

    // MARK: - 2 and 6. Replay answers the request as it is now, with its recorded latency

    func testReplayMissesAfterTheBackendChangedAndReportsTheCurrentModel() async throws {
        let server = try MockHTTPServer { _ in .delay(0.25, then: MockHTTPServer.openAI("ok")) }
        let dir = TempDir()
        func suite(model: String, temperature: Double) -> String {
            dir.write("s.json", """
            {"backends": [{"id": "gpt", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "\(model)",
                           "temperature": \(temperature), "cassette": "c.jsonl"}],
             "prompts": [{"id": "p", "template": "hi"}],
             "cases": [{"id": "a", "validators": [{"type": "equals", "value": "ok"}, {"type": "latency", "maxMs": 100}]}]}
            """)
        }
        let recorded = await run(["run", suite(model: "m1", temperature: 0), "--record"], in: dir)
        XCTAssertEqual(recorded.code, 1, "the live latency is over 100 ms")
        let replay = await run(["run", suite(model: "m1", temperature: 0), "--replay"], in: dir)
        XCTAssertEqual(replay.code, 1, "the recorded latency fails the latency check too: \(replay.err)")
        let replayed = try XCTUnwrap(try results(dir)["results"]?[0])
        XCTAssertEqual(replayed["latencyRecorded"], true)
        XCTAssertGreaterThanOrEqual(replayed["latencyMs"]?.doubleValue ?? 0, 250)
        XCTAssertTrue(replayed["validators"]?[1]?["message"]?.stringValue?.hasPrefix("recorded latency") == true)

        let requests = server.requests.count
        let changed = await run(["run", suite(model: "m2", temperature: 0.5), "--replay"], in: dir)
        XCTAssertEqual(changed.code, 1)
        XCTAssertEqual(server.requests.count, requests, "replay never calls the live backend")
        let res = try results(dir)
        XCTAssertEqual(res["summary"]?["errors"], 1)
        let error = try XCTUnwrap(res["results"]?[0]?["error"]?.stringValue)
        XCTAssertTrue(error.contains("model: \"m1\" → \"m2\""), error)
        XCTAssertTrue(error.contains("options.temperature: 0 → 0.5"), error)
        XCTAssertTrue(error.contains("proctor run --record"), error)
        XCTAssertEqual(res["suites"]?[0]?["backends"]?[0]?["options"]?["model"], "m2", "the report shows the model as configured now")
    }

    // MARK: - 4. Repeats: one rule, the same counts everywhere

    func testFlakyBelowMinPassRateIsOneFailureEverywhere() async throws {
        let dir = TempDir()
        // Passes on even repeats only: 1 of 2 samples.
        dir.write("flip.sh", "cat >/dev/null; if [ $((PROCTOR_REPEAT % 2)) = 0 ]; then echo yes; else echo no; fi\n")
        let suite = dir.write("s.json", """
        {"backends": [{"id": "c", "type": "command", "argv": ["sh", "flip.sh"]}], "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "flip", "validators": [{"type": "contains", "value": "yes"}]}]}
        """)
        let r = await run(["run", suite, "--repeat", "2"], in: dir)
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("0 passed · 1 failed · 0 errors · 1 flaky of 1 case"), r.err)
        XCTAssertTrue(r.err.contains(#"FAIL s[p@c] flip: 1/2 samples failed (sample 1): contains: does not contain "yes" · output: "no""#), r.err)
        let s = try XCTUnwrap(try results(dir)["summary"])
        XCTAssertEqual([s["total"], s["passed"], s["failed"], s["flaky"], s["errors"]], [1, 0, 1, 1, 0])
        XCTAssertEqual(try results(dir)["cases"]?[0]?["status"], "failed")
        let junit = try XCTUnwrap(dir.read("r/junit.xml"))
        XCTAssertTrue(junit.contains(#"<testsuites name="proctor" tests="1" failures="1" errors="0""#), junit)
        let md = try XCTUnwrap(dir.read("r/summary.md"))
        XCTAssertTrue(md.contains("| failed (flaky) 1/2 |"), md)
        // The flaky table: its header says "pass rate", each cell the rate and its interval once.
        XCTAssertTrue(md.contains("| case | passes | pass rate | minPassRate |"), md)
        XCTAssertTrue(md.contains("| 1/2 | 50.0% (95% CI 9.5–90.5%) | 1"), md)
    }

    func testReplayedRepeatsThatWereNeverRecordedAreErrors() async throws {
        let dir = TempDir()
        dir.write("ok.sh", "cat >/dev/null; echo yes\n")
        let suite = dir.write("s.json", """
        {"backends": [{"id": "c", "type": "command", "argv": ["sh", "ok.sh"], "cassette": "c.jsonl"}],
         "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "a", "validators": [{"type": "contains", "value": "yes"}]}]}
        """)
        let rec = await run(["run", suite, "--record"], in: dir)
        XCTAssertEqual(rec.code, 0, rec.err)
        let r = await run(["run", suite, "--replay", "--repeat", "2"], in: dir)
        XCTAssertEqual(r.code, 1)
        let res = try results(dir)
        XCTAssertEqual(res["cases"]?[0]?["status"], "error")
        XCTAssertEqual(res["cases"]?[0]?["flaky"], false)
        XCTAssertEqual([res["summary"]?["errors"], res["summary"]?["passed"], res["summary"]?["flaky"]], [1, 0, 0])
        XCTAssertTrue(res["results"]?[1]?["error"]?.stringValue?.contains("this repeat index was never recorded") == true)
        let junit = try XCTUnwrap(dir.read("r/junit.xml"))
        XCTAssertTrue(junit.contains(#"tests="1" failures="0" errors="1""#), junit)
        XCTAssertTrue(r.err.contains("0 passed · 0 failed · 1 error of 1 case"), r.err)
        XCTAssertTrue(r.err.contains("ERROR s[p@c] a: 1/2 samples errored (sample 1): no recording"), r.err)
    }

    // MARK: - 5. Concurrency caps belong to the backend, not to whichever id hashed first

    func testTwoSuitesSharingABackendIdKeepTheirOwnCaps() async throws {
        let slow = try MockHTTPServer { _ in .delay(0.3, then: MockHTTPServer.openAI("ok")) }
        let fast = try MockHTTPServer { _ in .delay(0.3, then: MockHTTPServer.openAI("ok")) }
        let dir = TempDir()
        let cases = (0..<6).map { #"{"id": "c\#($0)", "vars": {"n": "\#($0)"}, "validators": [{"type": "equals", "value": "ok"}]}"# }
            .joined(separator: ",")
        for (name, server, cap) in [("a", slow, 1), ("b", fast, 3)] {
            dir.write("suites/\(name).json", """
            {"suite": "\(name)", "backends": [{"id": "api", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "m",
                                              "maxConcurrency": \(cap)}],
             "prompts": [{"id": "p", "template": "{{n}}"}], "cases": [\(cases)]}
            """)
        }
        let r = await run(["run", dir.file("suites"), "-j", "8"], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(slow.peakConcurrency, 1, "suite a's backend is capped at 1")
        XCTAssertLessThanOrEqual(fast.peakConcurrency, 3)
        XCTAssertGreaterThanOrEqual(fast.peakConcurrency, 2, "suite b's backend is not held to suite a's cap")
    }
}
