import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Results that never say more than happened: each test is a defect a new user found, checked
/// through the real CLI entry point (issue "Results that never lie").
final class TrustTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir, stdin: String = "", reports: Bool = true) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache"), "PATH": "/usr/local/bin:/usr/bin:/bin"], stdin: stdin)
        let out = reports ? ["--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"), "--markdown", dir.file("r/summary.md")] : []
        let code = await Proctor.main(argv + out, console: console)
        return (code, console.capturedOut, console.capturedErr.replacingOccurrences(of: dir.path + "/", with: ""))
    }

    func results(_ dir: TempDir) throws -> JSONValue { try JSONParser.parse(dir.read("r/results.json") ?? "") }

    // MARK: - Values changed without a word

    /// `proctor repair` reads `0x1F` as 31 and says so; `NaN` becomes null only with a lossy line
    /// on stderr, even without --explain.
    func testRepairNamesEveryChangedValue() async throws {
        let dir = TempDir()
        let hex = await run(["repair", "--explain", "-"], in: dir, stdin: #"{"a": 0x1F, "b": 1_000, "price": $5}"#, reports: false)
        XCTAssertEqual(hex.code, 0)
        XCTAssertEqual(hex.out, #"{"a":31,"b":1000,"price":"$5"}"# + "\n")
        XCTAssertTrue(hex.err.contains(#"fixedNumber at byte 6 (was "0x1F")"#), hex.err)
        XCTAssertTrue(hex.err.contains(#"fixedNumber at byte 17 (was "1_000")"#), hex.err)
        XCTAssertTrue(hex.err.contains(#"quotedValue at byte 33 (was "$5")"#), hex.err)
        XCTAssertFalse(hex.err.contains("lossy"), hex.err)
        let nan = await run(["repair", "-"], in: dir, stdin: #"{"total": NaN}"#, reports: false)
        XCTAssertEqual(nan.out, #"{"total":null}"# + "\n")
        XCTAssertEqual(nan.err, #"lossy repair: replacedNonFiniteNumber at byte 10 (was "NaN") [lossy]"# + "\n")
    }

    /// A lossy repair in a run is marked in results.json, JUnit, Markdown, HTML and on the console,
    /// and `--strict-repair` fails it.
    func testLossyRepairIsMarkedOnEverySurface() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "c", "type": "command", "argv": ["printf", "{\\"total\\": NaN, \\"n\\": 0x1F}"]}],
         "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "inv", "validators": [{"type": "json", "repair": true}, {"type": "equals", "path": "/n", "value": 31}]}]}
        """)
        let r = await run(["run", suite, "--html", dir.file("r/page.html")], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("REPAIRED (lossy) s[p@c] inv"), r.err)
        let res = try results(dir)["results"]?[0]
        XCTAssertEqual(res?["status"], "repaired")
        XCTAssertEqual(res?["lossyRepair"], true)
        XCTAssertEqual(res?["repairs"], [#"lossy: replacedNonFiniteNumber at byte 10 (was "NaN")"#, #"fixedNumber at byte 20 (was "0x1F")"#])
        XCTAssertTrue(try XCTUnwrap(dir.read("r/junit.xml")).contains("lossy: replacedNonFiniteNumber"))
        XCTAssertTrue(try XCTUnwrap(dir.read("r/summary.md")).contains("1 lossy"))
        XCTAssertTrue(try XCTUnwrap(dir.read("r/page.html")).contains("lossy repair: lossy: replacedNonFiniteNumber"))
        let strict = await run(["run", suite, "--strict-repair"], in: dir)
        XCTAssertEqual(strict.code, 1)
        XCTAssertEqual(try results(dir)["results"]?[0]?["status"], "failed")
    }

    /// One rule for the newline a program ends with: not part of the output, for a command backend
    /// exactly as for `proctor repair`.
    func testCommandOutputWithoutItsFinalNewline() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "e", "type": "command", "argv": ["echo", "refund"]},
                      {"id": "cut", "type": "command", "argv": ["printf", "{\\"vendor\\": \\"Umbre\\\\n"]}],
         "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "a", "validators": [{"type": "equals", "value": "refund"}, {"type": "ends-with", "value": "fund"},
                                              {"type": "length", "max": 6}]},
                   {"id": "b", "validators": [{"type": "json", "repair": true}]}]}
        """)
        _ = await run(["run", suite], in: dir)
        let rs = try XCTUnwrap(try results(dir)["results"]?.arrayValue)
        let a = try XCTUnwrap(rs.first { $0["case"] == "a" && $0["backend"] == "e" })
        XCTAssertEqual(a["status"], "passed", "\(a)")
        let b = try XCTUnwrap(rs.first { $0["case"] == "b" && $0["backend"] == "cut" })
        XCTAssertEqual(b["output"], #"{"vendor": "Umbre"#)
        let cli = await run(["repair", "-"], in: dir, stdin: "{\"vendor\": \"Umbre\n", reports: false)
        XCTAssertEqual(cli.out, #"{"vendor":"Umbre"}"# + "\n", "the run and the CLI read the same text")
    }

    // MARK: - Measurements that lie

    /// Command backends run side by side at -j 4, and each latency is the program's own.
    func testCommandBackendsRunConcurrently() async throws {
        let dir = TempDir()
        let cases = (0..<12).map { #"{"id": "c\#($0)"}"# }.joined(separator: ",")
        let suite = dir.write("s.json", """
        {"backends": [{"id": "c", "type": "command", "argv": ["sh", "-c", "sleep 0.2; cat"]}],
         "prompts": [{"id": "p", "template": "x"}], "defaults": {"validators": [{"type": "latency", "maxMs": 400}]},
         "cases": [\(cases)]}
        """)
        let t0 = Date()
        let r = await run(["run", suite, "-j", "4"], in: dir)
        let wall = Date().timeIntervalSince(t0)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertLessThan(wall, 12 * 0.2 / 3, "-j 4 is at least 3× faster than one at a time")
        for x in try XCTUnwrap(try results(dir)["results"]?.arrayValue) {
            XCTAssertEqual(try XCTUnwrap(x["latencyMs"]?.doubleValue), 205, accuracy: 30)
        }
    }

    /// A program killed by a signal is reported as such, and a failing command validator shows its stderr.
    func testSignalsAndStderrInMessages() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"backends": [{"id": "crash", "type": "command", "argv": ["sh", "-c", "echo dumped >&2; kill -SEGV $$"]},
                      {"id": "ok", "type": "command", "argv": ["echo", "fine"]}],
         "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "a", "validators": [{"type": "command", "argv": ["sh", "-c", "echo 'schema mismatch at /x' >&2; exit 1"]}]}]}
        """)
        _ = await run(["run", suite], in: dir)
        let rs = try XCTUnwrap(try results(dir)["results"]?.arrayValue)
        XCTAssertEqual(rs.first { $0["backend"] == "crash" }?["error"], "command 'sh' killed by SIGSEGV; stderr ends: dumped")
        let v = rs.first { $0["backend"] == "ok" }?["validators"]?[0]?["message"]?.stringValue ?? ""
        XCTAssertEqual(v, "command 'sh' exited with status 1 (stderr ends: schema mismatch at /x)")
    }

    // MARK: - Runs that do less than asked

    func twoCaseSuite(_ dir: TempDir, name: String = "s") -> String {
        dir.write("\(name).json", """
        {"suite": "\(name)", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{x}}"}],
         "cases": [{"id": "a", "vars": {"x": "yes"}, "validators": [{"type": "equals", "value": "yes"}]},
                   {"id": "b", "vars": {"x": "no"}, "validators": [{"type": "equals", "value": "yes"}]}]}
        """)
    }

    /// A results file from another suite is refused, naming what it asked for; reports stay as they were.
    func testOnlyFailingFromAnotherSuiteIsRefused() async throws {
        let dir = TempDir()
        let other = twoCaseSuite(dir, name: "other")
        _ = await run(["run", other], in: dir)
        try FileManager.default.moveItem(atPath: dir.file("r/results.json"), toPath: dir.file("other-results.json"))
        let mine = dir.write("mine.json", #"{"suite": "mine", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "z", "validators": [{"type": "equals", "value": "hi"}]}]}"#)
        let r = await run(["run", mine, "--only-failing", dir.file("other-results.json")], in: dir)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("1 of its 1 case to rerun is not in the suites given (other / b [p@e])"), r.err)
        XCTAssertNil(dir.read("r/results.json"), "nothing ran, nothing was written")
        let same = await run(["run", other, "--only-failing", dir.file("other-results.json")], in: dir)
        XCTAssertEqual(same.code, 1)
        XCTAssertEqual(try results(dir)["results"]?.arrayValue?.map { $0["case"] }, ["b"])
    }

    /// Shards differ by at most one case; an empty shard is an error unless --allow-empty, and then says so.
    func testShardsAreBalancedAndAnEmptyOneSaysSo() async throws {
        let dir = TempDir()
        let cases = (1...6).map { #"{"id": "c\#($0)", "validators": [{"type": "equals", "value": "hi"}]}"# }.joined(separator: ",")
        let suite = dir.write("s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "hi"}], "cases": [\#(cases)]}"#)
        var sizes: [Int] = []
        for k in 1...4 {
            _ = await run(["run", suite, "--shard", "\(k)/4"], in: dir)
            sizes.append(try XCTUnwrap(try results(dir)["summary"]?["total"]?.intValue))
        }
        XCTAssertEqual(sizes, [2, 2, 1, 1])
        let empty = await run(["run", suite, "--shard", "7/7", "--filter", "c[12]"], in: dir)
        XCTAssertEqual(empty.code, 2)
        XCTAssertTrue(empty.err.contains("--shard 7/7 selects no case"), empty.err)
        let allowed = await run(["run", suite, "--shard", "7/7", "--filter", "c[12]", "--allow-empty"], in: dir)
        XCTAssertEqual(allowed.code, 0)
        XCTAssertTrue(allowed.err.contains("no case ran: the selection is empty"), allowed.err)
    }

    /// No report may be written over a file the run reads.
    func testReportsNeverOverwriteInputs() async throws {
        let dir = TempDir()
        dir.write("cases.jsonl", #"{"id": "a", "vars": {"x": "hi"}}"# + "\n")
        dir.write("schema.json", #"{"type": "string"}"#)
        let suite = dir.write("s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{x}}"}], "defaults": {"validators": [{"type": "json-schema", "schema": "schema.json"}]}, "casesFrom": ["cases.jsonl"]}"#)
        let before = try XCTUnwrap(dir.read("s.json"))
        for (flag, target, what) in [("--json", "s.json", "the suite"), ("--junit", "cases.jsonl", "a file suite s reads"),
                                     ("--markdown", "schema.json", "a file suite s reads")] {
            let r = await run(["run", suite, flag, dir.file(target)], in: dir, reports: false)
            XCTAssertEqual(r.code, 2, "\(flag) \(target)")
            XCTAssertTrue(r.err.contains("\(flag) \(target) would overwrite \(what)"), r.err)
        }
        XCTAssertEqual(dir.read("s.json"), before, "the suite is untouched")
        _ = await run(["run", suite], in: dir)
        let merged = await run(["merge", dir.file("r/results.json"), "--json", dir.file("r/results.json")], in: dir, reports: false)
        XCTAssertEqual(merged.code, 2)
        XCTAssertTrue(merged.err.contains("would overwrite the shard results"), merged.err)
        let diff = await run(["diff", dir.file("r/results.json"), dir.file("r/results.json"), "--markdown", dir.file("r/results.json")], in: dir, reports: false)
        XCTAssertEqual(diff.code, 2)
        XCTAssertTrue(diff.err.contains("would overwrite the results file"), diff.err)
    }

    /// Files reached through a schema's `$ref`, a suite's cases and a promptfoo configuration's
    /// `file://` references are inputs too: no output of run, generate or import lands on one.
    func testReferencedFilesAreInputsToo() async throws {
        let dir = TempDir()
        dir.write("num.json", #"{"type": "string"}"#)
        dir.write("top.json", #"{"$ref": "num.json"}"#)
        dir.write("cases.jsonl", #"{"id": "a", "vars": {"x": "hi"}}"# + "\n")
        let suite = dir.write("s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{x}}"}], "defaults": {"validators": [{"type": "json-schema", "schema": "top.json"}]}, "casesFrom": ["cases.jsonl"]}"#)
        let num = try XCTUnwrap(dir.read("num.json"))
        let run1 = await run(["run", suite, "--json", dir.file("num.json")], in: dir, reports: false)
        XCTAssertEqual(run1.code, 2)
        XCTAssertTrue(run1.err.contains("num.json would overwrite a file suite s reads"), run1.err)
        let gen = await run(["generate", "cases", "--schema", dir.file("top.json"), "--out", dir.file("num.json")], in: dir, reports: false)
        XCTAssertEqual(gen.code, 2)
        XCTAssertTrue(gen.err.contains("would overwrite a schema it references"), gen.err)
        let fromSuite = await run(["generate", "cases", "--from-suite", suite, "--backend", "e", "--out", dir.file("cases.jsonl")], in: dir, reports: false)
        XCTAssertEqual(fromSuite.code, 2)
        XCTAssertTrue(fromSuite.err.contains("would overwrite a file the suite reads"), fromSuite.err)
        XCTAssertEqual(dir.read("num.json"), num)
        XCTAssertEqual(dir.read("cases.jsonl"), #"{"id": "a", "vars": {"x": "hi"}}"# + "\n")
        dir.write("tests.yaml", "- vars: {name: Ada}\n  assert:\n    - type: contains\n      value: Ada\n")
        dir.write("p.txt", "Hello {{name}}")
        let config = dir.write("promptfooconfig.yaml", "prompts:\n  - file://p.txt\nproviders:\n  - openai:gpt-4o-mini\ntests: file://tests.yaml\n")
        for target in ["tests.yaml", "p.txt"] {
            let before = dir.read(target)
            let r = await run(["import", "promptfoo", config, "--out", dir.file(target), "--force"], in: dir, reports: false)
            XCTAssertEqual(r.code, 2, target)
            XCTAssertTrue(r.err.contains("would overwrite a file the configuration names"), r.err)
            XCTAssertEqual(dir.read(target), before, target)
        }
    }

    /// `--backend e` builds only that backend: another backend's missing API key does not matter.
    func testOnlySelectedBackendsNeedTheirKeys() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "e", "type": "echo"}, {"id": "claude", "type": "anthropic", "model": "claude-x"}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "hi"}]}]}
        """)
        let all = await run(["run", suite], in: dir)
        XCTAssertEqual(all.code, 2)
        XCTAssertTrue(all.err.contains("ANTHROPIC_API_KEY"), all.err)
        let one = await run(["run", suite, "--backend", "e"], in: dir)
        XCTAssertEqual(one.code, 0, one.err)
        // A grader no check asks is not built either; one a check asks is.
        let graded = dir.write("g.json", """
        {"suite": "g", "backends": [{"id": "e", "type": "echo"}], "graders": [{"id": "judge", "type": "openai", "model": "gpt-4o-mini"}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "hi"}]}]}
        """)
        let unused = await run(["run", graded, "--backend", "e"], in: dir)
        XCTAssertEqual(unused.code, 0, unused.err)
        let asked = dir.write("h.json", """
        {"suite": "h", "backends": [{"id": "e", "type": "echo"}], "graders": [{"id": "judge", "type": "openai", "model": "gpt-4o-mini"}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "rubric", "rubric": "says hi", "grader": "judge"}]}]}
        """)
        let needed = await run(["run", asked, "--backend", "e"], in: dir)
        XCTAssertEqual(needed.code, 2)
        XCTAssertTrue(needed.err.contains("OPENAI_API_KEY"), needed.err)
    }

    // MARK: - One rule everywhere

    /// `model generate` checks sampling flags with the suites' rule and words.
    func testModelGenerateChecksSamplingOptions() async throws {
        let dir = TempDir()
        let model = SharedData.projectRoot.appendingPathComponent("fixtures/models/random-tiny.bin").path
        let tok = SharedData.projectRoot.appendingPathComponent("fixtures/models/random-tiny.tokenizer.bin").path
        for (flag, value, message) in [("--temperature", "-1", "--temperature must be a number ≥ 0 (0 is greedy), found -1"),
                                       ("--top-p", "2", "--top-p must be a number greater than 0 and at most 1, found 2"),
                                       ("--top-p", "0", "--top-p must be a number greater than 0 and at most 1, found 0"),
                                       ("--seed", "-3", "--seed must be an integer from 0 to 18446744073709551615, found -3"),
                                       ("--max-tokens", "0", "--max-tokens must be a positive integer, found 0")] {
            let r = await run(["model", "generate", model, "--tokenizer", tok, "--prompt", "hi", flag, value], in: dir, reports: false)
            XCTAssertEqual(r.code, 2, "\(flag) \(value)")
            XCTAssertTrue(r.err.contains(message), r.err)
        }
        let big = await run(["model", "generate", model, "--tokenizer", tok, "--prompt", "hi", "--steps", "4", "--seed", "18446744073709551615",
                             "--temperature", "1"], in: dir, reports: false)
        XCTAssertEqual(big.code, 0, big.err)
    }

    /// A grader score outside [0, 1] is a grader error both ways, never a pass.
    func testGraderScoresOutOfRangeAreErrors() async throws {
        let dir = TempDir()
        for answer in [#"{\"score\": -3, \"pass\": true}"#, #"{\"score\": 1.7}"#] {
            dir.write("judge.sh", "cat >/dev/null; printf '%s' '\(answer.replacingOccurrences(of: "\\", with: ""))'\n")
            let suite = dir.write("s.json", """
            {"suite": "s", "backends": [{"id": "e", "type": "echo"}], "graders": [{"id": "judge", "type": "command", "argv": ["sh", "judge.sh"]}],
             "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "rubric", "rubric": "polite", "grader": "judge"}]}]}
            """)
            let r = await run(["run", suite], in: dir)
            XCTAssertEqual(r.code, 1, answer)
            let v = try results(dir)["results"]?[0]?["validators"]?[0]
            XCTAssertEqual(v?["evaluated"], false, "\(answer): \(String(describing: v))")
            XCTAssertTrue(v?["message"]?.stringValue?.contains("outside 0 to 1") == true, "\(String(describing: v))")
        }
    }

    /// `merge` prints the same summary line as `run`.
    func testMergeSaysWhatRunSays() async throws {
        let dir = TempDir()
        let suite = twoCaseSuite(dir)
        var files: [String] = []
        for k in 1...2 {
            _ = await run(["run", suite, "--shard", "\(k)/2"], in: dir)
            try FileManager.default.moveItem(atPath: dir.file("r/results.json"), toPath: dir.file("shard\(k).json"))
            files.append(dir.file("shard\(k).json"))
        }
        let m = await run(["merge"] + files + ["--json", dir.file("merged.json")], in: dir, reports: false)
        XCTAssertEqual(m.code, 1)
        XCTAssertEqual(m.err, "proctor merge: 2 shards: 1 passed · 1 failed · 0 errors of 2 cases (pass rate 50.0 %)\n")
    }

    /// `diff` names the status change and its reason, not only "score +0.00".
    func testDiffNamesAStrictRepairRegression() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "c", "type": "command", "argv": ["printf", "{\\"a\\": 1,}"]}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "a", "validators": [{"type": "json", "repair": true}]}]}
        """)
        _ = await run(["run", suite], in: dir)
        try FileManager.default.moveItem(atPath: dir.file("r/results.json"), toPath: dir.file("base.json"))
        _ = await run(["run", suite, "--strict-repair"], in: dir)
        let d = await run(["diff", dir.file("base.json"), dir.file("r/results.json")], in: dir, reports: false)
        XCTAssertTrue(d.out.contains("REGRESSED s / a [p@c]: repaired → failed (score +0.00): strict-repair: passed only after JSON repair"), d.out)
    }

    /// A schema that only refers to itself is a bad schema (exit 2), not an invalid instance.
    func testReferenceCycleIsABadSchema() async throws {
        let dir = TempDir()
        dir.write("cyc.json", ##"{"$ref": "#"}"##)
        dir.write("x.json", "{}")
        let r = await run(["validate", "--schema", dir.file("cyc.json"), dir.file("x.json")], in: dir, reports: false)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("a reference cycle that never reaches a keyword of the instance: # → #"), r.err)
    }

    // MARK: - Inputs accepted that should not be

    func testInitChecksTheModelAndThePath() async throws {
        let dir = TempDir()
        dir.writeBytes("junk.bin", (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        dir.writeBytes("junk.tokenizer.bin", (0..<100).map { UInt8($0) })
        let junk = await run(["init", dir.file("site"), "--model", dir.file("junk.bin")], in: dir, reports: false)
        XCTAssertEqual(junk.code, 2)
        XCTAssertTrue(junk.err.contains("is not a llama2.c checkpoint Proctor can run"), junk.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("site/suites")), "nothing written")
        dir.write("afile", "x")
        let file = await run(["init", dir.file("afile")], in: dir, reports: false)
        XCTAssertEqual(file.code, 2)
        XCTAssertTrue(file.err.contains("afile is a file, not a folder"), file.err)
        XCTAssertFalse(file.err.contains("NSCocoaErrorDomain"), file.err)
    }

    func testDuplicateCSVColumnIsAnError() async throws {
        let dir = TempDir()
        dir.write("c.csv", "id,x,x\na,1,2\n")
        let suite = dir.write("s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{x}}"}], "defaults": {"allowEmpty": true}, "casesFrom": ["c.csv"]}"#)
        let r = await run(["run", suite], in: dir)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("c.csv:1:6: column 'x' appears twice in the header (columns 2 and 3)"), r.err)
    }

    /// Case files are located by clean paths (no `..`), the same in results.json, JUnit and annotations.
    func testCaseFilesHaveCleanPaths() async throws {
        let dir = TempDir()
        dir.write("exp.csv", "id,x\na,no\n")
        let suite = dir.write("suites/s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{x}}"}], "defaults": {"validators": [{"type": "equals", "value": "yes"}]}, "casesFrom": ["../exp.csv"]}"#)
        let console = Console(capturingWith: ["GITHUB_ACTIONS": "true"], workingDirectory: dir.path)
        _ = await Proctor.main(["run", suite, "--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"), "--markdown", dir.file("r/s.md"),
                                "--junit-file-attributes"], console: console)
        XCTAssertEqual(try results(dir)["results"]?[0]?["file"], "exp.csv")
        XCTAssertTrue(try XCTUnwrap(dir.read("r/junit.xml")).contains(#"file="exp.csv""#))
        XCTAssertTrue(console.capturedOut.contains("::error file=exp.csv,line=2"), console.capturedOut)
        // Inside a repository, run from a subfolder: inline and casesFrom cases share one base, the repository root.
        try FileManager.default.createDirectory(atPath: dir.file(".git"), withIntermediateDirectories: true)
        let mixed = dir.write("suites/m.json", #"{"suite": "m", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{x}}"}], "defaults": {"validators": [{"type": "equals", "value": "yes"}]}, "cases": [{"id": "inline", "vars": {"x": "no"}}], "casesFrom": ["../exp.csv"]}"#)
        let sub = Console(capturingWith: ["GITHUB_ACTIONS": "true"], workingDirectory: dir.file("suites"))
        let code = await Proctor.main(["run", mixed, "--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"), "--junit-file-attributes"], console: sub)
        XCTAssertEqual(code, 1, sub.capturedErr)
        XCTAssertEqual(try results(dir)["results"]?.arrayValue?.compactMap { $0["file"]?.stringValue }.sorted(), ["exp.csv", "suites/m.json"])
        XCTAssertTrue(try XCTUnwrap(dir.read("r/junit.xml")).contains(#"file="suites/m.json""#))
        XCTAssertTrue(sub.capturedOut.contains("::error file=suites/m.json,line="), sub.capturedOut)
        XCTAssertTrue(sub.capturedOut.contains("::error file=exp.csv,line=2"), sub.capturedOut)
        let r = await run(["run", dir.file("nothing-here")], in: dir)
        XCTAssertEqual(r.code, 2)
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        let e = await run(["run", dir.file("empty")], in: dir)
        XCTAssertTrue(e.err.contains("*.json, *.jsonc, *.yaml or *.yml"), e.err)
    }
}
