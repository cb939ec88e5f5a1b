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
            OptionSpec("quiet", short: "q", help: "Print only the summary."),
        ],
        discussion: """
        SUITE_OR_DIR defaults to suites/. A folder runs every *.json suite in it.

        EXIT CODES:
          0  every case passed (repaired outputs count as passes unless --strict-repair)
          1  a case failed or a backend errored
          2  usage error, a suite that does not load or an unwritable reports folder (nothing ran)
          130  interrupted (Ctrl-C): finished cases are reported, the rest marked not run;
               a second Ctrl-C stops at once
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
        let junitPath = args.value("junit") ?? "reports/junit.xml"
        let jsonPath = args.value("json") ?? "reports/results.json"
        let markdownPath = args.value("markdown") ?? "reports/summary.md"

        // Load everything first: nothing runs unless every suite loads.
        let loader = SuiteLoader()
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
        for p in [junitPath, jsonPath, markdownPath] + (args.value("html").map { [$0] } ?? []) {
            do { try AtomicFile.checkWritable(p) } catch { throw CLIError.input("cannot write reports: \(error.localizedDescription)") }
        }
        // Everything live (models, keys, cassettes) is built here, still before any case runs.
        let session: RunSession
        do { session = try RunSession(suites: suites, mode: mode) } catch {
            console.err("error: \(error)")
            console.err("nothing ran: 1 suite error")
            return 2
        }

        // Ctrl-C: the first stops the run and still writes the reports (exit 130); a second stops at once.
        let interruption = console.interruption
        options.interruption = interruption
        let sigint = InterruptHandler.install(interruption, console: console)
        defer { sigint?.cancel() }

        let quiet = args.flag("quiet")
        let live = console.isTerminal && !quiet
        let result = await Runner.run(session, options: options) { progress, r in
            if live {
                let eta = progress.done > 0 ? progress.elapsedSeconds / Double(progress.done) * Double(progress.total - progress.done) : 0
                console.rawErr(String(format: "\r\u{1B}[K[%d/%d] %d failing · %.1fs elapsed · ETA %.1fs",
                                      progress.done, progress.total, progress.failures, progress.elapsedSeconds, eta))
            }
        }
        if live { console.rawErr("\r\u{1B}[K") }
        // Failures in report order (not completion order), so logs are stable from run to run.
        if !quiet {
            for r in result.results where r.status == .failed || r.status == .error { console.err(failureLine(r, console)) }
            for r in result.results where r.status == .repaired {
                console.err("\(console.color("REPAIRED", "33")) \(r.suite)[\(r.promptId)@\(r.backendId)] \(r.caseId): passed after \(r.repairs.joined(separator: ", "))")
            }
        }
        for e in result.closeErrors { console.err("error: \(e)") }
        do {
            try AtomicFile.write(JUnitWriter.render(result, options: .init(fileAttributes: args.flag("junit-file-attributes"))), to: junitPath)
            try AtomicFile.write(JSONResultsWriter.bytes(result, toolVersion: Proctor.version), to: jsonPath)
            try AtomicFile.write(MarkdownWriter.summary(result), to: markdownPath)
            if let html = args.value("html") { try AtomicFile.write(HTMLWriter.run(result), to: html) }
        } catch {
            throw CLIError.input("cannot write reports: \(error.localizedDescription)")
        }
        GitHubIntegration.report(result, console: console)
        let s = result.summary
        if interruption.isFired {
            console.err("proctor: interrupted; \(s.total - s.skipped) of \(s.total) cases finished, the rest are reported as not run")
            console.err("reports: \(junitPath), \(jsonPath), \(markdownPath)")
            return 130
        }
        if result.results.isEmpty { console.err("no cases matched the filters") }
        console.err(summaryLine(s, durationMs: result.durationMs, console))
        if !quiet { console.err("reports: \(junitPath), \(jsonPath), \(markdownPath)" + (args.value("html").map { ", " + $0 } ?? "")) }
        return s.allPassed && result.closeErrors.isEmpty ? 0 : 1
    }

    static func failureLine(_ r: CaseResult, _ console: Console) -> String {
        let label = r.status == .error ? console.color("ERROR", "31") : console.color("FAIL", "31")
        let why = r.status == .error ? (r.error ?? "backend error") : (r.failureMessages.first ?? "score \(r.score) below threshold")
        let extra = r.failureMessages.count > 1 ? " (+\(r.failureMessages.count - 1) more)" : ""
        return "\(label) \(r.suite)[\(r.promptId)@\(r.backendId)] \(r.caseId): \(why)\(extra)"
    }

    /// Deliberately not of the form "N passed, N failed", which CI systems read as a test runner's own total.
    static func summaryLine(_ s: RunSummary, durationMs: Double, _ console: Console) -> String {
        var parts = [console.color("\(s.passed + s.repaired)/\(s.total - s.skipped) passed", s.allPassed ? "32" : "31")]
        parts.append("\(s.failed) failed")
        parts.append("\(s.errors) error\(s.errors == 1 ? "" : "s")")
        if s.repaired > 0 { parts.append("\(s.repaired) repaired") }
        if s.flaky > 0 { parts.append("\(s.flaky) flaky (\(s.flakyFailing) below minPassRate)") }
        if s.skipped > 0 { parts.append("\(s.skipped) skipped") }
        return "proctor: " + parts.joined(separator: " · ") + String(format: " (%.2f s)", durationMs / 1000)
    }
}
