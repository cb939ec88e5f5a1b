import Foundation
import ProctorBackends
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest
import ProctorConversation

/// The in-place path (a backend that answers without waiting, checks that need nothing outside
/// the output) must give exactly the verdicts of the suspending path.
final class InPlaceRunTests: XCTestCase {
    /// What a verdict says, field by field, for comparing the two paths.
    func summary(_ r: CaseResult) -> String {
        let checks = r.validators.map { "\($0.type) \($0.pass) \($0.score) \($0.evaluated) \($0.message)" }
        return "\(r.status) \(r.score) \(r.output) \(r.error ?? "-") \(r.transformed ?? "-") \(r.repairs) \(r.truncated) | " + checks.joined(separator: " | ")
    }

    func testBothPathsGiveTheSameVerdicts() async throws {
        let dir = TempDir()
        let suite = try loadSuite("""
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}],
         "cases": [
          {"id": "pass", "validators": [{"type": "json"}, {"type": "equals", "path": "/a", "value": 1}]},
          {"id": "fail", "validators": [{"type": "json"}, {"type": "equals", "path": "/a", "value": 2}, {"type": "regex", "pattern": "^b", "path": "/b"}]},
          {"id": "blocked", "validators": [{"type": "equals", "path": "/a", "value": 1}, {"type": "contains", "value": "a"}]},
          {"id": "threshold", "threshold": 0.5, "validators": [{"type": "contains", "value": "a", "weight": 3}, {"type": "contains", "value": "zzz"}]},
          {"id": "repair", "validators": [{"type": "json", "repair": true}, {"type": "equals", "path": "/a", "value": 1}]},
          {"id": "negate", "validators": [{"type": "contains", "value": "zzz", "negate": true}, {"type": "length", "max": 3}]},
          {"id": "transform", "transform": {"path": "/missing"}, "validators": [{"type": "contains", "value": "a"}]}
         ]}
        """, in: dir)
        let outputs = [#"{"a": 1, "b": "bee"}"#, #"{"a": 1, "b": "bee"#, "not json at all", ""]
        var compared = 0
        for testCase in suite.cases {
            XCTAssertTrue(testCase.checksNow, testCase.id)
            for output in outputs {
                for finish in [FinishReason.stop, .length, .error] {
                    let response = BackendResponse(text: output, finishReason: finish, error: finish == .error ? "boom" : nil)
                    let messages = [ChatMessage(role: "user", content: "x")]
                    let now = CaseEvaluator.evaluateNow(suite: suite, testCase: testCase, prompt: suite.prompts[0], backendId: "e",
                                                        messages: messages, response: response, strictRepair: false)
                    let later = await CaseEvaluator.evaluate(suite: suite, testCase: testCase, prompt: suite.prompts[0], backendId: "e",
                                                             messages: messages, response: response, strictRepair: false)
                    XCTAssertEqual(summary(now), summary(later), "\(testCase.id) on \(output) (\(finish))")
                    compared += 1
                }
            }
        }
        XCTAssertEqual(compared, 7 * 4 * 3)
        // The two paths reach different outcomes across these cases, so the comparison means something.
        let statuses = Set(suite.cases.map { c in
            CaseEvaluator.evaluateNow(suite: suite, testCase: c, prompt: suite.prompts[0], backendId: "e", messages: [],
                                      response: BackendResponse(text: outputs[1], finishReason: .stop), strictRepair: false).status
        })
        XCTAssertEqual(statuses, [.failed, .repaired, .passed, .error])
    }

    func testACheckThatWaitsRunsInOrderAfterTheImmediateOnes() async throws {
        let dir = TempDir()
        dir.write("check.sh", "grep -q widget\n")
        let suite = try loadSuite("""
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{item}}"}],
         "cases": [{"id": "c", "vars": {"item": "widget-7"},
                    "validators": [{"type": "contains", "value": "widget"}, {"type": "command", "argv": ["sh", "check.sh"]},
                                   {"type": "regex", "pattern": "-\\\\d$"}]}]}
        """, in: dir)
        XCTAssertFalse(suite.cases[0].checksNow)
        let run = try await Runner.run([suite])
        XCTAssertEqual(run.results[0].validators.map(\.type), ["contains", "command", "regex"])
        XCTAssertEqual(run.results[0].validators.map(\.pass), [true, true, true])
        XCTAssertEqual(run.results[0].status, .passed)
    }

    func testAnEchoRunWithoutAListenerCountsEveryResult() async throws {
        let dir = TempDir()
        let cases = (0..<300).map { #"{"id": "c\#($0)", "vars": {"n": \#($0)}}"# }.joined(separator: ",")
        let suite = try loadSuite("""
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{\\"n\\": {{n}}}"}],
         "defaults": {"validators": [{"type": "json"}, {"type": "json-schema", "schema": {"properties": {"n": {"maximum": 149}}}}]}, "cases": [\(cases)]}
        """, in: dir)
        let run = try await Runner.run([suite])
        XCTAssertEqual(run.results.map(\.caseId), (0..<300).map { "c\($0)" })
        XCTAssertEqual(run.results.filter(\.isPass).count, 150)
        XCTAssertEqual(run.summary.failed, 150)
    }
}
