import Foundation
import ProctorCLI
import ProctorJSON
import ProctorSchema
import ProctorTestSupport
import XCTest

/// Constrained decoding from the command line and in suites, on a random-weight model (noise when
/// unconstrained), so every valid output is the constraint's doing.
final class ConstrainedCLITests: XCTestCase {
    func run(_ argv: [String]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:], stdin: nil)
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    let schemaText = #"{"type": "object", "properties": {"city": {"type": "string", "minLength": 2, "maxLength": 10}, "pop": {"type": "integer", "minimum": 0}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2}}, "required": ["city", "pop"], "additionalProperties": false}"#

    func model(_ dir: TempDir) async -> (String, String) {
        let m = dir.file("m.bin"), t = dir.file("t.bin")
        _ = await run(["model", "init", "--dim", "32", "--layers", "1", "--heads", "2", "--vocab", "354", "--seq", "96", "--seed", "3", "--out", m, "--tokenizer-out", t])
        return (m, t)
    }

    func testGenerateWithASchemaGivesValidInstances() async throws {
        let dir = TempDir()
        let (m, t) = await model(dir)
        let schemaPath = dir.write("s.json", schemaText)
        let validator = try CompiledSchema.compile(try JSONParser.parse(schemaText))
        let r = await run(["model", "generate", m, "--tokenizer", t, "--prompt", "City:", "--schema", schemaPath, "--temperature", "1",
                           "--seed", "1", "--samples", "12", "--json", "--threads", "1"])
        XCTAssertEqual(r.code, 0, r.err)
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 12)
        for line in lines {
            let v = try JSONParser.parse(String(line))
            let text = try XCTUnwrap(v["text"]?.stringValue)
            XCTAssertTrue(validator.isValid(try JSONParser.parse(text)), text)
            XCTAssertEqual(v["finishReason"], "stop")
            XCTAssertNotNil(v["constraint"]?["microsPerToken"]?.doubleValue)
        }
        // The same seed gives the same output; --json-value gives some JSON value.
        let again = await run(["model", "generate", m, "--tokenizer", t, "--prompt", "City:", "--schema", schemaPath, "--temperature", "1", "--seed", "1", "--threads", "1"])
        XCTAssertEqual(again.out, (try JSONParser.parse(String(lines[0])))["text"]!.stringValue! + "\n")
        let any = await run(["model", "generate", m, "--tokenizer", t, "--prompt", "x", "--json-value", "--temperature", "1", "--pretty", "--threads", "1"])
        XCTAssertEqual(any.code, 0, any.err)
        XCTAssertNoThrow(try JSONParser.parse(any.out))
    }

    func testBenchWithSchemasReportsCostPerTokenAndPerFullMask() async throws {
        let dir = TempDir()
        let (m, t) = await model(dir)
        let a = dir.write("a.json", schemaText)
        let b = dir.write("b.json", #"{"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "minItems": 1}"#)
        let r = await run(["model", "bench", m, "--tokenizer", t, "--schema", a, "--schema", b, "--tokens", "40", "--threads", "1", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("a.json: ") && $0.contains("µs/token") && $0.contains("full mask") }, r.out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("median over 2 schemas: ") }, r.out)
        let v = try JSONParser.parse(try XCTUnwrap(lines.last))
        XCTAssertEqual(v["vocabulary"]?.intValue, 354)
        let rows = try XCTUnwrap(v["schemas"]?.arrayValue)
        XCTAssertEqual(rows.map { $0["name"]?.stringValue }, ["a.json", "b.json"])
        for row in rows {
            // Temperature 1 with the default top-p 0.9: the nucleus is taken over allowed tokens, so every token builds a full mask.
            let tokens = try XCTUnwrap(row["tokens"]?.intValue), full = try XCTUnwrap(row["fullMasks"]?.intValue)
            XCTAssertGreaterThan(tokens, 0)
            XCTAssertLessThanOrEqual(tokens, 40)
            XCTAssertEqual(full, tokens)
            XCTAssertGreaterThan(try XCTUnwrap(row["microsPerFullMask"]?.doubleValue), 0)
            XCTAssertGreaterThan(try XCTUnwrap(row["microsPerToken"]?.doubleValue), 0)
        }
        XCTAssertGreaterThan(try XCTUnwrap(v["unconstrainedTokensPerSecond"]?.doubleValue), 0)
        // generate still takes one schema; bench without a tokenizer says what it needs.
        let two = await run(["model", "generate", m, "--tokenizer", t, "--schema", a, "--schema", b])
        XCTAssertEqual(two.code, 2)
        XCTAssertTrue(two.err.contains("one --schema"), two.err)
        let noTok = await run(["model", "bench", m, "--schema", a])
        XCTAssertEqual(noTok.code, 2)
        XCTAssertTrue(noTok.err.contains("--tokenizer"), noTok.err)
    }

    func testBadSchemasAndBudgetsAreClearErrors() async throws {
        let dir = TempDir()
        let (m, t) = await model(dir)
        let broken = dir.write("broken.json", "{\"type\": \"object\",\n  \"properties\": }")
        let r1 = await run(["model", "generate", m, "--tokenizer", t, "--schema", broken])
        XCTAssertNotEqual(r1.code, 0)
        XCTAssertTrue(r1.err.contains("broken.json") && r1.err.contains("2:"), r1.err)
        let unsupported = dir.write("u.json", #"{"type": "object", "properties": {"ids": {"type": "array", "contains": {"type": "integer"}}}}"#)
        let r2 = await run(["model", "generate", m, "--tokenizer", t, "--schema", unsupported])
        XCTAssertNotEqual(r2.code, 0)
        XCTAssertTrue(r2.err.contains("/properties/ids/contains"), r2.err)
        let long = dir.write("long.json", #"{"type": "string", "minLength": 40}"#)
        let r3 = await run(["model", "generate", m, "--tokenizer", t, "--schema", long, "--max-tokens", "20"])
        XCTAssertNotEqual(r3.code, 0)
        XCTAssertTrue(r3.err.contains("shortest instance"), r3.err)
    }

    /// A recorded or cached answer says what constrained it, exactly as the live one did.
    func testConstraintSurvivesRecordingReplayAndCache() async throws {
        let dir = TempDir()
        _ = await model(dir)
        dir.write("s.json", schemaText)
        let suite = dir.write("suite.json", """
        {"backends": [{"id": "schema", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "threads": 1, "schema": "s.json",
                       "maxTokens": 60, "cassette": "c.jsonl", "cache": true},
                      {"id": "free", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "threads": 1, "maxTokens": 8,
                       "cassette": "f.jsonl", "cache": true}],
         "prompts": [{"id": "p", "template": "City of {{x}}:"}],
         "cases": [{"id": "c1", "vars": {"x": "a"}, "allowEmpty": true}]}
        """)
        /// The run's exit code, what it printed, and its results file.
        func runSuite(_ argv: [String]) async throws -> (code: Int32, said: String, results: JSONValue) {
            let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")], stdin: nil)
            let code = await Proctor.main(["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "-q"] + argv, console: console)
            return (code, console.capturedErr + console.capturedOut, try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8)))
        }
        func constrained(_ argv: [String]) async throws -> [JSONValue?] {
            let r = try await runSuite(argv)
            XCTAssertEqual(r.code, 0, r.said)
            return (0..<2).map { r.results["results"]?[$0]?["constrained"] }
        }
        let want: [JSONValue?] = ["constrained decoding: JSON Schema s.json", nil]
        let recorded = try await constrained(["--record"])
        XCTAssertEqual(recorded, want)
        XCTAssertTrue(try String(contentsOfFile: dir.file("c.jsonl"), encoding: .utf8).contains(#""constrained":"constrained decoding: JSON Schema s.json""#))
        XCTAssertFalse(try String(contentsOfFile: dir.file("f.jsonl"), encoding: .utf8).contains("constrained"))
        let replayed = try await constrained(["--replay"])
        XCTAssertEqual(replayed, want)
        let live = try await constrained(["--cache"])
        XCTAssertEqual(live, want)
        let cached = try await constrained(["--cache"])
        XCTAssertEqual(cached, want)
        let res = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))
        XCTAssertEqual(res["results"]?[0]?["cached"], true)
        // The schema file edited in place: neither the recording nor the cache entry answers for
        // it any more, and the replay says what changed.
        dir.write("s.json", #"{"type": "object", "properties": {"city": {"const": "Quito"}}, "required": ["city"], "additionalProperties": false}"#)
        let replay = try await runSuite(["--replay"]).results
        XCTAssertEqual(replay["results"]?[0]?["status"], "error")
        let why = replay["results"]?[0]?["error"]?.stringValue ?? ""
        XCTAssertTrue(why.contains("no recording") && why.contains("schemaSha256"), why)
        XCTAssertEqual(replay["results"]?[1]?["status"], "passed", "the free backend's recording still answers")
        let fresh = try await constrained(["--cache"])
        XCTAssertEqual(fresh, want)
        let afterEdit = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))
        XCTAssertNil(afterEdit["results"]?[0]?["cached"], "a cache miss: the entry was made under the old schema")
        XCTAssertEqual(afterEdit["results"]?[0]?["output"], #"{"city":"Quito"}"#)
    }

    func testBuiltinBackendSchemaInASuite() async throws {
        let dir = TempDir()
        _ = await model(dir)
        dir.write("s.json", schemaText)
        let suite = dir.write("suite.json", """
        {"backends": [{"id": "free", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "threads": 1, "temperature": 1, "maxTokens": 60},
                      {"id": "schema", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "threads": 1, "schema": "s.json", "temperature": 1, "maxTokens": 60},
                      {"id": "json", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "threads": 1, "json": true, "temperature": 1, "maxTokens": 60}],
         "prompts": [{"id": "p", "template": "City of {{x}}:"}],
         "cases": [{"id": "c1", "vars": {"x": "a"}, "validators": [{"type": "json-schema", "schema": "s.json"}]},
                   {"id": "c2", "vars": {"x": "b"}, "validators": [{"type": "json-schema", "schema": "s.json"}]}]}
        """)
        let r = await run(["run", suite, "--backend", "schema", "--json", dir.file("r.json"), "--junit", dir.file("j.xml")])
        XCTAssertEqual(r.code, 0, r.err + r.out)
        let res = try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))
        for i in 0..<2 {
            XCTAssertEqual(res["results"]?[i]?["status"], "passed")
            XCTAssertEqual(res["results"]?[i]?["finishReason"], "stop")
            XCTAssertEqual(res["results"]?[i]?["constrained"], "constrained decoding: JSON Schema s.json")
        }
        XCTAssertTrue(try String(contentsOfFile: dir.file("j.xml"), encoding: .utf8).contains("[proctor] output produced under constrained decoding: JSON Schema s.json"))
        let j = await run(["run", suite, "--backend", "json", "--json", dir.file("r2.json"), "--junit", dir.file("j2.xml")])
        let res2 = try JSONParser.parse(String(contentsOfFile: dir.file("r2.json"), encoding: .utf8))
        XCTAssertNoThrow(try JSONParser.parse(res2["results"]?[0]?["output"]?.stringValue ?? ""), j.err)
        XCTAssertEqual(res2["results"]?[0]?["constrained"], "constrained decoding: any JSON value")
        // Stop strings cannot be honoured with a schema: a load-time error; so is an unsupported schema.
        let stop = dir.write("stop.json", """
        {"backends": [{"id": "schema", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "schema": "s.json", "stop": ["}"]}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "allowEmpty": true}]}
        """)
        let e = await run(["run", stop, "--json", dir.file("r3.json"), "--junit", dir.file("j3.xml")])
        XCTAssertEqual(e.code, 2)
        XCTAssertTrue(e.err.contains("stop strings would cut it"), e.err)
        let badFlag = dir.write("flag.json", """
        {"backends": [{"id": "b", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "json": true, "pretty": "yes"}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "allowEmpty": true}]}
        """)
        let e3 = await run(["run", badFlag, "--json", dir.file("r5.json"), "--junit", dir.file("j5.xml")])
        XCTAssertEqual(e3.code, 2)
        XCTAssertTrue(e3.err.contains("\"pretty\" is true or false"), e3.err)
        let badSchema = dir.write("bad.json", """
        {"backends": [{"id": "schema", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "schema": {"type": "array", "contains": {"type": "number"}}}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "allowEmpty": true}]}
        """)
        let e2 = await run(["run", badSchema, "--json", dir.file("r4.json"), "--junit", dir.file("j4.xml")])
        XCTAssertEqual(e2.code, 2)
        XCTAssertTrue(e2.err.contains("bad.json:1:") && e2.err.contains("contains"), e2.err)
        // Cross-file references: served by the backend's "registry" (folders relative to the suite);
        // without it the reference nobody serves is a load-time error naming it.
        dir.write("shared/city.json", #"{"type": "string", "enum": ["Oslo", "Lima"]}"#)
        dir.write("ref.json", #"{"type": "object", "properties": {"city": {"$ref": "https://schemas.example.test/city.json"}}, "required": ["city"]}"#)
        let withRegistry = dir.write("reg.json", """
        {"backends": [{"id": "schema", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "threads": 1, "schema": "ref.json", "maxTokens": 60,
                       "registry": {"https://schemas.example.test/": "shared"}}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "validators": [{"type": "json"}]}]}
        """)
        let ok = await run(["run", withRegistry, "--json", dir.file("r6.json"), "--junit", dir.file("j6.xml")])
        XCTAssertEqual(ok.code, 0, ok.err + ok.out)
        let out6 = try JSONParser.parse(String(contentsOfFile: dir.file("r6.json"), encoding: .utf8))["results"]?[0]?["output"]?.stringValue ?? ""
        XCTAssertTrue(["Oslo", "Lima"].contains(try JSONParser.parse(out6)["city"]?.stringValue ?? ""), out6)
        let noRegistry = dir.write("noreg.json", """
        {"backends": [{"id": "schema", "type": "builtin", "model": "m.bin", "tokenizer": "t.bin", "schema": "ref.json"}],
         "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "allowEmpty": true}]}
        """)
        let e4 = await run(["run", noRegistry, "--json", dir.file("r7.json"), "--junit", dir.file("j7.xml")])
        XCTAssertEqual(e4.code, 2)
        XCTAssertTrue(e4.err.contains("cannot resolve $ref 'https://schemas.example.test/city.json'") && e4.err.contains("registry"), e4.err)
    }

    /// The default model on held-out task prompts: constrained greedy output (each task's schema,
    /// whitespace allowed) is exactly right at least as often as unconstrained, task by task.
    func testConstrainedIsNeverLessRightPerTask() async throws {
        let root = SharedData.projectRoot.path
        let r = await run(["model", "eval", root + "/fixtures/models/proctor-tiny.bin", "--tokenizer", root + "/fixtures/models/proctor-tiny.tokenizer.bin",
                           "--corpus", root + "/fixtures/corpus/heldout.txt", "--limit", "60", "--schemas", root + "/fixtures/schemas", "--pretty",
                           "--json", "--threads", "1"])
        XCTAssertEqual(r.code, 0, r.err)
        let v = try JSONParser.parse(r.out)
        let tasks = try XCTUnwrap(v["tasks"]?.objectValue)
        XCTAssertGreaterThan(tasks.count, 5)
        for (task, t) in tasks {
            let exact = try XCTUnwrap(t["exact"]?.intValue), constrained = try XCTUnwrap(t["constrainedExact"]?.intValue)
            XCTAssertGreaterThanOrEqual(constrained, exact, task)
        }
    }
}
