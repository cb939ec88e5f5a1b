import Foundation
import ProctorCommandLine
import ProctorHarness
import ProctorReports

/// `proctor merge`: one report from the results of a sharded run.
enum MergeCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "merge",
        summary: "Merge the JSON results of `proctor run --shard K/N` jobs into one set of reports.",
        usage: "proctor merge SHARD.json... --json OUT [--junit OUT] [--markdown OUT]",
        options: [
            OptionSpec("json", value: "FILE", help: "Merged JSON results."),
            OptionSpec("junit", value: "FILE", help: "Merged JUnit XML."),
            OptionSpec("markdown", value: "FILE", help: "Merged Markdown summary."),
        ],
        discussion: "EXIT CODES: 0 merged and every case passed, 1 merged with failures or from an interrupted shard, 2 usage error, unreadable, missing, duplicated or mismatched shards.")

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard !args.positionals.isEmpty else { throw CLIError.usage("give the shard results files") }
        guard args.value("json") != nil || args.value("junit") != nil || args.value("markdown") != nil else {
            throw CLIError.usage("say where to write: --json, --junit and/or --markdown")
        }
        try checkOutputs(["json", "junit", "markdown"].compactMap { f in args.value(f).map { ("--" + f, $0) } },
                              inputs: args.positionals.map { ("the shard results", $0) })
        var runs: [(path: String, run: RunResult)] = []
        for p in args.positionals {
            do { runs.append((p, try ResultsFile.read(p))) } catch { throw CLIError.input("\(error)") }
        }
        let merged: RunResult
        do { merged = try ShardMerge.merge(runs) } catch { throw CLIError.input("\(error)") }
        let registry = ReportRegistry.run(ReportRegistry.Options(toolVersion: Proctor.version))
        for format in ["json", "junit", "markdown"] {
            guard let path = args.value(format), let writer = registry[format] else { continue }
            do { try AtomicFile.write(to: path) { writer.write(merged, into: &$0) } } catch {
                throw CLIError.input("cannot write the \(writer.title) to \(path): \(error.localizedDescription)")
            }
        }
        // The same summary line as `run`, from the same counting rule (flaky cases are listed beside, not counted twice).
        let s = merged.summary
        let whole = s.allPassed && !merged.interrupted
        console.err("proctor merge: \(runs.count) shard\(runs.count == 1 ? "" : "s"): " + console.color(s.text, whole ? "32" : "31"))
        for r in runs where r.run.interrupted { console.err("proctor merge: \(r.path) was interrupted: the cases it did not run are not in the merge") }
        for w in merged.warnings { console.err("warning: \(w)") }
        return whole ? 0 : 1
    }
}
