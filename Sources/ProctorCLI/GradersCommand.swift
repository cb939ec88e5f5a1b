import ProctorBackends
import ProctorCommandLine
import ProctorHarness
import ProctorJSON
import ProctorSupport

/// `proctor graders calibrate`: a suite's model-graded checks against outputs people labelled.
enum GradersCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "graders", summary: "Calibrate a suite's model-graded checks against outputs people labelled: Cohen's κ, TPR, TNR, self-consistency.",
        usage: "proctor graders calibrate SUITE --labels LABELS.jsonl [--grader ID] [--repeat N] [--no-cache] [--json]",
        options: [OptionSpec("labels", value: "LABELS", help: "JSONL of {\"case\", \"output\", \"pass\"} (optional \"prompt\")."), OptionSpec("grader", value: "ID", help: "Ask this grader or backend instead of each check's own."),
                  OptionSpec("repeat", value: "N", help: "Grade each output N times (seed varied): self-consistency; the majority is the verdict."), OptionSpec("no-cache", help: "Ask the graders again instead of the response cache."), OptionSpec("json", help: "Print the figures as JSON.")])

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count == 2, args.positionals[0] == "calibrate" else { throw CLIError.usage("usage: " + spec.usage) }
        guard let labelsPath = args.value("labels") else { throw CLIError.usage("graders calibrate needs --labels LABELS.jsonl") }
        let repeats = try args.int("repeat", min: 1) ?? 1
        guard let bytes = TextInput.read(labelsPath) else { throw CLIError.input("\(labelsPath): cannot be read") }
        do {
            let cache = args.flag("no-cache") ? nil : ResponseCache(directory: console.environment["PROCTOR_CACHE_DIR"] ?? ".proctor-cache", maxAgeDays: ResponseCache.defaultMaxAgeDays)
            let session = try RunSession(suites: [try console.loader.load(args.positionals[1])], cache: cache, cachePolicy: args.flag("no-cache") ? .off : .auto, grader: args.value("grader"), backends: [])
            let labels = try GraderCalibration.labels(bytes, file: labelsPath)
            let found = try await GraderCalibration.run(session, labels: labels, labelsFile: labelsPath, grader: args.value("grader"), repeats: repeats)
            for e in session.close() { console.err("warning: \(e)") }
            console.out(args.flag("json") ? JSONSerializer.string(GraderCalibration.json(found, labels: labels.count, repeats: repeats)) : GraderCalibration.text(found, labels: labels.count).joined(separator: "\n"))
            return 0
        } catch { throw CLIError.input("\(error)") }
    }
}
