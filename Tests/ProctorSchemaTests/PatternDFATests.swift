import ProctorJSON
import ProctorRegex
@testable import ProctorSchema
import XCTest

/// Schema patterns that fit a DFA answer through it; the answers must be the backtracking matcher's.
final class PatternDFATests: XCTestCase {
    func testDFAAgreesWithTheBacktrackerOnRandomStrings() throws {
        let patterns = ["^resp_[A-Za-z0-9]{24}$", "^[a-z][a-z0-9_]{0,63}$", "a+b", "^$", "x|y$", "^(a|aa)+$", "[^\\s]@[^\\s]", "\\d{3}-\\d{4}",
                        "^\\p{L}+$", "colou?r", "^.{2,3}$", "é+", "[😀-😂]", "^(?:ab)*c?$"]
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab c_xyz019-@éé😀A\n")
        var withDFA = 0
        for p in patterns {
            let cp = SearchPattern(try ECMARegex(p, flags: [.unicode]))
            if cp.searchDFA != nil { withDFA += 1 }
            for _ in 0..<300 {
                let s = String((0..<Int.random(in: 0...30, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                XCTAssertEqual(try cp.test(s), try cp.regex.test(s), "\(p) on \(s.debugDescription)")
            }
        }
        XCTAssertGreaterThan(withDFA, 10, "most patterns go through the DFA")
    }

    /// A pattern too costly to turn into an automaton is matched by the backtracker instead, and
    /// compiling the schema stays fast (the fuzzer found one that took over 10 s per draft).
    func testCostlyPatternFallsBackToTheBacktracker() throws {
        let pattern = "UnsafeRa^" + String(repeating: "]", count: 40) + String(repeating: "|", count: 60)
            + String(repeating: "]", count: 90) + "BBBBBB" + String(repeating: "]", count: 30) + "+nev]]]]a+$"
        let cp = SearchPattern(try ECMARegex(pattern, flags: [.unicode]))
        XCTAssertNil(cp.searchDFA, "over the schema's construction budget")
        let schema = try CompiledSchema.compile(text: "{\"anyOf\": [{\"pattern\": \(String(reflecting: pattern))}, {\"type\": \"number\"}]}")
        for s in ["&aaa", "", "nev]]]]aa"] {
            XCTAssertEqual(schema.isValid(.string(s)), try cp.regex.test(s), s)
        }
    }

    func testPropertyNamesCompareByCodePoints() throws {
        let s = try CompiledSchema.compile(text: #"{"properties": {"\u00e9": {"type": "integer"}}, "additionalProperties": false}"#)
        XCTAssertTrue(s.isValid(try JSONParser.parse(#"{"\u00e9": 1}"#)))
        XCTAssertFalse(s.isValid(try JSONParser.parse(#"{"e\u0301": 1}"#)), "a decomposed é is another key in JSON")
        XCTAssertFalse(s.isValid(try JSONParser.parse(#"{"\u00e9": "x"}"#)))
        let many = (0..<20).map { "\"p\($0)\": {\"type\": \"string\"}" }.joined(separator: ", ")
        let big = try CompiledSchema.compile(text: "{\"properties\": {\(many)}, \"additionalProperties\": false}")
        XCTAssertTrue(big.isValid(try JSONParser.parse(#"{"p19": "a", "p0": "b"}"#)))
        XCTAssertFalse(big.isValid(try JSONParser.parse(#"{"p19": 1}"#)))
        XCTAssertFalse(big.isValid(try JSONParser.parse(#"{"p20": "a"}"#)))
    }
}
