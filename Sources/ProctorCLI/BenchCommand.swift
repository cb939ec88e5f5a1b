import Foundation
import ProctorJSON
import ProctorSchema

/// `proctor bench`: the benchmarks behind the Benchmarks article (Sources/ProctorCLI/ProctorCLI.docc/Benchmarks.md) (never timed unit tests).
enum BenchCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "bench",
        summary: "Run a benchmark: schema (validation + JSON parsing), repair (throughput) or harness (per-case overhead).",
        usage: "proctor bench schema [--data DIR] [--repeat N] | proctor bench repair [--corpus-out FILE] | proctor bench harness [--cases N]",
        options: [
            OptionSpec("data", value: "DIR", help: "Benchmark data folder (default ../shared/bench/schema)."),
            OptionSpec("repeat", value: "N", help: "Timed passes; the median is reported (default 5)."),
            OptionSpec("cases", value: "N", help: "harness: number of generated cases (default 10000)."),
            OptionSpec("corpus-out", value: "FILE", help: "repair: also write the corpus as JSON string lines (for other tools)."),
        ])

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard let which = args.positionals.first else { throw CLIError.usage("name a benchmark: schema") }
        let repeats = try args.int("repeat", min: 1) ?? 5
        switch which {
        case "schema":
            return try SchemaBench.run(dir: args.value("data") ?? "../shared/bench/schema", repeats: repeats, console: console)
        case "repair":
            return try RepairBench.run(repeats: repeats, corpusOut: args.value("corpus-out"), console: console)
        case "harness":
            return try await HarnessBench.run(cases: try args.int("cases", min: 1) ?? 10_000, console: console)
        default:
            throw CLIError.usage("unknown benchmark '\(which)' (available: schema, repair, harness)")
        }
    }
}

/// Times `body` `repeats` times and returns the median seconds.
func medianSeconds(_ repeats: Int, _ body: () -> Void) -> Double {
    var times: [Double] = []
    for _ in 0..<repeats {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}

enum SchemaBench {
    static func run(dir: String, repeats: Int, console: Console) throws -> Int32 {
        let instPath = dir + "/instances.jsonl"
        guard let data = FileManager.default.contents(atPath: instPath) else { throw CLIError.input("\(instPath): cannot be read") }
        let bytes = [UInt8](data)
        // Parse throughput: ours vs JSONSerialization, line by line, same bytes.
        var lineRanges: [Range<Int>] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if i > start { lineRanges.append(start..<i) }
            start = i + 1
        }
        if start < bytes.count { lineRanges.append(start..<bytes.count) }
        var rows: [JSONValue] = []
        let ours = medianSeconds(repeats) {
            rows = []
            rows.reserveCapacity(lineRanges.count)
            bytes.withUnsafeBufferPointer { all in
                for r in lineRanges { rows.append(try! JSONParser.parse(bytes: UnsafeBufferPointer(rebasing: all[r]))) }
            }
        }
        let foundation = medianSeconds(repeats) {
            for r in lineRanges { _ = try! JSONSerialization.jsonObject(with: data.subdata(in: r)) }
        }
        let mb = Double(bytes.count) / 1e6
        console.out("instances: \(rows.count) lines, \(String(format: "%.1f", mb)) MB")
        console.out(String(format: "parse  proctor JSONParser      %8.1f MB/s  (%.0f ms)", mb / ours, ours * 1000))
        console.out(String(format: "parse  Foundation JSONSerialization %3.1f MB/s  (%.0f ms)", mb / foundation, foundation * 1000))

        let instances = rows.map { $0["instance"]! }
        let labels = rows.map { $0["valid"]!.boolValue! }
        var mismatchTotal = 0
        for (name, file) in [("2020-12", "tool_call.schema.json"), ("draft-07", "tool_call.draft7.schema.json")] {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            let schema = try CompiledSchema.compile(text: text)
            var verdicts: [Bool] = []
            let fast = medianSeconds(repeats) { verdicts = instances.map(schema.isValid) }
            let mismatches = zip(verdicts, labels).filter { $0 != $1 }.count
            var full: [ValidationResult] = []
            let collect = medianSeconds(repeats) { full = instances.map(schema.validate) }
            let fullMismatches = zip(full, labels).filter { $0.valid != $1 }.count
            mismatchTotal += mismatches + fullMismatches
            console.out(String(format: "validate %@ isValid      %10.0f /s  (%.2f µs each)  label mismatches: %d",
                               name, Double(instances.count) / fast, fast / Double(instances.count) * 1e6, mismatches))
            console.out(String(format: "validate %@ all errors   %10.0f /s  (%.2f µs each)  label mismatches: %d",
                               name, Double(instances.count) / collect, collect / Double(instances.count) * 1e6, fullMismatches))
            if name == "2020-12" { try compareErrors(dir: dir, results: full, rows: rows, console: console) }
        }
        return mismatchTotal == 0 ? 0 : 1
    }

    /// Compares our first-level errors with Python jsonschema's (instance location + keyword).
    static func compareErrors(dir: String, results: [ValidationResult], rows: [JSONValue], console: Console) throws {
        guard let d = FileManager.default.contents(atPath: dir + "/expected_errors.jsonl") else { return }
        let expected = try JSONLines.parse([UInt8](d))
        var byIndex: [Int: ValidationResult] = [:]
        for (row, r) in zip(rows, results) { byIndex[row["i"]!.intValue!] = r }
        var agree = 0
        for rec in expected {
            guard let i = rec.value["i"]?.intValue, let r = byIndex[i], case .array(let errs)? = rec.value["errors"] else { continue }
            let want = Set(errs.map { "\($0["instanceLocation"]?.stringValue ?? "") \($0["keyword"]?.stringValue ?? "")" })
            let got = Set(r.errors.map { "\($0.instanceLocation) \($0.keyword)" })
            if want == got { agree += 1 }
        }
        console.out("errors agreeing with Python jsonschema (instance location + keyword): \(agree)/\(expected.count)")
    }
}
