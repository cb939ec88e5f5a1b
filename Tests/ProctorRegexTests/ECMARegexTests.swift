import ProctorRegex
import XCTest

final class ECMARegexTests: XCTestCase {
    func m(_ p: String, _ s: String, _ f: ECMARegex.Flags = [.unicode]) throws -> Bool { try ECMARegex(p, flags: f).test(s) }

    func testBasics() throws {
        XCTAssertTrue(try m("a+", "xxaay"))
        XCTAssertFalse(try m("^a*$", "aab"))
        XCTAssertTrue(try m("^a*$", ""))
        XCTAssertTrue(try m("colou?r", "my color"))
        XCTAssertTrue(try m("^(ab|cd){2}$", "abcd"))
        XCTAssertFalse(try m("^(ab|cd){3}$", "abcd"))
        XCTAssertTrue(try m("^[a-z0-9_-]{2,4}$", "a-_9"))
        XCTAssertFalse(try m("^[a-z]{2,4}$", "abcde"))
        XCTAssertTrue(try m("^[^@\\s]+@[^@\\s]+\\.[A-Za-z]{2,}$", "user@example.org"))
        XCTAssertFalse(try m("^[^@\\s]+@[^@\\s]+\\.[A-Za-z]{2,}$", "user@@example.org"))
        XCTAssertTrue(try m("a.c", "abc"))
        XCTAssertFalse(try m("a.c", "a\nc"))
        XCTAssertTrue(try m("a.c", "a\nc", [.dotAll]))
    }

    func testECMASemantics() throws {
        XCTAssertFalse(try m("^abc$", "abc\n"), "$ matches only at the very end without m")
        XCTAssertTrue(try m("^abc$", "x\nabc\ny", [.multiline]))
        XCTAssertFalse(try m("^\\d$", "\u{0660}"), "\\d is ASCII only")
        XCTAssertFalse(try m("^\\w$", "é"), "\\w is ASCII only")
        XCTAssertTrue(try m("^\\s$", "\u{00A0}"), "\\s includes Unicode spaces")
        XCTAssertTrue(try m("^\\p{Letter}+$", "héllo日本"))
        XCTAssertFalse(try m("^\\p{Letter}+$", "abc1"))
        XCTAssertTrue(try m("^\\P{L}$", "1"))
        XCTAssertTrue(try m("^\\p{Lu}", "Abc"))
        XCTAssertTrue(try m("^\\cC$", "\u{3}"))
        XCTAssertTrue(try m("\\bfoo\\b", "a foo b"))
        XCTAssertFalse(try m("\\bfoo\\b", "afoob"))
        XCTAssertTrue(try m("^😀$", "😀"), "astral characters are one character")
        XCTAssertTrue(try m("^.$", "😀"))
    }

    func testGroupsLookaroundAndBackrefs() throws {
        XCTAssertTrue(try m("^(a)\\1$", "aa"))
        XCTAssertFalse(try m("^(a)\\1$", "ab"))
        XCTAssertTrue(try m("^(?<x>b)\\k<x>$", "bb"))
        XCTAssertTrue(try m("foo(?=bar)", "foobar"))
        XCTAssertFalse(try m("foo(?!bar)", "foobar"))
        XCTAssertTrue(try m("(?<=\\$)\\d+", "cost $42"))
        XCTAssertFalse(try m("(?<!\\$)\\b\\d+", "$42"))
        XCTAssertTrue(try m("^(?:a|b)+?c$", "ababc"))
        XCTAssertTrue(try m("^(a*)*$", "aaaa"), "empty loop iterations terminate")
        XCTAssertEqual(try ECMARegex("b+?").firstMatch(in: "abbb"), 1..<2, "lazy quantifier")
        XCTAssertEqual(try ECMARegex("b+").firstMatch(in: "abbb"), 1..<4)
    }

    func testFlags() throws {
        XCTAssertTrue(try m("HELLO", "say hello", [.ignoreCase]))
        XCTAssertTrue(try m("[a-z]+$", "ABC", [.ignoreCase]))
        XCTAssertTrue(try m("ÉCOLE", "école", [.ignoreCase]))
        XCTAssertEqual(try ECMARegex.Flags(letters: "ims"), [.ignoreCase, .multiline, .dotAll])
        XCTAssertThrowsError(try ECMARegex.Flags(letters: "x"))
    }

    func testWholeMatch() throws {
        XCTAssertTrue(try ECMARegex("a+b").wholeMatch("aab"))
        XCTAssertFalse(try ECMARegex("a+b").wholeMatch("aabc"))
        XCTAssertTrue(try ECMARegex("a|ab").wholeMatch("ab"), "whole match backtracks into the second alternative")
    }

    func testSyntaxErrors() {
        for p in ["(", "a)", "[a", "*a", "a{2,1}", "\\", "(?<n>a)(?<n>b)", "\\2(a)", "\\p{NoSuchProperty}", "[z-a]", "\\q"] {
            XCTAssertThrowsError(try ECMARegex(p), p) { e in
                XCTAssertTrue("\(e)".contains("invalid regular expression"), "\(e)")
            }
        }
    }

    func testCatastrophicBacktrackingHitsTheStepLimit() throws {
        let r = try ECMARegex("^(a+)+$", stepLimit: 100_000)
        XCTAssertThrowsError(try r.test(String(repeating: "a", count: 40) + "!")) { e in
            XCTAssertTrue(e is RegexStepLimitExceeded)
            XCTAssertTrue("\(e)".contains("gave up after 101312"), "\(e)")
        }
    }
}

final class RegexNestingTests: XCTestCase {
    /// Found by the schema fuzz target: hundreds of open groups overflowed the stack under ASan.
    func testDeepNestingIsAnErrorNotACrash() {
        XCTAssertThrowsError(try ECMARegex(String(repeating: "(", count: 5000) + "a" + String(repeating: ")", count: 5000))) { e in
            XCTAssertTrue("\(e)".contains("groups nested deeper than 100"), "\(e)")
        }
        XCTAssertNoThrow(try ECMARegex(String(repeating: "(", count: 50) + "a" + String(repeating: ")", count: 50)))
    }
}
