import Foundation
import ProctorHarness
import ProctorJSON
@testable import ProctorReports
import ProctorTestSupport
import Synchronization
import XCTest

/// The paths a large run takes and a small one does not: results serialised a block per core,
/// JSONL cases read a piece per core, groups made from the runner's jobs, the single-pass JUnit
/// case. Each must give the same bytes (or the same cases and errors) as the plain path.
final class LargeRunTests: XCTestCase {
    /// 5,000 echo cases (more than two blocks of results), every tenth failing, every 97th repaired.
    func largeRun() async throws -> RunResult {
        let dir = TempDir()
        var lines = ""
        for i in 0..<5000 {
            let response = i % 97 == 0 ? #"{"n": \#(i), "s": "ok""# : #"{"n": \#(i), "s": "\#(i % 10 == 0 ? "bad" : "ok")"}"#
            lines += #"{"id": "c\#(i)", "vars": {"r": \#(JSONSerializer.quote(response)), "i": \#(i)}}"# + "\n"
        }
        dir.write("cases.jsonl", lines)
        let suite = try loadSuite("""
        {"suite": "big", "backends": [{"id": "e", "type": "echo"}],
         "prompts": [{"id": "p", "template": "{{r}}"}],
         "defaults": {"validators": [{"type": "json", "repair": true}, {"type": "equals", "path": "/s", "value": "ok"}]},
         "casesFrom": ["cases.jsonl"]}
        """, in: dir)
        return try await Runner.run([suite])
    }

    /// Fast jobs are taken in batches by each worker: results still come back in job order, and
    /// every one is reported once, with the progress counted one by one.
    func testBatchedWorkersKeepJobOrderAndReportEveryResult() async throws {
        let dir = TempDir()
        var lines = ""
        for i in 0..<3000 { lines += #"{"id": "c\#(i)", "vars": {"i": \#(i)}}"# + "\n" }
        dir.write("cases.jsonl", lines)
        let suite = try loadSuite("""
        {"suite": "order", "backends": [{"id": "e", "type": "echo"}],
         "prompts": [{"id": "p", "template": "{{i}}"}],
         "defaults": {"validators": [{"type": "regex", "pattern": "^[0-9]*[1-9]$"}]},
         "casesFrom": ["cases.jsonl"]}
        """, in: dir)
        let seen = Mutex<(ids: Set<String>, dones: [Int], failures: Int)>(([], [], 0))
        var options = RunOptions()
        options.concurrency = 3
        let run = try await Runner.run([suite], options: options) { p, r in
            seen.withLock { $0.ids.insert(r.caseId); $0.dones.append(p.done); $0.failures = p.failures }
        }
        XCTAssertEqual(run.results.map(\.caseId), (0..<3000).map { "c\($0)" })
        XCTAssertEqual(run.results.map(\.output), (0..<3000).map { "\($0)" })
        let s = seen.withLock { $0 }
        XCTAssertEqual(s.ids.count, 3000)
        XCTAssertEqual(s.dones, Array(1...3000), "progress counts each result once, in order")
        XCTAssertEqual(s.failures, 300, "the ids ending in 0 fail the pattern")
        XCTAssertEqual(run.summary.failed, 300)
    }

    func testResultsWrittenOnSeveralCoresMatchOneAfterTheOther() async throws {
        let run = try await largeRun()
        XCTAssertGreaterThan(run.results.count, 2 * ResultsFile.block)
        var serial = ReportSink(), parallel = ReportSink()
        ResultsFile.writeResults(run.results, into: &serial, lanes: 1)
        ResultsFile.writeResults(run.results, into: &parallel, lanes: 3)
        XCTAssertEqual(serial.bytes.count, parallel.bytes.count)
        XCTAssertTrue(serial.bytes == parallel.bytes, "the blocks are written in order")
        let v = try JSONParser.parse(ResultsFile.render(run, toolVersion: "t"))
        guard case .array(let results)? = v["results"] else { return XCTFail("no results") }
        XCTAssertEqual(results.count, 5000)
        for i in stride(from: 0, to: 5000, by: 499) { XCTAssertEqual(results[i]["case"]?.stringValue, "c\(i)") }
        XCTAssertEqual(run.summary.failed, 5000 / 10 - (0..<5000).filter { $0 % 10 == 0 && $0 % 97 == 0 }.count)
        XCTAssertEqual(run.summary.repaired, (0..<5000).filter { $0 % 97 == 0 }.count)
    }

    func testGroupsFromTheRunnerEqualGroupsFromTheResults() async throws {
        let run = try await largeRun()
        let regrouped = CaseGroup.group(run.results)
        XCTAssertEqual(run.groups.count, regrouped.count)
        for i in run.groups.indices {
            XCTAssertEqual(run.groups[i].key, regrouped[i].key)
            XCTAssertEqual(run.groups[i].status, regrouped[i].status)
            XCTAssertEqual(run.groups[i].samples.count, regrouped[i].samples.count)
        }
    }

    func testOnePassedSampleIsWrittenAsTheGeneralPathWritesIt() async throws {
        let run = try await largeRun()
        var checked = 0
        for g in run.groups where g.isPass && g.samples.count == 1 {
            var fast: [UInt8] = [], general: [UInt8] = []
            withUnsafePointer(to: g.first) { JUnitWriter.passedOnce($0, .init(), &fast) }
            JUnitWriter.general(g, first: g.first, .init(), &general)
            XCTAssertEqual(String(decoding: fast, as: UTF8.self), String(decoding: general, as: UTF8.self))
            checked += 1
            if checked > 200 { break }
        }
        XCTAssertGreaterThan(checked, 100)
        let repaired = run.groups.first { $0.status == .repaired }!
        var fast: [UInt8] = [], general: [UInt8] = []
        withUnsafePointer(to: repaired.first) { JUnitWriter.passedOnce($0, .init(), &fast) }
        JUnitWriter.general(repaired, first: repaired.first, .init(), &general)
        XCTAssertEqual(String(decoding: fast, as: UTF8.self), String(decoding: general, as: UTF8.self), "a repaired pass too")
        XCTAssertTrue(String(decoding: fast, as: UTF8.self).contains("[proctor] output repaired before validation"))
    }

    func testLargeCasesFileIsReadInPiecesWithTheRightLines() throws {
        let dir = TempDir()
        let filler = String(repeating: "x", count: 200)
        var lines: [String] = []
        for i in 0..<8000 { lines.append(#"{"id": "c\#(i)", "vars": {"pad": "\#(filler)"}}"#) }
        lines.insert("", at: 3000)   // blank lines count as lines
        lines.insert("  ", at: 6001)
        dir.write("cases.jsonl", lines.joined(separator: "\n") + "\n")
        let base = #"{"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "defaults": {"allowEmpty": true}"#
        let suite = try loadSuite(base + #", "casesFrom": ["cases.jsonl"]}"#, in: dir)
        XCTAssertGreaterThan(lines.joined(separator: "\n").utf8.count, 1 << 20, "big enough to be read in pieces")
        XCTAssertEqual(suite.cases.count, 8000)
        XCTAssertEqual(suite.cases.map(\.id), (0..<8000).map { "c\($0)" }, "cases keep file order")
        XCTAssertEqual(suite.cases[2999].line, 3000)
        XCTAssertEqual(suite.cases[3000].line, 3002)
        XCTAssertEqual(suite.cases[7999].line, 8002)

        // The first error in file order is the one reported, wherever the pieces split.
        var bad = lines
        bad[7000] = #"{"id": "c6999x", "vars": 3}"#
        bad[5000] = #"{"id": "c4999x", "vars": {"pad": x}}"#
        dir.write("cases.jsonl", bad.joined(separator: "\n") + "\n")
        XCTAssertEqual(loadError(base + #", "casesFrom": ["cases.jsonl"]}"#, in: dir).components(separatedBy: ": ").first,
                       "cases.jsonl:5001:34")
        bad[5000] = lines[5000]
        dir.write("cases.jsonl", bad.joined(separator: "\n") + "\n")
        // A line that parses but is not a valid case names the column of what is wrong ("vars").
        let notACase = loadError(base + #", "casesFrom": ["cases.jsonl"]}"#, in: dir)
        XCTAssertTrue(notACase.hasPrefix("cases.jsonl:7001:18: "), notACase)
        // A duplicate id across pieces names both places.
        var dup = lines
        dup[7500] = #"{"id": "c5", "vars": {}}"#
        dir.write("cases.jsonl", dup.joined(separator: "\n") + "\n")
        let e = loadError(base + #", "casesFrom": ["cases.jsonl"]}"#, in: dir)
        XCTAssertTrue(e.hasPrefix("cases.jsonl:7501:1: duplicate case id 'c5' (first defined at "), e)
        XCTAssertTrue(e.hasSuffix("cases.jsonl:6)"), e)
        // Of several duplicates (checked a share of the ids per core), the first in file order.
        dup[6500] = #"{"id": "c7", "vars": {}}"#
        dup[4000] = #"{"id": "c1", "vars": {}}"#
        dir.write("cases.jsonl", dup.joined(separator: "\n") + "\n")
        let first = loadError(base + #", "casesFrom": ["cases.jsonl"]}"#, in: dir)
        XCTAssertTrue(first.hasPrefix("cases.jsonl:4001:1: duplicate case id 'c1' (first defined at "), first)
        XCTAssertTrue(first.hasSuffix("cases.jsonl:2)"), first)
        // Of several cases missing a prompt's variable (checked a block per core), the first.
        var missing = lines
        missing[7200] = #"{"id": "m7200", "vars": {}}"#
        missing[5200] = #"{"id": "m5200", "vars": {}}"#
        dir.write("cases.jsonl", missing.joined(separator: "\n") + "\n")
        let uses = base.replacingOccurrences(of: #""template": "x""#, with: #""template": "x {{pad}}""#)
        XCTAssertEqual(loadError(uses + #", "casesFrom": ["cases.jsonl"]}"#, in: dir),
                       "cases.jsonl:5201:1: case 'm5200' does not define variable 'pad' used by prompt 'p'")
    }
}
