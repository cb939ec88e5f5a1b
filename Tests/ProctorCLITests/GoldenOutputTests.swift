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
