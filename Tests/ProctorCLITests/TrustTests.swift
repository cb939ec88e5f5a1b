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
}
