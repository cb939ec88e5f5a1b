import ProctorHarness
import ProctorJSON
import ProctorReports
import ProctorTestSupport
import XCTest

final class RepairIntegrationTests: XCTestCase {
    let truncated = #"{"category": "refund", "summary": "Customer wants their mon"#

    func testRepairedStatusAndTruncationLabels() async throws {
        let r = try await checkOutput(truncated, validators: #"[{"type": "json", "repair": true}, {"type": "equals", "path": "/category", "value": "refund"}]"#,
                                      finish: "length")
        XCTAssertEqual(r.status, .repaired)
        XCTAssertTrue(r.isPass)
        XCTAssertTrue(r.truncated)
        XCTAssertEqual(r.repairs, ["truncation: closedString at byte 34", "truncation: closedObject at byte 59"])
        let junit = JUnitWriter.render(RunResult(startedAt: .init(), durationMs: 1, suites: [], results: [r]))
        XCTAssertTrue(junit.contains(#"<property name="repaired" value="c"/>"#))
        XCTAssertTrue(junit.contains("[proctor] output repaired before validation: truncation: closedString"))
    }

    func testWithoutRepairTheOutputFails() async throws {
        let r = try await checkOutput(truncated, validators: #"[{"type": "json"}, {"type": "equals", "path": "/category", "value": "refund"}]"#)
        XCTAssertEqual(r.status, .failed)
    }

    func testStrictRepairTurnsARepairedPassIntoAFailure() async throws {
        let dir = TempDir()
        let suite = try loadSuite("""
        {"backends": [{"id": "e", "type": "echo", "response": \(JSONSerializer.quote(truncated))}], "prompts": [{"id": "p", "template": "x"}],
         "options": {"strictRepair": true},
         "cases": [{"id": "c", "validators": [{"type": "json", "repair": true}]}]}
        """, in: dir)
        let r = try await Runner.run([suite]).results[0]
        XCTAssertEqual(r.status, .failed)
        XCTAssertTrue(r.failureMessages.last!.contains("passed only after JSON repair"))
    }

    func testValidOutputIsNotMarkedRepaired() async throws {
        let r = try await checkOutput(#"{"a": 1}"#, validators: #"[{"type": "json", "repair": true}]"#)
        XCTAssertEqual(r.status, .passed)
        XCTAssertEqual(r.repairs, [])
    }
}
