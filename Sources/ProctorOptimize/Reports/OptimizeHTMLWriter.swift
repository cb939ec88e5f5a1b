import Foundation
import ProctorReports

/// The optimization report as one self-contained HTML page: the held-out comparison, then every
/// candidate with its lineage and its template diff against the start.
public enum OptimizeHTMLWriter {
    static func e(_ s: String) -> String { HTMLWriter.escape(s) }

    /// The whole page.
    public static func render(_ r: OptimizeReport) -> String {
        let h = r.heldOut
        var b = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>proctor optimize: \(e(r.suite)) / \(e(r.promptId))</title>
        <style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
        pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}.add{background:#e6ffec}.del{background:#ffebe9}.meta{color:#555}</style></head><body>
        <h1>proctor optimize: \(e(r.suite)) / \(e(r.promptId)) on \(e(r.backendId))</h1>
        <p><strong>\(e(r.verdict))</strong>. Winner \(e(r.winnerId)).</p>
        <table><tr><th>held-out (\(h.cases.count) cases)</th><th>start (\(e(r.promptId)))</th><th>winner (\(e(r.winnerId)))</th></tr>
        <tr><td>pass rate</td><td>\(OptimizeMarkdownWriter.pct(h.startPasses, h.cases.count)) (\(h.startPasses)/\(h.cases.count), \(OptimizeMarkdownWriter.ci(h.startWilson)))</td>
        <td>\(OptimizeMarkdownWriter.pct(h.winnerPasses, h.cases.count)) (\(h.winnerPasses)/\(h.cases.count), \(OptimizeMarkdownWriter.ci(h.winnerWilson)))</td></tr></table>
        <p class="meta">\(h.fixed.count) fixed, \(h.regressed.count) regressed; exact McNemar p = \(String(format: "%.4g", h.mcnemarP)).
        Seed \(r.seed), budget \(r.budget), \(r.searchCases.count) search cases, \(r.totalCalls) backend calls; the search ended because \(e(r.searchEnded)).\(r.written.map { " Wrote " + e($0) + "." } ?? "")\(r.notWritten.map { " Not written: " + e($0) } ?? "")</p>
        <h2>Candidates</h2><table><tr><th>id</th><th>parent</th><th>edits</th><th>search</th><th>calls</th><th>prompt tokens</th><th>fate</th></tr>
        """
        for en in r.entries {
            let c = en.candidate
            b += "<tr><td>\(e(c.id))</td><td>\(e(c.parent ?? "–"))</td><td>\(c.lineage.map { e($0.operatorName + ": " + $0.summary) }.joined(separator: "<br>").ifEmpty("starting prompt"))</td>"
            b += "<td>\(en.passes)/\(en.casesRun)</td><td>\(en.calls)</td><td>\(en.tokensEstimated ? "≈" : "")\(String(format: "%.1f", en.promptTokens))</td><td>\(e(en.fate))</td></tr>\n"
        }
        b += "</table>\n"
        for en in r.entries {
            let c = en.candidate
            b += "<details\(c.id == r.winnerId ? " open" : "")><summary>\(e(c.id)): \(e(en.fate)), \(en.passes)/\(en.casesRun)</summary><pre>"
            for line in TextDiff.unified(r.start.candidate.text, c.text, limit: 400) {
                let cls = line.hasPrefix("+ ") ? " class=\"add\"" : line.hasPrefix("- ") ? " class=\"del\"" : ""
                b += "<span\(cls)>\(e(line))</span>\n"
            }
            b += "</pre></details>\n"
        }
        if !r.notes.isEmpty { b += "<h2>Notes</h2><ul>" + r.notes.map { "<li>\(e($0))</li>" }.joined() + "</ul>\n" }
        return b + "</body></html>\n"
    }
}

/// The optimizer's html report, through the report contract (`html`).
public struct OptimizeHTMLReport: ReportWriter {
    /// `html`, the format name the CLI asks for this report by.
    public var format: String { "html" }
    /// The report's name in messages.
    public var title: String { "optimizer HTML report" }
    /// The writer.
    public init() {}
    /// Writes the page of report `r` into `sink`.
    public func write(_ r: OptimizeReport, into sink: inout ReportSink) { sink.bytes += Array(OptimizeHTMLWriter.render(r).utf8) }
}
