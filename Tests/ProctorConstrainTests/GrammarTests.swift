import Foundation
import ProctorConstrain
import ProctorJSON
import ProctorRegex
import ProctorSchema
import ProctorTestSupport
import XCTest

/// The automaton keyword by keyword: prefixes it must take, bytes it must refuse, where it may end.
final class GrammarTests: XCTestCase {
    func grammar(_ schema: String, _ options: ConstraintOptions = ConstraintOptions()) throws -> Grammar {
        try Grammar(schema: try JSONParser.parse(schema), options: options)
    }

    /// How far `text` gets: the byte offset of the first refused byte, or nil when all are taken.
    func refusedAt(_ g: Grammar, _ text: String) -> Int? {
        var s = g.start()
        for (i, b) in text.utf8.enumerated() where !g.feed(&s, b) { return i }
        return nil
    }

    func assertComplete(_ g: Grammar, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        var s = g.start()
        XCTAssertTrue(g.feed(&s, bytes: text.utf8), "refused \(text) at \(refusedAt(g, text) ?? -1)", file: file, line: line)
        XCTAssertTrue(g.isComplete(s), "\(text) is not complete", file: file, line: line)
    }

    func assertPrefix(_ g: Grammar, _ text: String, complete: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        var s = g.start()
        XCTAssertTrue(g.feed(&s, bytes: text.utf8), "refused \(text) at \(refusedAt(g, text) ?? -1)", file: file, line: line)
        XCTAssertEqual(g.isComplete(s), complete, "\(text) completeness", file: file, line: line)
    }

    func assertRefused(_ g: Grammar, _ text: String, at offset: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(refusedAt(g, text), offset, text, file: file, line: line)
    }

    /// Mid-character, the bytes still to come depend on which character it becomes: after `"ab`,
    /// a non-ASCII character sends the search for `ab+c` back to its start (1 more byte of the
    /// character, "abc", the quote), so the cost is not the 2 of `c"` (a fuzzer found the dead end).
    func testCostMidCharacterFollowsTheCharacter() throws {
        let g = try grammar(#"{"type": "string", "pattern": "ab+c"}"#)
        var s = g.start()
        XCTAssertTrue(g.feed(&s, bytes: #""ab"#.utf8))
        XCTAssertEqual(g.remainingBytes(s), 2)
        XCTAssertTrue(g.feed(&s, 0xC3))
        XCTAssertEqual(g.remainingBytes(s), 1 + 3 + 1)
        var e = g.start()
        XCTAssertTrue(g.feed(&e, bytes: #""ab\u00e"#.utf8))
        XCTAssertEqual(g.remainingBytes(e), 1 + 3 + 1, "mid-escape the same holds")
    }

    func testTypesAndUnions() throws {
        let g = try grammar(#"{"type": ["string", "null"]}"#)
        assertComplete(g, #""a b""#)
        assertComplete(g, "null")
        assertRefused(g, "1", at: 0)
        assertRefused(g, "true", at: 0)
        assertRefused(g, "nul!", at: 3)
        let b = try grammar(#"{"type": "boolean"}"#)
        assertComplete(b, "false")
        assertRefused(b, "null", at: 0)
        let any = try grammar("true")
        assertComplete(any, #"{"x":[1,{"y":null}],"z":"w"}"#)
        assertRefused(any, "{,", at: 1)
        assertRefused(any, "[1,]", at: 3)
        assertRefused(any, " 1", at: 0)  // compact: no whitespace
    }

    func testPropertiesOrderRequiredAndExtras() throws {
        let schema = #"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}}, "required": ["b"], "additionalProperties": false}"#
        let g = try grammar(schema)
        assertComplete(g, #"{"a":1,"b":"x","c":true}"#)
        assertComplete(g, #"{"b":"x"}"#)
        assertRefused(g, #"{"a":1}"#, at: 6)          // b is required
        assertRefused(g, #"{"b":"x","a":1}"#, at: 10)  // a comes before b in schema order
        assertRefused(g, #"{"c":true}"#, at: 2)         // c would skip the required b
        assertRefused(g, #"{"d":1}"#, at: 2)            // no extra keys
        assertRefused(g, #"{"b":"x","b":"y"}"#, at: 10) // no repeats
        assertRefused(g, #"{"a":"x"}"#, at: 5)          // a is an integer
        let any = try grammar(schema, ConstraintOptions(anyOrder: true))
        assertComplete(any, #"{"c":false,"b":"x","a":2}"#)
        assertRefused(any, #"{"c":false,"c"#, at: 12)
        let extras = try grammar(#"{"properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string", "maxLength": 2}}"#)
        assertComplete(extras, #"{"zz":"ok","a":3}"#)
        assertRefused(extras, #"{"zz":"long"#, at: 9)
        assertRefused(extras, #"{"zz":"o","zz""#, at: 13)  // an extra key once only
        let open = try grammar(#"{"properties": {"a": {"type": "integer"}}}"#)
        assertComplete(open, #"{"q":[null],"a":1}"#)
        assertRefused(open, #"{"a":"s""#, at: 5)  // a declared key is never an extra one
        // Keys with escapes and non-ASCII characters are matched after decoding.
        let keys = try grammar(#"{"properties": {"é\"": {"type": "null"}}, "required": ["é\""], "additionalProperties": false}"#)
        assertComplete(keys, #"{"é\"":null}"#)
        assertComplete(keys, #"{"\u00e9\"":null}"#)
        assertRefused(keys, #"{"e"#, at: 2)
    }

    func testArrays() throws {
        let g = try grammar(#"{"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": {"type": "boolean"}, "minItems": 2, "maxItems": 3}"#)
        assertComplete(g, #"[1,"a"]"#)
        assertComplete(g, #"[1,"a",true]"#)
        assertRefused(g, #"[1]"#, at: 2)
        assertRefused(g, #"[1,"a",true,"#, at: 11)
        assertRefused(g, #"["a""#, at: 1)
        assertRefused(g, #"[1,"a",1"#, at: 7)
        let unique = try grammar(#"{"type": "array", "items": {"type": ["integer", "string", "object"]}, "uniqueItems": true}"#)
        assertComplete(unique, #"[1,2,"1",{"a":1},{"a":2}]"#)
        assertRefused(unique, "[1,2,1]", at: 6)
        assertRefused(unique, #"["a","a""#, at: 7)
        assertRefused(unique, #"[{"a":[1]},{"a":[1]}"#, at: 19)
        let nested = try grammar(#"{"type": "array", "items": {"type": "array", "items": {"type": "integer"}}, "uniqueItems": true}"#)
        assertComplete(nested, "[[1,1],[1,2]]")  // only the outer array is unique
        assertRefused(nested, "[[1],[1]]", at: 7)
        let closed = try grammar(#"{"prefixItems": [{"const": 1}], "items": false}"#)
        assertComplete(closed, "[1]")
        assertComplete(closed, "[]")
        assertRefused(closed, "[1,", at: 2)
        let draft7 = try grammar(#"{"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "null"}], "additionalItems": {"type": "integer"}}"#)
        assertComplete(draft7, "[null,3,4]")
        assertRefused(draft7, "[null,null", at: 6)
    }

    func testEnumConstAndLiterals() throws {
        let g = try grammar(#"{"enum": ["low", "lower", 7, 70, null, {"a": [1]}]}"#)
        for ok in [#""low""#, #""lower""#, "7", "70", "null", #"{"a":[1]}"#] { assertComplete(g, ok) }
        assertPrefix(g, "7", complete: true)  // 7 may end here or become 70
        assertRefused(g, #""lo""#, at: 3)
        assertRefused(g, "71", at: 1)
        let c = try grammar(#"{"const": "x", "type": "string"}"#)
        assertComplete(c, #""x""#)
        assertRefused(c, #""y""#, at: 1)
        // An enum value the rest of the schema refuses is dropped.
        let filtered = try grammar(#"{"type": "string", "enum": ["a", 1, "bb"], "maxLength": 1}"#)
        assertComplete(filtered, #""a""#)
        assertRefused(filtered, "1", at: 0)
        assertRefused(filtered, #""bb""#, at: 1)
    }

    func testStringLengthsPatternsAndFormats() throws {
        let g = try grammar(#"{"type": "string", "minLength": 2, "maxLength": 3}"#)
        assertComplete(g, #""ab""#)
        assertComplete(g, #""é€😀""#)  // lengths count characters, not bytes
        assertRefused(g, #""a""#, at: 2)
        assertRefused(g, #""abcd"#, at: 4)
        assertRefused(g, "\"\u{1}", at: 1)  // control characters must be escaped
        assertComplete(g, #""\n\t""#)
        assertComplete(g, #""\u0001\"""#)
        assertRefused(g, #""\u0061"#, at: 5)  // printable ASCII is never \u-escaped
        // A surrogate is never \u-escaped: refused at the digit after which only surrogates remain
        // (found by the fuzzer as a dead end at `"\ud8e`, with `{}` and with keys of a free object).
        for schema in [#"{}"#, #"{"type": "string"}"#] {
            let any = try grammar(schema)
            assertRefused(any, #""\ud8"#, at: 4)
            assertRefused(any, #""\uDC"#, at: 4)
            assertComplete(any, #""\ud7ff\ue000\uFFFF""#)
        }
        assertRefused(try grammar(#"{"type": "object"}"#), #"{"\ud8"#, at: 5)
        let p = try grammar(#"{"type": "string", "pattern": "^[A-Z]{2}-[0-9]+$"}"#)
        assertComplete(p, #""AB-12""#)
        assertRefused(p, #""Ab"#, at: 2)
        assertRefused(p, #""AB-""#, at: 4)
        let search = try grammar(#"{"type": "string", "pattern": "ab+c"}"#)
        assertComplete(search, #""xxabbcyy""#)
        assertRefused(search, #""xab""#, at: 4)
        let date = try grammar(#"{"type": "string", "format": "date"}"#)
        assertComplete(date, #""2024-02-28""#)
        assertRefused(date, #""2024-13"#, at: 7)
        assertRefused(date, #""2024-02-30"#, at: 9)
        let uuid = try grammar(#"{"format": "uuid"}"#)
        assertComplete(uuid, #""123e4567-e89b-12d3-a456-426614174000""#)
        assertComplete(uuid, "12")  // format applies to strings only
        let ip = try grammar(#"{"type": "string", "format": "ipv4"}"#)
        assertComplete(ip, #""192.168.0.1""#)
        assertRefused(ip, #""256"#, at: 3)
        let email = try grammar(#"{"type": "string", "format": "email"}"#)
        assertComplete(email, #""ann.lee@example.com""#)
        assertRefused(email, #""@"#, at: 1)
        let time = try grammar(#"{"type": "string", "format": "date-time"}"#)
        assertComplete(time, #""2026-12-02T10:30:00Z""#)
        assertComplete(time, #""2026-12-02T10:30:00.25+01:00""#)
        assertRefused(time, #""2026-12-02 "#, at: 11)
        // Several patterns at once (allOf) must all hold.
        let both = try grammar(#"{"allOf": [{"pattern": "^a"}, {"pattern": "z$"}], "type": "string"}"#)
        assertComplete(both, #""abz""#)
        assertRefused(both, #""b"#, at: 1)
    }

    func testNumbersDigitByDigit() throws {
        let g = try grammar(#"{"type": "integer", "minimum": 10, "maximum": 20}"#)
        assertComplete(g, "10")
        assertComplete(g, "20")
        assertPrefix(g, "1")
        assertRefused(g, "3", at: 0)
        assertRefused(g, "21", at: 1)
        assertRefused(g, "-", at: 0)
        assertRefused(g, "1.", at: 1)
        let ex = try grammar(#"{"type": "integer", "exclusiveMinimum": -3, "exclusiveMaximum": 20}"#)
        assertComplete(ex, "-2")
        assertComplete(ex, "19")
        assertRefused(ex, "-3", at: 1)
        assertPrefix(ex, "2", complete: true)  // 2 itself is fine
        assertRefused(ex, "20", at: 1)
        let unit = try grammar(#"{"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}"#)
        assertPrefix(unit, "0")
        assertPrefix(unit, "0.0")
        assertComplete(unit, "0.001")
        assertRefused(unit, "1", at: 0)
        assertRefused(unit, "-", at: 0)
        let big = try grammar(#"{"type": "number", "minimum": 1000.5}"#)
        assertComplete(big, "1000.5")
        assertComplete(big, "99999")
        assertPrefix(big, "1000")
        assertRefused(big, "1000.4", at: 5)
        let neg = try grammar(#"{"type": "number", "maximum": -0.25, "minimum": -0.5}"#)
        assertComplete(neg, "-0.3")
        assertRefused(neg, "-0.6", at: 3)
        assertRefused(neg, "0", at: 0)
        // No fraction of zeros only: 1.0 would be an integer spelt with a point.
        let n = try grammar(#"{"type": "number"}"#)
        assertPrefix(n, "1.0")
        assertComplete(n, "1.05")
        assertRefused(n, "01", at: 1)
        assertRefused(n, "1e5", at: 1)
    }

    func testRefsRecursionAndDepth() throws {
        let tree = ##"{"$defs": {"n": {"type": "object", "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "required": ["v"], "additionalProperties": false}}, "$ref": "#/$defs/n"}"##
        let g = try grammar(tree)
        assertComplete(g, #"{"v":1,"kids":[{"v":2,"kids":[{"v":3}]},{"v":4}]}"#)
        assertRefused(g, #"{"v":1,"kids":[{"x"#, at: 17)
        let shallow = try grammar(tree, ConstraintOptions(maxDepth: 3))
        assertComplete(shallow, #"{"v":1,"kids":[{"v":2}]}"#)
        assertRefused(shallow, #"{"v":1,"kids":[{"v":2,"kids":["#, at: 29)
        let list = try grammar(##"{"type": "object", "properties": {"next": {"$ref": "#"}}, "additionalProperties": false}"##)
        assertComplete(list, #"{"next":{"next":{}}}"#)
    }

    func testAnyOfOneOfAndAllOf() throws {
        let any = try grammar(#"{"anyOf": [{"type": "integer", "maximum": 5}, {"type": "string"}, {"type": "integer", "minimum": 100}]}"#)
        assertComplete(any, "3")
        assertComplete(any, "150")
        assertComplete(any, #""s""#)
        assertPrefix(any, "50")  // could still become 500
        // oneOf: a value matching two branches is refused where it would end.
        let one = try grammar(#"{"type": "array", "items": {"oneOf": [{"type": "integer"}, {"type": "number"}]}}"#)
        assertComplete(one, "[1.5]")
        assertRefused(one, "[1]", at: 2)
        let root = try grammar(#"{"oneOf": [{"type": "integer"}, {"type": "number"}]}"#)
        assertPrefix(root, "1", complete: false)
        assertPrefix(root, "1.5", complete: true)
        let objects = try grammar(#"{"oneOf": [{"type": "object", "properties": {"r": {"type": "number"}}, "required": ["r"], "additionalProperties": false}, {"type": "object", "properties": {"w": {"type": "integer"}}, "required": ["w"], "additionalProperties": false}]}"#)
        assertComplete(objects, #"{"r":2}"#)
        assertComplete(objects, #"{"w":2}"#)
        assertRefused(objects, #"{"x"#, at: 2)
        let all = try grammar(#"{"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]}, {"properties": {"b": {"type": "string"}}, "required": ["b"]}], "type": "object", "additionalProperties": false, "properties": {"a": true, "b": true}}"#)
        assertComplete(all, #"{"a":1,"b":"x"}"#)
        assertRefused(all, #"{"a":1}"#, at: 6)
        assertRefused(all, #"{"a":1,"b":"x","c"#, at: 14)  // no key can follow: the comma is refused
        // allOf of two bounds on one property: both hold.
        let both = try grammar(#"{"allOf": [{"properties": {"n": {"minimum": 5}}}, {"properties": {"n": {"type": "integer", "maximum": 7}}}], "properties": {"n": true}, "required": ["n"], "additionalProperties": false}"#)
        assertComplete(both, #"{"n":6}"#)
        assertRefused(both, #"{"n":8"#, at: 5)
    }

    func testWhitespaceOption() throws {
        let g = try grammar(#"{"type": "object", "properties": {"a": {"type": "array"}}}"#, ConstraintOptions(allowWhitespace: true))
        assertComplete(g, "{\n  \"a\": [ 1, 2 ]\n}")
        let compact = try grammar(#"{"type": "object"}"#)
        assertRefused(compact, "{ ", at: 1)
    }

    func testOutsideTheCoverageIsAnErrorNamingTheKeyword() throws {
        let cases: [(String, String)] = [
            (#"{"properties": {"a": {"type": "array", "minContains": 1}}}"#, "/properties/a/minContains"),
            (#"{"items": {"contains": {"type": "string"}}}"#, "/items/contains"),
            (#"{"not": {"minLength": 3}}"#, "/not"),
            (#"{"dependentSchemas": {"a": {"minProperties": 3}}}"#, "/dependentSchemas/a/minProperties"),
            (#"{"propertyNames": {"maxProperties": 2}}"#, "/propertyNames/maxProperties"),
            (#"{"$ref": "https://example.com/s.json"}"#, "/$ref"),
            (#"{"type": "string", "pattern": "(a)\\1"}"#, "/pattern"),
            (#"{"type": "string", "pattern": "\\p{L}+"}"#, "/pattern"),
            (#"{"anyOf": [{"type": "string"}, {"type": "object", "properties": {"q": {"contains": {}}}}]}"#, "/anyOf/1/properties/q/contains"),
        ]
        for (schema, pointer) in cases {
            XCTAssertThrowsError(try grammar(schema), schema) { e in
                XCTAssertEqual((e as? ConstraintError)?.pointer, pointer, "\(schema): \(e)")
            }
        }
    }

    /// Keywords a grammar expresses through another form: `patternProperties` and `propertyNames`
    /// as key classes, `minProperties`/`maxProperties`, `dependentRequired`, `multipleOf` as the
    /// multiples, `not` of required/enum/type, `if`/`then`/`else` as a union, more formats, and keywords
    /// no dialect defines (annotations).
    func testRealWorldKeywords() throws {
        let pp = try grammar(#"{"type": "object", "patternProperties": {"^x-[a-z]+$": {"type": "integer"}}, "additionalProperties": false}"#)
        assertComplete(pp, #"{"x-ab":1,"x-cd":2}"#)
        assertRefused(pp, #"{"y":1}"#, at: 2)
        assertRefused(pp, #"{"x-ab":"s"}"#, at: 8)
        assertRefused(pp, #"{"x-ab":1,"x-ab":2}"#, at: 15)
        let names = try grammar(#"{"type": "object", "propertyNames": {"pattern": "^[a-z]{2}$"}, "additionalProperties": {"type": "boolean"}, "maxProperties": 2}"#)
        assertComplete(names, #"{"ab":true,"cd":false}"#)
        assertRefused(names, #"{"abc":true}"#, at: 4)
        assertRefused(names, #"{"ab":true,"cd":false,"#, at: 21)
        let counts = try grammar(#"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "minProperties": 1, "dependentRequired": {"a": ["b"]}}"#)
        assertRefused(counts, "{}", at: 1)
        assertPrefix(counts, #"{"a":1"#)
        assertRefused(counts, #"{"a":1}"#, at: 6)
        assertComplete(counts, #"{"a":1,"b":2}"#)
        assertComplete(counts, #"{"b":2}"#)
        let mult = try grammar(#"{"type": "number", "multipleOf": 0.5, "minimum": 1, "maximum": 3}"#)
        for ok in ["1", "1.5", "2", "3"] { assertComplete(mult, ok) }
        assertRefused(mult, "0.5", at: 0)
        let not = try grammar(#"{"type": "object", "properties": {"a": {}, "b": {}, "k": {"enum": ["x", "y", "z"], "not": {"const": "y"}}}, "not": {"required": ["b"]}}"#)
        assertComplete(not, #"{"a":1,"k":"x"}"#)
        assertRefused(not, #"{"a":1,"b":"#, at: 9)
        assertRefused(not, #"{"k":"y"}"#, at: 6)
        let cond = try grammar(#"{"type": "object", "properties": {"kind": {"enum": ["n", "s"]}, "v": {}}, "required": ["kind", "v"], "if": {"properties": {"kind": {"const": "n"}}}, "then": {"properties": {"v": {"type": "number"}}}, "else": {"properties": {"v": {"type": "string"}}}}"#)
        assertComplete(cond, #"{"kind":"n","v":1}"#)
        assertComplete(cond, #"{"kind":"s","v":"a"}"#)
        assertRefused(cond, #"{"kind":"n","v":"a"}"#, at: 16)
        for (format, good) in [("hostname", "a.example"), ("ipv6", "1:2:3:4:5:6:7:8"), ("uri", "https://example.com/a"), ("uri-reference", "/a/b"), ("duration", "P3D")] {
            let g = try grammar(#"{"type": "string", "format": "\#(format)"}"#)
            assertComplete(g, "\"\(good)\"")
            assertRefused(g, "\" ", at: 1)
        }
        // Unknown keywords and formats are annotations.
        let loose = try grammar(#"{"type": "string", "format": "language", "markdownDescription": "x", "x-intellij-html-description": "y"}"#)
        assertComplete(loose, #""anything""#)
    }

    func testSchemasWithoutInstancesAreErrors() throws {
        for schema in [##"{"type": "string", "minLength": 5, "maxLength": 2}"##, ##"{"type": "object", "properties": {"n": {"$ref": "#"}}, "required": ["n"]}"##,
                       #"{"type": "integer", "minimum": 5, "maximum": 4}"#, #"{"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 2}"#,
                       #"{"enum": [1, 2], "type": "string"}"#, #"{"type": "array", "minItems": 3, "items": false}"#, "false"] {
            XCTAssertThrowsError(try grammar(schema), schema) { e in
                XCTAssertTrue("\(e)".contains("no instance"), "\(schema): \(e)")
            }
        }
    }

    /// Property: random schemas from the covered subset and random walks always give valid instances.
    func testRandomSchemasGiveValidInstances() throws {
        var rng = SeededGenerator(seed: 11)
        var compiled = 0
        for _ in 0..<300 {
            let schema = RandomSchema.make(&rng)
            guard let g = try? Grammar(schema: schema) else { continue }
            compiled += 1
            let validator = try CompiledSchema.compile(schema)
            for _ in 0..<4 {
                let budget = g.remainingBytes(g.start()) + Int.random(in: 0...40, using: &rng)
                let text = try XCTUnwrap(RandomWalk.run(g, budget: budget, rng: &rng), "\(schema)")
                XCTAssertTrue(validator.isValid(try JSONParser.parse(text)), "\(schema): \(text)")
            }
        }
        XCTAssertGreaterThan(compiled, 250)
    }

    /// The budget: with the shortest completion known per state, a walk that always leaves room
    /// for it ends within its byte budget, whatever it picks.
    func testRandomWalksEndValidWithinBudget() throws {
        let schemas = try ConstrainedDecodingTests.schemas()
        var rng = SeededGenerator(seed: 7)
        for (name, schema) in schemas {
            let g = try Grammar(schema: schema)
            let validator = try CompiledSchema.compile(schema)
            for _ in 0..<20 {
                let budget = g.remainingBytes(g.start()) + Int.random(in: 0...60, using: &rng)
                let text = try XCTUnwrap(RandomWalk.run(g, budget: budget, rng: &rng), name)
                XCTAssertLessThanOrEqual(text.utf8.count, budget, name)
                XCTAssertTrue(validator.isValid(try JSONParser.parse(text)), "\(name): \(text)")
            }
        }
    }
}

/// Random schemas from the covered subset, for the property test below.
enum RandomSchema {
    static func make(_ rng: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
        let leaf = depth >= 3
        switch Int.random(in: 0..<(leaf ? 6 : 11), using: &rng) {
        case 0: return ["type": "boolean"]
        case 1:
            var o: [(String, JSONValue)] = [("type", "string")]
            if Bool.random(using: &rng) { o.append(("minLength", .number(JSONNumber(Int.random(in: 0...3, using: &rng))))) }
            if Bool.random(using: &rng) { o.append(("maxLength", .number(JSONNumber(Int.random(in: 3...8, using: &rng))))) }
            if Int.random(in: 0..<3, using: &rng) == 0 { o.append(("pattern", .string(pick(["^[a-z]+$", "x", "^(ab|cd)*$", "[0-9]{2}", "^\\w+-\\d$"])))) }
            if Int.random(in: 0..<4, using: &rng) == 0 { o = [("type", "string"), ("format", .string(pick(["date", "time", "date-time", "uuid", "email", "ipv4"])))] }
            return .object(JSONObject(o.map { (key: $0.0, value: $0.1) }))
        case 2:
            var o: [(String, JSONValue)] = [("type", Bool.random(using: &rng) ? "integer" : "number")]
            let lo = Int.random(in: -50...50, using: &rng)
            if Bool.random(using: &rng) { o.append((Bool.random(using: &rng) ? "minimum" : "exclusiveMinimum", .number(JSONNumber(lo)))) }
            if Bool.random(using: &rng) { o.append((Bool.random(using: &rng) ? "maximum" : "exclusiveMaximum", .number(JSONNumber(Double(lo) + Double(Int.random(in: 2...300, using: &rng)) / 4)))) }
            return .object(JSONObject(o.map { (key: $0.0, value: $0.1) }))
        case 3: return ["enum": .array([1, "a", .null, ["k": [true]], 2.5].filter { _ in Bool.random(using: &rng) } + ["z"])]
        case 4: return ["const": .string(pick(["x", "yy", "é"]))]
        case 5: return ["type": ["string", "null"]]
        case 6, 7:
            var props: [(String, JSONValue)] = []
            var required: [JSONValue] = []
            for k in 0..<Int.random(in: 0...3, using: &rng) {
                let name = pick(["a", "b\"q", "ca", "cb", "δ"]) + String(k)
                props.append((name, make(&rng, depth: depth + 1)))
                if Bool.random(using: &rng) { required.append(.string(name)) }
            }
            var o: [(String, JSONValue)] = [("type", "object"), ("properties", .object(JSONObject(props.map { (key: $0.0, value: $0.1) })))]
            if !required.isEmpty { o.append(("required", .array(required))) }
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: o.append(("additionalProperties", false))
            case 1: o.append(("additionalProperties", make(&rng, depth: depth + 1)))
            default: break
            }
            return .object(JSONObject(o.map { (key: $0.0, value: $0.1) }))
        case 8:
            var o: [(String, JSONValue)] = [("type", "array"), ("items", make(&rng, depth: depth + 1))]
            if Bool.random(using: &rng) { o.append(("prefixItems", [make(&rng, depth: depth + 1)])) }
            if Bool.random(using: &rng) { o.append(("minItems", .number(JSONNumber(Int.random(in: 0...2, using: &rng))))) }
            if Bool.random(using: &rng) { o.append(("maxItems", .number(JSONNumber(Int.random(in: 2...4, using: &rng))))) }
            return .object(JSONObject(o.map { (key: $0.0, value: $0.1) }))
        case 9: return ["anyOf": [make(&rng, depth: depth + 1), make(&rng, depth: depth + 1)]]
        default:
            return ["$defs": ["d": make(&rng, depth: depth + 1)], "allOf": [["$ref": "#/$defs/d"]]]
        }
    }
}

/// Picks random allowed bytes (never one that leaves too little budget) until the instance is done.
enum RandomWalk {
    static func run(_ g: Grammar, budget: Int, rng: inout SeededGenerator) -> String? {
        var s = g.start()
        var out: [UInt8] = []
        let alphabet: [UInt8] = Array(0...255)
        while !g.isFinished(s) {
            if g.isComplete(s) && Int.random(in: 0..<4, using: &rng) == 0 { break }
            let left = budget - out.count
            var options: [(UInt8, MatchState)] = []
            for b in alphabet {
                var t = s
                if g.feed(&t, b), g.remainingBytes(t) <= left - 1 { options.append((b, t)) }
            }
            if options.isEmpty {
                if !g.isComplete(s) { print("dead end after \(String(decoding: out, as: UTF8.self)) with \(left) left, remaining \(g.remainingBytes(s))") }
                return g.isComplete(s) ? String(decoding: out, as: UTF8.self) : nil
            }
            let pick = options[Int.random(in: 0..<options.count, using: &rng)]
            out.append(pick.0)
            s = pick.1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The pattern automaton against the backtracking matcher.
final class RegexDFATests: XCTestCase {
    func testAgreesWithTheMatcher() throws {
        let patterns = ["^a+b$", "ab+c", "^(foo|bar)?[0-9]{2,3}$", "x|y", "^$", "^[^a-c]*$", "colou?r", "^\\d{4}-\\d{2}$", "^\\w+@\\w+\\.com$",
                        "[A-Z][a-z]*", "^.{2}$", "^(ab|a)(bc|c)$", "^(?:a|b)*abb$", "^[\\s\\S]?z$"]
        var rng = SeededGenerator(seed: 3)
        let alphabet = Array("abcxyz019-@.ABZ _\nfoobar€")
        for p in patterns {
            let dfa = try RegexDFA(pattern: p)
            let re = try ECMARegex(p)
            for _ in 0..<300 {
                let n = Int.random(in: 0...7, using: &rng)
                let s = String((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
                XCTAssertEqual(dfa.matches(s), try re.test(s), "/\(p)/ on \(String(reflecting: s))")
            }
        }
    }

    func testUnsupportedConstructsAreErrors() {
        for p in ["(a)\\1", "a(?=b)", "\\bword", "\\p{Lu}"] {
            XCTAssertThrowsError(try RegexDFA(pattern: p), p)
        }
    }

    /// A pattern whose subset construction would take millions of steps (long literal runs and many
    /// empty alternatives: the fuzzer's find) stops at the step budget with a message naming it.
    func testConstructionStopsAtTheStepBudget() throws {
        let hostile = "Ra^" + String(repeating: "]", count: 60) + String(repeating: "|", count: 40) + String(repeating: "]", count: 80) + "+nev]]]a+$"
        XCTAssertThrowsError(try RegexDFA(pattern: hostile, maxWork: 10_000)) { error in
            XCTAssertTrue("\(error)".contains("too complex"), "\(error)")
            XCTAssertTrue("\(error)".contains("/Ra^]]]"), "\(error)")
        }
        // With room to finish, the same pattern's automaton agrees with the matcher.
        let dfa = try RegexDFA(pattern: hostile)
        let re = try ECMARegex(hostile)
        for s in ["", "x", "Ra^", String(repeating: "]", count: 85) + "nev]]]a", "nev]]]aa", "]]]nev]]]a!"] {
            XCTAssertEqual(dfa.matches(s), try re.test(s), String(reflecting: s))
        }
    }
}
