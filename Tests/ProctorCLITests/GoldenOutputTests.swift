import Foundation
import ProctorCLI
import ProctorJSON
import ProctorRepair
import ProctorSchema
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
        // Case files are shown relative to the repository root (or the working directory): the same folder.
        var t = s.replacingOccurrences(of: golden, with: "GOLDEN").replacingOccurrences(of: "Tests/ProctorCLITests/Golden", with: "GOLDEN")
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

/// The same outputs when the input is cut into many small pieces, as a large file is, and the
/// pieces are checked on every core.
final class GoldenPiecesTests: XCTestCase {
    static let golden = GoldenOutputTests.golden

    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: Self.golden + "/" + name))) }

    func testValidateLinesInPiecesIsByteIdentical() throws {
        let schemaValue = try JSONParser.parse(try bytes("tool.schema.json"))
        let schema = try CompiledSchema.compile(schemaValue)
        let input = try bytes("tool-instances.jsonl")
        let expected = try bytes("tool-instances.expected.jsonl")
        for pieceBytes in [1, 7, 100, 1 << 20] {
            var out: [UInt8] = []
            var writes = 0
            let valid = SchemaLines.validate(input, schema: schema, split: JSONLines.Split(pieceBytes: pieceBytes, lanes: 2, piecesPerLane: 2)) {
                out += $0
                writes += 1
            }
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(decoding: expected, as: UTF8.self), "pieces of \(pieceBytes) bytes")
            XCTAssertFalse(valid, "the golden instances include invalid ones")
            if pieceBytes < 100 { XCTAssertGreaterThan(writes, 10, "written a piece at a time") }
        }
    }

    func testRepairLinesInPiecesIsByteIdentical() throws {
        let input = try bytes("repair-lines.txt")
        let expected = try bytes("repair-lines.expected.txt")
        var reference: [RepairLines.Unreadable] = []
        for pieceBytes in [1 << 20, 1, 5, 30] {
            var out: [UInt8] = []
            var bad: [RepairLines.Unreadable] = []
            RepairLines.repair(input, options: JSONRepair.Options(), split: JSONLines.Split(pieceBytes: pieceBytes, lanes: 2, piecesPerLane: 1),
                               write: { out += $0 }, unreadable: { bad.append($0) })
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(decoding: expected, as: UTF8.self), "pieces of \(pieceBytes) bytes")
            if pieceBytes == 1 << 20 { reference = bad } else { XCTAssertEqual(bad, reference, "the same unreadable lines, in order") }
        }
        // Unreadable lines (blank, not a string literal) answer null and are named in order, wherever the pieces split.
        let mixed = input + Array("\n42\n\r\n".utf8) + input
        var whole: [UInt8] = []
        var wholeBad: [RepairLines.Unreadable] = []
        RepairLines.repair(mixed, options: JSONRepair.Options(), split: JSONLines.Split(pieceBytes: 1 << 20, lanes: 1),
                           write: { whole += $0 }, unreadable: { wholeBad.append($0) })
        let n = expected.filter { $0 == 0x0A }.count
        XCTAssertEqual(wholeBad, [RepairLines.Unreadable(line: n + 1, blank: true), RepairLines.Unreadable(line: n + 2, blank: false),
                                  RepairLines.Unreadable(line: n + 3, blank: true)])
        XCTAssertEqual(whole, expected + Array("null\nnull\nnull\n".utf8) + expected)
        for pieceBytes in [1, 3, 64] {
            var out: [UInt8] = []
            var bad: [RepairLines.Unreadable] = []
            RepairLines.repair(mixed, options: JSONRepair.Options(), split: JSONLines.Split(pieceBytes: pieceBytes, lanes: 2),
                               write: { out += $0 }, unreadable: { bad.append($0) })
            XCTAssertEqual(out, whole, "pieces of \(pieceBytes) bytes")
            XCTAssertEqual(bad, wholeBad)
        }
    }
}
