import Foundation
import ProctorCommandLine
import ProctorRepair
import ProctorReports
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
            let report: SchemaBenchmark.Report
            do { report = try SchemaBenchmark.run(dir: args.value("data") ?? "../shared/bench/schema", repeats: repeats) }
            catch { throw CLIError.input(error.description) }
            for line in report.lines { console.out(line) }
            return report.mismatches == 0 ? 0 : 1
        case "repair":
            let (broken, valid) = RepairBenchmark.corpus(documents: 2000)
            if let out = args.value("corpus-out") {
                do { try RepairBenchmark.corpusLines(broken).write(toFile: out, atomically: true, encoding: .utf8) }
                catch { throw CLIError.input("\(out): cannot write the corpus (\(error.localizedDescription))") }
            }
            for line in RepairBenchmark.run(repeats: repeats, broken: broken, valid: valid) { console.out(line) }
            return 0
        case "harness":
            for line in try await HarnessBenchmark.run(cases: try args.int("cases", min: 1) ?? 10_000, toolVersion: Proctor.version) {
                console.out(line)
            }
            return 0
        default:
            throw CLIError.usage("unknown benchmark '\(which)' (available: schema, repair, harness)")
        }
    }
}
