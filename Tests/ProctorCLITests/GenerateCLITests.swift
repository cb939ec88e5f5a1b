import Foundation
import ProctorCLI
import ProctorJSON
import ProctorSchema
import ProctorTestSupport
import XCTest

/// `proctor generate cases` from the command line.
final class GenerateCLITests: XCTestCase {
    func run(_ argv: [String]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:], stdin: nil)
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func testCasesInvalidAndErrors() async throws {
        let dir = TempDir()
        let text = #"{"type": "object", "properties": {"city": {"type": "string", "minLength": 2}, "pop": {"type": "integer", "minimum": 0}}, "required": ["city"], "additionalProperties": false}"#
        let schema = dir.write("city.schema.json", text)
        let validator = try CompiledSchema.compile(try JSONParser.parse(text))
        let r = await run(["generate", "cases", "--schema", schema, "--count", "5", "--seed", "2"])
        XCTAssertEqual(r.code, 0, r.err)
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        for l in lines { XCTAssertTrue(validator.isValid(try JSONParser.parse(String(l))), String(l)) }
        let cases = await run(["generate", "cases", "--schema", schema, "--count", "3", "--as-cases", "place", "--out", dir.file("cases.jsonl")])
        XCTAssertEqual(cases.code, 0, cases.err)
        let first = try JSONParser.parse(String(try String(contentsOfFile: dir.file("cases.jsonl"), encoding: .utf8).split(separator: "\n")[0]))
        XCTAssertEqual(first["id"], "city-1")
        XCTAssertTrue(validator.isValid(try XCTUnwrap(first["vars"]?["place"])))
        let bad = await run(["generate", "cases", "--schema", schema, "--invalid"])
        XCTAssertEqual(bad.code, 0, bad.err)
        var stated: Set<String> = []
        for l in bad.out.split(separator: "\n") {
            let v = try JSONParser.parse(String(l))
            let errors = validator.validate(try XCTUnwrap(v["instance"])).errors
            XCTAssertEqual(Set(errors.map(\.keywordLocation)), [try XCTUnwrap(v["violates"]?.stringValue)])
            stated.insert(v["violates"]!.stringValue!)
        }
        XCTAssertTrue(stated.isSuperset(of: ["/required", "/additionalProperties", "/properties/city/minLength", "/properties/pop/minimum"]), "\(stated)")
        // A schema with no instance is an error naming the file and the keyword that stood in the way.
        let impossible = dir.write("u.json", #"{"type": "object", "properties": {"a": {"type": "string", "minLength": 3, "maxLength": 2}}, "required": ["a"]}"#)
        let e = await run(["generate", "cases", "--schema", impossible])
        XCTAssertEqual(e.code, 2)
        XCTAssertTrue(e.err.contains("u.json") && e.err.contains("/properties/a/minLength"), e.err)
        // A reference nobody serves: named, and instances avoid it.
        let aside = dir.write("aside.json", #"{"type": "object", "properties": {"ext": {"$ref": "https://example.test/other.json"}, "n": {"type": "integer"}}, "required": ["n"]}"#)
        let avoided = await run(["generate", "cases", "--schema", aside, "--count", "4"])
        XCTAssertEqual(avoided.code, 0, avoided.err)
        XCTAssertTrue(avoided.err.contains("cannot resolve $ref 'https://example.test/other.json'"), avoided.err)
        XCTAssertFalse(avoided.out.contains("\"ext\""), avoided.out)
    }

    /// `--from-suite`: the backend's answer (prose around it, one repeat, one wrong type, one
    /// unknown variable, a cut-off tail) becomes only the new, well-typed cases.
    func testFromSuiteKeepsOnlyNewWellTypedCases() async throws {
        let dir = TempDir()
        let script = dir.write("writer.sh", """
        #!/bin/sh
        cat > "$(dirname "$0")/prompt.txt"
        printf 'Here you go:\n[{"city": "Oslo", "pop": 700000}, {"city": "Lima", "pop": 9}, {"city": "Rome", "pop": "many"}, {"city": "Bern", "pop": 1, "x": 2}, {"city": "Kyiv", "pop": 3}, {"city": "Quito", "po'
        """)
        chmod(script, 0o755)
        let suite = dir.write("s.json", """
        {"backends": [{"id": "writer", "type": "command", "argv": ["./writer.sh"]}],
         "prompts": [{"id": "p", "template": "{{city}}"}],
         "cases": [{"id": "lima", "vars": {"city": "Lima", "pop": 9}, "allowEmpty": true},
                   {"id": "paris", "vars": {"city": "Paris", "pop": 2100000}, "allowEmpty": true}]}
        """)
        let r = await run(["generate", "cases", "--from-suite", suite, "--backend", "writer", "--count", "4"])
        XCTAssertEqual(r.code, 0, r.err)
        let lines = r.out.split(separator: "\n").map { try? JSONParser.parse(String($0)) }
        XCTAssertEqual(lines.compactMap { $0?["vars"]?["city"]?.stringValue }, ["Oslo", "Kyiv"], r.out + r.err)
        XCTAssertEqual(lines.first??["id"], "generated-1")
        XCTAssertTrue(r.err.contains("repeats an existing case") && r.err.contains("\"pop\" is string") && r.err.contains("unknown variable \"x\""), r.err)
        let prompt = try String(contentsOfFile: dir.file("prompt.txt"), encoding: .utf8)
        XCTAssertTrue(prompt.contains(#"{"city":"Paris","pop":2100000}"#) && prompt.contains("JSON array of 4 objects"), prompt)
        let seeded = await run(["generate", "cases", "--from-suite", suite, "--backend", "writer", "--seed", "3"])
        XCTAssertEqual(seeded.code, 0, seeded.err)  // the command backend gets the seed in PROCTOR_OPTIONS
        let none = await run(["generate", "cases", "--from-suite", suite, "--backend", "nobody"])
        XCTAssertEqual(none.code, 2)
        XCTAssertTrue(none.err.contains("no backend or grader 'nobody'"), none.err)
    }
}
