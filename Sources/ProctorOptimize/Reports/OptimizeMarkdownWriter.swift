import Foundation
import ProctorReports

/// The optimization report as Markdown, for a pull request or a terminal.
public enum OptimizeMarkdownWriter {
    static func pct(_ passes: Int, _ n: Int) -> String { n == 0 ? "–" : String(format: "%.1f %%", 100 * Double(passes) / Double(n)) }
    static func ci(_ w: (low: Double, high: Double)) -> String { String(format: "95 %% CI %.1f–%.1f %%", 100 * w.low, 100 * w.high) }
    static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }

    /// The whole report.
    public static func render(_ r: OptimizeReport) -> String {
        let h = r.heldOut
        var m = "# proctor optimize: \(r.suite) / \(r.promptId) on \(r.backendId)\n\n"
        m += "**\(r.verdict.prefix(1).uppercased() + r.verdict.dropFirst()).** "
        m += "Winner \(r.winnerId) (\(r.winner.candidate.lineage.map(\.summary).joined(separator: "; ").ifEmpty("the starting prompt"))).\n\n"
        m += "| held-out split (\(h.cases.count) cases) | start (\(r.promptId)) | winner (\(r.winnerId)) |\n|---|---|---|\n"
        m += "| pass rate | \(pct(h.startPasses, h.cases.count)) (\(h.startPasses)/\(h.cases.count), \(ci(h.startWilson))) "
        m += "| \(pct(h.winnerPasses, h.cases.count)) (\(h.winnerPasses)/\(h.cases.count), \(ci(h.winnerWilson))) |\n\n"
        m += "Paired held-out cases: \(h.fixed.count) fixed, \(h.regressed.count) regressed; exact McNemar p = \(String(format: "%.4g", h.mcnemarP)).\n\n"
        if let w = r.written { m += "Wrote the suite with the winner as prompt version `\(r.promptId)-opt` to `\(w)`.\n\n" }
        if let n = r.notWritten { m += "Did not write `--out`: \(n)\n\n" }
        m += "Seed \(r.seed), budget \(r.budget) candidates, \(r.searchCases.count) search cases, \(h.cases.count) held out"
        m += (r.stratifiedBy.map { " (stratified by `\($0)`)" } ?? "") + ", \(r.repeats) sample\(r.repeats == 1 ? "" : "s") per case. "
        m += "Backend calls: \(r.totalCalls) (search \(r.entries.reduce(0) { $0 + $1.calls }), demonstrations \(r.demonstrationCalls), "
        m += "proposer \(r.proposerCalls), held-out \(r.heldOutCalls)). The search ended because \(r.searchEnded).\n\n"
        m += "## Candidates\n\n| id | parent | edit | search | calls | prompt tokens | fate |\n|---|---|---|---|---|---|---|\n"
        for e in r.entries {
            let c = e.candidate
            m += "| \(c.id) | \(c.parent ?? "–") | \(cell(c.edit.map { "\($0.operatorName): \($0.summary)" } ?? "starting prompt")) "
            m += "| \(e.passes)/\(e.casesRun) | \(e.calls) | \(e.tokensEstimated ? "≈" : "")\(String(format: "%.1f", e.promptTokens)) | \(e.fate) |\n"
        }
        m += "\n## Winner \(r.winnerId) against the start\n\n```diff\n" + TextDiff.unified(r.start.candidate.text, r.winner.candidate.text, limit: 200).joined(separator: "\n") + "\n```\n"
        if !r.notes.isEmpty { m += "\n## Notes\n\n" + r.notes.map { "- " + $0 }.joined(separator: "\n") + "\n" }
        return m
    }
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}

/// The optimizer's markdown report, through the report contract (`markdown`).
public struct OptimizeMarkdownReport: ReportWriter {
    /// `markdown`, the format name the CLI asks for this report by.
    public var format: String { "markdown" }
    /// The report's name in messages.
    public var title: String { "optimizer Markdown report" }
    /// The writer.
    public init() {}
    /// Writes the Markdown of report `r` into `sink`.
    public func write(_ r: OptimizeReport, into sink: inout ReportSink) { sink.bytes += Array(OptimizeMarkdownWriter.render(r).utf8) }
}
