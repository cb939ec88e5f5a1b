import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `proctor model quantize` and int8 files through every command that takes a model.
final class ModelQuantizeTests: XCTestCase {
    func run(_ argv: [String]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func testQuantizeInfoGenerateAndSuite() async throws {
        let dir = TempDir()
        let q = dir.file("q.bin")
        let tok = try SharedData.path("models/ref-tiny/tokenizer.bin")
        let made = await run(["model", "quantize", try SharedData.path("models/ref-tiny/model.bin"), q, "--group-size", "64"])
        XCTAssertEqual(made.code, 0, made.err)
        XCTAssertTrue(made.out.contains("group size 64"), made.out)
        XCTAssertTrue(made.err.contains("hidden 172 is not a multiple of the group size 64"), made.err)

        let info = await run(["model", "info", q, "--json"])
        let v = try JSONParser.parse(info.out)
        XCTAssertEqual(v["format"], "q8_0")
        XCTAssertEqual(v["groupSize"], 64)
        XCTAssertEqual(v["formatVersion"], 2)

        // Greedy generation from the command line is runq.c's, token for token.
        let ref = try JSONParser.parse(String(contentsOfFile: try SharedData.path("models/ref-tiny-q80/greedy.json"), encoding: .utf8))
        let gen = await run(["model", "generate", q, "--tokenizer", tok, "--prompt", "Once upon a time", "--steps", "128", "--no-stop", "--json", "--threads", "2"])
        XCTAssertEqual(gen.code, 0, gen.err)
        XCTAssertEqual(try JSONParser.parse(gen.out)["generatedTokenIds"], ref["generated_token_ids"])

        // The builtin backend takes the int8 file as it is.
        try FileManager.default.copyItem(atPath: tok, toPath: dir.file("t.bin"))
        let suite = dir.write("s.json", """
        {"backends": [{"id": "b", "type": "builtin", "model": "q.bin", "tokenizer": "t.bin", "maxTokens": 6}],
         "prompts": [{"id": "p", "template": "Once upon {{x}}"}],
         "cases": [{"id": "c", "vars": {"x": "a time"}, "validators": [{"type": "tokens", "max": 6}]}]}
        """)
        let r = await run(["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml")])
        XCTAssertEqual(r.code, 0, r.err)
        let res = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))
        XCTAssertEqual(res["results"]?[0]?["usage"]?["outputTokens"], 6)

        // Refusals: missing paths, an int8 input, a group size below 4.
        let usage = await run(["model", "quantize", q])
        XCTAssertEqual(usage.code, 2)
        let again = await run(["model", "quantize", q, dir.file("qq.bin")])
        XCTAssertEqual(again.code, 2)
        XCTAssertTrue(again.err.contains("already int8"), again.err)
        let small = await run(["model", "quantize", try SharedData.path("models/ref-tiny/model.bin"), dir.file("q2.bin"), "--group-size", "2"])
        XCTAssertEqual(small.code, 2)
        XCTAssertTrue(small.err.contains("at least 4"), small.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("q2.bin")))
    }
}

/// `proctor model eval --json`: per-task counts that add up.
final class ModelEvalTests: XCTestCase {
    func testEvalJSONCountsPerTask() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(["model", "eval", root + "/fixtures/models/proctor-tiny.bin", "--tokenizer", root + "/fixtures/models/proctor-tiny.tokenizer.bin",
                                       "--corpus", root + "/fixtures/corpus/heldout.txt", "--limit", "24", "--json", "--threads", "1"], console: console)
        XCTAssertEqual(code, 0, console.capturedErr)
        let v = try JSONParser.parse(console.capturedOut)
        XCTAssertEqual(v["n"], 24)
        guard case .object(let tasks)? = v["tasks"] else { return XCTFail("no tasks") }
        XCTAssertGreaterThanOrEqual(tasks.count, 3)
        var n = 0, valid = 0, exact = 0
        for (_, t) in tasks {
            let tn = t["n"]!.intValue!, tv = t["validJSON"]!.intValue!, te = t["exact"]!.intValue!
            XCTAssertTrue(te <= tv && tv <= tn)
            n += tn; valid += tv; exact += te
        }
        XCTAssertEqual(n, 24)
        XCTAssertEqual(valid, v["validJSON"]?.intValue)
        XCTAssertEqual(exact, v["exact"]?.intValue)
        XCTAssertGreaterThanOrEqual(exact, 18, "the default model answers at least three quarters of these held-out prompts exactly (95.9 % of all 800)")
    }
}
