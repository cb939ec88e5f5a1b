import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Expectations from data: promptfoo's `__expected` columns (its one-cell assertion language),
/// `__threshold`, `__description`, `__metadata:NAME`, and `file://` variables, in CSV, JSONL and
/// YAML case files, through the CLI.
final class CaseFileColumnsTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: ["PATH": "/usr/local/bin:/usr/bin:/bin"], workingDirectory: dir.path)
        let code = await Proctor.main(argv + ["--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"), "--markdown", dir.file("r/s.md")],
                                      console: console)
        return (code, console.capturedErr)
    }

    func results(_ dir: TempDir) throws -> [JSONValue] { try XCTUnwrap(try JSONParser.parse(dir.read("r/results.json") ?? "")["results"]?.arrayValue) }

    func suite(_ dir: TempDir, _ casesFile: String) -> String {
        dir.write("s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{q}}"}], "casesFrom": ["\#(casesFile)"]}"#)
    }

    func testCSVColumnsBecomeChecksThresholdIdAndMetadata() async throws {
        let dir = TempDir()
        dir.write("data/cases.csv", """
        q,__expected,__expected2,__threshold,__description,__metadata:team
        Paris,contains: Par,not-icontains: berlin,,capital,geo
        Oslo,Bergen,starts-with: Os,0.5,oslo,geo
        file://doc.txt,doc,regex: ^d,,,docs
        Rome,"contains-any: Milan, Rome",icontains-all: ROME,,rome,

        """)
        dir.write("data/doc.txt", "doc")
        let s = dir.write("s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{q}}"}], "casesFrom": ["data/cases.csv"]}"#)
        let r = await run(["run", s], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        let rs = try results(dir)
        XCTAssertEqual(rs.map { $0["case"]?.stringValue }, ["capital", "oslo", "row-4", "rome"])
        XCTAssertEqual(rs[0]["validators"]?.arrayValue?.map { $0["type"]?.stringValue }, ["contains", "icontains"])
        XCTAssertEqual(rs[0]["metadata"], ["team": "geo"])
        // "Bergen" fails equals, starts-with passes: 0.5 reaches the row's own threshold.
        XCTAssertEqual(rs[1]["status"], "passed")
        XCTAssertEqual(rs[1]["validators"]?[0]?["pass"], false)
        // A file:// variable is read relative to the cases file.
        XCTAssertEqual(rs[2]["vars"], ["q": "doc"])
        XCTAssertEqual(rs[2]["metadata"], ["team": "docs"])
        XCTAssertEqual(rs[3]["validators"]?.arrayValue?.map { $0["type"]?.stringValue }, ["contains-any", "all"])
        XCTAssertNil(rs[3]["metadata"], "an empty cell sets nothing")
    }

    func testJSONLAndYAMLVarsTakeTheSameColumns() async throws {
        let dir = TempDir()
        dir.write("cfg.json", #"{"city": "Lima"}"#)
        dir.write("cases.jsonl", #"{"id": "a", "vars": {"q": "Lima", "__expected": "icontains: LIMA", "__metadata:tier": 2}}"# + "\n"
                  + #"{"id": "b", "vars": {"q": "file://cfg.json", "__expected": "contains-json"}}"# + "\n")
        let r = await run(["run", suite(dir, "cases.jsonl")], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        let rs = try results(dir)
        XCTAssertEqual(rs[0]["metadata"], ["tier": 2])
        XCTAssertEqual(rs[1]["vars"]?["q"], ["city": "Lima"], "a .json file is parsed")
        dir.write("cases.yaml", "- id: y\n  vars: {q: hi, __expected: 'not-contains: bye'}\n")
        let y = await run(["run", suite(dir, "cases.yaml")], in: dir)
        XCTAssertEqual(y.code, 0, y.err)
        XCTAssertEqual(try results(dir)[0]["validators"]?[0]?["type"], "contains")
    }

    /// `file://` in `defaults.vars` (relative to the suite) and `__description` as the id of a JSONL case.
    func testDefaultFileVariablesAndDescriptionsAsIds() async throws {
        let dir = TempDir()
        dir.write("sub/p.json", #"{"tier": "gold"}"#)
        dir.write("cases.jsonl", #"{"vars": {"__description": "first", "q": "x"}}"# + "\n")
        let s = dir.write("s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{q}} {{p.tier}}"}], "defaults": {"vars": {"p": "file://sub/p.json"}, "validators": [{"type": "equals", "value": "x gold"}]}, "casesFrom": ["cases.jsonl"]}"#)
        let r = await run(["run", s], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(try results(dir)[0]["case"], "first")
        dir.write("s2.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "defaults": {"vars": {"p": "file://missing.txt"}}, "cases": [{"id": "a", "validators": [{"type": "equals", "value": "x"}]}]}"#)
        let m = await run(["run", dir.file("s2.json")], in: dir)
        XCTAssertEqual(m.code, 2)
        XCTAssertTrue(m.err.contains("s2.json:1:") && m.err.contains("variable file 'missing.txt' not found"), m.err)
    }

    /// What cannot be mapped is a load error at its row and column, never a literal equals.
    func testUnmappableColumnsAreLoadErrorsAtRowAndColumn() async throws {
        let dir = TempDir()
        for (csv, message) in [("q,__expected\nx,is-sql\n", "cases.csv:2:3: __expected 'is-sql': assertion type 'is-sql' has no Proctor equivalent"),
                               ("q,__expected\nx,contains\n", "cases.csv:2:3: __expected 'contains': contains needs a string value"),
                               ("q,__threshold\nx,1.5\n", "cases.csv:2:3: __threshold must be a number from 0 to 1"),
                               ("q,__prefix\nx,1\n", "cases.csv:2:3: column '__prefix' is not one Proctor reads"),
                               ("id,q,__description\na,x,b\n", "cases.csv:2:1: give the case's id by 'id' or by '__description', not both"),
                               ("q,__expected\nx,regex: (\n", "cases.csv:2:3: __expected 'regex: ('"),
                               ("q,__expected\nx,contians: refund\n", "cases.csv:2:3: __expected 'contians: refund': 'contians' is not an assertion type promptfoo knows; did you mean 'contains'?"),
                               ("q\nfile://missing.txt\n", "cases.csv:2:1: variable file 'missing.txt' not found")] {
            dir.write("cases.csv", csv)
            let r = await run(["run", suite(dir, "cases.csv")], in: dir)
            XCTAssertEqual(r.code, 2, csv)
            XCTAssertTrue(r.err.contains(message), "\(csv): \(r.err)")
        }
        dir.write("cases.jsonl", #"{"id": "a", "vars": {"q": "x", "__expected": "rouge-n: x"}}"# + "\n")
        let j = await run(["run", suite(dir, "cases.jsonl")], in: dir)
        XCTAssertEqual(j.code, 2)
        XCTAssertTrue(j.err.contains("cases.jsonl:1:") && j.err.contains("rouge-n"), j.err)
    }
}
