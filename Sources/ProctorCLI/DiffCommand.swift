import Foundation
import ProctorCommandLine
import ProctorHarness
import ProctorJSON
import ProctorReports
import ProctorSupport

/// `proctor diff`: compare two results files, or two prompt versions in one.
enum DiffCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "diff",
        summary: "Compare two runs (or two prompt versions of one run): fixed, regressed, pass rates, output diffs.",
        usage: "proctor diff BASE.json HEAD.json [options] | proctor diff RESULTS.json --prompts V1,V2 [options]",
        options: [
            OptionSpec("prompts", value: "V1,V2", help: "Compare two prompt versions inside one results file."),
            OptionSpec("markdown", value: "FILE", help: "Write a Markdown report (for a pull-request comment or step summary)."),
            OptionSpec("json", value: "FILE", help: "Write the diff as JSON."),
            OptionSpec("html", value: "FILE", help: "Write a self-contained HTML page with side-by-side outputs."),
            OptionSpec("comment", value: "FILE", help: "Write a pull-request comment (Markdown, under GitHub's 65,536-character limit)."),
            OptionSpec("html-url", value: "URL", help: "With --comment: where the HTML report will be, for links."),
            OptionSpec("fail-on-regression", help: "Exit 1 when a case regressed (or, with --max-drop, when the pass rate dropped by more)."),
            OptionSpec("max-drop", value: "POINTS", help: "With --fail-on-regression: tolerated pass-rate drop in percentage points."),
        ],
        discussion: "EXIT CODES: 0 compared (no gate tripped), 1 --fail-on-regression tripped, 2 usage error or unreadable results.")

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        // Checked before anything is read: no report lands on a results file being compared.
        try checkOutputs(["markdown", "json", "html", "comment"].compactMap { f in args.value(f).map { ("--" + f, $0) } },
                              inputs: args.positionals.map { ("the results file", $0) })
        let report: DiffReport
        func read(_ p: String) throws(CLIError) -> RunResult {
            do { return try ResultsFile.read(p) } catch { throw CLIError.input("\(error)") }
        }
        if let prompts = args.value("prompts") {
            let ids = prompts.split(separator: ",").map(String.init)
            guard ids.count == 2, args.positionals.count == 1 else { throw CLIError.usage("--prompts takes V1,V2 and exactly one RESULTS.json") }
            let r = try read(args.positionals[0])
            for id in ids where !r.results.contains(where: { $0.promptId == id }) {
                throw CLIError.input("\(args.positionals[0]): no results for prompt '\(id)'" + Suggestions.hint(for: id, among: Array(Set(r.results.map(\.promptId)))))
            }
            report = DiffReport.compare(run: r, basePrompt: ids[0], headPrompt: ids[1])
        } else {
            guard args.positionals.count == 2 else { throw CLIError.usage("give BASE.json and HEAD.json (or one file with --prompts V1,V2)") }
            report = DiffReport.compare(base: try read(args.positionals[0]), head: try read(args.positionals[1]),
                                        baseLabel: args.positionals[0], headLabel: args.positionals[1])
        }
        let registry = ReportRegistry.diff(htmlURL: args.value("html-url"))
        for format in ["markdown", "json", "html", "comment"] {
            guard let path = args.value(format), let writer = registry[format] else { continue }
            do { try AtomicFile.write(writer.bytes(report), to: path) } catch {
                throw CLIError.input("cannot write the \(writer.title) to \(path): \(error.localizedDescription)")
            }
        }
        console.out(report.text)
        if args.flag("fail-on-regression") {
            if let maxDrop = try args.double("max-drop") {
                if report.passRateDrop > maxDrop {
                    console.err(String(format: "proctor diff: pass rate dropped %.1f points (more than --max-drop %.1f)", report.passRateDrop, maxDrop))
                    return 1
                }
            } else if report.count(.regressed) > 0 {
                console.err("proctor diff: \(report.count(.regressed)) case(s) regressed")
                return 1
            }
        }
        return 0
    }
}
