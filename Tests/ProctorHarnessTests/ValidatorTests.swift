import ProctorHarness
import ProctorTestSupport
import XCTest

final class ValidatorTests: XCTestCase {
    func verdict(_ output: String, _ validator: String, finish: String = "stop") async throws -> (Bool, String) {
        let r = try await checkOutput(output, validators: "[\(validator)]", finish: finish)
        return (r.validators[0].pass, r.validators[0].message)
    }

    func assertPass(_ output: String, _ v: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let (ok, msg) = try await verdict(output, v)
        XCTAssertTrue(ok, "\(v) on \(output.debugDescription): \(msg)", file: file, line: line)
    }

    func assertFail(_ output: String, _ v: String, _ message: String? = nil, file: StaticString = #filePath, line: UInt = #line) async throws {
        let (ok, msg) = try await verdict(output, v)
        XCTAssertFalse(ok, "\(v) on \(output.debugDescription) should fail", file: file, line: line)
        if let message { XCTAssertEqual(msg, message, file: file, line: line) }
    }

    func testTextValidators() async throws {
        try await assertPass("refund", #"{"type": "equals", "value": "refund"}"#)
        try await assertFail("refund\n", #"{"type": "equals", "value": "refund"}"#, #"expected "refund", got "refund\n""#)
        try await assertPass("refund\n", #"{"type": "equals", "value": "refund", "trim": true}"#)
        try await assertPass("order 42 refunded", #"{"type": "contains", "value": "42"}"#)
        try await assertFail("order", #"{"type": "contains", "value": "42"}"#, #"does not contain "42""#)
        try await assertPass("ORDER", #"{"type": "icontains", "value": "order"}"#)
        try await assertPass("a b", #"{"type": "contains-any", "values": ["x", "b"]}"#)
        try await assertFail("a b", #"{"type": "contains-any", "values": ["x", "y"]}"#, #"contains none of "x", "y""#)
        try await assertPass("a b", #"{"type": "contains-all", "values": ["a", "b"]}"#)
        try await assertFail("a b", #"{"type": "contains-all", "values": ["a", "c"]}"#, #"missing "c""#)
        try await assertPass("Hello there", #"{"type": "starts-with", "value": "Hello"}"#)
        try await assertPass("Hello there", #"{"type": "ends-with", "value": "there"}"#)
        try await assertFail("Hello there", #"{"type": "ends-with", "value": "Hello"}"#, #"does not end with "Hello""#)
        try await assertPass(" yes\n", #"{"type": "one-of", "values": ["yes", "no"]}"#)
        try await assertFail("maybe", #"{"type": "one-of", "values": ["yes", "no"]}"#, #""maybe" is not one of "yes", "no""#)
        try await assertPass("Order 42", #"{"type": "regex", "pattern": "order\\s+\\d+", "flags": "i"}"#)
        try await assertFail("Order 42", #"{"type": "regex", "pattern": "^\\d+$"}"#, #"does not match /^\d+$/"#)
        try await assertPass("42", #"{"type": "regex", "pattern": "\\d+", "full": true}"#)
        try await assertFail("42a", #"{"type": "regex", "pattern": "\\d+", "full": true}"#, #"does not fully match /\d+/"#)
        try await assertPass("abcde", #"{"type": "length", "min": 5, "max": 5}"#)
        try await assertFail("日本語", #"{"type": "length", "min": 4}"#, "length 3 is below the minimum 4")
        try await assertPass("kitten", #"{"type": "similar", "value": "sitten", "threshold": 0.8}"#)
        try await assertFail("kitten", #"{"type": "similar", "value": "sitting", "threshold": 0.8}"#, "similarity 0.571 < threshold 0.8")
    }

    func testNegateAndPath() async throws {
        try await assertPass("abc", #"{"type": "contains", "value": "x", "negate": true}"#)
        try await assertFail("abc", #"{"type": "contains", "value": "a", "negate": true}"#, #"negated: contains "a""#)
        try await assertPass(#"{"a": {"b": "refund"}}"#, #"{"type": "equals", "path": "/a/b", "value": "refund"}"#)
        try await assertPass(#"{"n": 1.0}"#, #"{"type": "equals", "path": "/n", "value": 1}"#)
        try await assertPass(#"{"o": {"y": 2, "x": 1}}"#, #"{"type": "equals", "path": "/o", "value": {"x": 1, "y": 2}}"#)
        try await assertFail(#"{"a": 1}"#, #"{"type": "equals", "path": "/b", "value": 1}"#, "could not evaluate: path /b does not exist in the output")
        try await assertFail("not json", #"{"type": "equals", "path": "/b", "value": 1}"#)
        try await assertFail("not json", #"{"type": "contains", "path": "/b", "value": "x", "negate": true}"#)
    }

    func testJSONValidators() async throws {
        try await assertPass(#"{"a": 1}"#, #"{"type": "json"}"#)
        try await assertFail("{'a': 1}", #"{"type": "json"}"#, "output is not valid JSON: 1:2: expected a double-quoted string key, found '''")
        try await assertPass("Sure! ```json\n{\"a\": 1}\n``` done", #"{"type": "json", "extract": true}"#)
        try await assertPass("The answer is {\"a\": [1, 2]} as asked.", #"{"type": "json", "extract": true}"#)
        try await assertPass(#"{"price": 3}"#, #"{"type": "json-schema", "schema": {"properties": {"price": {"minimum": 0}}}}"#)
        try await assertFail(#"{"price": -3}"#, #"{"type": "json-schema", "schema": {"properties": {"price": {"minimum": 0}}}}"#,
                             "does not match the schema: /price: -3 is less than the minimum 0")
    }

    func testExtractSharesTheValueWithPathValidators() async throws {
        let r = try await checkOutput("Here: {\"category\": \"refund\"}", validators: #"""
        [{"type": "json", "extract": true}, {"type": "equals", "path": "/category", "value": "refund"}]
        """#)
        XCTAssertEqual(r.status, .passed, "\(r.failureMessages)")
    }

    func testRunValidators() async throws {
        try await assertPass("x", #"{"type": "finish"}"#)
        let (ok, msg) = try await verdict("x", #"{"type": "finish"}"#, finish: "length")
        XCTAssertFalse(ok)
        XCTAssertEqual(msg, "the output was cut at the token limit (finish reason 'length')")
        try await assertPass("x", #"{"type": "latency", "maxMs": 10000}"#)
        try await assertFail("x", #"{"type": "tokens", "max": 10}"#, "the backend did not report token usage, so 'tokens' cannot be checked")
    }

    func testCombinators() async throws {
        try await assertPass("abc", #"{"type": "all", "validators": [{"type": "contains", "value": "a"}, {"type": "contains", "value": "b"}]}"#)
        try await assertFail("abc", #"{"type": "all", "validators": [{"type": "contains", "value": "a"}, {"type": "contains", "value": "z"}]}"#,
                             #"failed: contains: does not contain "z""#)
        try await assertPass("abc", #"{"type": "any", "validators": [{"type": "contains", "value": "z"}, {"type": "contains", "value": "b"}]}"#)
        try await assertFail("abc", #"{"type": "any", "validators": [{"type": "contains", "value": "y"}, {"type": "contains", "value": "z"}]}"#)
    }

    func testCommandValidator() async throws {
        let dir = TempDir()
        dir.write("check.sh", """
        read line
        if [ "$line" = "good" ]; then echo "looks good ($PROCTOR_CASE_ID)"; exit 0; fi
        echo "bad output"; exit 1
        """)
        for (output, pass, message) in [("good", true, "looks good (c)"), ("bad", false, "bad output")] {
            let suite = try loadSuite("""
            {"backends": [{"id": "e", "type": "echo", "response": "\(output)"}], "prompts": [{"id": "p", "template": "x"}],
             "cases": [{"id": "c", "validators": [{"type": "command", "argv": ["sh", "check.sh"]}]}]}
            """, in: dir)
            let r = try await Runner.run([suite]).results[0]
            XCTAssertEqual(r.validators[0].pass, pass)
            XCTAssertEqual(r.validators[0].message, message)
        }
        dir.write("slow.sh", "sleep 30\n")
        let suite = try loadSuite("""
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "c", "validators": [{"type": "command", "argv": ["sh", "slow.sh"], "timeoutSeconds": 0.3}]}]}
        """, in: dir)
        let r = try await Runner.run([suite]).results[0]
        XCTAssertEqual(r.validators[0].message, "could not evaluate: command 'sh' timed out after 0.3 s (timeoutSeconds); stopped it")
    }

    func testWeightsAndThreshold() async throws {
        let v = #"[{"type": "contains", "value": "a", "weight": 3}, {"type": "contains", "value": "z", "weight": 1}]"#
        let passing = try await checkOutput("abc", validators: v, threshold: 0.75)
        XCTAssertEqual(passing.status, .passed)
        XCTAssertEqual(passing.score, 0.75, accuracy: 1e-9)
        let failing = try await checkOutput("abc", validators: v, threshold: 0.8)
        XCTAssertEqual(failing.status, .failed)
        let noThreshold = try await checkOutput("abc", validators: v)
        XCTAssertEqual(noThreshold.status, .failed, "without a threshold every validator must pass")
    }

    /// `icontains` with `normalize: false` is Python's `ref.lower() in out.lower()` (OpenAI's ilike):
    /// code points compared exactly, final sigma lowercased as ς; an empty value is always contained.
    func testIContainsWithoutNormalisationIsPythonsLowerIn() async throws {
        try await assertPass("ΟΔΟΣ", #"{"type": "icontains", "value": "οδος", "normalize": false}"#.replacingOccurrences(of: "οδος", with: "οδος"))
        try await assertPass("ΟΔΟΣ ΚΑΙ", #"{"type": "icontains", "value": "οδος και", "normalize": false}"#)
        try await assertFail("ΟΔΟΣ", #"{"type": "icontains", "value": "οδοσ", "normalize": false}"#)
        try await assertFail("caf\u{E9}", #"{"type": "icontains", "value": "cafe\u0301", "normalize": false}"#)
        try await assertPass("caf\u{E9}", #"{"type": "icontains", "value": "CAFE\u0301"}"#)
        try await assertPass("x", #"{"type": "icontains", "value": ""}"#)
        try await assertPass("x", #"{"type": "icontains", "value": "", "normalize": false}"#)
    }
}
