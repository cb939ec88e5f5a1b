import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `formula` (OpenAI's multi grader): named checks combined by arithmetic on their numbers; a
/// scoring `command` (OpenAI's python grader); a `rubric` on its own `range` (score_model).
final class FormulaValidatorTests: XCTestCase {
    func testFormulaCombinesTheChecksNumbers() async throws {
        // rouge1 of "the cat sat" against "the cat" is 0.8; contains gives 1 or 0.
        let both = #"{"a": {"type": "contains", "value": "cat"}, "r": {"type": "text-similarity", "measure": "rouge1", "reference": "the cat", "threshold": 0}}"#
        var r = try await checkOutput("the cat sat", validators: #"[{"type": "formula", "validators": \#(both), "formula": "(a + 3 * r) / 4", "threshold": 0.8}]"#)
        XCTAssertEqual(r.validators[0].pass, true)
        XCTAssertEqual(r.validators[0].message, "(a + 3 * r) / 4 = 0.85 ≥ threshold 0.8 (a 1, r 0.8)")
        XCTAssertEqual(r.validators[0].score, 0.85, accuracy: 1e-12)
        // Precedence, right-associative powers, unary minus and the functions.
        r = try await checkOutput("the cat sat", validators: #"[{"type": "formula", "validators": \#(both), "formula": "max(-2 ^ 2, min(r, 0.5)) + abs(-1) * floor(1.7) - ceil(0.2) + sqrt(4) ^ 3 ^ 0 + log(exp(0))", "threshold": 0}]"#)
        XCTAssertTrue(r.validators[0].message.hasPrefix("max(-2 ^ 2, min(r, 0.5)) + abs(-1) * floor(1.7) - ceil(0.2) + sqrt(4) ^ 3 ^ 0 + log(exp(0)) = 2.5 ≥"), r.validators[0].message)
        // Over 1 passes a threshold above 1; the score stays within 0…1.
        r = try await checkOutput("the cat sat", validators: #"[{"type": "formula", "validators": \#(both), "formula": "a + r", "threshold": 1.5}]"#)
        XCTAssertEqual(r.validators[0].pass, true)
        XCTAssertEqual(r.validators[0].score, 1)
        // Default threshold 1: a failing child fails it.
        r = try await checkOutput("a dog", validators: #"[{"type": "formula", "validators": \#(both), "formula": "a * r"}]"#)
        XCTAssertEqual(r.validators[0].pass, false)
        XCTAssertEqual(r.validators[0].message, "a * r = 0 < threshold 1 (a 0, r 0)")
        // Dividing by zero could not be evaluated; nor could a child that could not.
        r = try await checkOutput("a dog", validators: #"[{"type": "formula", "validators": \#(both), "formula": "1 / a", "threshold": 0}]"#)
        XCTAssertEqual(r.status, .failed)
        XCTAssertTrue(r.validators[0].message.hasPrefix("could not evaluate: 1 / a is infinite with a 0, r 0"), r.validators[0].message)
        r = try await checkOutput("not json", validators: #"[{"type": "formula", "validators": {"j": {"type": "equals", "path": "/x", "value": 1}}, "formula": "j", "threshold": 0}]"#)
        XCTAssertTrue(r.validators[0].message.contains("not valid JSON"), r.validators[0].message)
        XCTAssertEqual(r.validators[0].pass, false)
    }

    func testFormulaErrorsAtLoad() {
        let child = #"{"a": {"type": "contains", "value": "x"}}"#
        for (v, message) in [(#"{"type": "formula", "validators": \#(child), "formula": "a +"}"#, "the formula ends where a value was expected"),
                             (#"{"type": "formula", "validators": \#(child), "formula": "a + b"}"#, "'b' names no check (there are a)"),
                             (#"{"type": "formula", "validators": \#(child), "formula": "median(a)"}"#, "unknown function 'median'"),
                             (#"{"type": "formula", "validators": \#(child), "formula": "(a"}"#, "a '(' is not closed"),
                             (#"{"type": "formula", "validators": \#(child), "formula": "a $ 2"}"#, "unexpected '$' at column 3"),
                             (#"{"type": "formula", "validators": \#(child), "formula": "abs(a, a)"}"#, "abs takes 1 argument"),
                             (#"{"type": "formula", "validators": {"my-check": {"type": "contains", "value": "x"}}, "formula": "1"}"#, "'my-check' cannot be used in a formula"),
                             (#"{"type": "formula", "validators": {"a": {"type": "contains", "value": "x", "metric": "m"}}, "formula": "a"}"#, "\"metric\" goes on the top-level validator"),
                             (#"{"type": "formula", "validators": \#(child)}"#, "needs \"formula\", e.g. \"(a) / 1\""),
                             (#"{"type": "formula", "validators": [], "formula": "1"}"#, "needs \"validators\""),
                             (#"{"type": "rubric", "rubric": "r", "range": [10, 1]}"#, "\"range\" must be two numbers [low, high] with low < high"),
                             (#"{"type": "rubric", "rubric": "r", "range": [1, 10], "threshold": 11}"#, "\"threshold\" must be between 1 and 10")] {
            let e = loadError(#"{"backends": [{"id": "e", "type": "echo"}], "graders": [{"id": "g", "type": "echo"}], "defaults": {"grader": "g"}, "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "validators": [\#(v)]}]}"#)
            XCTAssertTrue(e.contains(message), "\(v): \(e)")
        }
    }

    func testCommandWithThresholdScores() async throws {
        var r = try await checkOutput("abc", validators: #"[{"type": "command", "argv": ["sh", "-c", "echo 0.7 three letters"], "threshold": 0.5}]"#)
        XCTAssertEqual(r.validators[0].pass, true)
        XCTAssertEqual(r.validators[0].message, "score 0.7 ≥ threshold 0.5: three letters")
        XCTAssertEqual(r.validators[0].score, 0.7, accuracy: 1e-12)
        r = try await checkOutput("abc", validators: #"[{"type": "command", "argv": ["sh", "-c", "echo 3"], "threshold": 5}]"#)
        XCTAssertEqual(r.validators[0].pass, false)
        XCTAssertEqual(r.validators[0].message, "score 3 < threshold 5")
        // A program that prints no number gave no verdict.
        r = try await checkOutput("abc", validators: #"[{"type": "command", "argv": ["sh", "-c", "echo fine"], "threshold": 0.5}]"#)
        XCTAssertEqual(r.validators[0].pass, false)
        XCTAssertTrue(r.validators[0].message.hasPrefix("could not evaluate: command 'sh' printed no score"), r.validators[0].message)
    }
}
