import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Suites and case files written in YAML: same schema, same `file:line:column` errors.
final class YAMLSuiteTests: XCTestCase {
    func run(_ argv: [String], _ dir: TempDir) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(argv + ["--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")],
                                      console: console)
        return (code, console.capturedErr.replacingOccurrences(of: dir.path + "/", with: ""))
    }

    func testYAMLSuiteWithYAMLCases() async throws {
        let dir = TempDir()
        dir.write("suites/cases.yaml", """
        # more cases
        - id: from-yaml
          vars: {who: yaml}
          validators:
            - type: contains
              value: yaml
        """)
        dir.write("suites/triage.yaml", """
        suite: yaml-suite
        backends:
          - id: e
            type: echo
        prompts:
          - id: p
            template: |-
              Hello {{who}}
        defaults:
          validators: &checks
            - type: starts-with
              value: Hello
        cases:
          - id: inline
            vars:
              who: world
            validators:
              - type: contains
                value: world
        casesFrom: [cases.yaml]
        """)
        let r = await run(["run", dir.file("suites")], dir)
        XCTAssertEqual(r.code, 0, r.err)
        let res = try JSONParser.parse(dir.read("r.json") ?? "")
        XCTAssertEqual(res["summary"]?["total"], 2, "cases.yaml is cases, not a suite; triage.yaml is found in the folder")
        XCTAssertEqual(res["results"]?[1]?["case"], "from-yaml")
        XCTAssertEqual(res["results"]?[1]?["file"]?.stringValue?.hasSuffix("cases.yaml"), true)
        XCTAssertEqual(res["results"]?[1]?["line"], 2)
    }

    func testYAMLErrorsNameFileLineAndColumn() async {
        let dir = TempDir()
        let bad = dir.write("bad.yml", """
        backends:
          - id: e
            type: ecko
        prompts: [{id: p, template: x}]
        cases: [{id: c, validators: [{type: length, min: 0}]}]
        """)
        let r = await run(["run", bad], dir)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("bad.yml:3:5: unknown backend type 'ecko'; did you mean 'echo'?"), r.err)
        let syntax = dir.write("syntax.yaml", "backends:\n  - id: e\n  type: echo\n")
        let s = await run(["run", syntax], dir)
        XCTAssertEqual(s.code, 2)
        XCTAssertTrue(s.err.contains("syntax.yaml:3:3:"), s.err)
        let dup = dir.write("dup.yaml", "prompts: []\nprompts: []\n")
        let d = await run(["run", dup], dir)
        XCTAssertTrue(d.err.contains("dup.yaml:2:1: duplicate key 'prompts'"), d.err)
    }
}
