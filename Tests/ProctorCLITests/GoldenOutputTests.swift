import Foundation
import ProctorCLI
import ProctorTestSupport
import XCTest

/// Outputs that must stay byte-identical while their code is made faster: `validate --jsonl` and
/// `repair --lines` against saved outputs (Golden/, written by the reference build).
final class GoldenOutputTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    func output(_ argv: [String]) async -> String {
        let console = Console(capturingWith: [:])
        _ = await Proctor.main(argv, console: console)
        return console.capturedOut
    }

    func expected(_ name: String) throws -> String {
        try String(contentsOfFile: Self.golden + "/" + name, encoding: .utf8)
    }

    func testValidateJSONLinesIsByteIdentical() async throws {
        let out = await output(["validate", "--schema", Self.golden + "/tool.schema.json", "--jsonl", Self.golden + "/tool-instances.jsonl"])
        XCTAssertEqual(out, try expected("tool-instances.expected.jsonl"))
        XCTAssertTrue(out.contains(#""valid":false"#) && out.contains(#""valid":true"#), "both kinds of line are covered")
    }

    func testRepairLinesIsByteIdentical() async throws {
        let out = await output(["repair", "--lines", Self.golden + "/repair-lines.txt"])
        XCTAssertEqual(out, try expected("repair-lines.expected.txt"))
    }
}

/// The JUnit and JSON report writers keep their bytes (timings and the checkout's path masked):
/// every status, XML and JSON escapes, control characters, repeats, thresholds, long output.
final class GoldenReportTests: XCTestCase {
    static let golden = GoldenOutputTests.golden

    /// Times and absolute paths differ between runs and checkouts; everything else must not.
    static func normalized(_ s: String) -> String {
        var t = s.replacingOccurrences(of: golden, with: "GOLDEN")
        for (pattern, replacement) in [(#"time="[0-9.]+""#, #"time="T""#), (#"timestamp="[^"]+""#, #"timestamp="T""#),
                                       (#""startedAt": "[^"]+""#, #""startedAt": "T""#), (#""durationMs": [0-9.e+-]+"#, #""durationMs": 0"#),
                                       (#""latencyMs": [0-9.e+-]+"#, #""latencyMs": 0"#)] {
            t = t.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return t
    }

    func testJUnitAndJSONResultsAreByteIdentical() async throws {
        let dir = TempDir()
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let code = await Proctor.main(["run", Self.golden + "/reports.suite.json", "--repeat", "2", "--no-cache",
                                       "--junit", dir.file("j.xml"), "--json", dir.file("r.json"), "--markdown", dir.file("s.md")], console: console)
        XCTAssertEqual(code, 1, console.capturedErr)
        let junit = Self.normalized(try String(contentsOfFile: dir.file("j.xml"), encoding: .utf8))
        let json = Self.normalized(try String(contentsOfFile: dir.file("r.json"), encoding: .utf8))
        if ProcessInfo.processInfo.environment["PROCTOR_WRITE_GOLDEN"] == "1" {
            try junit.write(toFile: Self.golden + "/reports.expected.xml", atomically: true, encoding: .utf8)
            try json.write(toFile: Self.golden + "/reports.expected.json", atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(junit, try String(contentsOfFile: Self.golden + "/reports.expected.xml", encoding: .utf8))
        XCTAssertEqual(json, try String(contentsOfFile: Self.golden + "/reports.expected.json", encoding: .utf8))
        for status in ["passed", "failed", "error"] { XCTAssertTrue(json.contains("\"status\": \"\(status)\""), status) }
        XCTAssertTrue(junit.contains("&lt;&amp;&gt;") && junit.contains("\\u{7}"), "escapes are covered")
    }
}
