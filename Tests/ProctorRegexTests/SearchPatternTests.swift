import ProctorRegex
import XCTest

/// `SearchPattern` answers through its automata where the pattern fits them; the answers must be
/// the backtracking matcher's, for a match anywhere and for a whole match.
final class SearchPatternTests: XCTestCase {
    func testAutomataAgreeWithTheBacktracker() throws {
        // Top-level alternation and inner anchors check that the whole-match automaton groups
        // the pattern before anchoring it.
        let patterns = ["widget-\\d+", "a|b", "^a|b$", "x*", "(ab)+c?", "[^\\s]@[^\\s]+", "colou?r|^$", "é+|😀", "\\d{2,3}-\\w"]
        let alphabet = Array("ab c_xr@wdget-019éé😀\n")
        var rng = SystemRandomNumberGenerator()
        var built = 0
        for p in patterns {
            let sp = SearchPattern(try ECMARegex(p), whole: true)
            if sp.searchDFA != nil && sp.wholeDFA != nil { built += 1 }
            for _ in 0..<300 {
                let s = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                XCTAssertEqual(try sp.test(s), try sp.regex.test(s), "/\(p)/ test on \(s.debugDescription)")
                XCTAssertEqual(try sp.wholeMatch(s), try sp.regex.wholeMatch(s), "/\(p)/ whole on \(s.debugDescription)")
            }
        }
        XCTAssertEqual(built, patterns.count, "every pattern here fits both automata")
    }

    func testPatternsTheAutomataCannotHoldUseTheBacktracker() throws {
        let look = SearchPattern(try ECMARegex("^(?=a)a+$"), whole: true)
        XCTAssertNil(look.searchDFA)
        XCTAssertNil(look.wholeDFA)
        XCTAssertTrue(try look.test("aaa"))
        let caseless = SearchPattern(try ECMARegex("abc", flags: [.unicode, .ignoreCase]))
        XCTAssertNil(caseless.searchDFA, "the automata model the u flag alone")
        XCTAssertTrue(try caseless.test("xABCx"))
        XCTAssertNil(SearchPattern(try ECMARegex("a+")).wholeDFA, "built only when asked for")
    }
}
