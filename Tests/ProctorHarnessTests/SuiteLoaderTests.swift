import Foundation
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

final class SuiteLoaderTests: XCTestCase {
    let base = #""backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "Hi {{name}}"}]"#

    func testBadInputMessages() {
        XCTAssertEqual(loadError("{\(base), \"cases\": [{\"id\": \"a\" \"vars\": {}}]}"),
                       "suite.json:1:119: expected ',' or '}' after object member, found '\"'")
        XCTAssertEqual(loadError("{\(base), \"cases\": [{\"id\": \"a\", \"vars\": {\"name\": 1}}], \"cazes\": []}"),
                       "suite.json:1:143: unknown key \"cazes\" in suite; did you mean 'cases'?")
        XCTAssertEqual(loadError("{\(base), \"cases\": [{\"id\": \"a\", \"vars\": {\"name\": 1}, \"validators\": [{\"type\": \"regx\", \"pattern\": \"a\"}]}]}"),
                       "suite.json:1:157: unknown validator 'regx'; did you mean 'regex'?")
        XCTAssertEqual(loadError("{\(base), \"cases\": [{\"id\": \"a\"}]}"),
                       "suite.json:1:108: case 'a' does not define variable 'name' used by prompt 'p'")
        XCTAssertEqual(loadError("{\(base), \"cases\": [{\"id\": \"a\", \"vars\": {\"name\": 1}}, {\"id\": \"a\", \"vars\": {\"name\": 2}}]}"),
                       "suite.json:1:143: duplicate case id 'a' (first defined at \(TempDirPath.placeholder)suite.json:1)".replacingOccurrences(of: TempDirPath.placeholder, with: ""))
        XCTAssertEqual(loadError("{\(base), \"cases\": [{\"id\": \"a\", \"vars\": {\"name\": 1}, \"validators\": [{\"type\": \"regex\", \"pattern\": \"(a\"}]}]}"),
                       "suite.json:1:174: invalid regular expression /(a/ at position 2: missing ')'")
        XCTAssertEqual(loadError("{\(base), \"cases\": [{\"id\": \"a\", \"vars\": {\"name\": 1}, \"validators\": [{\"type\": \"json-schema\", \"schema\": \"missing.json\"}]}]}"),
                       "suite.json:1:180: schema file 'missing.json' not found (looked for missing.json)")
        XCTAssertEqual(loadError("{\"backends\": [{\"id\": \"c\", \"type\": \"command\", \"argv\": [\"no-such-binary-q\"]}], \"prompts\": [{\"id\": \"p\", \"template\": \"x\"}], \"cases\": [{\"id\": \"a\", \"allowEmpty\": true}]}"),
                       "suite.json:1:55: command backend 'c': program 'no-such-binary-q' not found on PATH")
        XCTAssertEqual(loadError("{\"backends\": [{\"id\": \"e\", \"type\": \"ecko\"}], \"prompts\": [{\"id\": \"p\", \"template\": \"x\"}], \"cases\": [{\"id\": \"a\"}]}"),
                       "suite.json:1:27: unknown backend type 'ecko'; did you mean 'echo'?")
        XCTAssertEqual(loadError("{\(base), \"cases\": [{\"id\": \"a\", \"vars\": {\"name\": 1}, \"validators\": [{\"type\": \"contains\", \"valeu\": \"x\"}]}]}"),
                       "suite.json:1:177: unknown key \"valeu\" for validator 'contains'; did you mean 'value'?")
        XCTAssertEqual(loadError("{\"backends\": [{\"id\": \"e\", \"type\": \"echo\"}], \"prompts\": [{\"id\": \"p\", \"template\": \"{{x | upper}}\"}], \"cases\": [{\"id\": \"a\"}]}"),
                       "suite.json:1:69: unknown template filter 'upper' in '{{x | upper}}'")
    }

    func testMissingSuitePath() {
        XCTAssertThrowsError(try SuiteLoader.expand(["/no/such/suites"])) { e in
            XCTAssertEqual("\(e)", "/no/such/suites: no such suite or folder".replacingOccurrences(of: "suite or", with: "suite file or"))
        }
    }

    func testTemplatesPathsIncludesAndJSONFilter() throws {
        let dir = TempDir()
        dir.write("parts/footer.txt", "-- {{sig}}")
        let suite = try loadSuite("""
        {"backends": [{"id": "e", "type": "echo"}],
         "prompts": [{"id": "p", "template": "{{user.name}} / {{user | json}} / {{items.1}} {{> parts/footer.txt}}"},
                     {"id": "m", "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "{{sig}}"}]}],
         "defaults": {"vars": {"sig": "bye"}, "allowEmpty": true},
         "cases": [{"id": "a", "vars": {"user": {"name": "Ada"}, "items": ["x", "y"]}}]}
        """, in: dir)
        let msgs = suite.prompts[0].render(suite.cases[0].vars)
        XCTAssertEqual(msgs.map(\.content), [#"Ada / {"name":"Ada"} / y -- bye"#])
        XCTAssertEqual(suite.prompts[1].render(suite.cases[0].vars).map(\.role), ["system", "user"])
        XCTAssertNotEqual(suite.prompts[0].sha256, suite.prompts[1].sha256)
    }

    func testCasesFromJSONLAndCSV() throws {
        let dir = TempDir()
        dir.write("cases.jsonl", #"{"id": "j1", "vars": {"name": "A"}, "allowEmpty": true}"# + "\n\n" + #"{"id": "j2", "vars": {"name": "B"}, "validators": [{"type": "contains", "value": "B"}]}"# + "\n")
        dir.write("cases.csv", "id,name\nc1,\"Smith, J\"\nc2,\"say \"\"hi\"\"\"\n")
        let suite = try loadSuite("{\(base), \"defaults\": {\"allowEmpty\": true}, \"casesFrom\": [\"cases.jsonl\", \"cases.csv\"]}", in: dir)
        XCTAssertEqual(suite.cases.map(\.id), ["j1", "j2", "c1", "c2"])
        XCTAssertEqual(suite.cases[2].vars["name"], "Smith, J")
        XCTAssertEqual(suite.cases[3].vars["name"], #"say "hi""#)
        XCTAssertEqual(suite.cases[1].line, 3)
        dir.write("bad.jsonl", "{\"id\": \"ok\", \"vars\": {\"name\": 1}}\n{\"id\": }\n")
        XCTAssertEqual(loadError("{\(base), \"casesFrom\": \"bad.jsonl\"}", in: dir).replacingOccurrences(of: dir.path + "/", with: ""),
                       "bad.jsonl:2:8: expected a JSON value, found '}'")
        // A line that parses but is not a valid case: the column of the offending member, as in
        // a suite file (here the misspelt key, counted in characters: "é" is one).
        dir.write("bad2.jsonl", #"{"id": "ok", "vars": {"name": "é"}}"# + "\n" + #"{"id": "b", "vars": {"name": "é"}, "validators": [{"type": "contains", "value": "hi", "negat": true}]}"# + "\n")
        let e = loadError("{\(base), \"casesFrom\": \"bad2.jsonl\"}", in: dir).replacingOccurrences(of: dir.path + "/", with: "")
        XCTAssertTrue(e.hasPrefix("bad2.jsonl:2:87: unknown key \"negat\" for validator 'contains'"), e)
    }

    func testRelativePathsResolveFromTheSuiteFolder() throws {
        let dir = TempDir()
        dir.write("schemas/s.json", #"{"type": "object"}"#)
        dir.write("nested/suite.json", """
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{}"}],
         "cases": [{"id": "a", "validators": [{"type": "json-schema", "schema": "../schemas/s.json"}]}]}
        """)
        // The test process's working directory is not the suite's folder (and no test changes it).
        XCTAssertNotEqual(FileManager.default.currentDirectoryPath, dir.file("nested"))
        XCTAssertNoThrow(try SuiteLoader().load(dir.file("nested/suite.json")))
    }
}

enum TempDirPath { static let placeholder = "" }
