import Foundation
import FoundationXML
import ProctorBackends
import ProctorHarness
import ProctorJSON
import ProctorReports
import ProctorTestSupport
import XCTest

final class ReportTests: XCTestCase {
    func hostileRun() async throws -> RunResult {
        let dir = TempDir()
        let hostile = "bad \u{0}\u{1}\u{8}\u{B}\u{C}\u{1B}[31m ]]> <script>&amp;\" ' \u{FFFE}\u{FFFF} 😀 \u{7F}\u{85}"
        let suite = try loadSuite("""
        {"suite": "x<&>\\"'", "backends": [{"id": "e&<", "type": "echo", "response": \(JSONSerializer.quote(hostile))}],
         "prompts": [{"id": "p\\"", "template": "x"}],
         "cases": [{"id": "case <&> ]]> \\"q\\" \\u0001", "validators": [{"type": "contains", "value": "never"}]},
                   {"id": "ok", "validators": [{"type": "contains", "value": "bad"}]}]}
        """, in: dir)
        return try await Runner.run([suite])
    }

    func testJUnitStaysWellFormedWithHostileText() async throws {
        let run = try await hostileRun()
        let xml = JUnitWriter.render(run)
        let doc = try XMLDocument(data: Data(xml.utf8), options: [])
        let cases = try doc.nodes(forXPath: "//testcase")
        XCTAssertEqual(cases.count, 2)
        let name = (cases[0] as? XMLElement)?.attribute(forName: "name")?.stringValue
        XCTAssertEqual(name, "case <&> ]]> \"q\" \\u{1}", "hostile ids survive, control characters shown as escapes")
        XCTAssertEqual(try doc.nodes(forXPath: "//failure").count, 1)
        XCTAssertFalse(xml.contains("\u{0}"))
        XCTAssertFalse(xml.contains("\u{FFFE}"))
        XCTAssertTrue(xml.contains("😀"))
    }

    func testJUnitValidatesAgainstTheJenkinsSchema() async throws {
        let xsd = try SharedData.path("junit/jenkins-junit-10.xsd")
        guard let xmllint = ProcessRunner.resolveExecutable("xmllint", cwd: "/", environment: ProcessInfo.processInfo.environment) else {
            throw XCTSkip("xmllint not installed (Debian package libxml2-utils); .ci/run installs it and checks the example report")
        }
        let dir = TempDir()
        let path = dir.write("junit.xml", JUnitWriter.render(try await hostileRun()))
        let r = await ProcessRunner.run(argv: [xmllint, "--noout", "--schema", xsd, path], cwd: dir.path, stdin: [],
                                        environment: ProcessInfo.processInfo.environment, limits: .init(timeoutSeconds: 30))
        XCTAssertEqual(r.exitCode, 0, r.stderrText)
    }

    func testTimesHaveAtMostThreeDecimals() {
        XCTAssertEqual(JUnitWriterTimes.format(1234.5678), "1.235")
        XCTAssertEqual(JUnitWriterTimes.format(0), "0.000")
    }

    func testJSONResultsShape() async throws {
        let run = try await hostileRun()
        let v = try JSONParser.parse(ResultsFile.render(run, toolVersion: "test"))
        XCTAssertEqual(v["formatVersion"], 2)
        XCTAssertEqual(v["summary"]?["total"], 2)
        XCTAssertEqual(v["summary"]?["failed"], 1)
        XCTAssertEqual(v["summary"]?["passed"], 1)
        let r = v["results"]?[0]
        XCTAssertEqual(r?["status"], "failed")
        XCTAssertEqual(r?["validators"]?[0]?["type"], "contains")
        XCTAssertEqual(r?["validators"]?[0]?["pass"], false)
        XCTAssertEqual(r?["output"]?.stringValue?.hasPrefix("bad \u{0}"), true, "output kept exactly in JSON")
        for key in ["suite", "case", "prompt", "backend", "score", "finishReason", "usage", "latencyMs", "truncated", "repairs"] {
            XCTAssertNotNil(r?[key], key)
        }
    }

    func testAtomicWriteLeavesNoTempFiles() throws {
        let dir = TempDir()
        try AtomicFile.write("one", to: dir.file("r/out.txt"))
        try AtomicFile.write("two", to: dir.file("r/out.txt"))
        XCTAssertEqual(dir.read("r/out.txt"), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("r")), ["out.txt"])
    }
}

/// Exposes the time format for the test.
enum JUnitWriterTimes {
    static func format(_ ms: Double) -> String {
        let xml = JUnitWriter.render(RunResult(startedAt: Date(), durationMs: ms, suites: [], results: []))
        let r = xml.range(of: "time=\"")!
        return String(xml[r.upperBound...].prefix { $0 != "\"" })
    }
}
