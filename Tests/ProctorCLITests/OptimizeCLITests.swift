import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `proctor optimize` from the command line, on the example suite and the built-in model.
final class OptimizeCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func run(_ argv: [String]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:], stdin: nil)
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    /// The example suite in a scratch folder that sees the real fixtures, so `--out` can be written beside it.
    func scratch() throws -> (dir: TempDir, suite: String) {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("suites"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.file("fixtures"), withDestinationPath: Self.root + "/fixtures")
        let text = try String(contentsOfFile: Self.root + "/suites/optimize-me.json", encoding: .utf8)
        return (dir, dir.write("suites/optimize-me.json", text))
    }

    func testTheExampleIsImprovedAndWrittenBack() async throws {
        let (dir, suite) = try scratch()
        let out = dir.file("suites/optimize-me.opt.json")
        let r = await run(["optimize", suite, "--prompt", "ask", "--out", out, "--json", dir.file("o.json"), "--markdown", dir.file("o.md"),
                           "--html", dir.file("o.html")])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("significant improvement on the held-out split"), r.out)
        let report = try JSONParser.parse(try XCTUnwrap(dir.read("o.json")))
        XCTAssertEqual(report["heldOut"]?["significant"], true)
        XCTAssertEqual(report["heldOut"]?["start"]?["passes"], 0)
        let held = try XCTUnwrap(report["heldOut"]?["winner"]?["cases"]?.numberValue?.double)
        XCTAssertGreaterThan(try XCTUnwrap(report["heldOut"]?["winner"]?["passes"]?.numberValue?.double), held / 2, "the winner passes most held-out cases")
        XCTAssertEqual(report["written"]?.stringValue, out)
        let candidates = try XCTUnwrap(report["candidates"]?.arrayValue)
        XCTAssertLessThanOrEqual(candidates.count, 24)
        let winner = try XCTUnwrap(candidates.first { $0["id"] == report["winner"] })
        XCTAssertEqual(winner["fate"], "winner")
        XCTAssertTrue(winner["diff"]?.arrayValue?.contains { $0.stringValue?.hasPrefix("+ ") ?? false } ?? false)
        // The copy keeps the original's comments and adds ask-opt last; it loads and runs.
        let copy = try XCTUnwrap(dir.read("suites/optimize-me.opt.json"))
        XCTAssertTrue(copy.hasPrefix("// A prompt for `proctor optimize` to improve."))
        let loaded = try SuiteLoader().load(out)
        XCTAssertEqual(loaded.prompts.map(\.id), ["ask", "ask-opt"])
        let md = try XCTUnwrap(dir.read("o.md"))
        XCTAssertTrue(md.contains("| held-out split (") && md.contains("exact McNemar p ="), md)
        XCTAssertTrue(try XCTUnwrap(dir.read("o.html")).contains("<details open>"))
        // Optimizing again into a suite that has ask-opt already is refused before anything runs.
        let again = await run(["optimize", out, "--prompt", "ask", "--out", dir.file("suites/x.json")])
        XCTAssertEqual(again.code, 2)
        XCTAssertTrue(again.err.contains("already has a prompt version 'ask-opt'"), again.err)
    }

    func testTheDefaultModelDeclaresItsTrainingFormat() throws {
        let suite = try SuiteLoader().load(Self.root + "/suites/json-tasks.json")
        let session = try RunSession(suites: [suite])
        XCTAssertEqual(session.backend("tiny")?.backend.promptFormat, "Task: {{system}}\nInput: {{user}}\nJSON:",
                       "under the plain prompt (user message + newline) this is exactly the training format")
        let dir = TempDir()
        let own = dir.write("s.json", """
        { "suite": "s", "backends": [{"id": "m", "type": "builtin", "model": "\(Self.root)/fixtures/models/proctor-tiny.bin",
          "tokenizer": "\(Self.root)/fixtures/models/proctor-tiny.tokenizer.bin", "template": "model"}],
          "prompts": [{"id": "p", "template": "{{x}}"}], "cases": [{"id": "c", "vars": {"x": "y"}, "validators": [{"type": "json"}]}] }
        """)
        let s2 = try SuiteLoader().load(own)
        XCTAssertNil(try RunSession(suites: [s2]).backend("m")?.backend.promptFormat, "a backend that applies the format itself declares none")
    }

    func testUsageErrorsAndNoImprovementLeavesTheSuiteAlone() async throws {
        let dir = TempDir()
        _ = dir.write("never.sh", "#!/bin/sh\ncat > /dev/null\necho nope\n")
        let suite = dir.write("s.json", """
        { "suite": "never", "backends": [{"id": "b", "type": "command", "argv": ["sh", "never.sh"]}, {"id": "b2", "type": "command", "argv": ["sh", "never.sh"]}],
          "prompts": [{"id": "plain", "template": "Say {{x}}"}],
          "cases": [\((0..<6).map { "{\"id\": \"n\($0)\", \"vars\": {\"x\": \"v\($0)\"}, \"validators\": [{\"type\": \"json\"}]}" }.joined(separator: ","))] }
        """)
        for (argv, message) in [
            (["optimize", suite], "needs --prompt ID"),
            (["optimize", suite, "--prompt", "plain", "--holdout", "1.5"], "--holdout expects a fraction"),
            (["optimize", suite, "--prompt", "plain", "--force"], "--force only matters with --out"),
            (["optimize", suite, "--prompt", "plain"], "has 2 backends (b, b2); say which to optimize for with --backend"),
            (["optimize", suite, "--prompt", "plian", "--backend", "b"], "no prompt version 'plian'; did you mean 'plain'?"),
        ] {
            let r = await run(argv)
            XCTAssertEqual(r.code, 2, argv.joined(separator: " "))
            XCTAssertTrue(r.err.contains(message), "\(argv): \(r.err)")
        }
        let r = await run(["optimize", suite, "--prompt", "plain", "--backend", "b", "--budget", "4", "--out", dir.file("new.json")])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("--out not written: no candidate did better than the starting prompt"), r.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("new.json")))
    }
}
