import ProctorJSON
import XCTest

final class ParserTests: XCTestCase {
    func parse(_ s: String, _ o: JSONParser.Options = .strict) throws -> JSONValue { try JSONParser.parse(s, options: o) }

    func error(_ s: String, _ o: JSONParser.Options = .strict) -> JSONParseError? {
        do { _ = try JSONParser.parse(s, options: o); return nil } catch { return error }
    }

    func error(bytes: [UInt8]) -> JSONParseError? {
        do { _ = try JSONParser.parse(bytes); return nil } catch { return error }
    }

    func testValues() throws {
        XCTAssertEqual(try parse("null"), .null)
        XCTAssertEqual(try parse(" true "), .bool(true))
        XCTAssertEqual(try parse("false"), .bool(false))
        XCTAssertEqual(try parse("\"hi\""), .string("hi"))
        XCTAssertEqual(try parse("[1, 2, [3]]"), [1, 2, [3]])
        let o = try parse(#"{"b": 1, "a": {"c": [true, null]}}"#)
        XCTAssertEqual(o.objectValue?.keys, ["b", "a"], "members keep source order")
        XCTAssertEqual(o["a"]?["c"]?[1], .null)
    }

    func testNumbersKeepTextAndCompareByValue() throws {
        let big = try parse("123456789012345678901234567890")
        XCTAssertEqual(big.numberValue?.text, "123456789012345678901234567890")
        XCTAssertEqual(JSONSerializer.string(big), "123456789012345678901234567890")
        XCTAssertEqual(try parse("1.0"), try parse("1"))
        XCTAssertEqual(try parse("1e2"), try parse("100"))
        XCTAssertEqual(try parse("-0.50"), try parse("-5e-1"))
        XCTAssertNotEqual(try parse("12345678901234567890"), try parse("12345678901234567891"),
                          "big integers that round to the same Double still differ")
        XCTAssertEqual(try parse("0.1").numberValue!.double, 0.1)
        XCTAssertTrue(try parse("1.0").numberValue!.isInteger)
        XCTAssertFalse(try parse("1.5").numberValue!.isInteger)
        XCTAssertTrue(try parse("1e400").numberValue!.double.isInfinite)
        XCTAssertTrue(JSONNumber(text: "0.3")!.isMultiple(of: JSONNumber(text: "0.1")!), "no float error")
        XCTAssertFalse(JSONNumber(text: "0.35")!.isMultiple(of: JSONNumber(text: "0.1")!))
        XCTAssertTrue(JSONNumber(text: "1e308")!.isMultiple(of: JSONNumber(text: "0.5")!))
        XCTAssertLessThan(JSONNumber(text: "12345678901234567890")!, JSONNumber(text: "12345678901234567891")!)
    }

    func testStringsEscapesAndSurrogates() throws {
        XCTAssertEqual(try parse(#""a\"b\\c\/d\b\f\n\r\t""#), .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        XCTAssertEqual(try parse(#""\u00e9\u4e2d""#), .string("é中"))
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try parse("\"日本語 ✏️\""), .string("日本語 ✏️"))
        XCTAssertEqual(error(#""\ud83d""#)?.message, "lone surrogate \\uD83D in string (not followed by a low surrogate)")
        XCTAssertEqual(error(#""\ude00""#)?.message, "lone surrogate \\uDE00 in string (low surrogate without a high one)")
        XCTAssertEqual(error(#""\ud83d\u0041""#)?.message, "lone surrogate \\uD83D in string (not followed by a low surrogate)")
        XCTAssertEqual(try parse(#""\ud83d""#, .jsonc), .string("\u{FFFD}"), "suite mode replaces lone surrogates")
        XCTAssertNotEqual(JSONValue.string("é"), JSONValue.string("e\u{301}"), "strings compare by code points")
    }

    func testEveryErrorMessage() {
        let cases: [(String, String, Int, Int)] = [
            ("", "unexpected end of input, expected a JSON value", 1, 1),
            ("   ", "unexpected end of input, expected a JSON value", 1, 4),
            ("[1,", "unexpected end of input, expected a JSON value", 1, 4),
            ("[1 2]", "expected ',' or ']' after array element, found '2'", 1, 4),
            ("[1", "unexpected end of input, expected ',' or ']' after array element", 1, 3),
            ("{\"a\" 1}", "expected ':' after object key, found '1'", 1, 6),
            ("{\"a\":1 \"b\":2}", "expected ',' or '}' after object member, found '\"'", 1, 8),
            ("{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3}", "expected ',' or '}' after object member, found '\"'", 4, 3),
            ("{\"a\":1", "unexpected end of input, expected ',' or '}' after object member", 1, 7),
            ("{a:1}", "expected a double-quoted string key, found 'a'", 1, 2),
            ("{\"a\":1,", "unexpected end of input, expected a string key", 1, 8),
            ("[1,]", "trailing comma before ']' is not allowed in strict JSON", 1, 4),
            ("{\"a\":1,}", "trailing comma before '}' is not allowed in strict JSON", 1, 8),
            ("tru", "invalid literal, expected 'true'", 1, 1),
            ("nul", "invalid literal, expected 'null'", 1, 1),
            ("fals", "invalid literal, expected 'false'", 1, 1),
            ("'a'", "strings must use double quotes", 1, 1),
            ("@", "expected a JSON value, found '@'", 1, 1),
            ("-", "invalid number: expected a digit after '-'", 1, 2),
            ("01", "invalid number: leading zeros are not allowed", 1, 1),
            ("1.", "invalid number: expected a digit after '.'", 1, 3),
            ("1e", "invalid number: expected a digit in the exponent", 1, 3),
            ("\"abc", "unterminated string", 1, 1),
            ("\"a\\qb\"", "invalid escape sequence '\\q' in string", 1, 3),
            ("\"\\u12\"", "invalid \\u escape: expected 4 hex digits", 1, 2),
            ("\"a\nb\"", "control character U+000A in string must be escaped", 1, 3),
            ("// c\n1", "comments are not allowed in strict JSON", 1, 1),
            ("1 2", "unexpected '2' after the JSON value", 1, 3),
            ("\"é\" x", "unexpected 'x' after the JSON value", 1, 5),
        ]
        for (text, message, line, column) in cases {
            guard let e = error(text) else { XCTFail("\(text.debugDescription) parsed"); continue }
            XCTAssertEqual(e.message, message, text.debugDescription)
            XCTAssertEqual(e.line, line, "line for \(text.debugDescription)")
            XCTAssertEqual(e.column, column, "column for \(text.debugDescription)")
        }
        XCTAssertEqual(error("{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3}")?.description,
                       "4:3: expected ',' or '}' after object member, found '\"'")
    }

    func testInvalidUTF8() {
        XCTAssertEqual(error(bytes: [0x22, 0xFF, 0x22])?.message, "invalid UTF-8 byte 0xFF")
        XCTAssertEqual(error(bytes: [0x22, 0xC3, 0x22])?.message, "invalid UTF-8 byte 0x22")
        XCTAssertEqual(error(bytes: [0x22, 0xE2, 0x82])?.message, "invalid UTF-8: truncated sequence")
        XCTAssertEqual(error(bytes: [0x22, 0xC0, 0x80, 0x22])?.message, "invalid UTF-8 byte 0xC0", "overlong")
        XCTAssertEqual(error(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22])?.message, "invalid UTF-8 byte 0xA0", "encoded surrogate")
    }

    func testJSONCMode() throws {
        let text = """
        {
          // a comment
          "a": [1, 2, /* inline */ 3,],
          "b": "// not a comment",
        }
        """
        let v = try parse(text, .jsonc)
        XCTAssertEqual(v["a"], [1, 2, 3])
        XCTAssertEqual(v["b"], "// not a comment")
        XCTAssertEqual(error("/* open", .jsonc)?.message, "unterminated block comment")
        XCTAssertEqual(error("1 /x", .jsonc)?.message, "unexpected '/', expected a comment ('//' or '/*')")
        XCTAssertNotNil(error(text), "strict mode rejects comments")
    }

    func testDepthLimit() {
        let deep = String(repeating: "[", count: 100_000)
        XCTAssertEqual(error(deep)?.message, "nesting deeper than 1000 levels")
        let ok = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        XCTAssertNil(error(ok))
        let tooDeep = String(repeating: "{\"a\":", count: 11) + "1" + String(repeating: "}", count: 11)
        XCTAssertEqual(error(tooDeep, JSONParser.Options(maxDepth: 10))?.message, "nesting deeper than 10 levels")
    }

    func testDuplicateKeysLastWins() throws {
        let v = try parse(#"{"a": 1, "a": 2}"#)
        XCTAssertEqual(v["a"], 2)
        XCTAssertEqual(v.objectValue?.entries.count, 2)
        // Removing the key removes both: the earlier value never comes back.
        var o = try XCTUnwrap(v.objectValue)
        o["a"] = nil
        XCTAssertNil(o["a"])
        XCTAssertTrue(o.entries.isEmpty)
    }
}
