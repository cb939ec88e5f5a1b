import Foundation
import ProctorHarness
import ProctorReports

/// `proctor bench harness`: a generated suite of N cases on the echo backend with three validators
/// each, run and written to both reports; prints the harness time per case.
enum HarnessBench {
    static func run(cases: Int, console: Console) async throws -> Int32 {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proctor-bench-\(getpid())").path
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
            ("JSON results", dir + "/results.json", { JSONResultsWriter.write(result, toolVersion: Proctor.version, into: &$0) }),
        ]) {
            console.err("bench: \(failure)")
            return 1
        }
        let t3 = DispatchTime.now().uptimeNanoseconds
        let s = result.summary
        guard s.passed == cases else {
            console.err("bench: expected every case to pass, got \(s.passed)/\(cases)")
            return 1
        }
        func ms(_ a: UInt64, _ b: UInt64) -> Double { Double(b - a) / 1e6 }
        console.out(String(format: "cases %d (3 validators each, echo backend)", cases))
        console.out(String(format: "load    %8.1f ms", ms(t0, t1)))
        console.out(String(format: "run     %8.1f ms", ms(t1, t2)))
        console.out(String(format: "reports %8.1f ms (JUnit and JSON streamed side by side)", ms(t2, t3)))
        console.out(String(format: "total   %8.1f ms  = %.1f µs of harness time per case", ms(t0, t3), ms(t0, t3) * 1000 / Double(cases)))
        return 0
    }
}
