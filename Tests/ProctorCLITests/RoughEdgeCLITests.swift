import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// CLI rough edges a new user hit: typos in selections, clashing report paths, interrupted runs,
/// dry runs and missing API keys.
final class RoughEdgeCLITests: XCTestCase {
    func run(_ argv: [String], env: [String: String] = [:]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: env.merging(["PROCTOR_CACHE_DIR": TempDir().file("cache")]) { a, _ in a })
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func suite(_ dir: TempDir, _ name: String = "s.json") -> String {
        dir.write(name, """
        {"suite": "s", "backends": [{"id": "echo", "type": "echo"}], "prompts": [{"id": "plain", "template": "hello {{w}}"}],
         "cases": [{"id": "greet", "vars": {"w": "world"}, "validators": [{"type": "contains", "value": "world"}]},
                   {"id": "wave", "vars": {"w": "all"}, "validators": [{"type": "contains", "value": "all"}]}]}
        """)
    }

    func reports(_ dir: TempDir) -> [String] {
        ["--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")]
    }

    func testMistypedSelectionsAreUsageErrors() async {
        let dir = TempDir()
        let s = suite(dir)
        let p = await run(["run", s, "--prompt", "plian"] + reports(dir))
        XCTAssertEqual(p.code, 2)
        XCTAssertTrue(p.err.contains("--prompt plian: no suite has a prompt 'plian'; did you mean 'plain'?"), p.err)
        let b = await run(["run", s, "--backend", "ecko"] + reports(dir))
        XCTAssertEqual(b.code, 2)
        XCTAssertTrue(b.err.contains("did you mean 'echo'?"), b.err)
        let f = await run(["run", s, "--filter", "^nothing$"] + reports(dir))
        XCTAssertEqual(f.code, 2)
        XCTAssertTrue(f.err.contains("--filter ^nothing$ matches no case (case ids include greet, wave); pass --allow-empty"), f.err)
        XCTAssertNil(dir.read("r.json"), "nothing ran, nothing was written")
        let allowed = await run(["run", s, "--filter", "^nothing$", "--allow-empty"] + reports(dir))
        XCTAssertEqual(allowed.code, 0, allowed.err)
    }

    func testOptionsPrintAsGiven() async throws {
        let dir = TempDir()
        let tiny = SharedData.projectRoot.appendingPathComponent("fixtures/models/random-tiny").path
        let s = dir.write("s.json", """
        {"backends": [{"id": "t", "type": "builtin", "model": "\(tiny).bin", "tokenizer": "\(tiny).tokenizer.bin", "topP": 0.9}],
         "prompts": [{"id": "p", "template": "x"}], "options": {"temperature": 0.7, "maxTokens": 4},
         "cases": [{"id": "c", "validators": [{"type": "length", "min": 0}]}]}
        """)
        let r = await run(["run", s] + reports(dir))
        XCTAssertEqual(r.code, 0, r.err)
        let text = try XCTUnwrap(dir.read("r.json"))
        XCTAssertTrue(text.contains(#""topP": 0.9"#) && text.contains(#""temperature": 0.7"#), text)
        XCTAssertFalse(text.contains("0.899999") || text.contains("0.699999"), "no Float round trips")
        XCTAssertTrue(try XCTUnwrap(dir.read("j.xml")).contains("&quot;topP&quot;:0.9"))
    }

    func testTwoReportsOnOnePathAreRefused() async {
        let dir = TempDir()
        let r = await run(["run", suite(dir), "--json", dir.file("x"), "--junit", dir.file("x")])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("--junit and --json both write \(dir.file("x")); give each output its own file"), r.err)
    }

    func testDryRunListsTheMatrixAndRunsNothing() async {
        let dir = TempDir()
        let r = await run(["run", suite(dir), "--dry-run", "--repeat", "3"] + reports(dir))
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out, "s  greet  [plain@echo]  ×3\ns  wave  [plain@echo]  ×3\n")
        XCTAssertTrue(r.err.contains("dry run: 2 case × prompt × backend combinations × 3 repeats in 1 suite; nothing ran"), r.err)
        XCTAssertNil(dir.read("r.json"))
        let bad = dir.write("bad.json", #"{"backends": [], "prompts": [], "cases": []}"#)
        let b = await run(["run", bad, "--dry-run"] + reports(dir))
        XCTAssertEqual(b.code, 2)
    }

    func testInterruptedRunSaysSoEverywhere() async throws {
        let dir = TempDir()
        dir.write("slow.sh", "read x; case \"$x\" in *fast*) echo ok ;; *) sleep 20; echo late ;; esac\n")
        let s = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "c", "type": "command", "argv": ["sh", "slow.sh"]}],
         "prompts": [{"id": "p", "template": "{{speed}}"}], "defaults": {"validators": [{"type": "contains", "value": "o"}]},
         "cases": [{"id": "first", "vars": {"speed": "fast"}}, {"id": "second", "vars": {"speed": "slow"}}]}
        """)
        let interruption = Interruption()
        let console = Console(capturingWith: [:], interruption: interruption)
        let argv = ["run", s, "-j", "1"] + reports(dir)
        let task = Task { await Proctor.main(argv, console: console) }
        try await Task.sleep(nanoseconds: 1_500_000_000)
        interruption.fire()
        let code = await task.value
        XCTAssertEqual(code, 130)
        let md = try XCTUnwrap(dir.read("s.md"))
        XCTAssertTrue(md.contains("**Interrupted**: 1 of 2 cases did not run"), md)
        XCTAssertTrue(md.contains("1 passed · 0 failed · 0 errors · 1 not run of 2 cases (pass rate 50.0 %)"), md)
        let json = try JSONParser.parse(try XCTUnwrap(dir.read("r.json")))
        XCTAssertEqual(json["interrupted"], true)
        XCTAssertEqual(json["summary"]?["passRate"], 0.5, "a case that did not run did not pass")
        XCTAssertTrue(try XCTUnwrap(dir.read("j.xml")).contains(#"<property name="interrupted""#))
    }

    func testMissingAPIKeys() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        let dir = TempDir()
        let local = dir.write("local.json", """
        {"backends": [{"id": "gpt", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "m", "apiKeyEnv": "PROCTOR_UNSET_KEY_X"}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let warned = await run(["run", local] + reports(dir))
        XCTAssertEqual(warned.code, 0, warned.err)
        XCTAssertTrue(warned.err.contains("warning: \(local): backend 'gpt': the environment variable PROCTOR_UNSET_KEY_X is not set"), warned.err)
        let hosted = dir.write("hosted.json", """
        {"backends": [{"id": "claude", "type": "anthropic", "model": "c", "apiKeyEnv": "PROCTOR_UNSET_KEY_X"}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let refused = await run(["run", hosted] + reports(dir))
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.err.contains("hosted.json:1:"), refused.err)
        XCTAssertTrue(refused.err.contains("sends requests to api.anthropic.com, which needs an API key, but the environment variable PROCTOR_UNSET_KEY_X is not set"), refused.err)
    }
}

/// `proctor init`: a starter that passes at once and never overwrites.
final class InitCommandTests: XCTestCase {
    func testInitWritesASuiteThatPasses() async throws {
        let dir = TempDir()
        let target = dir.file("starter")
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(["init", target], console: console)
        XCTAssertEqual(code, 0, console.capturedErr)
        XCTAssertTrue(console.capturedOut.contains("proctor run suites"), console.capturedOut)
        XCTAssertEqual(console.capturedOut.components(separatedBy: "\n").filter { $0.hasPrefix("  cd ") }.count, 3, "three next commands")
        let run = Console(capturingWith: [:])
        let r = await Proctor.main(["run", target + "/suites", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"),
                                    "--markdown", dir.file("s.md")], console: run)
        XCTAssertEqual(r, 0, run.capturedErr)
        let res = try JSONParser.parse(dir.read("r.json") ?? "")
        XCTAssertEqual(res["summary"]?["total"], 8, "4 CSV cases × 2 prompt versions")
        XCTAssertEqual(res["suites"]?[0]?["prompts"]?.arrayValue?.count, 2)
        // The cases check values, not only the schema: a wrong expected city fails.
        let csv = target + "/fixtures/starter-cases.csv"
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        try text.replacingOccurrences(of: ",Lisbon\n", with: ",Porto\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let wrong = Console(capturingWith: [:])
        let w = await Proctor.main(["run", target + "/suites", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"),
                                    "--markdown", dir.file("s.md")], console: wrong)
        XCTAssertEqual(w, 1, wrong.capturedErr)
        XCTAssertTrue(wrong.capturedErr.contains(#"maria: equals: expected "Porto", got "Lisbon""#), wrong.capturedErr)
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        let again = Console(capturingWith: [:])
        let second = await Proctor.main(["init", target], console: again)
        XCTAssertEqual(second, 2)
        XCTAssertTrue(again.capturedErr.contains("init writes nothing over existing files"), again.capturedErr)
    }
}

/// `proctor view`: the report written next to the results and served on loopback.
final class ViewCommandTests: XCTestCase {
    func testViewWritesAndServesThePage() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", #"{"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "c", "validators": [{"type": "equals", "value": "no"}]}]}"#)
        let run = Console(capturingWith: [:])
        _ = await Proctor.main(["run", suite, "--json", dir.file("r/results.json"), "--junit", dir.file("r/j.xml"), "--markdown", dir.file("r/s.md")], console: run)
        let interruption = Interruption()
        let console = Console(capturingWith: [:], interruption: interruption)
        let argv = ["view", dir.file("r/results.json"), "--port", "0"]
        let task = Task { await Proctor.main(argv, console: console) }
        var url: String?
        for _ in 0..<100 where url == nil {
            try await Task.sleep(nanoseconds: 50_000_000)
            url = console.capturedOut.split(separator: "\n").first.map(String.init)
        }
        let address = try XCTUnwrap(url.flatMap(URL.init(string:)), console.capturedErr)
        XCTAssertTrue(address.absoluteString.hasPrefix("http://127.0.0.1:"))
        let (data, response) = try await URLSession.shared.data(from: address)
        XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200)
        let page = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(page.contains("class=\"c s-failed\""), "the run page, with its failing cell")
        XCTAssertEqual(page, dir.read("r/results.html"), "the page is also written next to the results")
        let (_, missing) = try await URLSession.shared.data(from: address.appendingPathComponent("nope"))
        XCTAssertEqual((missing as? HTTPURLResponse)?.statusCode, 404)
        interruption.fire()
        let code = await task.value
        XCTAssertEqual(code, 0)
    }
}
