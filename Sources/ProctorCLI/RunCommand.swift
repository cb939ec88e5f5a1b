import Foundation
import ProctorBackends
import ProctorCommandLine
import ProctorHarness
import ProctorJSON
import ProctorRegex
import ProctorReports
import ProctorSupport

/// `proctor run`: load suites, run every case × prompt × backend, print a summary, write reports.
enum RunCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "run",
        summary: "Run prompt suites and write JUnit XML and JSON results.",
        usage: "proctor run [SUITE_OR_DIR ...] [options]",
        options: [
            OptionSpec("concurrency", short: "j", value: "N", help: "Jobs in flight at once (default: number of cores)."),
            OptionSpec("filter", value: "REGEX", help: "Only cases whose id matches REGEX."),
            OptionSpec("prompt", value: "ID", repeatable: true, help: "Only this prompt version."),
            OptionSpec("backend", value: "ID", repeatable: true, help: "Only this backend."),
            OptionSpec("shard", value: "K/N", help: "Run shard K of N (stable split by case id, for CI matrices)."),
            OptionSpec("fail-fast", help: "Stop starting cases after the first failure."),
            OptionSpec("repeat", value: "N", help: "Run each case N times as independent samples (pass rate, flakiness)."),
            OptionSpec("junit", value: "PATH", help: "JUnit XML report (default reports/junit.xml)."),
            OptionSpec("json", value: "PATH", help: "JSON results (default reports/results.json)."),
            OptionSpec("junit-file-attributes", help: "Add file/line to <testcase> for GitLab/GitHub (leaves the Jenkins schema)."),
            OptionSpec("markdown", value: "PATH", help: "Markdown summary (default reports/summary.md)."),
            OptionSpec("html", value: "PATH", help: "Also write a self-contained HTML report of the run."),
            OptionSpec("record", help: "Run live backends and store their responses in their cassettes."),
            OptionSpec("replay", help: "Answer backends that have a cassette from it instead of running them."),
            OptionSpec("strict-repair", help: "A pass that needed JSON repair counts as a failure."),
            OptionSpec("dry-run", help: "Load everything and print the case × prompt × backend matrix; run nothing."),
            OptionSpec("allow-empty", help: "A --filter or --shard that selects no case is not an error."),
            OptionSpec("grader", value: "ID", help: "The grader of model-graded checks that name none (over defaults.grader)."),
            OptionSpec("cache", help: "Cache every backend's responses (default: HTTP backends only)."),
            OptionSpec("no-cache", help: "Cache no responses."),
            OptionSpec("cache-max-age", value: "DAYS", help: "Cached responses older than this are not used (default 14)."),
            OptionSpec("only-failing", value: "RESULTS", help: "Run only the cases that failed or errored in an earlier results file."),
            OptionSpec("retry-errors", value: "RESULTS", help: "Rerun only the errored cases of a results file; write it back complete, merged."),
            OptionSpec("max-cost", value: "USD", help: "Start no request that could take the priced spending past USD; the cases not started are not run."),
            OptionSpec("quiet", short: "q", help: "Print only the summary."),
            OptionSpec("no-github", help: "No GitHub annotations or step summary, even under GitHub Actions (a comparison run, e.g. the base branch's)."),
        ],
        discussion: """
        SUITE_OR_DIR defaults to suites/. A folder runs every suite in it and its subfolders: the
        *.json and *.jsonc files whose top level has "prompts" (schemas and other JSON are skipped).

        EXIT CODES:
          0  every case passed (repaired outputs count as passes unless --strict-repair)
          1  a case failed or a backend errored
          2  usage error, a suite that does not load or an unwritable reports folder (nothing ran)
          130  interrupted (Ctrl-C), 143 terminated (SIGTERM, as CI sends on cancel or timeout):
               finished cases are reported, the rest marked not run, running programs' process
               groups killed; a second signal stops at once
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        var (options, previous) = try runOptions(args)
        let paths = RunPaths(junit: args.value("junit") ?? "reports/junit.xml", json: args.value("json") ?? args.value("retry-errors") ?? "reports/results.json",
                             markdown: args.value("markdown") ?? "reports/summary.md", html: args.value("html"))
        // Load everything first: nothing runs unless every suite loads.
        let suites: [Suite]
        switch RunSelection.load(args.positionals.isEmpty ? ["suites"] : args.positionals, with: console.loader) {
        case .success(let s): suites = s
        case .failure(let failed):
            let errors = failed.errors
            for e in errors { console.err("error: \(e)") }
            console.err("nothing ran: \(errors.count) suite error\(errors.count == 1 ? "" : "s")")
            return 2
        }
        do {
            try RunSelection.check(suites, options, filterText: args.value("filter"), rerunFile: args.value("only-failing") ?? args.value("retry-errors"),
                                   allowEmpty: args.flag("allow-empty"))
        } catch { throw CLIError.usage(error.message) }
        try checkOutputs(paths.flags, inputs: inputs(suites, onlyFailing: args.value("only-failing")))
        // Everything live (models, keys, cassettes) is built here, still before any case runs.
        let session: RunSession
        do { session = try makeSession(args, suites, options, console) } catch let e as CLIError { throw e } catch {
            console.err("error: \(error)")
            console.err("nothing ran: 1 suite error")
            return 2
        }
        for w in session.warnings { console.err("warning: \(w)") }
        if args.flag("dry-run") {
            let m = RunSelection.matrix(suites, options)
            for l in m.lines { console.out(l) }
            console.err(m.total)
            return 0
        }
        // Ctrl-C or SIGTERM: the first stops the run and still writes the reports; a second stops at once.
        options.interruption = console.interruption
        let signalSources = InterruptHandler.install(console.interruption, console: console)
        defer { for s in signalSources { s.cancel() } }
        if options.onlyKeys?.isEmpty == true { console.err("nothing to rerun: the results file has no \(previous == nil ? "failing" : "errored") case") }
        var result = await Runner.run(session, options: options, onResult: progressLine(args, console))
        return try finish(&result, previous: previous, session: session, paths: paths, args, console)
    }

    /// The run's options from the command line; with `--retry-errors`, the results file it merges into.
    static func runOptions(_ args: ParsedArguments) throws -> (RunOptions, RunResult?) {
        var options = RunOptions()
        if let n = try args.int("concurrency", min: 1) { options.concurrency = n }
        if let f = args.value("filter") {
            do { options.filter = try ECMARegex(f) } catch { throw CLIError.usage("--filter: \(error)") }
        }
        if !args.all("prompt").isEmpty { options.promptIds = Set(args.all("prompt")) }
        if !args.all("backend").isEmpty { options.backendIds = Set(args.all("backend")) }
        if let s = args.value("shard") {
            guard let shard = RunOptions.shard(s) else { throw CLIError.usage("--shard expects K/N with 1 ≤ K ≤ N, got '\(s)'") }
            options.shard = shard
        }
        if let m = try args.double("max-cost") { guard let b = CostBudget(maxUsd: m) else { throw CLIError.usage("--max-cost expects USD ≥ 0, got \(m)") }; options.budget = b }
        options.failFast = args.flag("fail-fast")
        options.repeats = try args.int("repeat", min: 1) ?? 1
        options.strictRepair = args.flag("strict-repair")
        for (a, b) in [("record", "replay"), ("cache", "no-cache")] where args.flag(a) && args.flag(b) { throw CLIError.usage("--\(a) and --\(b) cannot be combined") }
        if args.value("only-failing") != nil && args.value("retry-errors") != nil { throw CLIError.usage("--only-failing and --retry-errors cannot be combined") }
        // Reruns: the cases to run again, from an earlier results file.
        guard let f = args.value("only-failing") ?? args.value("retry-errors") else { return (options, nil) }
        let prev: RunResult
        do { prev = try ResultsFile.read(f) } catch { throw CLIError.input("\(error)") }
        let errorsOnly = args.value("retry-errors") != nil
        let asked = try args.int("repeat", min: 1)
        do { (options.onlyKeys, options.repeats) = try RunSelection.rerun(prev, errorsOnly: errorsOnly, asked: asked, file: f) } catch { throw CLIError.usage(error.message) }
        return (options, errorsOnly ? prev : nil)
    }

    /// The session: backends built, cassettes opened, the response cache set up.
    static func makeSession(_ args: ParsedArguments, _ suites: [Suite], _ options: RunOptions, _ console: Console) throws -> RunSession {
        var cache: ResponseCache?
        if !args.flag("no-cache") {
            let days = try args.double("cache-max-age") ?? ResponseCache.defaultMaxAgeDays
            guard days >= 0 else { throw CLIError.usage("--cache-max-age expects a number of days ≥ 0, got \(days)") }
            cache = ResponseCache(directory: console.environment["PROCTOR_CACHE_DIR"] ?? ".proctor-cache", maxAgeDays: days)
        }
        let mode: RunSession.Mode = args.flag("record") ? .record : args.flag("replay") ? .replay : .live
        let policy: RunSession.CachePolicy = args.flag("cache") ? .on : args.flag("no-cache") ? .off : .auto
        return try RunSession(suites: suites, mode: mode, cache: cache, cachePolicy: policy, grader: args.value("grader"), backends: options.backendIds)
    }
}
