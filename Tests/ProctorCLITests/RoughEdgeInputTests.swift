import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Inputs as people have them: byte-order marks, CRLF, suites in subfolders, environment
/// variables, a literal `{{`, and line-by-line repair that never loses its place.
final class RoughEdgeInputTests: XCTestCase {
    func run(_ argv: [String], stdin: String = "") async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: [:], stdin: stdin)
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func testRepairLinesAnswersEveryLine() async {
        let input = "\"{\\\"a\\\": 1\"\nnot a string\n\n\"[1, 2\"\r\n"
        let r = await run(["repair", "--lines", "-"], stdin: input)
        XCTAssertEqual(r.out, "\"{\\\"a\\\":1}\"\nnull\nnull\n\"[1,2]\"\n", "output line N answers input line N")
        XCTAssertEqual(r.err, "stdin:2: not a JSON string literal; wrote null\nstdin:3: blank line; wrote null\n"
                       + #"warning: 2 lines needed a lossy repair (a value changed or dropped); the first is stdin:1: truncatedNumber at byte 6 (was "1") [lossy]"# + "\n")
        XCTAssertEqual(r.code, 1)
        let ok = await run(["repair", "--lines", "-"], stdin: "\"{\"\n")
        XCTAssertEqual(ok.code, 0)
    }

    func testRepairDropsTheFinalNewline() async {
        let r = await run(["repair", "-"], stdin: "{\"note\": \"gift wr\n")
        XCTAssertEqual(r.out, "{\"note\":\"gift wr\"}\n")
    }

    func testByteOrderMarksAndCRLF() async throws {
        let dir = TempDir()
        let bom = "\u{FEFF}"
        dir.write("cases.csv", bom + "id,w\r\nfirst,world\r\nsecond,all\r\n")
        dir.write("more.jsonl", bom + #"{"id": "third", "vars": {"w": "x"}}"# + "\n")
        let suite = dir.write("s.json", bom + """
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{w}}"}],
         "defaults": {"validators": [{"type": "length", "min": 1}]}, "casesFrom": ["cases.csv", "more.jsonl"]}
        """)
        let s = try SuiteLoader().load(suite)
        XCTAssertEqual(s.cases.map(\.id), ["first", "second", "third"], "the id column is recognised behind a BOM")
        XCTAssertEqual(s.cases[0].vars["w"], "world", "no \\r left on the last column")
        let v = await run(["validate", "--schema", dir.write("schema.json", bom + #"{"type": "object"}"#), "-"], stdin: bom + "{}")
        XCTAssertEqual(v.code, 0, v.err)
    }

    func testFoldersRecurseAndSkipWhatIsNotASuite() async throws {
        let dir = TempDir()
        let suite = #"{"suite": "NAME", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "validators": [{"type": "equals", "value": "x"}]}]}"#
        dir.write("suites/a.json", suite.replacingOccurrences(of: "NAME", with: "a"))
        dir.write("suites/team/b.jsonc", "// a JSONC suite\n" + suite.replacingOccurrences(of: "NAME", with: "b"))
        dir.write("suites/team/schema.json", #"{"type": "object", "properties": {"prompts": {}}}"#)
        dir.write("suites/cases.jsonl", "{}\n")
        dir.write("suites/.hidden/c.json", suite.replacingOccurrences(of: "NAME", with: "hidden"))
        let found = try SuiteLoader.expand([dir.file("suites")]).map { String($0.dropFirst(dir.path.count + 1)) }
        XCTAssertEqual(found, ["suites/a.json", "suites/team/b.jsonc"])
        dir.write("suites/broken.json", #"{"prompts": [ "#)
        let r = await run(["run", dir.file("suites"), "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")])
        XCTAssertEqual(r.code, 2, "a broken suite is reported, not skipped")
        XCTAssertTrue(r.err.contains("broken.json:1:"), r.err)
    }

    func testEnvironmentVariablesInConfiguration() throws {
        let dir = TempDir()
        dir.write("prompt.txt", "hi")
        let text = """
        {"backends": [{"id": "e", "type": "echo", "response": "${PROCTOR_T_RESPONSE}"},
                      {"id": "c", "type": "command", "argv": ["${PROCTOR_T_SHELL:-sh}", "-c", "echo $${HOME}"]}],
         "prompts": [{"id": "p", "file": "${PROCTOR_T_DIR:-.}/prompt.txt"}, {"id": "q", "template": "${NOT_REPLACED} {{x}}"}],
         "cases": [{"id": "c", "vars": {"x": 1}, "validators": [{"type": "equals", "value": "${KEPT}"}]}]}
        """
        let path = dir.write("s.json", text)
        let s = try SuiteLoader(environment: ["PROCTOR_T_RESPONSE": "from env"]).load(path)
        XCTAssertEqual(s.backends[0].config["response"], "from env")
        XCTAssertEqual(s.backends[1].config["argv"], ["sh", "-c", "echo ${HOME}"], "defaults apply and $${ writes a literal ${")
        XCTAssertEqual(s.prompts[0].render(s.cases[0].vars)[0].content, "hi")
        XCTAssertEqual(s.prompts[1].render(s.cases[0].vars)[0].content, "${NOT_REPLACED} 1", "templates are never substituted")
        XCTAssertThrowsError(try SuiteLoader(environment: [:]).load(path)) { e in
            XCTAssertEqual("\(e)".replacingOccurrences(of: dir.path + "/", with: ""),
                           "s.json:1:43: environment variable PROCTOR_T_RESPONSE is not set (used as ${PROCTOR_T_RESPONSE}; write ${PROCTOR_T_RESPONSE:-default} for a default)")
        }
    }

    func testLiteralBracesInTemplates() throws {
        let t = try Template(#"Use {{ "{{" }}name}} for variables, {{name}}"#, directory: "/tmp")
        XCTAssertEqual(t.render(JSONObject([("name", "Ada")])), "Use {{name}} for variables, Ada")
        XCTAssertNil(t.missingVariables(in: JSONObject([("name", "x")])).first)
    }
}
