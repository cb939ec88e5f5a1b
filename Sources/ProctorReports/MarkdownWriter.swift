import Foundation
import ProctorHarness

/// Markdown for pull-request comments and CI step summaries: short, regressions first, details folded.
public enum MarkdownWriter {
    /// Text safe inside a table cell: pipes, backticks, angle brackets and newlines neutralised.
    static func cell(_ s: String, limit: Int = 120) -> String {
        var t = s.count > limit ? String(s.prefix(limit)) + "…" : s
        t = t.replacingOccurrences(of: "\\", with: "\\\\")
        t = t.replacingOccurrences(of: "|", with: "\\|")
        t = t.replacingOccurrences(of: "`", with: "\\`")
        t = t.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        t = t.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return t
    }

    /// A fenced block whose fence is longer than any backtick run inside, so output cannot close it.
    static func fenced(_ s: String, lang: String = "") -> String {
        var longest = 0, run = 0
        for ch in s { if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return "\(fence)\(lang)\n\(s)\n\(fence)"
    }

    static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

    static func ci(_ w: (low: Double, high: Double)) -> String { String(format: "95%% CI %.1f–%.1f%%", w.low * 100, w.high * 100) }

    // MARK: - Diff

    /// The diff in Markdown: pass rates, counts and McNemar p, a table of regressions, the other transitions
    /// folded, and output diffs of regressions and fixes.
    public static func diff(_ d: DiffReport) -> String {
        var m = "## Proctor diff: `\(cell(d.base.label))` → `\(cell(d.head.label))`\n\n"
        m += "| | \(cell(d.base.label)) | \(cell(d.head.label)) |\n|---|---|---|\n"
        m += "| pass rate | \(pct(d.base.passRate)) (\(d.base.passes)/\(d.base.cases), \(ci(d.base.wilson))) | \(pct(d.head.passRate)) (\(d.head.passes)/\(d.head.cases), \(ci(d.head.wilson))) |\n"
        func metric(_ x: Breakdown.Metric?) -> String {
            x.map { "\(pct($0.passRate)) (\($0.passes)/\($0.checks), \(ci(($0.wilsonLow, $0.wilsonHigh)))); mean score " + String(format: "%.3f", $0.meanScore) } ?? "–"
        }
        for (name, b, h) in d.metrics { m += "| metric \(cell(name)) | \(metric(b)) | \(metric(h)) |\n" }
        m += "\n"
        let p = d.mcnemarP
        m += "**\(d.count(.regressed)) regressed, \(d.count(.fixed)) fixed**, \(d.count(.stillFailing)) still failing, "
        m += "\(d.count(.stillPassing)) still passing, \(d.count(.new)) new, \(d.count(.removed)) removed. "
        m += String(format: "Exact McNemar p = %.4g", p) + (p < 0.05 ? " (unlikely to be noise)." : " (could be noise).") + "\n\n"
        if !d.leftOut.isEmpty { m += "Left out of the comparison: " + d.leftOut.map { cell($0, limit: 200) }.joined(separator: "; ") + ".\n\n" }
        if let s = d.scoreDifference {
            m += String(format: "Mean score difference %+.3f (95 %% paired bootstrap CI %+.3f to %+.3f; %d resamples, seed %d).\n\n",
                        s.mean, s.low, s.high, DiffReport.bootstrapResamples, Int(DiffReport.bootstrapSeed))
        }
        if d.comparisons.count > 1 {
            m += "| comparison | fixed | regressed | p | p (Holm) | score difference (95 % CI) |\n|---|---|---|---|---|---|\n"
            for c in d.comparisons {
                let sc = c.scores.map { String(format: "%+.3f (%+.3f to %+.3f)", $0.mean, $0.low, $0.high) } ?? "–"
                m += "| \(cell(c.name)) | \(c.fixed) | \(c.regressed) | " + String(format: "%.4g | %.4g", c.p, c.pAdjusted) + " | \(sc) |\n"
            }
            m += "\n"
        }
        if !d.passAtK.base.isEmpty {
            let show = { (xs: [Double]) in xs.indices.map { String(format: "k=%d %.3f", $0 + 1, xs[$0]) }.joined(separator: ", ") }
            m += "pass@k \(show(d.passAtK.base)) → \(show(d.passAtK.head)); pass^k \(show(d.passHatK.base)) → \(show(d.passHatK.head)).\n\n"
        }
        func table(_ es: [DiffReport.Entry]) -> String {
            var t = "| case | base | head | Δ score | why |\n|---|---|---|---|---|\n"
            for e in es {
                let b = e.base.map { status($0) } ?? "–", h = e.head.map { status($0) } ?? "–"
                let delta = e.scoreDelta.map { String(format: "%+.2f", $0) } ?? ""
                t += "| \(cell(e.label)) | \(b) | \(h) | \(delta) | \(cell(e.reason)) |\n"
            }
            return t
        }
        let regressed = d.entries.filter { $0.transition == .regressed }
        if !regressed.isEmpty { m += "### Regressed (\(regressed.count))\n\n" + table(regressed) + "\n" }
        for t in [DiffReport.Transition.fixed, .stillFailing, .new, .removed] {
            let es = d.entries.filter { $0.transition == t }
            if es.isEmpty { continue }
            m += "<details><summary>\(t.rawValue.replacingOccurrences(of: "-", with: " ").capitalized) (\(es.count))</summary>\n\n" + table(es) + "\n</details>\n\n"
        }
        let changed = d.entries.filter { $0.outputChanged && ($0.transition == .regressed || $0.transition == .fixed) }
        if !changed.isEmpty {
            m += "<details><summary>Output changes (\(changed.count))</summary>\n\n"
            for e in changed.prefix(20) {
                m += "**\(cell(e.label))** (\(e.transition.rawValue))\n\n"
                m += fenced(TextDiff.unified(e.base!.first.output, e.head!.first.output, limit: 40).joined(separator: "\n"), lang: "diff") + "\n\n"
            }
            m += "</details>\n"
        }
        return m
    }

    /// GitHub's limit for one comment body.
    public static let commentLimit = 65_536

    /// A pull-request comment: the headline numbers, regressed and fixed cases (linking to the HTML
    /// report when its URL is known), the rest folded; tables are cut, with a note, so the whole
    /// comment stays under `limit` characters.
    public static func comment(_ d: DiffReport, htmlURL: String? = nil, limit: Int = commentLimit) -> String {
        var head = "### Proctor: \(d.count(.regressed)) regressed, \(d.count(.fixed)) fixed\n\n"
        head += "Pass rate \(pct(d.base.passRate)) → **\(pct(d.head.passRate))** (\(d.head.passes)/\(d.head.cases); \(ci(d.head.wilson)))"
        head += String(format: " · exact McNemar p = %.3g", d.mcnemarP) + (htmlURL.map { " · [full report](\($0))" } ?? "") + "\n\n"
        if !d.leftOut.isEmpty { head += "Left out: " + d.leftOut.map { cell($0, limit: 200) }.joined(separator: "; ") + "\n\n" }
        for (name, b, h) in d.metrics {
            head += "Metric \(cell(name)): \(b.map { pct($0.passRate) } ?? "–") → **\(h.map { pct($0.passRate) } ?? "–")**" + (h.map { " (\(ci(($0.wilsonLow, $0.wilsonHigh))))" } ?? "") + "\n\n"
        }
        let foot = "\n<sub>proctor diff `\(cell(d.base.label))` → `\(cell(d.head.label))`</sub>\n"
        func row(_ e: DiffReport.Entry) -> String {
            let why = (e.head ?? e.base).flatMap { g in g.samples.first { !$0.isPass } }.map { RunPage.messages($0).first ?? "" } ?? ""
            let name = htmlURL.map { "[\(cell(e.label))](\($0))" } ?? cell(e.label)
            return "| \(name) | \(e.base.map { status($0) } ?? "–") → \(e.head.map { status($0) } ?? "–") | \(cell(why, limit: 160)) |\n"
        }
        var body = ""
        let sections: [(String, [DiffReport.Entry], Bool)] = [
            ("Regressed", d.entries.filter { $0.transition == .regressed }, true),
            ("Fixed", d.entries.filter { $0.transition == .fixed }, true),
            ("Still failing", d.entries.filter { $0.transition == .stillFailing }, false),
            ("New", d.entries.filter { $0.transition == .new }, false),
            ("Removed", d.entries.filter { $0.transition == .removed }, false),
        ]
        var budget = limit - head.count - foot.count - 200
        for (title, es, open) in sections where !es.isEmpty {
            var t = (open ? "#### \(title) (\(es.count))\n\n" : "<details><summary>\(title) (\(es.count))</summary>\n\n")
            t += "| case | status | why |\n|---|---|---|\n"
            var shown = 0
            for e in es {
                let r = row(e)
                if t.count + r.count + 120 > budget { break }
                t += r
                shown += 1
            }
            if shown < es.count { t += "\n… \(es.count - shown) more not shown (GitHub's comment limit)\(htmlURL == nil ? "" : "; see the full report").\n" }
            t += open ? "\n" : "\n</details>\n\n"
            if t.count > budget { break }
            body += t
            budget -= t.count
        }
        return head + body + foot
    }

    static func status(_ g: CaseGroup) -> String {
        g.samples.count > 1 ? "\(g.status.rawValue)\(g.flaky ? " (flaky)" : "") \(g.passes)/\(g.ran)" : g.status.rawValue
    }

    // MARK: - Run summary

    /// The run in Markdown (a CI step summary): the totals, then tables of failing cases, flaky cases and
    /// repaired outputs.
    public static func summary(_ run: RunResult) -> String {
        let s = run.summary
        var m = "## Proctor run\n\n"
        if run.interrupted {
            m += "> **Interrupted**: \(s.skipped) of \(s.total) cases did not run; they count as not passed.\n\n"
        }
        let w = Statistics.wilson(successes: s.passed + s.repaired, trials: s.total)
        m += "**\(s.text)** · \(ci(w))"
        m += String(format: " · %.2f s\n\n", run.durationMs / 1000)
        if let why = ConsoleReport.budgetStop(run) { m += "> **Budget**: \(cell(why, limit: 300))\n\n" }
        let breakdown = Breakdown(run.results)
        if !breakdown.isEmpty { m += breakdown.markdown + "\n" }
        let groups = run.groups
        let failing = groups.filter(\.isFailing)
        if !failing.isEmpty {
            m += "### Failures (\(failing.count))\n\n| case | status | why |\n|---|---|---|\n"
            for g in failing {
                let r = g.samples.first { !$0.isPass } ?? g.first
                let why = r.failureReasons.joined(separator: "; ")
                m += "| \(cell("\(r.suite) / \(r.caseId) [\(r.promptId)@\(r.backendId)]")) | \(status(g)) | \(cell(why, limit: 200)) |\n"
            }
            m += "\n"
        }
        let flaky = groups.filter(\.flaky)
        if !flaky.isEmpty {
            m += "<details><summary>Flaky (\(flaky.count))</summary>\n\n| case | passes | pass rate | minPassRate |\n|---|---|---|---|\n"
            for g in flaky {
                let r = g.first
                m += "| \(cell("\(r.suite) / \(r.caseId) [\(r.promptId)@\(r.backendId)]")) | \(g.passes)/\(g.ran) | \(pct(g.passRate)) (\(ci(g.wilson))) | \(g.minPassRate) |\n"
            }
            m += "\n</details>\n\n"
        }
        // By index: filtering the results would copy each one to test it.
        let repaired = run.results.indices.filter { run.results[$0].status == .repaired }.map { run.results[$0] }
        if !repaired.isEmpty {
            let lossy = repaired.filter(\.lossyRepair).count
            m += "<details><summary>Repaired outputs (\(repaired.count)\(lossy > 0 ? ", \(lossy) lossy: a value was changed or dropped" : ""))</summary>\n\n| case | repairs |\n|---|---|\n"
            for r in repaired { m += "| \(cell("\(r.suite) / \(r.caseId) [\(r.promptId)@\(r.backendId)]")) | \(cell(r.repairs.joined(separator: ", "), limit: 200)) |\n" }
            m += "\n</details>\n"
        }
        return m
    }
}

/// The Markdown summary of a run (`markdown`).
public struct MarkdownSummaryReport: ReportWriter {
    /// `markdown`, the format name the CLI asks for this report by.
    public var format: String { "markdown" }
    /// The report's name in messages.
    public var title: String { "Markdown summary" }
    /// The summary writer.
    public init() {}
    /// Writes the summary of `run` into `sink`.
    public func write(_ run: RunResult, into sink: inout ReportSink) { sink.bytes += Array(MarkdownWriter.summary(run).utf8) }
}

/// The Markdown report of a diff (`markdown`).
public struct DiffMarkdownReport: ReportWriter {
    /// `markdown`, the format name the CLI asks for this report by.
    public var format: String { "markdown" }
    /// The report's name in messages.
    public var title: String { "Markdown diff" }
    /// The diff writer.
    public init() {}
    /// Writes the Markdown of diff `d` into `sink`.
    public func write(_ d: DiffReport, into sink: inout ReportSink) { sink.bytes += Array(MarkdownWriter.diff(d).utf8) }
}

/// A pull-request comment on a diff, under GitHub's size limit (`comment`).
public struct DiffCommentReport: ReportWriter {
    /// Where the HTML report will be, for links.
    public var htmlURL: String?
    /// `comment`, the format name the CLI asks for this report by.
    public var format: String { "comment" }
    /// The report's name in messages.
    public var title: String { "pull-request comment" }
    /// A comment writer linking to `htmlURL` when given.
    public init(htmlURL: String? = nil) { self.htmlURL = htmlURL }
    /// Writes the comment on diff `d`, cut to GitHub's limit, into `sink`.
    public func write(_ d: DiffReport, into sink: inout ReportSink) { sink.bytes += Array(MarkdownWriter.comment(d, htmlURL: htmlURL).utf8) }
}
