import ProctorCommandLine
import ProctorJSON
import ProctorReports

/// `proctor plan`: how many paired cases a prompt comparison needs, or what N cases can detect.
enum PlanCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "plan", summary: "How many cases a comparison of two prompt versions needs, or what N cases detect (exact McNemar test).",
        usage: """
        proctor plan --baseline P --detect D [--discordance Q | --from RESULTS.json | --independent] [--repeats R [--min-pass-rate M]] [--alpha A] [--power B] [--json]
               proctor plan --cases N [--baseline P] [--discordance Q | --from RESULTS.json | --independent] [--repeats R [--min-pass-rate M]] [--alpha A] [--power B] [--json]
        """,
        options: [OptionSpec("baseline", value: "P", help: "Pass rate of the base version (0–1); --from reads it from a run."),
                  OptionSpec("detect", value: "D", help: "The change in pass rate to detect (points as a share: 0.1 is 10 points)."),
                  OptionSpec("cases", value: "N", help: "Paired cases: what change do they detect?"),
                  OptionSpec("discordance", value: "Q", help: "Share of cases where the versions disagree (default: as if they fail independently)."),
                  OptionSpec("from", value: "RESULTS", help: "A run of two prompt versions: its discordance (and baseline) are used."),
                  OptionSpec("alpha", value: "A", help: "Significance level (default 0.05)."), OptionSpec("power", value: "B", help: "Power wanted (default 0.8)."), OptionSpec("json", help: "Print the answer as JSON."),
                  OptionSpec("independent", help: "Two independent sets of cases (Fisher's exact test), not one set run by both versions."), OptionSpec("repeats", value: "R", help: "Samples per case: the rates are per sample, the verdicts are compared."), OptionSpec("min-pass-rate", value: "M", help: "The verdict's minPassRate with --repeats (default 1).")])

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        var input = PlanReport.Input(baseline: try args.double("baseline"), detect: try args.double("detect"), cases: try args.int("cases", min: 1),
                                     discordance: try args.double("discordance"), alpha: try args.double("alpha"), power: try args.double("power"))
        (input.independent, input.repeats, input.minPassRate) = (args.flag("independent"), try args.int("repeats", min: 1), try args.double("min-pass-rate"))
        if let f = args.value("from") { do { try input.observe(try ResultsFile.read(f), file: f) } catch { throw CLIError.input("\(error)") } }
        do { let r = try PlanReport.make(input); console.out(args.flag("json") ? JSONSerializer.string(r.json) : r.text); return 0 } catch { throw CLIError.usage(error.description) }
    }
}
