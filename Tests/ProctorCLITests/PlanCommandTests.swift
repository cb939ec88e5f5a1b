import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `proctor plan` through the CLI: cases needed, the detectable change, a run's own discordance,
/// and bad input.
final class PlanCommandTests: XCTestCase {
    func cli(_ argv: [String]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func testCasesNeededDetectableChangeAndAnObservedRun() async throws {
        // 249 cases: the exact test's count for Q 0.3, D 0.1 (checked against scipy in StatisticsTests).
        let needed = await cli(["plan", "--baseline", "0.6", "--detect", "0.1", "--discordance", "0.3", "--json"])
        XCTAssertEqual(needed.code, 0, needed.err)
        let j = try JSONParser.parse(needed.out)
        XCTAssertEqual(j["cases"], 249)
        XCTAssertEqual(j["power"], 0.8014)
        XCTAssertTrue(j["method"]?.stringValue?.hasPrefix("exact McNemar test") == true)
        let sentence = await cli(["plan", "--baseline", "0.6", "--detect", "0.1", "--discordance", "0.3"])
        XCTAssertTrue(sentence.out.contains("a paired comparison of two prompt versions needs 249 cases (exact McNemar test; power at 249: 80.1%)"), sentence.out)
        let detect = await cli(["plan", "--cases", "249", "--baseline", "0.6", "--discordance", "0.3", "--json"])
        XCTAssertEqual(detect.code, 0, detect.err)
        XCTAssertEqual(try XCTUnwrap(try JSONParser.parse(detect.out)["detectable"]?.doubleValue), 0.1, accuracy: 0.002)
        // From a run of two prompt versions: 2 of 4 cases discordant, base pass rate 0.5.
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "v1", "template": "{{a}}"}, {"id": "v2", "template": "{{b}}"}],
         "defaults": {"validators": [{"type": "equals", "value": "ok"}]},
         "cases": [{"id": "c1", "vars": {"a": "ok", "b": "ok"}}, {"id": "c2", "vars": {"a": "no", "b": "ok"}},
                   {"id": "c3", "vars": {"a": "ok", "b": "no"}}, {"id": "c4", "vars": {"a": "no", "b": "no"}}]}
        """)
        _ = await cli(["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")])
        let from = await cli(["plan", "--from", dir.file("r.json"), "--detect", "0.2", "--json"])
        XCTAssertEqual(from.code, 0, from.err)
        let f = try JSONParser.parse(from.out)
        XCTAssertEqual(f["discordance"], 0.5)
        XCTAssertEqual(f["baseline"], 0.5)
        XCTAssertEqual(f["cases"]?.intValue, PowerPlan.casesNeeded(discordance: 0.5, change: 0.2, alpha: 0.05, power: 0.8)?.cases)
        XCTAssertNotNil(f["cases"]?.intValue)
    }

    /// Two independent sets (Fisher's exact test: 90 each, as scipy finds) and repeats (per-sample
    /// rates turned into verdict rates, then planned as a paired comparison).
    func testIndependentSetsAndRepeats() async throws {
        let ind = await cli(["plan", "--baseline", "0.6", "--detect", "0.2", "--independent", "--json"])
        XCTAssertEqual(ind.code, 0, ind.err)
        let j = try JSONParser.parse(ind.out)
        XCTAssertEqual(j["casesPerSet"], 90)
        XCTAssertEqual(j["cases"], 180)
        XCTAssertTrue(j["method"]?.stringValue?.hasPrefix("Fisher's exact test") == true)
        let text = await cli(["plan", "--baseline", "0.6", "--detect", "0.2", "--independent"])
        XCTAssertTrue(text.out.contains("two independent sets of cases need 90 cases each, 180 in all"), text.out)
        let rep = await cli(["plan", "--baseline", "0.8", "--detect", "0.1", "--repeats", "3", "--discordance", "0.3", "--json"])
        XCTAssertEqual(rep.code, 0, rep.err)
        let r = try JSONParser.parse(rep.out)
        XCTAssertEqual(r["repeats"]?["verdictBaseline"], 0.512)
        XCTAssertEqual(r["repeats"]?["verdictChange"], 0.217)
        XCTAssertEqual(r["sampleBaseline"], 0.8)
        XCTAssertEqual(r["cases"]?.intValue, PowerPlan.casesNeeded(discordance: 0.3, change: 0.217, alpha: 0.05, power: 0.8)?.cases)
        let said = await cli(["plan", "--baseline", "0.8", "--detect", "0.1", "--repeats", "3", "--discordance", "0.3"])
        XCTAssertTrue(said.out.hasPrefix("With 3 samples per case and minPassRate 1, a case whose samples pass 80.0% of the time passes its verdict 51.2% of the time"), said.out)
        let bad = await cli(["plan", "--baseline", "0.6", "--detect", "0.2", "--independent", "--discordance", "0.3"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.err.contains("leave it out with --independent"), bad.err)
    }

    func testBadInputSaysWhat() async {
        for (argv, message) in [(["plan", "--detect", "0.1"], "--baseline P"), (["plan", "--baseline", "0.6"], "give --detect D"),
                                (["plan", "--baseline", "0.6", "--detect", "0.3", "--discordance", "0.1"], "needs at least that share of discordant cases"),
                                (["plan", "--baseline", "0.95", "--detect", "0.1"], "baseline + D at most 1"),
                                (["plan", "--baseline", "0.6", "--detect", "0.1", "--alpha", "2"], "--alpha and --power"),
                                (["plan", "--baseline", "1.2", "--detect", "0.1"], "--baseline must be a pass rate between 0 and 1, found 1.2"),
                                (["plan", "--baseline", "0.6", "--detect", "0.1", "--min-pass-rate", "0.5"], "give --repeats")] {
            let r = await cli(argv)
            XCTAssertEqual(r.code, 2, argv.joined(separator: " "))
            XCTAssertTrue(r.err.contains(message), "\(argv): \(r.err)")
        }
    }
}
