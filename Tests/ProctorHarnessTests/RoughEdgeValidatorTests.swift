import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Verdicts that never lie and messages a person can act on (issue: rough edges a new user hit).
final class RoughEdgeValidatorTests: XCTestCase {
    func verdicts(_ output: String, _ validators: String, threshold: Double? = nil) async throws -> CaseResult {
        try await checkOutput(output, validators: validators, threshold: threshold)
    }

    func testNegateNeverPassesACheckThatCouldNotBeMade() async throws {
        let dir = TempDir()
        dir.write("slow.sh", "sleep 30\n")
        let suite = try loadSuite("""
        {"backends": [{"id": "e", "type": "echo", "response": "not json"}], "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "timeout", "validators": [{"type": "command", "argv": ["sh", "slow.sh"], "timeoutSeconds": 0.3, "negate": true}]},
                   {"id": "schema", "validators": [{"type": "json-schema", "schema": {"type": "object"}, "negate": true}]},
                   {"id": "equals", "validators": [{"type": "equals", "value": 3, "negate": true}]},
                   {"id": "any", "validators": [{"type": "any", "negate": true, "validators": [{"type": "json-schema", "schema": true}]}]},
                   {"id": "weighted", "threshold": 0.1, "validators": [{"type": "contains", "value": "json", "weight": 9},
                                                                        {"type": "json-schema", "schema": true}]}]}
        """, in: dir)
        let run = try await Runner.run([suite])
        for r in run.results {
            XCTAssertEqual(r.status, .failed, "\(r.caseId): \(r.validators.map(\.message))")
            XCTAssertTrue(r.validators.contains { $0.message.contains("could not evaluate") }, "\(r.caseId): \(r.validators.map(\.message))")
        }
    }

    func testUnicodeOneRuleNFCAndGraphemes() async throws {
        let decomposed = "cafe\u{0301}", composed = "caf\u{00E9}"
        for v in [#"{"type": "equals", "value": "\#(composed)"}"#, #"{"type": "contains", "value": "\#(composed)"}"#,
                  #"{"type": "starts-with", "value": "\#(composed)"}"#, #"{"type": "one-of", "values": ["\#(composed)"]}"#,
                  #"{"type": "regex", "pattern": "^caf\u00e9$"}"#, #"{"type": "length", "min": 4, "max": 4}"#,
                  #"{"type": "similar", "value": "\#(composed)", "threshold": 1}"#] {
            let r = try await verdicts(decomposed, "[\(v)]")
            XCTAssertEqual(r.status, .passed, "\(v): \(r.validators[0].message)")
        }
        // Opting out compares code points, and the message shows them because the two look alike.
        let exact = try await verdicts(decomposed, #"[{"type": "equals", "value": "\#(composed)", "normalize": false}]"#)
        XCTAssertEqual(exact.status, .failed)
        XCTAssertEqual(exact.validators[0].message, "expected \"café\", got \"café\" (they differ only in characters you cannot see: "
                       + "expected U+0063 U+0061 U+0066 U+00E9, got U+0063 U+0061 U+0066 U+0065 U+0301)")
        let contains = try await verdicts(decomposed, #"[{"type": "contains", "value": "\#(composed)", "normalize": false}]"#)
        XCTAssertEqual(contains.status, .failed, "contains follows the same rule as equals")
        let zeroWidth = try await verdicts("ab\u{200B}", #"[{"type": "equals", "value": "ab"}]"#)
        XCTAssertTrue(zeroWidth.validators[0].message.contains("U+0061 U+0062 U+200B"), zeroWidth.validators[0].message)
        // Similarity counts what a reader sees: one edit in a 4-character word.
        let sim = try await verdicts("cafe", #"[{"type": "similar", "value": "\#(decomposed)", "threshold": 0.7}]"#)
        XCTAssertEqual(sim.validators[0].message, "similarity 0.75 ≥ threshold 0.7")
    }

    func testRegexIsAlwaysUnicode() async throws {
        for v in [#"{"type": "regex", "pattern": "^\\p{L}+$"}"#, #"{"type": "regex", "pattern": "^.$"}"#, #"{"type": "regex", "pattern": "^.$", "flags": "u"}"#] {
            let r = try await verdicts(v.contains("L") ? "héllo" : "😀", "[\(v)]")
            XCTAssertEqual(r.status, .passed, "\(v): \(r.validators[0].message)")
        }
        let bad = loadError(#"{"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "validators": [{"type": "regex", "pattern": "a", "flags": "g"}]}]}"#)
        XCTAssertTrue(bad.contains("unknown flag 'g' (use i, m, s or u); patterns always run in Unicode mode"), bad)
    }

    func testObviousMistakesDoNotLoad() {
        let base = #"{"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "cases": [CASE]}"#
        func error(_ c: String) -> String { loadError(base.replacingOccurrences(of: "CASE", with: c)) }
        XCTAssertEqual(error(#"{"id": "c", "validators": [{"type": "length", "min": 5, "max": 2}]}"#),
                       #"suite.json:1:144: "min" (5) is greater than "max" (2): no output can pass"#)
        XCTAssertEqual(error(#"{"id": "c"}"#),
                       #"suite.json:1:98: case 'c' has no validators, so it would always pass; add "validators" (or "defaults.validators"), or set "allowEmpty": true"#)
        XCTAssertEqual(error(#"{"id": "c", "allowEmpty": true}"#), "loaded")
        // select-best is decided after the run: a negated one would pass before it was judged.
        let best = error(#"{"id": "c", "validators": [{"type": "select-best", "criterion": "shortest", "grader": "g", "negate": true}]}"#)
        XCTAssertTrue(best.contains("\"negate\" cannot apply to select-best"), best)
    }

    func testMessagesSayWhatHappened() async throws {
        let repaired = try await verdicts(#"{"a": "x", "b": {"c": [1"#, #"[{"type": "json", "repair": true}]"#)
        // A number that runs into the cut may have gone on: a lossy repair that names what was written.
        XCTAssertEqual(repaired.validators[0].message, "output is valid JSON after repair (lossy: truncatedNumber, closedArray, closedObject ×2)")
        XCTAssertEqual(repaired.repairs, [#"lossy: truncatedNumber at byte 23 (was "1")"#, "closedArray at byte 24", "closedObject ×2 at byte 24"])
        XCTAssertTrue(repaired.lossyRepair)
        let typed = try await verdicts(#"{"n": 1}"#, #"[{"type": "equals", "path": "/n", "value": 12}]"#)
        XCTAssertEqual(typed.validators[0].message, "expected 12, got 1")
        let str = try await verdicts(#"{"n": "1"}"#, #"[{"type": "equals", "path": "/n", "value": 12}]"#)
        XCTAssertEqual(str.validators[0].message, #"expected 12, got "1""#)
        let schema = try await verdicts(#"{"x": {"n": "one"}}"#, #"[{"type": "json-schema", "path": "/x/n", "schema": {"type": "integer"}}]"#)
        XCTAssertTrue(schema.validators[0].message.hasPrefix("does not match the schema: /x/n: "), schema.validators[0].message)
        // The parse error is said once, with the validators it blocked.
        let blocked = try await verdicts("Sure! Here it is", #"[{"type": "json"}, {"type": "json-schema", "schema": true}, {"type": "equals", "path": "/a", "value": 1}]"#)
        let messages = blocked.validators.map(\.message)
        XCTAssertEqual(messages.filter { $0.contains("expected") }.count, 1, "\(messages)")
        XCTAssertTrue(messages[0].hasSuffix("; not checked because of it: json-schema, equals"), messages[0])
        XCTAssertEqual(messages[1], "could not evaluate: the output is not JSON")
    }
}
