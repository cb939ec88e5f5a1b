import Foundation
import ProctorCommandLine
import ProctorHarness
import ProctorReports

/// What `proctor run` writes and prints once the cases have run.
extension RunCommand {
    /// Where the reports go.
    struct RunPaths {
        let junit: String, json: String, markdown: String, html: String?

        /// (flag, path) of every report asked for.
        var flags: [(flag: String, path: String)] {
            [("--junit", junit), ("--json", json), ("--markdown", markdown)] + (html.map { [("--html", $0)] } ?? [])
        }

        /// The `reports:` line's list.
        var listed: String { [junit, json, markdown].joined(separator: ", ") + (html.map { ", " + $0 } ?? "") }
    }

    /// What no report may overwrite: every file the suites read, their cassettes, and the results
    /// file of --only-failing (--retry-errors writes that one back, merged).
    static func inputs(_ suites: [Suite], onlyFailing: String?) -> [(what: String, path: String)] {
        var inputs: [(what: String, path: String)] = []
        for s in suites {
            for f in s.inputFiles { inputs.append((f == URL(fileURLWithPath: s.file).standardizedFileURL.path ? "the suite" : "a file suite \(s.name) reads", f)) }
            for b in s.backends + s.graders { if let c = b.cassette { inputs.append(("the cassette of backend '\(b.id)'", c)) } }
        }
        if let f = onlyFailing { inputs.append(("the results file of --only-failing", f)) }
        return inputs
    }

    /// The live progress line, on a terminal only (no listener at all otherwise).
    static func progressLine(_ args: ParsedArguments, _ console: Console) -> (@Sendable (RunProgress, CaseResult) -> Void)? {
        guard console.isTerminal && !args.flag("quiet") else { return nil }
        return { progress, _ in
            let eta = progress.done > 0 ? progress.elapsedSeconds / Double(progress.done) * Double(progress.total - progress.done) : 0
            console.rawErr(String(format: "\r\u{1B}[K[%d/%d] %d failing · %.1fs elapsed · ETA %.1fs",
                                  progress.done, progress.total, progress.failures, progress.elapsedSeconds, eta))
        }
    }

    /// Prints the failures, writes every report, annotates for GitHub, prints the summary; the exit status.
    static func finish(_ result: inout RunResult, previous: RunResult?, session: RunSession, paths: RunPaths,
                       _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        if progressLine(args, console) != nil { console.rawErr("\r\u{1B}[K") }
        // Failures in report order (not completion order), so logs are stable from run to run.
        if !args.flag("quiet") {
            let groups = result.groups
            for g in groups where g.isFailing { console.err(ConsoleReport.failureLine(g, color: console.color)) }
            for g in groups where g.status == .repaired { console.err(ConsoleReport.repairedLine(g, color: console.color)) }
        }
        for e in result.closeErrors { console.err("error: \(e)") }
        for w in result.warnings { console.err("warning: \(w)") }
        // The console speaks of this run: its own duration, even when the report is merged.
        let ownDurationMs = result.durationMs
        if let previous { result = Merge.replacing(in: previous, with: result) }
        result.interrupted = console.interruption.isFired
        let finished = result
        var options = ReportRegistry.Options(toolVersion: Proctor.version)
        options.junitFileAttributes = args.flag("junit-file-attributes")
        let registry = ReportRegistry.run(options)
        let wanted: [(format: String, path: String)] = [("junit", paths.junit), ("json", paths.json), ("markdown", paths.markdown)]
            + (paths.html.map { [("html", $0)] } ?? [])
        let reports: [ReportFiles.Report] = wanted.compactMap { format, path in
            guard let w = registry[format] else { return nil }
            return (w.title, path, { @Sendable sink in w.write(finished, into: &sink) })
        }
        if let failure = ReportFiles.write(reports) { throw CLIError.input(failure) }
        if !args.flag("no-github") { github(finished, registry, console) }
        console.keepUntilExit(finished)
        console.keepUntilExit(session)
        let s = finished.summary
        if console.interruption.isFired {
            console.err("proctor: interrupted; \(s.total - s.skipped) of \(s.total) cases finished, the rest are reported as not run")
            console.err("reports: \(paths.listed)")
            return console.interruption.exitCode
        }
        console.err(ConsoleReport.summaryLine(s, durationMs: ownDurationMs, color: console.color)
                    + (previous == nil ? "" : " (this rerun; the report holds every case)"))
        for line in ConsoleReport.costLines(finished) where !args.flag("quiet") { console.err(line) }
        if !args.flag("quiet") { console.err("reports: \(paths.listed)") }
        return s.allPassed && s.skipped == 0 && finished.closeErrors.isEmpty ? 0 : 1
    }

    /// GitHub Actions: the Markdown summary appended to `GITHUB_STEP_SUMMARY`, and an annotation
    /// per failing case when `GITHUB_ACTIONS=true` (the one place that reads those variables).
    static func github(_ run: RunResult, _ registry: [String: any ReportWriter<RunResult>], _ console: Console) {
        let env = console.environment
        if let path = env["GITHUB_STEP_SUMMARY"], !path.isEmpty, let md = registry["markdown"] {
            if let h = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) {
                h.seekToEndOfFile()
                h.write(Data(md.bytes(run) + [0x0A]))
                try? h.close()
            }
        }
        if env["GITHUB_ACTIONS"] == "true", let a = registry["annotations"] { console.rawOut(a.text(run)) }
    }
}
