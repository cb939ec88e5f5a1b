import Foundation
import ProctorBackends
import ProctorCommandLine
import ProctorHarness
import ProctorJSON
import ProctorOptimize
import ProctorReports

/// `proctor optimize SUITE --prompt ID`: searches for a better version of one prompt, proves it on
/// held-out cases, and writes it back as prompt version `ID-opt` of a copy of the suite.
enum OptimizeCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "optimize",
        summary: "Improve a prompt version: search candidates on part of the cases, prove the best on the rest.",
        usage: """
        proctor optimize SUITE --prompt ID [--backend ID] [--proposer ID] [--budget N] [--holdout F] [--seed S]
                                [--repeat N] [--out NEW_SUITE] [--force] [--json R] [--markdown R] [--html R]
        """,
        options: [
            OptionSpec("prompt", value: "ID", help: "The prompt version to start from."),
            OptionSpec("backend", value: "ID", help: "The backend to optimize for (needed when the suite has several)."),
            OptionSpec("proposer", value: "ID", help: "Also ask this backend or grader of the suite for new templates each generation."),
            OptionSpec("budget", value: "N", help: "Candidates to evaluate, the starting prompt included (default 24)."),
            OptionSpec("holdout", value: "F", help: "Share of the cases held out from the search (default 0.3)."),
            OptionSpec("seed", value: "S", help: "Decides the split and every draw (default 1)."),
            OptionSpec("repeat", value: "N", help: "Samples per case; a case passes when it reaches the suite's minPassRate."),
            OptionSpec("concurrency", value: "N", help: "Requests in flight at once (default: the number of cores)."),
            OptionSpec("out", value: "NEW_SUITE", help: "Write a copy of the suite with the winner as prompt version ID-opt (when it is significantly better)."),
            OptionSpec("force", help: "With --out: write the winner even without a significant improvement."),
            OptionSpec("json", value: "FILE", help: "Write the report as JSON."),
            OptionSpec("markdown", value: "FILE", help: "Write the report as Markdown."),
            OptionSpec("html", value: "FILE", help: "Write the report as a self-contained HTML page."),
            OptionSpec("no-cache", help: "Do not use the response cache (HTTP backends use it by default)."),
        ],
        discussion: """
        The cases are split (seeded, stratified by a variable the cases share, such as task) into a search
        split and a held-out split the search never sees. Candidates come from offline operators (format
        instructions, the cases' JSON Schema spelled out, few-shot demonstrations from passing samples,
        transplants of other prompt versions and of the backend's own prompt format, wording changes) and,
        with --proposer, from a backend. Successive halving gives weak candidates few cases. The winner
        then runs beside the starting prompt on the held-out split: Wilson intervals and an exact McNemar p.
        EXIT CODES: 0 optimized (improved or not), 2 usage error or a suite it cannot work on, 130 interrupted.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count == 1 else { throw CLIError.usage("give one SUITE file") }
        guard let promptId = args.value("prompt") else { throw CLIError.usage("optimize needs --prompt ID (the prompt version to improve)") }
        var options = OptimizeOptions(promptId: promptId)
        options.backendId = args.value("backend")
        options.proposerId = args.value("proposer")
        options.budget = try args.int("budget", min: 2) ?? 24
        if let h = try args.double("holdout") {
            guard h > 0 && h < 1 else { throw CLIError.usage("--holdout expects a fraction between 0 and 1 (exclusive), got \(h)") }
            options.holdout = h
        }
        options.seed = UInt64(try args.int("seed", min: 0) ?? 1)
        options.repeats = try args.int("repeat", min: 1) ?? 1
        if let c = try args.int("concurrency", min: 1) { options.concurrency = c }
        options.interruption = console.interruption
        if args.flag("force") && args.value("out") == nil { throw CLIError.usage("--force only matters with --out NEW_SUITE") }
        var reports: [(flag: String, path: String)] = []
        for f in ["json", "markdown", "html"] { if let p = args.value(f) { reports.append(("--" + f, p)) } }
        if let o = args.value("out") { reports.append(("--out", o)) }
        let path = args.positionals[0]
        let suite: Suite
        let session: RunSession
        do {
            suite = try console.loader.load(path)
            // Outputs never land on what optimize reads (the suite, its cases and schema files).
            try checkOutputs(reports, inputs: suite.inputFiles.map { ("a file the suite reads", $0) })
            let cache = args.flag("no-cache") ? nil : ResponseCache(directory: console.environment["PROCTOR_CACHE_DIR"] ?? ".proctor-cache",
                                                                      maxAgeDays: ResponseCache.defaultMaxAgeDays)
            session = try RunSession(suites: [suite], cache: cache, cachePolicy: args.flag("no-cache") ? .off : .auto)
        } catch { throw CLIError.input("\(error)") }
        for w in session.warnings { console.err("warning: \(w)") }
        if args.value("out") != nil, suite.prompts.contains(where: { $0.id == promptId + "-opt" }) {
            throw CLIError.input("\(path): the suite already has a prompt version '\(promptId)-opt'; --out would add it twice (rename or remove it first)")
        }
        let live = console.isTerminal
        // Ctrl-C: the first stops the search after the running cases; a second stops at once.
        let signalSources = InterruptHandler.install(console.interruption, console: console)
        defer { for s in signalSources { s.cancel() } }
        var report: OptimizeReport
        do {
            report = try await Optimizer(suite: suite, session: session, options: options).run { line in
                if live { console.err("optimize: " + line) }
            }
        } catch {
            if console.interruption.isFired { console.err("proctor optimize: interrupted; nothing written"); return console.interruption.exitCode }
            throw CLIError.input("\(error)")
        }
        if let out = args.value("out") {
            if let why = report.writeBackRefusal(force: args.flag("force")) { report.notWritten = why } else {
                do { try report.writeBack(from: path, to: out, loader: console.loader) } catch { throw CLIError.input(error.description) }
                report.written = out
            }
        }
        for format in ["json", "markdown", "html"] {
            guard let p = args.value(format), let writer = OptimizeReports.writers[format] else { continue }
            do { try AtomicFile.write(writer.bytes(report), to: p) } catch {
                throw CLIError.input("cannot write the \(writer.title) to \(p): \(error.localizedDescription)")
            }
        }
        let lines = report.summaryLines
        for l in lines.out { console.out(l) }
        for n in lines.notes { console.err("note: \(n)") }
        return 0
    }
}
