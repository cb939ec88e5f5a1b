import Foundation
import ProctorCommandLine
import ProctorJSON
import ProctorModel

/// `proctor model bench` and `model info`: the figures come from `ModelBenchmark`; this prints them.
extension ModelCommand {
    static func bench(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let report: ModelBenchmark.Report
        if args.flag("split") {
            report = ModelBenchmark.split(threads: try args.int("threads", min: 2) ?? max(2, cores))
        } else {
            let c = try load(rest.first)
            let threads = try args.int("threads", min: 1).map { [$0] } ?? Array(Set([1, cores])).sorted()
            report = ModelBenchmark.run(c, threadCounts: threads, decodeTokens: try args.int("tokens", min: 2) ?? 64, cores: cores)
        }
        for line in report.lines { console.out(line) }
        if args.flag("json") { console.out(JSONSerializer.string(report.json)) }
        return 0
    }

    static func info(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        let report = ModelBenchmark.info(try load(rest.first))
        if args.flag("json") { console.out(JSONSerializer.string(report.json)) } else { for line in report.lines { console.out(line) } }
        return 0
    }
}
