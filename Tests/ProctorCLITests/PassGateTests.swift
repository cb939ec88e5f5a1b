import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `gate: {"passAtK": K}` and `{"passHatK": K}`: the case runs at least K samples and its verdict
/// is pass@K = 1 or pass^K = 1, checked on a program that fails on chosen samples.
final class PassGateTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let code = await Proctor.main(argv + ["--no-cache", "--json", dir.file("r/results.json")], console: console)
        return (code, console.capturedErr)
    }

    /// A suite whose `flaky` program answers "no" on the samples in `failing` (by repeat index), "yes" otherwise.
    func suite(_ dir: TempDir, gate: String, failing: [Int], extra: String = "") -> String {
        dir.write("s.json", """
        {"backends": [{"id": "p", "type": "command", "argv": ["sh", "-c", "case \\" \(failing.map(String.init).joined(separator: " ")) \\" in *\\" $PROCTOR_REPEAT \\"*) echo no;; *) echo yes;; esac"]}],
         "prompts": [{"id": "v", "template": "q"}],
         "cases": [{"id": "c", \(gate) "validators": [{"type": "equals", "value": "yes"}]}]\(extra)}
        """)
    }

    func verdict(_ dir: TempDir) throws -> (status: String, samples: Int) {
        let v = try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))
        let c = try XCTUnwrap(v["cases"]?[0])
        return (c["status"]?.stringValue ?? "", v["results"]?.arrayValue?.count ?? 0)
    }

    func testPassAtKAndPassHatKDecideTheVerdictAndTheSampleCount() async throws {
        let dir = TempDir()
        // pass^3: every sample must pass; three samples run without --repeat.
        for (failing, expected) in [([Int](), "passed"), ([1], "failed")] {
            let r = await run(["run", suite(dir, gate: #""gate": {"passHatK": 3},"#, failing: failing)], in: dir)
            XCTAssertEqual(r.code, expected == "passed" ? 0 : 1, r.err)
            let (status, samples) = try verdict(dir)
            XCTAssertEqual(samples, 3)
            XCTAssertEqual(status, expected, "pass^3 with failing samples \(failing)")
        }
        // pass@3 over 3 samples: any pass passes; over 5 (--repeat 5): fewer than 3 failures.
        for (failing, repeats, expected) in [([0, 1], 1, "passed"), ([0, 1, 2], 1, "failed"), ([0, 1], 5, "passed"), ([0, 2, 4], 5, "failed")] {
            let r = await run(["run", suite(dir, gate: #""gate": {"passAtK": 3},"#, failing: failing), "--repeat", String(repeats)], in: dir)
            XCTAssertEqual(r.code, expected == "passed" ? 0 : 1, r.err)
            let (status, samples) = try verdict(dir)
            XCTAssertEqual(samples, max(3, repeats))
            XCTAssertEqual(status, expected, "pass@3 with failing samples \(failing) of \(max(3, repeats))")
            // The estimator the gate reads is the one results carry.
            let c = try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["cases"]?[0]
            XCTAssertEqual(c?["passAtK"]?["3"]?.doubleValue == 1, expected == "passed")
        }
        // The suite's gate applies to every case; a case's own minPassRate wins.
        _ = await run(["run", suite(dir, gate: "", failing: [1], extra: #", "options": {"gate": {"passHatK": 2}}"#)], in: dir)
        XCTAssertEqual(try verdict(dir).status, "failed")
        XCTAssertEqual(try verdict(dir).samples, 2)
        _ = await run(["run", suite(dir, gate: #""minPassRate": 0.5,"#, failing: [1], extra: #", "options": {"gate": {"passHatK": 2}}"#)], in: dir)
        XCTAssertEqual(try verdict(dir).status, "passed")
    }

    /// `--dry-run` counts a gated case's samples.
    func testDryRunCountsGatedSamples() async throws {
        let dir = TempDir()
        let path = suite(dir, gate: #""gate": {"passHatK": 3},"#, failing: [])
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(["run", path, "--dry-run", "--repeat", "2"], console: console)
        XCTAssertEqual(code, 0, console.capturedErr)
        let all = console.capturedOut + console.capturedErr
        XCTAssertTrue(all.contains("[v@p]  ×3"), all)
        XCTAssertTrue(all.contains("dry run: 1 case × prompt × backend combination, 3 samples in 1 suite"), all)
    }

    func testBadGatesAreLoadErrors() async throws {
        let dir = TempDir()
        for (gate, message) in [(#""gate": {"passAtK": 0},"#, "\"passAtK\" must be a positive whole number"),
                                (#""gate": {"passAtk": 2},"#, "\"gate\" is {\"passAtK\": K}"),
                                (#""gate": {"passAtK": 2}, "minPassRate": 0.5,"#, "give \"gate\" or \"minPassRate\", not both")] {
            let r = await run(["run", suite(dir, gate: gate, failing: [])], in: dir)
            XCTAssertEqual(r.code, 2)
            XCTAssertTrue(r.err.contains(message) && r.err.contains("s.json:"), r.err)
        }
    }
}
