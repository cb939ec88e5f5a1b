import ProctorBackends
import ProctorConversation
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `tool-call`, `tool-sequence`, `no-tool-call` and `tool-call-f1` on answers with given calls:
/// each passes and fails where it should, with its message.
final class ToolValidatorTests: XCTestCase {
    static let tools = """
    [{"name": "search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}, "limit": {"type": "integer"}}, "required": ["q"]}},
     {"name": "open", "parameters": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}}]
    """

    func verdict(_ calls: [(String, JSONValue)], _ validator: String) throws -> ValidatorVerdict {
        let suite = try loadSuite("""
        {"backends": [{"id": "g", "type": "openai", "model": "m", "baseURL": "http://127.0.0.1:9"}], "tools": \(Self.tools),
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "validators": [\(validator)]}]}
        """, in: TempDir())
        let made = calls.enumerated().map { ToolCall(id: "call_\($0.offset)", name: $0.element.0, arguments: $0.element.1) }
        var response = BackendResponse(text: made.isEmpty ? "plain answer" : ToolCall.outputText(made), finishReason: .stop)
        response.toolCalls = made
        let r = CaseEvaluator.evaluateNow(suite: suite, testCase: suite.cases[0], prompt: suite.prompts[0], backendId: "g",
                                          messages: [], response: response, strictRepair: false)
        return r.validators[0]
    }

    func testToolCallCountsArgumentsAndSchemas() throws {
        let q: JSONValue = ["q": "swift", "limit": 3]
        XCTAssertTrue(try verdict([("search", q)], #"{"type": "tool-call", "name": "search"}"#).pass)
        XCTAssertTrue(try verdict([("search", q)], #"{"type": "tool-call", "name": "search", "args": {"q": "swift"}}"#).pass)
        XCTAssertTrue(try verdict([("search", q)], #"{"type": "tool-call", "args": {"limit": 3.0}}"#).pass, "numbers by value; any tool")
        let wrong = try verdict([("search", q)], #"{"type": "tool-call", "name": "search", "args": {"q": "rust"}}"#)
        XCTAssertFalse(wrong.pass)
        XCTAssertEqual(wrong.message, #"0 calls to 'search' with the given args, expected at least 1 (calls made: search); 'search' had arguments {"q":"swift","limit":3}, not including {"q":"rust"}"#)
        XCTAssertFalse(try verdict([], #"{"type": "tool-call", "name": "search"}"#).pass)
        XCTAssertFalse(try verdict([("search", q), ("search", q)], #"{"type": "tool-call", "name": "search", "count": 1}"#).pass)
        XCTAssertTrue(try verdict([("search", q), ("search", q)], #"{"type": "tool-call", "name": "search", "minCount": 2, "maxCount": 3}"#).pass)
        XCTAssertFalse(try verdict([("open", ["url": "x"])], #"{"type": "tool-call", "name": "search"}"#).pass)
        // The tool's own parameters by default; a schema of the check's own when given.
        let badType = try verdict([("search", ["q": "x", "limit": "three"])], #"{"type": "tool-call", "name": "search"}"#)
        XCTAssertFalse(badType.pass)
        XCTAssertTrue(badType.message.contains("arguments do not match the tool's parameters: /limit"), badType.message)
        XCTAssertFalse(try verdict([("search", ["limit": 1])], #"{"type": "tool-call", "name": "search"}"#).pass, "q is required")
        let own = try verdict([("search", q)], #"{"type": "tool-call", "name": "search", "schema": {"properties": {"limit": {"maximum": 2}}}}"#)
        XCTAssertFalse(own.pass)
        XCTAssertTrue(own.message.contains("do not match the schema"), own.message)
        XCTAssertFalse(try verdict([("search", "{\"q\": ")], #"{"type": "tool-call", "name": "search"}"#).pass, "arguments that are not JSON")
        XCTAssertTrue(try verdict([("search", q)], #"{"type": "tool-call", "name": "search", "negate": true}"#).pass == false)
    }

    func testSequenceNoCallAndF1() throws {
        let calls: [(String, JSONValue)] = [("search", ["q": "a"]), ("open", ["url": "u"]), ("search", ["q": "b"])]
        XCTAssertTrue(try verdict(calls, #"{"type": "tool-sequence", "names": ["search", "open", "search"]}"#).pass)
        let exact = try verdict(calls, #"{"type": "tool-sequence", "names": ["search", "search"]}"#)
        XCTAssertFalse(exact.pass)
        XCTAssertEqual(exact.message, "called search → open → search, expected exactly search → search")
        XCTAssertTrue(try verdict(calls, #"{"type": "tool-sequence", "names": ["search", "search"], "mode": "subsequence"}"#).pass)
        XCTAssertFalse(try verdict(calls, #"{"type": "tool-sequence", "names": ["open", "open"], "mode": "subsequence"}"#).pass)
        XCTAssertTrue(try verdict([], #"{"type": "no-tool-call"}"#).pass)
        XCTAssertFalse(try verdict(calls, #"{"type": "no-tool-call"}"#).pass)
        XCTAssertTrue(try verdict([("search", ["q": "a"])], #"{"type": "no-tool-call", "name": "open"}"#).pass)
        // F1: 2 of 3 made match 2 expected → precision 2/3, recall 1 → 0.8.
        let f1 = try verdict(calls, #"{"type": "tool-call-f1", "expected": [{"name": "search", "args": {"q": "a"}}, {"name": "open"}]}"#)
        XCTAssertEqual(f1.score, 0.8, accuracy: 1e-12)
        XCTAssertFalse(f1.pass)
        XCTAssertTrue(try verdict(calls, #"{"type": "tool-call-f1", "min": 0.8, "expected": [{"name": "search", "args": {"q": "a"}}, {"name": "open"}]}"#).pass)
        let none = try verdict([], #"{"type": "tool-call-f1", "expected": [{"name": "open"}]}"#)
        XCTAssertEqual(none.score, 0)
        XCTAssertTrue(try verdict([], #"{"type": "tool-call-f1", "expected": []}"#).pass, "no call expected, none made")
    }

    func testBadToolChecksAreLoadErrors() {
        let base = #"{"backends": [{"id": "g", "type": "openai", "model": "m"}], "tools": \#(Self.tools), "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "validators": [VALIDATOR]}]}"#
        for (v, message) in [
            (#"{"type": "tool-call", "name": "serch"}"#, "names tool 'serch', which no prompt declares; did you mean 'search'?"),
            (#"{"type": "tool-call", "name": "search", "count": 1, "minCount": 1}"#, "\"count\" is exact"),
            (#"{"type": "tool-call", "name": "search", "minCount": 3, "maxCount": 1}"#, "\"maxCount\" (1) is below \"minCount\" (3)"),
            (#"{"type": "tool-call", "name": "search", "args": [1]}"#, "\"args\" must be an object"),
            (#"{"type": "tool-sequence", "names": ["search"], "mode": "loose"}"#, "\"mode\" must be \"exact\" or \"subsequence\""),
            (#"{"type": "tool-call-f1", "expected": [{"tool": "search"}]}"#, "expected call 1 needs \"name\""),
            (#"{"type": "tool-call-f1", "expected": [], "min": 2}"#, "\"min\" must be between 0 and 1"),
        ] {
            let e = loadError(base.replacingOccurrences(of: "VALIDATOR", with: v))
            XCTAssertTrue(e.contains(message), "expected “\(message)” in: \(e)")
        }
    }
}
