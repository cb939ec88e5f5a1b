import Foundation
import ProctorGenerate
import ProctorJSON
import ProctorSchema
import ProctorTestSupport
import XCTest

final class InstanceGeneratorTests: XCTestCase {
    func generate(_ schema: String, count: Int = 12, seed: UInt64 = 1) throws -> [JSONValue] {
        try InstanceGenerator(schema: try JSONParser.parse(schema)).generate(count: count, seed: seed)
    }

    func testBranchesEnumValuesAndOptionalPropertiesAreCovered() throws {
        let schema = #"{"type": "object", "properties": {"kind": {"enum": ["a", "b", "c", "d"]}, "shape": {"anyOf": [{"type": "integer", "minimum": 5}, {"type": "string", "pattern": "^x[0-9]{2}$"}, {"type": "null"}]}, "note": {"type": "string", "maxLength": 4}}, "required": ["kind", "shape"], "additionalProperties": false}"#
        let out = try generate(schema, count: 16)
        XCTAssertEqual(out.count, 16)
        XCTAssertEqual(Set(out.compactMap { $0["kind"]?.stringValue }), ["a", "b", "c", "d"])
        XCTAssertTrue(out.contains { $0["shape"]?.intValue.map { $0 >= 5 } == true })
        XCTAssertTrue(out.contains { $0["shape"]?.stringValue?.hasPrefix("x") == true })
        XCTAssertTrue(out.contains { $0["shape"] == .null })
        XCTAssertTrue(out.contains { $0["note"] != nil })
        XCTAssertTrue(out.contains { $0["note"] == nil })
        let validator = try CompiledSchema.compile(try JSONParser.parse(schema))
        for v in out { XCTAssertTrue(validator.isValid(v), "\(v)") }
    }

    func testKeywordsBeyondTheConstraintEngine() throws {
        let cases = [
            #"{"type": "integer", "multipleOf": 7, "minimum": 20, "maximum": 60}"#,
            #"{"type": "number", "multipleOf": 0.25, "exclusiveMinimum": 1}"#,
            #"{"type": "object", "patternProperties": {"^k[0-9]$": {"type": "boolean"}}, "additionalProperties": false, "minProperties": 1}"#,
            #"{"type": "array", "contains": {"const": 3}, "items": {"type": "integer"}, "minItems": 2}"#,
            #"{"if": {"properties": {"t": {"const": "n"}}, "required": ["t"]}, "then": {"properties": {"v": {"type": "number"}}, "required": ["v"]}, "else": {"properties": {"v": {"type": "string"}}, "required": ["v"]}, "properties": {"t": {"enum": ["n", "s"]}}, "required": ["t"]}"#,
            #"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "dependentRequired": {"a": ["b"]}}"#,
            #"{"type": "string", "not": {"const": "aaaa"}, "minLength": 4, "maxLength": 4}"#,
            #"{"type": "array", "items": {"enum": [1, 2, 3, 4]}, "uniqueItems": true, "minItems": 3}"#,
            #"{"type": "string", "format": "ipv6"}"#, #"{"type": "string", "format": "hostname"}"#, #"{"type": "string", "format": "uri"}"#,
            ##"{"$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"}"##,
        ]
        for c in cases {
            let out = try generate(c, count: 8)
            let validator = try CompiledSchema.compile(try JSONParser.parse(c), options: SchemaOptions(formatAssertion: true))
            for v in out { XCTAssertTrue(validator.isValid(v), "\(c): \(v)") }
        }
    }

    func testDeterminismAndErrors() throws {
        let s = #"{"type": "array", "items": {"type": ["string", "number"]}}"#
        XCTAssertEqual(try generate(s, seed: 9), try generate(s, seed: 9))
        XCTAssertNotEqual(try generate(s, seed: 9), try generate(s, seed: 10))
        let named = try generate(#"{"type": "object", "propertyNames": {"pattern": "^[a-z]{2}$"}, "minProperties": 2}"#)
        for v in named { XCTAssertTrue(v.objectValue!.keys.allSatisfy { $0.count == 2 }, "\(v)") }
        XCTAssertThrowsError(try generate(#"{"type": "string", "minLength": 3, "maxLength": 1}"#)) { e in
            XCTAssertTrue("\(e)".contains("no valid instance"), "\(e)")
        }
    }

    /// Across the official JSON Schema Test Suite: every schema the generator takes gets valid
    /// instances (checked again here), and most of them are taken.
    func testOfficialSuiteSchemas() throws {
        let root = URL(fileURLWithPath: try SharedData.path("JSON-Schema-Test-Suite/tests"))
        for (folder, draft) in [("draft2020-12", SchemaDraft.draft2020_12), ("draft2019-09", .draft2019_09), ("draft7", .draft7), ("draft6", .draft6),
                                ("draft4", .draft4)] {
            var tried = 0, generated = 0, misses = 0
            let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path).filter { $0.hasSuffix(".json") }.sorted()
            for f in files {
                let groups = try JSONParser.parse(String(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(f), encoding: .utf8))
                for g in groups.arrayValue ?? [] {
                    guard let schema = g["schema"] else { continue }
                    tried += 1
                    guard let gen = try? InstanceGenerator(schema: schema, defaultDraft: draft), let out = try? gen.generate(count: 3, seed: 1) else { continue }
                    generated += 1
                    let validator = try CompiledSchema.compile(schema, options: SchemaOptions(defaultDraft: draft, formatAssertion: true))
                    for v in out { XCTAssertTrue(validator.isValid(v), "\(folder)/\(f): \(g["description"]?.stringValue ?? ""): \(v)") }
                    // Near misses: invalid on exactly the keyword they name.
                    for m in (try? gen.nearMisses(seed: 1)) ?? [] {
                        let r = validator.validate(m.instance)
                        XCTAssertTrue(!r.valid && r.errors.allSatisfy { $0.keywordLocation == m.violates }, "\(folder)/\(f): \(m)")
                        misses += 1
                    }
                }
            }
            print("generate cases: \(folder): instances for \(generated) of \(tried) schemas, \(misses) near misses")
            XCTAssertGreaterThan(misses, 100, folder)
            XCTAssertGreaterThan(Double(generated) / Double(tried), 0.8, folder)
        }
    }

    /// Near misses break exactly the keyword they name, and every breakable keyword gets one.
    func testNearMissesBreakExactlyTheStatedKeyword() throws {
        let text = #"{"type": "object", "properties": {"age": {"type": "integer", "minimum": 0, "maximum": 130}, "name": {"type": "string", "minLength": 2, "maxLength": 8, "pattern": "^[A-Z]"}, "tags": {"type": "array", "items": {"enum": ["a", "b", "c", "d", "e"]}, "maxItems": 3, "uniqueItems": true}, "kind": {"const": "person"}}, "required": ["age", "name", "kind"], "additionalProperties": false}"#
        let schema = try JSONParser.parse(text)
        let misses = try InstanceGenerator(schema: schema).nearMisses(seed: 3)
        let validator = try CompiledSchema.compile(schema)
        let stated = Set(misses.map(\.violates))
        for want in ["/type", "/required", "/additionalProperties", "/properties/age/type", "/properties/age/minimum", "/properties/age/maximum",
                     "/properties/name/minLength", "/properties/name/maxLength", "/properties/name/pattern", "/properties/tags/maxItems",
                     "/properties/tags/uniqueItems", "/properties/tags/items/enum", "/properties/kind/const"] {
            XCTAssertTrue(stated.contains(want), "no near miss for \(want): \(stated.sorted())")
        }
        for m in misses {
            let r = validator.validate(m.instance)
            XCTAssertFalse(r.valid, "\(m)")
            XCTAssertEqual(Set(r.errors.map(\.keywordLocation)), [m.violates], "\(m.instance)")
        }
    }

    /// Keywords a dialect does not define (VS Code's, `x-` extensions) and formats Proctor does not
    /// know are annotations: they never stop generation.
    func testUnknownKeywordsAndFormatsAreAnnotations() throws {
        let schema = #"{"type": "object", "markdownDescription": "**x**", "x-tombi-toml-version": "1", "defaultSnippets": [], "allowTrailingCommas": true, "properties": {"lang": {"type": "string", "format": "language", "enumDescriptions": ["a"], "deprecationMessage": "no"}, "n": {"type": "integer", "format": "uint"}}, "required": ["lang", "n"]}"#
        let out = try generate(schema, count: 5)
        XCTAssertEqual(out.count, 5)
        for v in out { XCTAssertNotNil(v["lang"]?.stringValue); XCTAssertNotNil(v["n"]?.intValue) }
    }

    /// Drafts 4, 6 and 2019-09 by `$schema`: draft 4's `id`, boolean exclusive bounds and
    /// `dependencies`; 2019-09's `$recursiveRef`, `dependentSchemas` and `unevaluatedProperties`.
    func testOlderDialects() throws {
        let d4 = ##"{"$schema": "http://json-schema.org/draft-04/schema#", "id": "http://example.com/root.json", "type": "object", "properties": {"p": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true}, "q": {"$ref": "#/definitions/q"}, "a": {"type": "string"}, "b": {"type": "integer"}}, "definitions": {"q": {"enum": [1, 2]}}, "required": ["p", "q", "a"], "dependencies": {"a": ["b"]}}"##
        for v in try generate(d4, count: 8) {
            let p = v["p"]!.doubleValue!
            XCTAssertTrue(p > 0 && p < 1, "\(v)")
            XCTAssertNotNil(v["b"], "dependencies: a brings b: \(v)")
        }
        let d2019 = ##"{"$schema": "https://json-schema.org/draft/2019-09/schema", "$recursiveAnchor": true, "type": "object", "properties": {"name": {"type": "string"}, "kids": {"type": "array", "items": {"$recursiveRef": "#"}, "maxItems": 2}, "card": {"type": "string"}}, "required": ["name"], "dependentSchemas": {"card": {"required": ["billing"], "properties": {"billing": {"type": "string"}}}}, "unevaluatedProperties": false}"##
        let validator = try CompiledSchema.compile(try JSONParser.parse(d2019))
        XCTAssertEqual(validator.draft, .draft2019_09)
        let out = try generate(d2019, count: 12)
        for v in out { XCTAssertTrue(validator.isValid(v), "\(v)") }
        XCTAssertTrue(out.contains { $0["card"] != nil && $0["billing"] != nil }, "a dependent schema is taken with its key")
    }

    /// Recursive schemas end (the builder heads for the shortest instance past a depth), and a
    /// reference cycle that never reaches a keyword is refused, never a crash.
    func testRecursionIsBounded() throws {
        let tree = ##"{"oneOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#"}, "minItems": 1}]}"##
        let started = Date()
        let out = try generate(tree, count: 20)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(out.count, 20)
        XCTAssertThrowsError(try generate(##"{"oneOf": [{"$ref": "#"}, {"type": "null"}]}"##)) { e in
            XCTAssertTrue("\(e)".contains("cycle"), "\(e)")
        }
    }

    /// Instances differ wherever the schema allows: at least 80 % distinct.
    func testInstancesAreMostlyDistinct() throws {
        for schema in [#"{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"enum": ["x", "y"]}}}"#,
                       #"{"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}"#,
                       #"{"type": "string", "format": "date"}"#] {
            let out = try generate(schema, count: 10)
            XCTAssertGreaterThanOrEqual(Set(out).count, 8, "\(schema): \(out)")
        }
    }

    /// `multipleOf` with a decimal step gives values binary floating point also reads as multiples
    /// (Python jsonschema divides: 0.3 / 0.1 is not a whole number there).
    func testDecimalMultiplesSurviveFloatDivision() throws {
        for step in [0.1, 0.01, 0.05, 0.3] {
            for v in try generate(#"{"type": "number", "multipleOf": \#(step), "minimum": 0, "maximum": 50}"#, count: 20) {
                let q = v.doubleValue! / step
                XCTAssertEqual(q, q.rounded(), "\(v) / \(step)")
            }
        }
    }

    /// `--invalid` on a `oneOf` (its last branch `null`) writes near misses no branch takes, and a
    /// schema with nothing to break is an error, not silence.
    func testNearMissesForOneOfAndNothingToBreak() throws {
        let schema = try JSONParser.parse(#"{"oneOf": [{"type": "string", "minLength": 3}, {"type": "integer", "minimum": 10}, {"type": "null"}]}"#)
        let gen = try InstanceGenerator(schema: schema)
        let misses = try gen.nearMisses(seed: 1)
        XCTAssertFalse(misses.isEmpty)
        let validator = try CompiledSchema.compile(schema)
        for m in misses { XCTAssertFalse(validator.isValid(m.instance), "\(m)") }
        XCTAssertTrue(misses.contains { $0.violates == "/oneOf" })
        XCTAssertThrowsError(try InstanceGenerator(schema: .object(JSONObject())).nearMisses(seed: 1)) { e in
            XCTAssertTrue("\(e)".contains("no keyword to break"), "\(e)")
        }
    }

    /// References to other files: siblings of the schema file, and documents a registry serves.
    func testCrossFileReferences() throws {
        let dir = TempDir()
        // A folder whose name has a space and a non-ASCII letter: the file URI spells them %XX.
        _ = dir.write("my schémas/defs/common.json", #"{"$defs": {"id": {"type": "string", "pattern": "^id-[0-9]{3}$"}}}"#)
        _ = dir.write("item.json", #"{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}"#)
        let main = dir.write("my schémas/main.json", #"{"type": "object", "properties": {"id": {"$ref": "defs/common.json#/$defs/id"}, "item": {"$ref": "https://schemas.example.com/item.json"}}, "required": ["id", "item"]}"#)
        var registry = SchemaRegistry()
        registry.addFolder(baseURI: "https://schemas.example.com/", directory: dir.path)
        let gen = try InstanceGenerator(schema: try JSONParser.parse(String(contentsOfFile: main, encoding: .utf8)), uri: SchemaRegistry.fileURI(main), registry: registry)
        for v in try gen.generate(count: 5, seed: 2) {
            XCTAssertTrue(v["id"]?.stringValue?.hasPrefix("id-") == true, "\(v)")
            XCTAssertNotNil(v["item"]?["name"]?.stringValue, "\(v)")
        }
    }
}
