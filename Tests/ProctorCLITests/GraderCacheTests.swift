import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Model-graded checks, the response cache, reruns and transforms, end to end through the CLI
/// against the loopback HTTP server.
final class GraderCacheTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir, cache: String? = nil) async -> (code: Int32, err: String) {
        await Self.cli(argv, in: dir, cache: cache)
    }

    static func cli(_ argv: [String], in dir: TempDir, cache: String? = nil) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": cache ?? dir.file("cache")])
        let out = ["--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"), "--markdown", dir.file("r/summary.md")]
        let code = await Proctor.main(argv + out, console: console)
        return (code, console.capturedErr)
    }

    func results(_ dir: TempDir) throws -> JSONValue { try JSONParser.parse(dir.read("r/results.json") ?? "") }

    /// A grader server whose answer depends on the output it is asked about.
    func graderServer() throws -> MockHTTPServer {
        try MockHTTPServer { req in
            let body = req.body
            if body.contains("OUT-PASS") { return MockHTTPServer.openAI(#"{"reason": "apologises and dates the refund", "score": 0.9, "pass": true}"#) }
            if body.contains("OUT-FAIL") { return MockHTTPServer.openAI(#"{"reason": "no refund date", "score": 0.2, "pass": false}"#) }
            if body.contains("OUT-CUT") { return MockHTTPServer.openAI(#"Sure: {"score": 0.75, "reason": "mostly there, but"#, finish: "length") }
            if body.contains("OUT-GARBAGE") { return MockHTTPServer.openAI("I cannot grade this.") }
            if body.contains("OUT-SLOW") { return .delay(3, then: MockHTTPServer.openAI(#"{"score": 1}"#)) }
            if body.contains("Expert answer") { return MockHTTPServer.openAI(#"{"reason": "adds a detail", "choice": "B"}"#) }
            if body.contains("Classify the text") { return MockHTTPServer.openAI(#"{"reason": "asks for money back", "label": "refund"}"#) }
            if body.contains("Pick the one") { return MockHTTPServer.openAI(#"{"reason": "more polite", "best": 2}"#) }
            return MockHTTPServer.openAI(#"{"score": 0}"#)
        }
    }

    func testRubricVerdictsFromAGrader() async throws {
        let server = try graderServer()
        let dir = TempDir()
        let cases = ["PASS", "FAIL", "CUT", "GARBAGE", "SLOW"].map {
            #"{"id": "\#($0.lowercased())", "vars": {"o": "OUT-\#($0)"}}"#
        }.joined(separator: ",")
        let suite = dir.write("s.json", """
        {"backends": [{"id": "e", "type": "echo", "response": "{{o}}"}],
         "graders": [{"id": "judge", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "grader-model", "timeoutSeconds": 1, "maxRetries": 0}],
         "prompts": [{"id": "p", "template": "{{o}}"}],
         "defaults": {"grader": "judge", "validators": [{"type": "rubric", "rubric": "Apologises and gives a refund date"}]},
         "cases": [\(cases)]}
        """)
        let r = await run(["run", suite, "-j", "5"], in: dir)
        XCTAssertEqual(r.code, 1)
        let res = try results(dir)
        let byCase = Dictionary(uniqueKeysWithValues: (res["results"]?.arrayValue ?? []).map { ($0["case"]!.stringValue!, $0) })
        XCTAssertEqual(byCase["pass"]?["status"], "passed")
        XCTAssertEqual(byCase["pass"]?["validators"]?[0]?["message"],
                       "grader 'judge': score 0.9 ≥ threshold 0.5: apologises and dates the refund")
        XCTAssertEqual(byCase["pass"]?["validators"]?[0]?["graderAnswer"]?.stringValue?.contains("\"score\": 0.9"), true)
        XCTAssertEqual(byCase["fail"]?["status"], "failed")
        XCTAssertEqual(byCase["cut"]?["status"], "passed", "a truncated grader answer still counts when recoverable")
        XCTAssertEqual(byCase["garbage"]?["status"], "failed")
        XCTAssertTrue(byCase["garbage"]?["validators"]?[0]?["message"]?.stringValue?.hasPrefix("could not evaluate: grader 'judge' answered without a JSON object") == true)
        XCTAssertEqual(byCase["slow"]?["status"], "failed")
        XCTAssertTrue(byCase["slow"]?["validators"]?[0]?["message"]?.stringValue?.contains("could not evaluate: grader 'judge' failed") == true)
        // Graders run at temperature 0 with a fixed seed; the model under test never sees them.
        let body = try JSONParser.parse(try XCTUnwrap(server.requests.first).body)
        XCTAssertEqual(body["temperature"], 0)
        XCTAssertEqual(body["seed"], 0)
        XCTAssertEqual(res["suites"]?[0]?["backends"]?.arrayValue?.count, 1, "graders are not backends under test")
    }

    func testFactualityClassifierAndSelectBest() async throws {
        let server = try graderServer()
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "e", "type": "echo"}],
         "graders": [{"id": "judge", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "g"}],
         "prompts": [{"id": "terse", "template": "Refund later."}, {"id": "polite", "template": "Sorry! Your refund arrives Friday."}],
         "cases": [{"id": "facts", "validators": [{"type": "factuality", "grader": "judge", "reference": "The refund arrives Friday."}]},
                   {"id": "label", "validators": [{"type": "classifier", "grader": "judge", "labels": ["refund", "bug"], "expected": "refund"}]},
                   {"id": "best", "validators": [{"type": "select-best", "grader": "judge", "criterion": "the most polite reply"}]}]}
        """)
        let r = await run(["run", suite], in: dir)
        let res = try results(dir)
        let rows = res["results"]?.arrayValue ?? []
        func row(_ c: String, _ p: String) -> JSONValue? { rows.first { $0["case"]?.stringValue == c && $0["prompt"]?.stringValue == p } }
        XCTAssertEqual(row("facts", "terse")?["status"], "passed", r.err)
        XCTAssertEqual(row("facts", "terse")?["validators"]?[0]?["message"], "grader 'judge': superset (B): adds a detail")
        XCTAssertEqual(row("label", "polite")?["status"], "passed")
        XCTAssertEqual(row("best", "polite")?["status"], "passed", "the grader chose output 2, the polite prompt")
        XCTAssertEqual(row("best", "terse")?["status"], "failed")
        XCTAssertEqual(row("best", "terse")?["validators"]?[0]?["message"], "grader 'judge' chose polite@e over this one: more polite")
        XCTAssertEqual(server.requests.filter { $0.body.contains("Pick the one") }.count, 1, "one selection per case, not one per output")
    }

    func testGradersAreRecordedAndReplayedAndOverriddenFromTheCLI() async throws {
        let server = try graderServer()
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "e", "type": "echo"}],
         "graders": [{"id": "judge", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "g", "cassette": "judge.jsonl"},
                     {"id": "strict", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "g2"}],
         "prompts": [{"id": "p", "template": "OUT-PASS"}],
         "defaults": {"grader": "strict"},
         "cases": [{"id": "a", "validators": [{"type": "rubric", "rubric": "r"}]}]}
        """)
        let rec = await run(["run", suite, "--record", "--grader", "judge"], in: dir)
        XCTAssertEqual(rec.code, 0, rec.err)
        let n = server.requests.count
        XCTAssertTrue(server.requests.allSatisfy { $0.body.contains("\"model\":\"g\"") }, "--grader wins over defaults.grader")
        let replay = await run(["run", suite, "--replay", "--grader", "judge"], in: dir)
        XCTAssertEqual(replay.code, 0, replay.err)
        XCTAssertEqual(server.requests.count, n, "the grader answered from its cassette")
        let bad = await run(["run", suite, "--grader", "jugde"], in: dir)
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.err.contains("did you mean 'judge'?"), bad.err)
    }

    // MARK: - Cache

    func cachedSuite(_ dir: TempDir, _ server: MockHTTPServer, cases: Int = 3) -> String {
        let cs = (0..<cases).map { #"{"id": "c\#($0)", "vars": {"n": "\#($0)"}, "validators": [{"type": "equals", "value": "ok"}]}"# }.joined(separator: ",")
        return dir.write("s.json", """
        {"backends": [{"id": "gpt", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "m"}],
         "prompts": [{"id": "p", "template": "{{n}}"}], "cases": [\(cs)]}
        """)
    }

    func testCacheHitsMakeNoRequest() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        let dir = TempDir()
        let suite = cachedSuite(dir, server)
        let first = await run(["run", suite, "--repeat", "2"], in: dir)
        XCTAssertEqual(first.code, 0, first.err)
        XCTAssertEqual(server.requests.count, 6, "repeats are separate entries")
        let second = await run(["run", suite, "--repeat", "2"], in: dir)
        XCTAssertEqual(second.code, 0, second.err)
        XCTAssertEqual(server.requests.count, 6, "every response came from the cache")
        XCTAssertTrue(second.err.contains("6 of 6 responses from the cache"), second.err)
        let res = try results(dir)
        XCTAssertEqual(res["summary"]?["cached"], 6)
        XCTAssertEqual(res["results"]?[0]?["cached"], true)
        let off = await run(["run", suite, "--no-cache"], in: dir)
        XCTAssertEqual(off.code, 0)
        XCTAssertEqual(server.requests.count, 9, "--no-cache asks the backend")
        let stale = await run(["run", suite, "--cache-max-age", "0"], in: dir)
        XCTAssertEqual(stale.code, 0)
        XCTAssertEqual(server.requests.count, 12, "entries older than the max age are not used")

        let info = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        _ = await Proctor.main(["cache", "info"], console: info)
        XCTAssertTrue(info.capturedOut.contains("6 cached responses"), info.capturedOut)
        let clear = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        _ = await Proctor.main(["cache", "clear"], console: clear)
        XCTAssertTrue(clear.capturedOut.contains("removed 6 cached responses"), clear.capturedOut)
    }

    func testErrorsAreNotCachedAndCorruptEntriesAreRewritten() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        server.enqueue(.respond(status: 400, headers: [:], body: "bad"))
        let dir = TempDir()
        let suite = cachedSuite(dir, server, cases: 1)
        let failed = await run(["run", suite], in: dir)
        XCTAssertEqual(failed.code, 1)
        _ = await run(["run", suite], in: dir)
        XCTAssertEqual(server.requests.count, 2, "the error was not cached")
        let entries = try FileManager.default.subpathsOfDirectory(atPath: dir.file("cache")).filter { $0.hasSuffix(".json") }
        XCTAssertEqual(entries.count, 1)
        dir.write("cache/" + entries[0], "{ not json")
        let corrupt = await run(["run", suite], in: dir)
        XCTAssertEqual(corrupt.code, 0, "a corrupt entry is never fatal")
        XCTAssertTrue(corrupt.err.contains("could not be read; it will be rewritten"), corrupt.err)
        XCTAssertEqual(server.requests.count, 3)
        XCTAssertNoThrow(try JSONParser.parse(dir.read("cache/" + entries[0]) ?? ""), "rewritten")
    }

    func testTwoConcurrentRunsShareACache() async throws {
        let server = try MockHTTPServer { _ in .delay(0.05, then: MockHTTPServer.openAI("ok")) }
        let dir = TempDir(), a = TempDir(), b = TempDir()
        let suite = cachedSuite(dir, server, cases: 20)
        let shared = dir.file("cache")
        async let ra = Self.cli(["run", suite, "-j", "4"], in: a, cache: shared)
        async let rb = Self.cli(["run", suite, "-j", "4"], in: b, cache: shared)
        let (x, y) = await (ra, rb)
        XCTAssertEqual(x.code, 0, x.err)
        XCTAssertEqual(y.code, 0, y.err)
        XCTAssertFalse(x.err.contains("could not be read") || y.err.contains("could not be read"), x.err + y.err)
        let before = server.requests.count
        XCTAssertLessThanOrEqual(before, 40)
        let third = await run(["run", suite], in: dir, cache: shared)
        XCTAssertEqual(third.code, 0)
        XCTAssertEqual(server.requests.count, before, "every entry written by the two runs is whole")
    }

    // MARK: - Reruns and transforms

    func testOnlyFailingAndRetryErrors() async throws {
        let dir = TempDir()
        dir.write("flaky.sh", "read x; if [ -f ok ]; then echo \"$x\"; else case \"$x\" in *err*) exit 3 ;; *) echo \"$x\" ;; esac; fi\n")
        let suite = dir.write("s.json", """
        {"backends": [{"id": "c", "type": "command", "argv": ["sh", "flaky.sh"]}], "prompts": [{"id": "p", "template": "{{x}}"}],
         "cases": [{"id": "good", "vars": {"x": "fine"}, "validators": [{"type": "contains", "value": "fine"}]},
                   {"id": "bad", "vars": {"x": "wrong"}, "validators": [{"type": "contains", "value": "right"}]},
                   {"id": "err", "vars": {"x": "err"}, "validators": [{"type": "contains", "value": "err"}]}]}
        """)
        _ = await run(["run", suite], in: dir)
        let first = try results(dir)
        XCTAssertEqual([first["summary"]?["passed"], first["summary"]?["failed"], first["summary"]?["errors"]], [1, 1, 1])
        try FileManager.default.copyItem(atPath: dir.file("r/results.json"), toPath: dir.file("first.json"))
        let only = await run(["run", suite, "--only-failing", dir.file("first.json")], in: dir)
        XCTAssertEqual(only.code, 1)
        XCTAssertEqual(try results(dir)["results"]?.arrayValue?.map { $0["case"]!.stringValue! }, ["bad", "err"])
        dir.write("ok", "")
        let retry = await run(["run", suite, "--retry-errors", dir.file("first.json")], in: dir)
        XCTAssertEqual(retry.code, 1, "bad still fails")
        let merged = try results(dir)
        XCTAssertEqual(merged["results"]?.arrayValue?.map { $0["case"]!.stringValue! }, ["good", "bad", "err"], "a complete report")
        XCTAssertEqual([merged["summary"]?["passed"], merged["summary"]?["failed"], merged["summary"]?["errors"]], [2, 1, 0])
    }

    func testTransformsBeforeValidators() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{o}}"}],
         "defaults": {"transform": [{"strip": "think"}, {"strip": "fence"}, {"path": "/answer"}, {"trim": true}, {"lowercase": true}]},
         "cases": [{"id": "think", "vars": {"o": "<think>hmm</think>```json\\n{\\"answer\\": \\" YES \\"}\\n```"},
                    "validators": [{"type": "equals", "value": "yes"}]},
                   {"id": "own", "vars": {"o": "Total: 42 items"}, "transform": {"regex": "(\\\\d+) items", "group": 1},
                    "validators": [{"type": "equals", "value": "42"},
                                   {"type": "equals", "value": "4", "transform": [{"regex": "\\\\d"}]}]},
                   {"id": "broken", "vars": {"o": "no json here"}, "validators": [{"type": "equals", "value": "x"}]}]}
        """)
        let r = await run(["run", suite], in: dir)
        XCTAssertEqual(r.code, 1)
        let rows = try results(dir)["results"]?.arrayValue ?? []
        XCTAssertEqual(rows[0]["status"], "passed", "\(rows[0])")
        XCTAssertEqual(rows[0]["checkedOutput"], "yes")
        XCTAssertEqual(rows[0]["transform"], "strip think, strip fence, path /answer, trim, lowercase")
        XCTAssertEqual(rows[1]["status"], "passed", "\(rows[1])")
        XCTAssertEqual(rows[2]["status"], "error")
        XCTAssertEqual(rows[2]["error"], "transform (strip think, strip fence, path /answer, trim, lowercase) failed: path /answer: the text is not JSON")
        let bad = dir.write("bad.json", #"{"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "transform": {"strip": "middle"}, "validators": [{"type": "length", "min": 0}]}]}"#)
        let b = await run(["run", bad], in: dir)
        XCTAssertEqual(b.code, 2)
        XCTAssertTrue(b.err.contains("\"strip\" must be \"prefix\", \"suffix\", \"fence\" or \"think\""), b.err)
    }
}
