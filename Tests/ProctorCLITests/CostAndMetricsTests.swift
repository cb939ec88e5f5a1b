import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Costs and named metrics through the CLI against the loopback server: each result's cost from its
/// usage and its backend's pricing, totals per prompt × backend on every report, the `cost`
/// validator, `--max-cost`, and `metric` names summarised with Wilson intervals.
final class CostAndMetricsTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache"), "OPENAI_API_KEY": "k-test"])
        let code = await Proctor.main(argv + ["--no-cache", "--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"),
                                              "--markdown", dir.file("r/s.md")], console: console)
        return (code, console.capturedErr)
    }

    func report(_ dir: TempDir) throws -> JSONValue { try JSONParser.parse(dir.read("r/results.json") ?? "") }

    /// Five cases on a server that reports 7 prompt and 3 output tokens per answer, priced at $1 a token.
    func suite(_ dir: TempDir, _ server: MockHTTPServer, validators: String = #"[{"type": "contains", "value": "Paris", "metric": "accuracy"}, {"type": "cost", "maxUsd": 12}]"#) -> String {
        let cases = (1...5).map { #"{"id": "c\#($0)", "vars": {"q": "q\#($0)"}}"# }.joined(separator: ", ")
        return dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "o", "type": "openai", "model": "m", "baseURL": "\(server.baseURL)",
           "pricing": {"inputPerMillion": 1000000, "outputPerMillion": 1000000}}],
         "prompts": [{"id": "p", "template": "{{q}}"}], "defaults": {"validators": \(validators)}, "cases": [\(cases)]}
        """)
    }

    func testCostsPerResultTotalsTheCostValidatorAndMetrics() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("Paris") }
        defer { server.stop() }
        server.enqueue(MockHTTPServer.openAI("Lyon"), MockHTTPServer.openAI("Paris"), MockHTTPServer.openAI("Lyon"), MockHTTPServer.openAI("Paris"),
                       MockHTTPServer.openAI("Lyon"))
        let dir = TempDir()
        let r = await run(["run", suite(dir, server), "-j", "1", "--html", dir.file("r/run.html")], in: dir)
        XCTAssertEqual(r.code, 1, r.err)
        let html = try XCTUnwrap(dir.read("r/run.html"))
        XCTAssertTrue(html.contains("<h2>Cost and metrics</h2>") && html.contains("$50.000000") && html.contains("accuracy 40.0% (95% CI 11.8–76.9%"), "html")
        XCTAssertTrue(r.err.contains("cost: $50.000000 for 5 priced answers ($50.000000 spent in this run)"), r.err)
        let j = try report(dir)
        for res in try XCTUnwrap(j["results"]?.arrayValue) {
            XCTAssertEqual(res["costUsd"], 10)
            XCTAssertEqual(res["validators"]?[1]?["pass"], true, "$10 ≤ $12")
        }
        let row = try XCTUnwrap(j["breakdown"]?[0])
        XCTAssertEqual(row["costUsd"], 50)
        XCTAssertEqual(row["spentUsd"], 50)
        let metric = try XCTUnwrap(row["metrics"]?[0])
        XCTAssertEqual(metric["name"], "accuracy")
        XCTAssertEqual(metric["checks"], 5)
        XCTAssertEqual(metric["passes"], 2)
        XCTAssertEqual(metric["passRate"], 0.4)
        XCTAssertEqual(try XCTUnwrap(metric["wilsonLow"]?.doubleValue), 0.1176, accuracy: 0.0001)
        let junit = try XCTUnwrap(dir.read("r/junit.xml"))
        XCTAssertTrue(junit.contains(#"<property name="costUsd" value="50.000000"/>"#) && junit.contains(#"<property name="metric.accuracy" value="pass rate 0.4000"#), junit)
        let md = try XCTUnwrap(dir.read("r/s.md"))
        XCTAssertTrue(md.contains("### Cost and metrics") && md.contains("$50.000000") && md.contains("accuracy 40.0% (11.8–76.9%; 0.400)"), md)
        // The diff reports each metric on both sides.
        try FileManager.default.copyItem(atPath: dir.file("r/results.json"), toPath: dir.file("base.json"))
        let head = await run(["run", suite(dir, server)], in: dir)
        XCTAssertEqual(head.code, 0, head.err)
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(["diff", dir.file("base.json"), dir.file("r/results.json"), "--markdown", dir.file("d.md"), "--json", dir.file("d.json"),
                                       "--html", dir.file("d.html"), "--comment", dir.file("c.md")], console: console)
        XCTAssertEqual(code, 0, console.capturedErr)
        XCTAssertTrue(console.capturedOut.contains("metric accuracy: 40.0% (2/5, 95% CI 11.8–76.9%) → 100.0% (5/5"), console.capturedOut)
        XCTAssertTrue(try XCTUnwrap(dir.read("d.html")).contains("<td>accuracy</td><td>40.0% (2/5"))
        XCTAssertTrue(try XCTUnwrap(dir.read("c.md")).contains("Metric accuracy: 40.0% → **100.0%**"))
        XCTAssertTrue(try XCTUnwrap(dir.read("d.md")).contains("| metric accuracy | 40.0% (2/5, 95% CI 11.8–76.9%); mean score 0.400 | 100.0% (5/5, 95% CI 56.6–100.0%); mean score 1.000 |"),
                      dir.read("d.md") ?? "")
        let dj = try JSONParser.parse(dir.read("d.json") ?? "")
        XCTAssertEqual(dj["metrics"]?[0]?["head"]?["passRate"], 1)
        // A tighter price limit fails every case, naming the cost.
        let tight = await run(["run", suite(dir, server, validators: #"[{"type": "cost", "maxUsd": 5}]"#)], in: dir)
        XCTAssertEqual(tight.code, 1)
        XCTAssertEqual(try report(dir)["results"]?[0]?["validators"]?[0]?["message"], "cost $10.000000 is above the maximum $5.0")
    }

    /// A metric goes on a case's own validator; one nested in any/all is a load error. Replayed answers are not spent.
    func testNestedMetricsAreRefusedAndReplaysAreNotSpent() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("Paris") }
        defer { server.stop() }
        let dir = TempDir()
        let nested = await run(["run", suite(dir, server, validators: #"[{"type": "all", "validators": [{"type": "contains", "value": "P", "metric": "acc"}]}]"#)], in: dir)
        XCTAssertEqual(nested.code, 2)
        XCTAssertTrue(nested.err.contains("\"metric\" goes on the top-level validator"), nested.err)
        let s = dir.write("c.json", """
        {"suite": "c", "backends": [{"id": "o", "type": "openai", "model": "m", "baseURL": "\(server.baseURL)", "cassette": "c.jsonl",
           "pricing": {"inputPerMillion": 1000000, "outputPerMillion": 1000000}}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "contains", "value": "P"}]}]}
        """)
        let rec = await run(["run", s, "--record"], in: dir)
        XCTAssertEqual(rec.code, 0, rec.err)
        let rep = await run(["run", s, "--replay"], in: dir)
        XCTAssertEqual(rep.code, 0, rep.err)
        XCTAssertTrue(rep.err.contains("cost: $10.000000 for 1 priced answer ($0.000000 spent in this run)"), rep.err)
        XCTAssertEqual(try report(dir)["breakdown"]?[0]?["spentUsd"], 0)
    }

    /// With --repeat, each case carries pass@k and pass^k, and their means per prompt × backend.
    func testPassAtKAndPassHatKWithRepeats() async throws {
        let dir = TempDir()
        // Repeats 0 and 1 answer "yes", 2 and 3 "no": 2 of 4 samples pass.
        let s = dir.write("k.json", #"{"suite": "k", "backends": [{"id": "c", "type": "command", "argv": ["sh", "-c", "if [ \"$PROCTOR_REPEAT\" -lt 2 ]; then echo yes; else echo no; fi"]}], "prompts": [{"id": "p", "template": "x"}], "options": {"minPassRate": 0.5}, "cases": [{"id": "a", "validators": [{"type": "equals", "value": "yes"}]}]}"#)
        let console = Console(capturingWith: ["PATH": "/usr/bin:/bin"])
        let code = await Proctor.main(["run", s, "--repeat", "4", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")], console: console)
        XCTAssertEqual(code, 0, console.capturedErr)
        let j = try JSONParser.parse(dir.read("r.json") ?? "")
        let c = try XCTUnwrap(j["cases"]?[0])
        XCTAssertEqual(c["passes"], 2)
        // n = 4, c = 2: pass@1 0.5, pass@2 1 − 1/6, pass@3 1; pass^1 0.5, pass^2 1/6, pass^3 0.
        XCTAssertEqual(c["passAtK"], ["1": 0.5, "2": 0.8333, "3": 1, "4": 1])
        XCTAssertEqual(c["passHatK"], ["1": 0.5, "2": 0.1667, "3": 0, "4": 0])
        XCTAssertEqual(j["breakdown"]?[0]?["passHatK"]?["2"], 0.1667)
        XCTAssertTrue(try XCTUnwrap(dir.read("s.md")).contains("k=2: 0.833 · 0.167"))
    }

    func testMaxCostStopsStartingRequestsAndSaysWhy() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("Paris") }
        defer { server.stop() }
        let dir = TempDir()
        let r = await run(["run", suite(dir, server), "-j", "1", "--max-cost", "25"], in: dir)
        XCTAssertEqual(r.code, 1, "cases not run because of the budget fail the run: \(r.err)")
        XCTAssertEqual(server.requests.count, 2, "$10 each: a third would pass $25")
        let results = try XCTUnwrap(try report(dir)["results"]?.arrayValue)
        XCTAssertEqual(results.filter { $0["status"] == "skipped" }.count, 3)
        XCTAssertTrue(results.last?["error"]?.stringValue?.contains("--max-cost $25.000000 would be passed ($20.000000 spent") == true, "\(String(describing: results.last))")
        // In parallel too: no request starts before the first price is known, nor one that could pass the budget.
        let parallel = await run(["run", suite(dir, server), "-j", "4", "--max-cost", "25"], in: dir)
        XCTAssertEqual(parallel.code, 1)
        XCTAssertEqual(server.requests.count, 4, "two more requests, at -j 4: \(parallel.err)")
        XCTAssertEqual(try report(dir)["breakdown"]?[0]?["spentUsd"], 20)
        XCTAssertTrue(parallel.err.contains("3 cases not run: --max-cost $25.000000 would be passed"), parallel.err)
        // A cost check on an unpriced backend is a load error.
        dir.write("v.json", """
        {"suite": "v", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "hi"}],
         "cases": [{"id": "a", "validators": [{"type": "cost", "maxUsd": 1}]}]}
        """)
        let v = await run(["run", dir.file("v.json")], in: dir)
        XCTAssertEqual(v.code, 2)
        XCTAssertTrue(v.err.contains("a 'cost' check needs backend 'e' priced"), v.err)
        // A backend without pricing cannot be budgeted.
        dir.write("u.json", """
        {"suite": "u", "backends": [{"id": "o", "type": "openai", "model": "my-own-model", "baseURL": "\(server.baseURL)"}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "contains", "value": "P"}]}]}
        """)
        let u = await run(["run", dir.file("u.json"), "--max-cost", "1"], in: dir)
        XCTAssertEqual(u.code, 2)
        XCTAssertTrue(u.err.contains("backend u/o has no pricing"), u.err)
    }

    func testPricesFromTheTableAndBadPricing() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("Paris") }
        defer { server.stop() }
        let dir = TempDir()
        let s = dir.write("t.json", """
        {"suite": "t", "backends": [{"id": "o", "type": "openai", "model": "gpt-4o-mini-2024-07-18", "baseURL": "\(server.baseURL)"}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "contains", "value": "P"}]}]}
        """)
        let r = await run(["run", s], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        // 7 × $0.15 + 3 × $0.60 per million.
        XCTAssertEqual(try XCTUnwrap(try report(dir)["results"]?[0]?["costUsd"]?.doubleValue), 0.00000285, accuracy: 1e-12)
        for (pricing, message) in [(#"{"inputPerMillion": -1, "outputPerMillion": 2}"#, "\"inputPerMillion\" must be a price"),
                                   (#"{"inputPerMillion": 1}"#, "needs \"outputPerMillion\""),
                                   (#"{"input": 1, "outputPerMillion": 2}"#, "unknown key \"input\"")] {
            let b = dir.write("b.json", """
            {"suite": "b", "backends": [{"id": "o", "type": "openai", "model": "m", "baseURL": "\(server.baseURL)", "pricing": \(pricing)}],
             "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "contains", "value": "P"}]}]}
            """)
            let e = await run(["run", b], in: dir)
            XCTAssertEqual(e.code, 2, pricing)
            XCTAssertTrue(e.err.contains("b.json:1:") && e.err.contains(message), "\(pricing): \(e.err)")
        }
    }
}
