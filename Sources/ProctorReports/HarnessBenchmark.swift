import Foundation
import ProctorHarness

/// `proctor bench harness`: a generated suite of N cases on the echo backend with three validators
/// each, loaded, run and written to JUnit and JSON; the harness's own time per case. It lives with
/// the reports because it times the whole path from suite file to report files.
public enum HarnessBenchmark {
    /// A run that did not go as the benchmark requires.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What went wrong.
        public let description: String
    }

    /// Runs the benchmark in a fresh temporary folder and returns the report lines.
    public static func run(cases: Int, toolVersion: String) async throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proctor-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines = ""
        lines.reserveCapacity(cases * 80)
        for i in 0..<cases {
            lines += #"{"id": "case-\#(i)", "vars": {"n": \#(i), "item": "widget-\#(i % 97)"}}"# + "\n"
        }
        try lines.write(toFile: dir + "/cases.jsonl", atomically: true, encoding: .utf8)
        try #"""
        {"suite": "bench", "backends": [{"id": "echo", "type": "echo"}],
         "prompts": [{"id": "p", "template": "{\"n\": {{n}}, \"item\": \"{{item}}\", \"status\": \"ok\"}"}],
         "defaults": {"validators": [
           {"type": "json"},
           {"type": "equals", "path": "/status", "value": "ok"},
           {"type": "regex", "pattern": "widget-\\d+", "path": "/item"}]},
         "casesFrom": ["cases.jsonl"]}
        """#.write(toFile: dir + "/bench.json", atomically: true, encoding: .utf8)

        let t0 = DispatchTime.now().uptimeNanoseconds
        let suite = try SuiteLoader().load(dir + "/bench.json")
        let t1 = DispatchTime.now().uptimeNanoseconds
        let result = try await Runner.run([suite])
        let t2 = DispatchTime.now().uptimeNanoseconds
        if let failure = ReportFiles.write([
            ("JUnit report", dir + "/junit.xml", { JUnitWriter.write(result, into: &$0) }),
            ("JSON results", dir + "/results.json", { ResultsFile.write(result, toolVersion: toolVersion, into: &$0) }),
        ]) {
            throw Failure(description: "bench: \(failure)")
        }
        let t3 = DispatchTime.now().uptimeNanoseconds
        let s = result.summary
        guard s.passed == cases else { throw Failure(description: "bench: expected every case to pass, got \(s.passed)/\(cases)") }
        func ms(_ a: UInt64, _ b: UInt64) -> Double { Double(b - a) / 1e6 }
        return [
            String(format: "cases %d (3 validators each, echo backend)", cases),
            String(format: "load    %8.1f ms", ms(t0, t1)),
            String(format: "run     %8.1f ms", ms(t1, t2)),
            String(format: "reports %8.1f ms (JUnit and JSON streamed side by side)", ms(t2, t3)),
            String(format: "total   %8.1f ms  = %.1f µs of harness time per case", ms(t0, t3), ms(t0, t3) * 1000 / Double(cases)),
        ]
    }
}
