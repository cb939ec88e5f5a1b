import ProctorCommandLine
import XCTest

final class ArgumentParserTests: XCTestCase {
    let spec = CommandSpec(name: "t", summary: "test", usage: "t", options: [
        OptionSpec("schema", short: "s", value: "FILE", help: ""),
        OptionSpec("registry", value: "X", repeatable: true, help: ""),
        OptionSpec("jsonl", help: ""),
    ])

    func testOptionsValuesAndPositionals() throws {
        let a = try ArgumentParser.parse(["--schema", "s.json", "a", "--registry=x=y", "--registry", "z", "--jsonl", "-", "b"], spec: spec)
        XCTAssertEqual(a.value("schema"), "s.json")
        XCTAssertEqual(a.all("registry"), ["x=y", "z"])
        XCTAssertTrue(a.flag("jsonl"))
        XCTAssertEqual(a.positionals, ["a", "-", "b"])
        XCTAssertEqual(try ArgumentParser.parse(["-s", "f"], spec: spec).value("schema"), "f")
    }

    func testDoubleDashEndsOptions() throws {
        let a = try ArgumentParser.parse(["--", "--schema", "-x"], spec: spec)
        XCTAssertEqual(a.positionals, ["--schema", "-x"])
        XCTAssertNil(a.value("schema"))
    }

    func testErrors() {
        let cases: [([String], String)] = [
            (["--shema", "x"], "unknown option '--shema' for 't'; did you mean '--schema'?"),
            (["--schema"], "option '--schema' needs a value (FILE)"),
            (["--schema", "a", "--schema", "b"], "option '--schema' given twice"),
            (["--jsonl=1"], "option '--jsonl' takes no value"),
            (["-q"], "unknown option '-q' for 't'"),
        ]
        for (argv, message) in cases {
            XCTAssertThrowsError(try ArgumentParser.parse(argv, spec: spec), "\(argv)") { e in
                XCTAssertEqual("\(e)", message)
                XCTAssertEqual((e as? CLIError)?.exitCode, 2)
            }
        }
    }

    func testHelpFlag() throws {
        XCTAssertTrue(try ArgumentParser.parse(["--help"], spec: spec).wantsHelp)
        XCTAssertTrue(spec.helpText.contains("--schema FILE"))
    }
}
