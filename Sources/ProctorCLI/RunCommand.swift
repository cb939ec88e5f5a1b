import Foundation
import ProctorBackends
import ProctorHarness
import ProctorJSON
import ProctorRegex
import ProctorReports

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
        var options = RunOptions()
        if let n = try args.int("concurrency", min: 1) { options.concurrency = n }
        if let f = args.value("filter") {
            do { options.filter = try ECMARegex(f) } catch { throw CLIError.usage("--filter: \(error)") }
        }
        if !args.all("prompt").isEmpty { options.promptIds = Set(args.all("prompt")) }
        if !args.all("backend").isEmpty { options.backendIds = Set(args.all("backend")) }
        if let s = args.value("shard") {
            let parts = s.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] >= 1, parts[0] >= 1, parts[0] <= parts[1] else {
                throw CLIError.usage("--shard expects K/N with 1 ≤ K ≤ N, got '\(s)'")
            }
            options.shard = (parts[0], parts[1])
        }
        options.failFast = args.flag("fail-fast")
        options.repeats = try args.int("repeat", min: 1) ?? 1
        options.strictRepair = args.flag("strict-repair")
        if args.flag("record") && args.flag("replay") { throw CLIError.usage("--record and --replay cannot be combined") }
        if args.flag("cache") && args.flag("no-cache") { throw CLIError.usage("--cache and --no-cache cannot be combined") }
        if args.value("only-failing") != nil && args.value("retry-errors") != nil {
            throw CLIError.usage("--only-failing and --retry-errors cannot be combined")
        }
        // Reruns: the cases to run again, from an earlier results file.
        var previous: RunResult?
        if let f = args.value("only-failing") ?? args.value("retry-errors") {
            let prev: RunResult
            do { prev = try ResultsReader.read(f) } catch { throw CLIError.input("\(error)") }
            let errorsOnly = args.value("retry-errors") != nil
            options.onlyKeys = Set(prev.groups.filter { errorsOnly ? $0.status == .error : $0.isFailing }.map(\.key))
            if errorsOnly { previous = prev }
            // The rerun takes as many samples per case as the run it reruns; merging other counts would mix them.
            let earlier = (prev.results.map(\.repeatIndex).max() ?? 0) + 1
            if let asked = try args.int("repeat", min: 1), asked != earlier, errorsOnly {
                throw CLIError.usage("--repeat \(asked): \(f) has \(earlier) sample\(earlier == 1 ? "" : "s") per case, and --retry-errors merges "
                                     + "the new samples into it; rerun with --repeat \(earlier), or run the suite afresh")
            }
            if args.value("repeat") == nil { options.repeats = earlier }
        }
        let junitPath = args.value("junit") ?? "reports/junit.xml"
        let jsonPath = args.value("json") ?? "reports/results.json"
        let markdownPath = args.value("markdown") ?? "reports/summary.md"

        // Load everything first: nothing runs unless every suite loads.
        let loader = console.loader
        let mode: RunSession.Mode = args.flag("record") ? .record : args.flag("replay") ? .replay : .live
        var suites: [Suite] = []
        var loadErrors: [SuiteError] = []
        do {
            for file in try SuiteLoader.expand(args.positionals.isEmpty ? ["suites"] : args.positionals) {
                do { suites.append(try loader.load(file)) } catch { loadErrors.append(error) }
            }
        } catch {
            loadErrors.append(error)
        }
        if !loadErrors.isEmpty {
            for e in loadErrors { console.err("error: \(e)") }
            console.err("nothing ran: \(loadErrors.count) suite error\(loadErrors.count == 1 ? "" : "s")")
            return 2
        }
        var names = Set<String>()
        for s in suites where !names.insert(s.name).inserted {
            console.err("error: \(s.file): two suites are named '\(s.name)'; give one a different \"suite\" name")
            return 2
        }
        try checkSelection(args, suites)
        // A rerun whose results file names cases these suites do not have ran the wrong file.
        if let f = args.value("only-failing") ?? args.value("retry-errors"), let keys = options.onlyKeys, !keys.isEmpty {
            var known = Set<CaseKey>()
            for s in suites { for c in s.cases { for p in s.prompts { for b in s.backends { known.insert(CaseKey(suite: s.name, caseId: c.id, promptId: p.id, backendId: b.id)) } } } }
            let missing = keys.filter { !known.contains($0) }.sorted { ($0.suite, $0.caseId, $0.promptId, $0.backendId) < ($1.suite, $1.caseId, $1.promptId, $1.backendId) }
            if !missing.isEmpty {
                let named = missing.prefix(5).map { "\($0.suite) / \($0.caseId) [\($0.promptId)@\($0.backendId)]" }.joined(separator: ", ")
                throw CLIError.usage("\(f): \(missing.count) of its \(keys.count) case\(keys.count == 1 ? "" : "s") to rerun \(missing.count == 1 ? "is" : "are") not in "
                                     + "the suites given (\(named)\(missing.count > 5 ? ", …" : "")); pass the suites that results file came from")
            }
        }
        if let sh = options.shard, Runner.plan(suites, options).isEmpty, !args.flag("allow-empty") {
            throw CLIError.usage("--shard \(sh.index)/\(sh.count) selects no case (the selection has fewer than \(sh.count) cases); "
                                 + "use fewer shards, or pass --allow-empty if that is expected")
        }
        if let f = args.value("filter"), Runner.plan(suites, options).isEmpty, !args.flag("allow-empty") {
            let ids = suites.flatMap { $0.cases.map(\.id) }
            throw CLIError.usage("--filter \(f) matches no case (case ids include \(ids.prefix(5).joined(separator: ", "))"
                                 + (ids.count > 5 ? ", …" : "") + "); pass --allow-empty if that is expected")
        }
        var reports: [(flag: String, path: String)] = [("--junit", junitPath), ("--json", jsonPath), ("--markdown", markdownPath)]
        if let h = args.value("html") { reports.append(("--html", h)) }
        // No report may land on a file the run reads: a suite, a cases, prompt or schema file, a
        // cassette, or the results file of --only-failing (--retry-errors writes that one back, merged).
        var inputs: [(what: String, path: String)] = []
        for s in suites {
            for f in s.inputFiles { inputs.append((f == URL(fileURLWithPath: s.file).standardizedFileURL.path ? "the suite" : "a file suite \(s.name) reads", f)) }
            for b in s.backends + s.graders { if let c = b.cassette { inputs.append(("the cassette of backend '\(b.id)'", c)) } }
        }
        if let f = args.value("only-failing") { inputs.append(("the results file of --only-failing", f)) }
        try OutputPaths.check(outputs: reports, inputs: inputs)
        // Everything live (models, keys, cassettes) is built here, still before any case runs.
        let session: RunSession
        var cache: ResponseCache?
        if !args.flag("no-cache") {
            let days = try args.double("cache-max-age") ?? ResponseCache.defaultMaxAgeDays
            guard days >= 0 else { throw CLIError.usage("--cache-max-age expects a number of days ≥ 0, got \(days)") }
            cache = ResponseCache(directory: console.environment["PROCTOR_CACHE_DIR"] ?? ".proctor-cache", maxAgeDays: days)
        }
        let policy: RunSession.CachePolicy = args.flag("cache") ? .on : args.flag("no-cache") ? .off : .auto
        do { session = try RunSession(suites: suites, mode: mode, cache: cache, cachePolicy: policy, grader: args.value("grader"),
                                                  backends: options.backendIds) } catch {
            console.err("error: \(error)")
            console.err("nothing ran: 1 suite error")
            return 2
        }
        for w in session.warnings { console.err("warning: \(w)") }
        if args.flag("dry-run") {
            printMatrix(suites, options, console)
            return 0
        }

        // Ctrl-C: the first stops the run and still writes the reports (exit 130); a second stops at once.
        let interruption = console.interruption
        options.interruption = interruption
        let signalSources = InterruptHandler.install(interruption, console: console)
        defer { for s in signalSources { s.cancel() } }

        let quiet = args.flag("quiet")
        let live = console.isTerminal && !quiet
        if options.onlyKeys?.isEmpty == true { console.err("nothing to rerun: the results file has no \(previous == nil ? "failing" : "errored") case") }
        // The progress line, on a terminal only (no listener at all otherwise).
        var progressLine: (@Sendable (RunProgress, CaseResult) -> Void)? = nil
        if live {
            progressLine = { progress, _ in
                let eta = progress.done > 0 ? progress.elapsedSeconds / Double(progress.done) * Double(progress.total - progress.done) : 0
                console.rawErr(String(format: "\r\u{1B}[K[%d/%d] %d failing · %.1fs elapsed · ETA %.1fs",
                                      progress.done, progress.total, progress.failures, progress.elapsedSeconds, eta))
            }
        }
        var result = await Runner.run(session, options: options, onResult: progressLine)
        if live { console.rawErr("\r\u{1B}[K") }
        // Failures in report order (not completion order), so logs are stable from run to run.
        if !quiet {
            let groups = result.groups
            for g in groups where g.isFailing { console.err(failureLine(g, console)) }
            for g in groups where g.status == .repaired {
                let r = g.samples.first { $0.status == .repaired } ?? g.first
                console.err("\(console.color(r.lossyRepair ? "REPAIRED (lossy)" : "REPAIRED", "33")) \(r.suite)[\(r.promptId)@\(r.backendId)] \(r.caseId): passed after \(r.repairs.joined(separator: ", "))")
            }
        }
        for e in result.closeErrors { console.err("error: \(e)") }
        for w in result.warnings { console.err("warning: \(w)") }
        // The console speaks of this run: its own duration, even when the report is merged.
        let ownDurationMs = result.durationMs
        if let previous { result = Merge.replacing(in: previous, with: result) }

        result.interrupted = interruption.isFired
        let finished = result
        let fileAttributes = args.flag("junit-file-attributes")
        let writers: [(String, String, @Sendable (inout ReportSink) -> Void)] = [
            ("JUnit report", junitPath, { JUnitWriter.write(finished, options: .init(fileAttributes: fileAttributes), into: &$0) }),
            ("JSON results", jsonPath, { JSONResultsWriter.write(finished, toolVersion: Proctor.version, into: &$0) }),
            ("Markdown summary", markdownPath, { $0.bytes = Array(MarkdownWriter.summary(finished).utf8) }),
        ]
        var html: [ReportFiles.Report] = []
        if let h = args.value("html") { html.append(("HTML report", h, { @Sendable in $0.bytes = Array(HTMLWriter.run(finished).utf8) })) }
        if let failure = ReportFiles.write(writers + html) { throw CLIError.input(failure) }
        if !args.flag("no-github") { GitHubIntegration.report(result, console: console) }
        console.keepUntilExit(finished)
        console.keepUntilExit(session)
        let s = result.summary
        if interruption.isFired {
            console.err("proctor: interrupted; \(s.total - s.skipped) of \(s.total) cases finished, the rest are reported as not run")
            console.err("reports: \(junitPath), \(jsonPath), \(markdownPath)" + (args.value("html").map { ", " + $0 } ?? ""))
            return interruption.exitCode
        }
        console.err(summaryLine(s, durationMs: ownDurationMs, console) + (previous == nil ? "" : " (this rerun; the report holds every case)"))
        if !quiet { console.err("reports: \(junitPath), \(jsonPath), \(markdownPath)" + (args.value("html").map { ", " + $0 } ?? "")) }
        return s.allPassed && result.closeErrors.isEmpty ? 0 : 1
    }

    /// One line per failing case: why, which samples, and what the model said.
    static func failureLine(_ g: CaseGroup, _ console: Console) -> String {
        let bad = g.samples.filter { $0.status == .failed || $0.status == .error }
        let r = bad.first ?? g.first
        let label = g.status == .error ? console.color("ERROR", "31") : console.color("FAIL", "31")
        let why = r.status == .error ? (r.error ?? "backend error") : (r.failureMessages.first ?? "score \(r.score) below threshold")
        let extra = r.failureMessages.count > 1 ? " (+\(r.failureMessages.count - 1) more)" : ""
        var line = "\(label) \(r.suite)[\(r.promptId)@\(r.backendId)] \(r.caseId): "
        if g.samples.count > 1 {
            line += "\(bad.count)/\(g.samples.count) samples \(g.status == .error ? "errored" : "failed") (sample\(bad.count == 1 ? "" : "s") "
                + bad.map { String($0.repeatIndex) }.joined(separator: ", ") + "): "
        }
        line += why + extra
        if r.status != .error { line += " · output: " + excerpt(r.output) }
        return line
    }

    /// The output on one line, JSON-escaped and cut, so a failure reads without opening results.json.
    static func excerpt(_ s: String, limit: Int = 100) -> String {
        let q = JSONSerializer.quote(s)
        return q.count <= limit ? q : String(q.prefix(limit - 2)) + "…\" (\(s.count) characters)"
    }

    /// The one counting rule, as the README states it: every case is exactly one of passed,
    /// repaired, failed, error or skipped; flaky cases are listed beside their status. Deliberately
    /// not of the form "N passed, N failed", which CI systems read as a test runner's own total.
    static func summaryLine(_ s: RunSummary, durationMs: Double, _ console: Console) -> String {
        "proctor: " + console.color(s.text, s.allPassed ? "32" : "31") + String(format: " in %.2f s", durationMs / 1000)
    }

    /// A --prompt or --backend that names nothing is a typo; a --filter or --shard that selects no
    /// case is an error unless --allow-empty.
    static func checkSelection(_ args: ParsedArguments, _ suites: [Suite]) throws(CLIError) {
        let prompts = Set(suites.flatMap { $0.prompts.map(\.id) }), backends = Set(suites.flatMap { $0.backends.map(\.id) })
        for (flag, asked, known) in [("--prompt", args.all("prompt"), prompts), ("--backend", args.all("backend"), backends)] {
            for a in asked where !known.contains(a) {
                throw CLIError.usage("\(flag) \(a): no suite has a \(flag.dropFirst(2)) '\(a)'" + Suggestions.hint(for: a, among: Array(known))
                                     + " (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
    }

    /// `--dry-run`: the jobs a run would start, one line per case × prompt × backend.
    static func printMatrix(_ suites: [Suite], _ options: RunOptions, _ console: Console) {
        let jobs = Runner.plan(suites, options)
        for j in jobs { console.out("\(j.suite)  \(j.caseId)  [\(j.promptId)@\(j.backendId)]" + (options.repeats > 1 ? "  ×\(options.repeats)" : "")) }
        console.err("dry run: \(jobs.count) case × prompt × backend combination\(jobs.count == 1 ? "" : "s")"
                    + (options.repeats > 1 ? " × \(options.repeats) repeats" : "") + " in \(suites.count) suite\(suites.count == 1 ? "" : "s"); nothing ran")
    }
}
