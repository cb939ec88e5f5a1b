import Foundation
import ProctorJSON
import ProctorSchema
import XCTest

final class ErrorReportingTests: XCTestCase {
    func compile(_ s: String, _ o: SchemaOptions = SchemaOptions()) throws -> CompiledSchema {
        try CompiledSchema.compile(text: s, options: o)
    }

    func errors(_ schema: String, _ instance: String, _ o: SchemaOptions = SchemaOptions()) throws -> [String] {
        try compile(schema, o).validate(try JSONParser.parse(instance)).errors.map(\.description)
    }

    func testMessagesNameLocationAndValue() throws {
        let schema = ##"""
        {"type": "object", "properties": {"items": {"type": "array", "items": {
            "type": "object", "required": ["price"], "properties": {"price": {"type": "number", "minimum": 0}}}}}}
        """##
        XCTAssertEqual(try errors(schema, ##"{"items": [{"price": 1}, {"price": 2}, {"price": -3}]}"##),
                       ["/items/2/price: -3 is less than the minimum 0"])
        XCTAssertEqual(try errors(schema, ##"{"items": [{}]}"##), [##"/items/0: missing required property "price""##])
        XCTAssertEqual(try errors(schema, ##"[]"##), [##"(root): [] is not of type "object""##])
    }

    func testEachKeywordMessage() throws {
        let cases: [(String, String, String)] = [
            (##"{"type": ["string", "null"]}"##, "1", ##"(root): 1 is not one of the types "string", "null""##),
            (##"{"enum": ["a", "b"]}"##, ##""c""##, ##"(root): "c" is not one of ["a","b"]"##),
            (##"{"const": 2}"##, "3", "(root): 3 is not equal to the constant 2"),
            (##"{"multipleOf": 5}"##, "7", "(root): 7 is not a multiple of 5"),
            (##"{"maximum": 2}"##, "5", "(root): 5 is greater than the maximum 2"),
            (##"{"exclusiveMaximum": 2}"##, "2", "(root): 2 is greater than or equal to the exclusive maximum 2"),
            (##"{"exclusiveMinimum": 0}"##, "0", "(root): 0 is less than or equal to the exclusive minimum 0"),
            (##"{"minLength": 2}"##, ##""a""##, ##"(root): "a" is shorter than 2 characters"##),
            (##"{"maxLength": 1}"##, ##""😀😀""##, ##"(root): "😀😀" is longer than 1 character"##),
            (##"{"pattern": "^a"}"##, ##""b""##, ##"(root): "b" does not match the pattern ^a"##),
            (##"{"minItems": 1}"##, "[]", "(root): array has 0 items, fewer than the minimum 1"),
            (##"{"maxItems": 1}"##, "[1,2]", "(root): array has 2 items, more than the maximum 1"),
            (##"{"uniqueItems": true}"##, "[1, 2, 1.0]", "(root): array items 0 and 2 are equal (1.0)"),
            (##"{"maxProperties": 1}"##, ##"{"a":1,"b":2}"##, "(root): object has 2 properties, more than the maximum 1"),
            (##"{"dependentRequired": {"a": ["b"]}}"##, ##"{"a":1}"##, ##"(root): property "a" requires property "b""##),
            (##"{"additionalProperties": false}"##, ##"{"x":1}"##, ##"(root): property "x" is not allowed (additionalProperties is false)"##),
            (##"{"propertyNames": {"pattern": "^[a-z]+$"}}"##, ##"{"Bad":1}"##, ##"(root): "Bad" does not match the pattern ^[a-z]+$"##),
            (##"{"contains": {"type": "string"}}"##, "[1]", "(root): array contains no item that matches the contains schema"),
            (##"{"not": {"type": "string"}}"##, ##""x""##, ##"(root): "x" must not match the schema in "not""##),
            (##"{"oneOf": [{"type": "integer"}, {"minimum": 0}]}"##, "1", "(root): 1 matches 2 alternatives in oneOf (0, 1); exactly one is required"),
            (##"{"properties": {"a": false}}"##, ##"{"a": 1}"##, "/a: no value is allowed here (the schema is false)"),
            (##"{"unevaluatedProperties": false}"##, ##"{"a": 1}"##, ##"(root): property "a" is not allowed (unevaluatedProperties is false)"##),
        ]
        for (schema, inst, message) in cases {
            XCTAssertEqual(try errors(schema, inst), [message], schema)
        }
    }

    func testAnyOfNamesTheClosestAlternative() throws {
        let e = try errors(##"{"anyOf": [{"type": "string"}, {"type": "object", "required": ["a"]}]}"##, "{}")
        XCTAssertEqual(e, [##"(root): {} does not match any of the 2 alternatives in anyOf (closest: (root): {} is not of type "string")"##])
    }

    func testKeywordLocationsIncludeRefs() throws {
        let s = try compile(##"{"$defs": {"n": {"minimum": 1}}, "properties": {"x": {"$ref": "#/$defs/n"}}}"##)
        let r = s.validate(try JSONParser.parse(##"{"x": 0}"##))
        XCTAssertEqual(r.errors.first?.instanceLocation, "/x")
        XCTAssertEqual(r.errors.first?.keywordLocation, "/properties/x/$ref/minimum")
        XCTAssertEqual(r.errors.first?.keyword, "minimum")
    }

    func testAllErrorsAreCollected() throws {
        let e = try errors(##"{"required": ["a", "b"], "properties": {"c": {"type": "string"}}}"##, ##"{"c": 1}"##)
        XCTAssertEqual(e.count, 3)
    }

    func testFormatIsAnAnnotationUnlessAsserted() throws {
        XCTAssertEqual(try errors(##"{"format": "date"}"##, ##""2024-02-30""##), [])
        XCTAssertEqual(try errors(##"{"format": "date"}"##, ##""2024-02-30""##, SchemaOptions(formatAssertion: true)),
                       [##"(root): "2024-02-30" is not a valid date"##])
    }

    func testMalformedSchemasAreReportedWithPointers() {
        let cases: [(String, String)] = [
            (##"{"minLength": -1}"##, "invalid schema at /minLength: minLength must be a non-negative integer, found -1"),
            (##"{"properties": {"a": {"type": "strng"}}}"##, ##"invalid schema at /properties/a/type: type must be a type name or an array of them, found "strng""##),
            (##"{"properties": {"a": 3}}"##, "invalid schema at /properties/a: a schema must be an object or a boolean, found number"),
            (##"{"pattern": "(unclosed"}"##, "invalid schema at /pattern: invalid regular expression /(unclosed/ at position 9: missing ')'"),
            (##"{"$ref": "#/$defs/missing"}"##, "invalid schema at /$ref: cannot resolve $ref '#/$defs/missing': pointer '/$defs/missing' not found in 'urn:proctor:schema:root'"),
            (##"{"$ref": "http://example.com/other.json"}"##, "invalid schema at /$ref: cannot resolve $ref 'http://example.com/other.json': no schema is registered at 'http://example.com/other.json'"),
            (##"{"$schema": "http://example.com/unknown"}"##, "invalid schema at /$schema: unknown $schema 'http://example.com/unknown': not a supported dialect and not in the registry"),
            (##"{"allOf": []}"##, "invalid schema at /allOf: allOf must be a non-empty array of schemas"),
        ]
        for (schema, message) in cases {
            XCTAssertThrowsError(try compile(schema), schema) { e in XCTAssertEqual("\(e)", message) }
        }
    }

    func testDraftSelection() throws {
        // `items` as an array is a tuple in draft-07 only.
        let s7 = try compile(##"{"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}], "additionalItems": false}"##)
        XCTAssertEqual(s7.draft, .draft7)
        XCTAssertFalse(s7.isValid(["a", 1]))
        XCTAssertTrue(s7.isValid(["a"]))
        let byOption = try compile(##"{"items": [{"type": "string"}], "additionalItems": false}"##, SchemaOptions(defaultDraft: .draft7))
        XCTAssertFalse(byOption.isValid(["a", 1]))
        // draft-07: $ref siblings are ignored.
        XCTAssertTrue(try compile(##"{"definitions": {"a": {}}, "$ref": "#/definitions/a", "type": "string"}"##, SchemaOptions(defaultDraft: .draft7)).isValid(1))
        XCTAssertFalse(try compile(##"{"$defs": {"a": {}}, "$ref": "#/$defs/a", "type": "string"}"##).isValid(1))
    }

    func testRegistryFolderAndFileRefs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proctor-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try ##"{"type": "integer"}"##.write(to: dir.appendingPathComponent("int.json"), atomically: true, encoding: .utf8)
        var reg = SchemaRegistry()
        reg.addFolder(baseURI: "http://schemas.example/", directory: dir.path)
        let s = try CompiledSchema.compile(text: ##"{"$ref": "http://schemas.example/int.json"}"##, registry: reg)
        XCTAssertTrue(s.isValid(3))
        XCTAssertFalse(s.isValid("3"))
        // A schema loaded from a file finds its siblings by relative $ref.
        let main = dir.appendingPathComponent("main.json")
        try ##"{"properties": {"n": {"$ref": "int.json"}}}"##.write(to: main, atomically: true, encoding: .utf8)
        let f = try CompiledSchema.compile(text: try String(contentsOf: main, encoding: .utf8), uri: main.absoluteString)
        XCTAssertFalse(f.isValid(["n": "x"]))
    }

    /// A cycle of schemas applied to the same instance is a bad schema (compile error naming the
    /// cycle), not an invalid instance; recursion that moves into the instance is fine.
    func testRecursionWithoutProgressIsABadSchema() throws {
        for text in [##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##, ##"{"$ref": "#"}"##,
                     ##"{"oneOf": [{"type": "string"}, {"$ref": "#"}]}"##, ##"{"allOf": [{"not": {"$ref": "#"}}]}"##] {
            XCTAssertThrowsError(try compile(text), text) { e in
                XCTAssertTrue("\(e)".contains("a reference cycle that never reaches a keyword of the instance"), "\(e)")
            }
        }
        XCTAssertThrowsError(try compile(##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##)) { e in
            XCTAssertTrue("\(e)".contains("#/$defs/a → #/$defs/b → #/$defs/a"), "\(e)")
        }
        XCTAssertTrue(try compile(##"{"properties": {"x": {"$ref": "#"}}}"##).isValid(["x": ["x": [:]]]))
    }
}

final class StackSafetyTests: XCTestCase {
    /// A recursive schema over a deep instance, validated on a thread with a small stack (as task
    /// threads are): an error, not a crash.
    func testDeepRecursionOnASmallStack() throws {
        _ = Foundation.Thread.self
        let schema = try CompiledSchema.compile(text: ##"{"$ref": "#/$defs/t", "$defs": {"t": {"type": "array", "items": {"$ref": "#/$defs/t"}}}}"##)
        let deep = try JSONParser.parse(String(repeating: "[", count: 900) + String(repeating: "]", count: 900))
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: ValidationResult?
        let t = Thread {
            result = schema.validate(deep)
            done.signal()
        }
        t.stackSize = 256 * 1024
        t.start()
        done.wait()
        XCTAssertEqual(result?.valid, false)
        XCTAssertTrue(result?.errors.first?.message.contains("recursion deeper") ?? false)
    }
}
