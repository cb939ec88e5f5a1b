import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// End-to-end tests through the same entry point as the `proctor` binary.
final class CLITests: XCTestCase {
    func run(_ argv: [String], stdin: String? = nil) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:], stdin: stdin)
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func testVersionAndHelp() async {
        let v = await run(["--version"])
        XCTAssertEqual(v.code, 0)
        XCTAssertEqual(v.out, "proctor \(Proctor.version)\n")
        let h = await run(["help", "run"])
        XCTAssertEqual(h.code, 0)
        XCTAssertTrue(h.out.contains("EXIT CODES"))
        let overview = await run(["--help"])
        XCTAssertTrue(overview.out.contains("validate"))
        let unknown = await run(["rnu"])
        XCTAssertEqual(unknown.code, 2)
        XCTAssertTrue(unknown.err.contains("unknown command 'rnu'; did you mean 'run'?"))
    }

    /// `proctor help model` shows a usage line for each of the model's subcommands, and naming
    /// none lists them all (it once listed 4 of 11).
    func testModelUsageListsEverySubcommand() async {
        let all = ["info", "init", "quantize", "generate", "bench", "export", "serve", "corpus", "tokenizer", "train", "eval"]
        let h = await run(["help", "model"])
        XCTAssertEqual(h.code, 0)
        for sub in all { XCTAssertTrue(h.out.contains("proctor model \(sub) "), "usage lacks 'proctor model \(sub)'") }
        let none = await run(["model"])
        XCTAssertEqual(none.code, 2)
        XCTAssertTrue(none.err.contains("name a model subcommand: " + all.joined(separator: ", ")), none.err)
        let typo = await run(["model", "expor"])
        XCTAssertTrue(typo.err.contains("did you mean 'export'?"), typo.err)
    }

    // MARK: - validate

    func testValidateExitCodesAndMessages() async {
        let dir = TempDir()
        let schema = dir.write("s.json", #"{"type": "object", "properties": {"price": {"minimum": 0}}, "required": ["price"]}"#)
        let good = dir.write("good.json", #"{"price": 3}"#)
        let bad = dir.write("bad.json", #"{"price": -3}"#)
        let r0 = await run(["validate", "--schema", schema, good])
        XCTAssertEqual(r0.code, 0)
        XCTAssertEqual(r0.out, "\(good): valid\n")
        let r1 = await run(["validate", "--schema", schema, good, bad])
        XCTAssertEqual(r1.code, 1)
        XCTAssertTrue(r1.out.contains("\(bad): invalid (1 error)\n  /price: -3 is less than the minimum 0    [/properties/price/minimum]"), r1.out)
        let missing = await run(["validate", "--schema", schema, dir.file("nope.json")])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.err.contains("nope.json: no such file"))
        let badSchema = dir.write("bad-schema.json", #"{"type": "strng"}"#)
        let r2 = await run(["validate", "--schema", badSchema, good])
        XCTAssertEqual(r2.code, 2)
        XCTAssertTrue(r2.err.contains("invalid schema at /type"), r2.err)
        let noSchema = await run(["validate", good])
        XCTAssertEqual(noSchema.code, 2, "missing --schema is a usage error")
        let badDraft = await run(["validate", "--schema", schema, "--draft", "5", good])
        XCTAssertEqual(badDraft.code, 2)
        let notJSON = dir.write("broken.json", "{\"price\": }")
        let r3 = await run(["validate", "--schema", schema, notJSON])
        XCTAssertEqual(r3.code, 1)
        XCTAssertTrue(r3.out.contains("broken.json:1:11: expected a JSON value, found '}'"), r3.out)
    }

    func testValidateJSONLinesFromStdin() async throws {
        let dir = TempDir()
        let schema = dir.write("s.json", #"{"type": "integer"}"#)
        let r = await run(["validate", "--schema", schema, "--jsonl", "-"], stdin: "1\n\"x\"\n\n{bad\n")
        XCTAssertEqual(r.code, 1)
        let lines = r.out.split(separator: "\n").map { try! JSONParser.parse(String($0)) }
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0], ["line": 1, "valid": true, "errors": []])
        XCTAssertEqual(lines[1]["line"], 2)
        XCTAssertEqual(lines[1]["errors"]?[0]?["message"], #""x" is not of type "integer""#)
        XCTAssertEqual(lines[1]["errors"]?[0]?["keywordLocation"], "/type")
        XCTAssertEqual(lines[2]["line"], 4)
        XCTAssertEqual(lines[2]["valid"], false)
    }

    func testValidateRegistryForRemoteRefs() async {
        let dir = TempDir()
        dir.write("remote/int.json", #"{"type": "integer"}"#)
        let schema = dir.write("s.json", #"{"$ref": "http://example.test/schemas/int.json"}"#)
        let inst = dir.write("i.json", "4")
        let r = await run(["validate", "--schema", schema, "--registry", "http://example.test/schemas/=\(dir.file("remote"))", inst])
        XCTAssertEqual(r.code, 0, r.err)
        // Without the registry the reference is named up front and an instance that reaches it is
        // invalid (exit 1) with that reason; one that never reaches it is judged on the rest.
        let noReg = await run(["validate", "--schema", schema, inst])
        XCTAssertEqual(noReg.code, 1)
        XCTAssertTrue(noReg.err.contains("cannot resolve $ref 'http://example.test/schemas/int.json'"), noReg.err)
        XCTAssertTrue(noReg.out.contains("cannot resolve $ref"), noReg.out)
        let aside = dir.write("aside.json", #"{"properties": {"n": {"$ref": "http://example.test/schemas/int.json"}, "s": {"type": "string"}}}"#)
        let good = dir.write("good.json", #"{"s": "x"}"#), bad = dir.write("bad.json", #"{"s": 1}"#)
        let partial = await run(["validate", "--schema", aside, good, bad])
        XCTAssertEqual(partial.code, 1)
        XCTAssertTrue(partial.out.contains("\(good): valid"), partial.out)
        XCTAssertTrue(partial.out.contains("\(bad): invalid"), partial.out)
    }

    /// YAML instance files are read as YAML 1.2 (core schema): `on`/`yes` stay strings.
    func testValidateReadsYAMLInstances() async {
        let dir = TempDir()
        let schema = dir.write("s.json", #"{"type": "object", "properties": {"on": {"type": "string"}, "n": {"type": "integer"}}, "required": ["on", "n"]}"#)
        let good = dir.write("good.yaml", "on: yes\nn: 3\n")
        let bad = dir.write("bad.yml", "on: yes\nn: three\n")
        let broken = dir.write("broken.yaml", "on: [yes\n")
        let r = await run(["validate", "--schema", schema, good, bad, broken])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.out.contains("\(good): valid"), r.out)
        XCTAssertTrue(r.out.contains("\(bad): invalid (1 error)"), r.out)
        XCTAssertTrue(r.out.contains("\(broken): not valid YAML"), r.out)
    }

    // MARK: - run

    func suiteText(_ validator: String) -> String {
        """
        {"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "hello {{who}}"}],
         "cases": [{"id": "c1", "vars": {"who": "world"}, "validators": [\(validator)]}]}
        """
    }

    func testRunExitCodesAndReports() async throws {
        let dir = TempDir()
        let pass = dir.write("pass.json", suiteText(#"{"type": "contains", "value": "world"}"#))
        let fail = dir.write("fail.json", suiteText(#"{"type": "contains", "value": "mars"}"#))
        let junit = dir.file("out/junit.xml"), json = dir.file("out/results.json")
        let r0 = await run(["run", pass, "--junit", junit, "--json", json])
        XCTAssertEqual(r0.code, 0, r0.err)
        XCTAssertTrue(r0.err.contains("proctor: 1 passed · 0 failed · 0 errors of 1 case (pass rate 100.0 %)"), r0.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: junit))
        let results = try JSONParser.parse(String(contentsOfFile: json, encoding: .utf8))
        XCTAssertEqual(results["summary"]?["passed"], 1)

        let r1 = await run(["run", fail, "--junit", junit, "--json", json])
        XCTAssertEqual(r1.code, 1)
        XCTAssertTrue(r1.err.contains(#"FAIL s[p@e] c1: contains: does not contain "mars" · output: "hello world""#), r1.err)
        XCTAssertFalse(r1.err.contains("\u{1B}["), "no escape codes off a terminal")
    }

    func testSuiteErrorsRunNothingAndWriteNoReport() async throws {
        let dir = TempDir()
        let bad = dir.write("bad.json", suiteText(#"{"type": "regx", "pattern": "a"}"#))
        let junit = dir.file("out/junit.xml")
        let r = await run(["run", bad, "--junit", junit, "--json", dir.file("out/results.json")])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("bad.json:2:67: unknown validator 'regx'; did you mean 'regex'?"), r.err)
        XCTAssertTrue(r.err.contains("nothing ran"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: junit))

        // An earlier report is left untouched.
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        try "old".write(toFile: junit, atomically: true, encoding: .utf8)
        _ = await run(["run", bad, "--junit", junit])
        XCTAssertEqual(try String(contentsOfFile: junit, encoding: .utf8), "old")

        let missing = await run(["run", dir.file("no-such-suite.json")])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.err.contains("no such suite file or folder"))
        let badShard = await run(["run", bad, "--shard", "4/3"])
        XCTAssertEqual(badShard.code, 2)
    }

    func testUnwritableReportsFolderFailsBeforeRunning() async {
        let dir = TempDir()
        let pass = dir.write("pass.json", suiteText(#"{"type": "contains", "value": "world"}"#))
        dir.write("blocker", "a file where a folder should be")
        let r = await run(["run", pass, "--junit", dir.file("blocker/junit.xml")])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("cannot write --junit \(dir.file("blocker/junit.xml")): \(dir.file("blocker")) is a file, not a folder"), r.err)
    }
}

final class RepairCLITests: XCTestCase {
    func run(_ argv: [String], stdin: String? = nil) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:], stdin: stdin)
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func testRepairExitCodesAndExplain() async {
        let ok = await run(["repair", "--explain", "-"], stdin: #"{"a": [1, 2"#)
        XCTAssertEqual(ok.code, 0)
        XCTAssertEqual(ok.out, "{\"a\":[1,2]}\n")
        XCTAssertEqual(ok.err, #"truncatedNumber at byte 10 (was "2") (truncation) [lossy]"# + "\n"
                       + "closedArray at byte 11 (truncation)\nclosedObject at byte 11 (truncation)\n")
        let pretty = await run(["repair", "--pretty", "-"], stdin: "{'a': True}")
        XCTAssertEqual(pretty.out, "{\n  \"a\": true\n}\n")
        let none = await run(["repair", "-"], stdin: "I cannot answer that.")
        XCTAssertEqual(none.code, 1)
        XCTAssertTrue(none.err.contains("nothing recoverable"))
        let drop = await run(["repair", "--drop-partial-strings", "-"], stdin: #"{"a": 1, "b": "par"#)
        XCTAssertEqual(drop.out, "{\"a\":1}\n")
        let usage = await run(["repair", "a", "b"])
        XCTAssertEqual(usage.code, 2)
    }

    func testRepairLinesBatchMode() async {
        let input = [#"{\"a\": 1"#, "no json", #"[tru"#].map { "\"\($0)\"" }.joined(separator: "\n") + "\n"
        let r = await run(["repair", "--lines", "-"], stdin: input)
        XCTAssertEqual(r.code, 0)
        XCTAssertEqual(r.out, "\"{\\\"a\\\":1}\"\nnull\n\"[true]\"\n")
        let bad = await run(["repair", "--lines", "-"], stdin: "{\"not\": \"a string\"}\n")
        XCTAssertEqual(bad.code, 1, "a line that is not a string literal is null plus a message, not an abort")
        XCTAssertEqual(bad.out, "null\n")
    }
}

final class ModelCLITests: XCTestCase {
    func run(_ argv: [String]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func testInitInfoGenerate() async throws {
        let dir = TempDir()
        let m = dir.file("m.bin"), t = dir.file("t.bin")
        let i = await run(["model", "init", "--dim", "32", "--layers", "1", "--heads", "4", "--kv-heads", "2", "--vocab", "354", "--seq", "64",
                           "--seed", "3", "--out", m, "--tokenizer-out", t])
        XCTAssertEqual(i.code, 0, i.err)
        let info = await run(["model", "info", m, "--json"])
        let v = try JSONParser.parse(info.out)
        XCTAssertEqual(v["dim"], 32)
        XCTAssertEqual(v["kvHeads"], 2)
        XCTAssertEqual(v["hiddenDim"], 96)
        let g = await run(["model", "generate", m, "--tokenizer", t, "--prompt", "hi", "--steps", "12", "--no-stop", "--json"])
        XCTAssertEqual(g.code, 0, g.err)
        let gv = try JSONParser.parse(g.out)
        XCTAssertEqual(gv["promptTokenIds"]?.arrayValue?.first, 1)
        let promptCount = gv["promptTokenIds"]!.arrayValue!.count
        XCTAssertEqual(gv["generatedTokenIds"]?.arrayValue?.count, 12 - promptCount + 1, "steps count prompt positions")
        XCTAssertNotNil(gv["tokensPerSecond"]?.doubleValue)
        XCTAssertNotNil(gv["text"]?.stringValue)
    }

    func testErrors() async throws {
        let dir = TempDir()
        let missing = await run(["model", "info", dir.file("none.bin")])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.err.contains("cannot open the checkpoint"))
        let m = dir.file("m.bin")
        _ = await run(["model", "init", "--dim", "32", "--layers", "1", "--heads", "4", "--vocab", "100", "--seq", "16", "--out", m])
        let tok = try SharedData.path("models/ref-tiny/tokenizer.bin")
        let mismatch = await run(["model", "generate", m, "--tokenizer", tok, "--prompt", "x"])
        XCTAssertEqual(mismatch.code, 2)
        XCTAssertTrue(mismatch.err.contains("the tokenizer has 512 tokens but the model's vocabulary has 100"), mismatch.err)
        let badShape = await run(["model", "init", "--dim", "30", "--layers", "1", "--heads", "4", "--vocab", "100", "--seq", "16", "--out", m])
        XCTAssertEqual(badShape.code, 2)
        let unknown = await run(["model", "genrate"])
        XCTAssertTrue(unknown.err.contains("did you mean 'generate'"))
    }

    func testBuiltinBackendInASuite() async throws {
        let dir = TempDir()
        let m = dir.file("m.bin"), t = dir.file("t.bin")
        _ = await run(["model", "init", "--dim", "32", "--layers", "1", "--heads", "2", "--vocab", "354", "--seq", "64", "--out", m, "--tokenizer-out", t])
        let suite = dir.write("s.json", """
        {"backends": [{"id": "b", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "maxTokens": 5}],
         "prompts": [{"id": "p", "template": "hello {{x}}"}],
         "cases": [{"id": "c", "vars": {"x": "there"}, "validators": [{"type": "tokens", "max": 5}]}]}
        """)
        let r = await run(["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml")])
        XCTAssertEqual(r.code, 0, r.err)
        let res = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))
        XCTAssertEqual(res["results"]?[0]?["finishReason"], "length")
        XCTAssertEqual(res["results"]?[0]?["usage"]?["outputTokens"], 5)
        XCTAssertEqual(res["results"]?[0]?["truncated"], true)
        // A corrupt model is a load-time suite error.
        dir.write("bad.bin", "not a model")
        let bad = dir.write("bad.json", """
        {"backends": [{"id": "b", "type": "builtin", "model": "bad.bin", "tokenizer": "t.bin"}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "allowEmpty": true}]}
        """)
        let e = await run(["run", bad, "--json", dir.file("r2.json"), "--junit", dir.file("j2.xml")])
        XCTAssertEqual(e.code, 2)
        XCTAssertTrue(e.err.contains("bad.json:1:"), e.err)
    }
}

final class DiffCLITests: XCTestCase {
    func run(_ argv: [String], env: [String: String] = [:]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: env)
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    /// A suite whose echo backend answers `answer`; run it and return the results path.
    func runSuite(_ dir: TempDir, name: String, answer: String, extra: [String] = []) async -> String {
        let suite = dir.write("\(name).json", """
        {"suite": "s", "backends": [{"id": "e", "type": "echo", "response": "\(answer)"}], "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "keeps", "validators": [{"type": "contains", "value": "ok"}]},
                   {"id": "flips", "validators": [{"type": "contains", "value": "good"}]}]}
        """)
        let json = dir.file("\(name)-results.json")
        _ = await run(["run", suite, "--json", json, "--junit", dir.file("\(name).xml"), "--markdown", dir.file("\(name).md")] + extra)
        return json
    }

    func testDiffFailOnRegressionAndReports() async throws {
        let dir = TempDir()
        let base = await runSuite(dir, name: "base", answer: "ok good")
        let head = await runSuite(dir, name: "head", answer: "ok bad")
        let plain = await run(["diff", base, head])
        XCTAssertEqual(plain.code, 0)
        XCTAssertTrue(plain.out.contains("1 regressed, 0 fixed"), plain.out)
        let gated = await run(["diff", base, head, "--fail-on-regression", "--markdown", dir.file("d.md"), "--html", dir.file("d.html"), "--json", dir.file("d.json")])
        XCTAssertEqual(gated.code, 1)
        XCTAssertTrue(dir.read("d.md")!.contains("### Regressed (1)"))
        XCTAssertTrue(dir.read("d.html")!.hasPrefix("<!DOCTYPE html>"))
        let j = try JSONParser.parse(dir.read("d.json")!)
        XCTAssertEqual(j["counts"]?["regressed"], 1)
        let tolerated = await run(["diff", base, head, "--fail-on-regression", "--max-drop", "60"])
        XCTAssertEqual(tolerated.code, 0, "a 50-point drop is within --max-drop 60")
        let same = await run(["diff", base, base, "--fail-on-regression"])
        XCTAssertEqual(same.code, 0)
        let bad = await run(["diff", base, dir.file("missing.json")])
        XCTAssertEqual(bad.code, 2)
        let notResults = dir.write("x.json", "{\"a\": 1}")
        let wrong = await run(["diff", base, notResults])
        XCTAssertEqual(wrong.code, 2)
        XCTAssertTrue(wrong.err.contains("formatVersion"))
    }

    func testRunWritesSummaryAndGitHubOutputs() async throws {
        let dir = TempDir()
        let summaryFile = dir.file("step-summary.md")
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "e", "type": "echo", "response": "x"}], "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "bad", "validators": [{"type": "contains", "value": "y"}]}]}
        """)
        let r = await run(["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("sum.md"), "--html", dir.file("r.html")],
                          env: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summaryFile])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(dir.read("sum.md")!.contains("### Failures (1)"))
        // The headline names its interval once: "0 passed · 1 failed … · 95% CI 0.0–79.3% · 0.00 s".
        let headline = dir.read("sum.md")!.split(separator: "\n").first { $0.hasPrefix("**") }.map(String.init) ?? ""
        XCTAssertEqual(headline.components(separatedBy: "CI").count, 2, headline)
        XCTAssertTrue(headline.contains("· 95% CI 0.0–79.3% ·"), headline)
        XCTAssertTrue(dir.read("step-summary.md")!.contains("## Proctor run"))
        XCTAssertTrue(r.out.contains("::error file=\(suite.replacingOccurrences(of: ":", with: "%3A")),line=2,title=s / bad [p@e]::contains: does not contain \"y\""), r.out)
        XCTAssertTrue(dir.read("r.html")!.contains("class=\"c s-failed\""), "the failing cell is marked in the matrix")
    }

    func testShardedRunsMerge() async throws {
        let dir = TempDir()
        let cases = (0..<12).map { #"{"id": "c\#($0)", "validators": [{"type": "contains", "value": "x"}]}"# }.joined(separator: ",")
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "e", "type": "echo", "response": "x"}], "prompts": [{"id": "p", "template": "x"}], "cases": [\(cases)]}
        """)
        var shards: [String] = []
        for k in 1...3 {
            let p = dir.file("shard\(k).json")
            _ = await run(["run", suite, "--shard", "\(k)/3", "--json", p, "--junit", dir.file("j\(k).xml"), "--markdown", dir.file("m\(k).md")])
            shards.append(p)
        }
        let m = await run(["merge"] + shards + ["--json", dir.file("all.json"), "--junit", dir.file("all.xml")])
        XCTAssertEqual(m.code, 0, m.err)
        let all = try JSONParser.parse(dir.read("all.json")!)
        XCTAssertEqual(all["results"]?.arrayValue?.map { $0["case"]!.stringValue! }, (0..<12).map { "c\($0)" })
        let missing = await run(["merge", shards[0], shards[2], "--json", dir.file("x.json")])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.err.contains("missing shard 2/3"))
    }
}

/// A full suite against the loopback API server: reports, recording, replay, limits, secrets.
final class HTTPSuiteTests: XCTestCase {
    static let key = "sk-suite-test-ABCDEFGHIJKLMNOPQRSTUV"
    func run(_ argv: [String]) async -> (code: Int32, out: String, err: String) {
        // The key is in the environment the command is given; no test changes the process's own.
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": TempDir().file("cache"), "PROCTOR_SUITE_TEST_KEY": Self.key])
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func testEndToEndRecordReplayAndNoLeakedKeys() async throws {
        let server = try MockHTTPServer { req in
            req.path.hasSuffix("/v1/messages") ? .delay(0.1, then: MockHTTPServer.anthropic(#"{"category": "refund"}"#))
                                               : .delay(0.1, then: MockHTTPServer.openAI(#"{"category": "refund"}"#))
        }
        let dir = TempDir()
        let cases = (0..<6).map { #"{"id": "c\#($0)", "vars": {"t": "ticket \#($0)"}}"# }.joined(separator: ",")
        let suite = dir.write("s.json", """
        {"suite": "http", "backends": [
           {"id": "gpt", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "m", "apiKeyEnv": "PROCTOR_SUITE_TEST_KEY",
            "maxConcurrency": 2, "cassette": "cassettes/gpt.jsonl"},
           {"id": "claude", "type": "anthropic", "baseURL": "\(server.baseURL)", "model": "c", "apiKeyEnv": "PROCTOR_SUITE_TEST_KEY",
            "maxConcurrency": 2, "cassette": "cassettes/claude.jsonl"}],
         "prompts": [{"id": "p", "template": "Classify: {{t}}"}],
         "defaults": {"validators": [{"type": "json"}, {"type": "equals", "path": "/category", "value": "refund"}]},
         "cases": [\(cases)]}
        """)
        let out = ["--junit", dir.file("r/junit.xml"), "--json", dir.file("r/results.json"), "--markdown", dir.file("r/summary.md"),
                   "--html", dir.file("r/run.html"), "-j", "8"]
        let live = await run(["run", suite, "--record", "--repeat", "2"] + out)
        XCTAssertEqual(live.code, 0, live.err)
        XCTAssertLessThanOrEqual(server.peakConcurrency, 4, "two backends, each capped at 2 in flight")
        XCTAssertEqual(server.requests.count, 24)
        let cassette = try String(contentsOfFile: dir.file("cassettes/gpt.jsonl"), encoding: .utf8)
        XCTAssertEqual(cassette.split(separator: "\n").count, 12, "one recording per case and repeat index")

        // Replay answers everything from the cassettes: the server sees no new request.
        let before = server.requests.count
        let replay = await run(["run", suite, "--replay", "--repeat", "2"] + out)
        XCTAssertEqual(replay.code, 0, replay.err)
        XCTAssertEqual(server.requests.count, before)

        // The key appears in no file written.
        for f in ["r/junit.xml", "r/results.json", "r/summary.md", "r/run.html", "cassettes/gpt.jsonl", "cassettes/claude.jsonl"] {
            let text = try String(contentsOfFile: dir.file(f), encoding: .utf8)
            XCTAssertFalse(text.contains(Self.key), "\(f) leaks the key")
            XCTAssertFalse(text.lowercased().contains("authorization"), "\(f) mentions auth headers")
        }
        XCTAssertFalse(live.err.contains(Self.key))
        server.stop()
    }

    func testLiteralKeyInASuiteIsRejected() async {
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "gpt", "type": "openai", "model": "m", "headers": {"Authorization": "Bearer sk-abc"}}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c"}]}
        """)
        let r = await run(["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml")])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("apiKeyEnv"), r.err)
        XCTAssertFalse(r.err.contains("sk-abc"))
    }
}

final class InterruptTests: XCTestCase {
    func testCtrlCWritesWhatFinishedAndExits130() async throws {
        let dir = TempDir()
        dir.write("slow.sh", "read x; case \"$x\" in *fast*) echo ok ;; *) sleep 20; echo late ;; esac\n")
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "c", "type": "command", "argv": ["sh", "slow.sh"]}],
         "prompts": [{"id": "p", "template": "{{speed}}"}], "defaults": {"allowEmpty": true},
         "cases": [{"id": "first", "vars": {"speed": "fast"}}, {"id": "second", "vars": {"speed": "slow"}},
                   {"id": "third", "vars": {"speed": "slow"}}]}
        """)
        let interruption = Interruption()
        let console = Console(capturingWith: [:], interruption: interruption)
        let start = Date()
        let argv = ["run", suite, "-j", "1", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md"),
                    "--html", dir.file("run.html")]
        let task = Task { await Proctor.main(argv, console: console) }
        try await Task.sleep(nanoseconds: 1_500_000_000)
        interruption.fire()
        let code = await task.value
        XCTAssertEqual(code, 130)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "the running command was killed, not waited for")
        let r = try JSONParser.parse(dir.read("r.json")!)
        XCTAssertEqual(r["results"]?.arrayValue?.map { $0["status"]!.stringValue! }, ["passed", "skipped", "skipped"])
        XCTAssertEqual(r["results"]?[1]?["error"], "not run: the run was interrupted")
        XCTAssertTrue(console.capturedErr.contains("interrupted"))
        XCTAssertNotNil(dir.read("j.xml"))
        XCTAssertNotNil(dir.read("run.html"))
        XCTAssertTrue(console.capturedErr.contains(", \(dir.file("run.html"))\n"), "the reports line names the HTML file too: \(console.capturedErr)")
    }
}
