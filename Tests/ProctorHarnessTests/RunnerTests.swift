import Foundation
import ProctorBackends
import ProctorHarness
import ProctorJSON
import ProctorRegex
import ProctorTestSupport
import XCTest

final class RunnerTests: XCTestCase {
    func suite(cases: Int, dir: TempDir, backends: String = #"[{"id": "e", "type": "echo"}]"#, validators: String = "[]") throws -> Suite {
        let cs = (0..<cases).map { #"{"id": "case-\#($0)", "vars": {"n": \#($0)}}"# }.joined(separator: ",")
        return try loadSuite("""
        {"backends": \(backends), "prompts": [{"id": "a", "template": "n={{n}}"}, {"id": "b", "template": "{{n}}"}],
         "defaults": {"validators": \(validators), "allowEmpty": true}, "cases": [\(cs)]}
        """, in: dir)
    }

    func testDeterministicOrderWhateverTheCompletionOrder() async throws {
        let dir = TempDir()
        // Sleeps longer for earlier cases, so they finish last.
        dir.write("slow.sh", "read n; sleep $(( (10 - ${n#n=}) % 10 ))e-2 2>/dev/null || sleep 0; echo \"$n\"\n")
        dir.write("rev.sh", "read n; n=${n#n=}; t=$(( 9 - n )); sleep 0.0$t; echo \"out-$n\"\n")
        let s = try suite(cases: 10, dir: dir, backends: #"[{"id": "c", "type": "command", "argv": ["sh", "rev.sh"]}, {"id": "e", "type": "echo"}]"#)
        var options = RunOptions()
        options.concurrency = 8
        let run = try await Runner.run([s], options: options)
        XCTAssertEqual(run.results.count, 40)
        let expected = (0..<10).flatMap { i in ["a", "b"].flatMap { p in ["c", "e"].map { b in "case-\(i)/\(p)/\(b)" } } }
        XCTAssertEqual(run.results.map { "\($0.caseId)/\($0.promptId)/\($0.backendId)" }, expected)
        XCTAssertEqual(run.results[0].output, "out-0", "the newline echo ends with is not part of the output")
    }

    func testFiltersAndShards() async throws {
        let dir = TempDir()
        let s = try suite(cases: 30, dir: dir)
        var options = RunOptions()
        options.filter = try ECMARegex("^case-1")
        options.promptIds = ["b"]
        let run = try await Runner.run([s], options: options)
        XCTAssertEqual(Set(run.results.map(\.caseId)), Set(["case-1"] + (10...19).map { "case-\($0)" }))
        XCTAssertTrue(run.results.allSatisfy { $0.promptId == "b" })

        var seen: [String] = []
        for k in 1...3 {
            var o = RunOptions()
            o.shard = (k, 3)
            let part = try await Runner.run([s], options: o)
            XCTAssertEqual(Set(part.results.map(\.caseId)).count, 10, "30 cases in 3 shards: 10 each")
            seen += Set(part.results.map(\.caseId))
        }
        XCTAssertEqual(seen.sorted(), (0..<30).map { "case-\($0)" }.sorted(), "shards cover every case exactly once")
        // 7 cases in 3 shards: 3, 2, 2 (dealt in turn), never 2/1/4.
        let seven = try suite(cases: 7, dir: dir)
        var sizes: [Int] = []
        for k in 1...3 {
            var o = RunOptions()
            o.shard = (k, 3)
            sizes.append(Set(try await Runner.run([seven], options: o).results.map(\.caseId)).count)
        }
        XCTAssertEqual(sizes, [3, 2, 2])
    }

    func testFailFastSkipsTheRest() async throws {
        let dir = TempDir()
        let s = try suite(cases: 20, dir: dir, validators: #"[{"type": "contains", "value": "never"}]"#)
        var options = RunOptions()
        options.failFast = true
        options.concurrency = 1
        let run = try await Runner.run([s], options: options)
        XCTAssertEqual(run.summary.failed, 1)
        XCTAssertEqual(run.summary.skipped, 39)
        XCTAssertEqual(run.results.last?.status, .skipped)
    }

    func testBackendErrorsAreErrorsNotFailures() async throws {
        let dir = TempDir()
        dir.write("boom.sh", "echo oops >&2; exit 2\n")
        let s = try suite(cases: 1, dir: dir, backends: #"[{"id": "c", "type": "command", "argv": ["sh", "boom.sh"]}]"#,
                          validators: #"[{"type": "contains", "value": "x"}]"#)
        let r = try await Runner.run([s]).results[0]
        XCTAssertEqual(r.status, .error)
        XCTAssertEqual(r.error, "command 'sh' exited with status 2; stderr ends: oops")
        XCTAssertEqual(r.stderr, "oops\n")
        XCTAssertTrue(r.validators.isEmpty)
    }

    func testTruncationIsRecorded() async throws {
        let r = try await checkOutput("{\"a\": ", validators: #"[{"type": "json"}]"#, finish: "length")
        XCTAssertTrue(r.truncated)
        XCTAssertEqual(r.status, .failed)
    }
}
