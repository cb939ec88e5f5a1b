import Foundation
import ProctorHarness

/// Self-contained HTML pages (inline CSS and script, no external assets): the diff report with
/// side-by-side outputs and highlighted changes, and the run report. Filtering by status works
/// without a server.
public enum HTMLWriter {
    /// `s` safe in HTML text and quoted attributes: `& < > " '` escaped, and control characters other than
    /// newline and tab shown as `\u{…}`.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if ch.value < 0x20 && ch != "\n" && ch != "\t" { out += "\\u{\(String(ch.value, radix: 16))}" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    static let style = """
    body{font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1f2328;background:#fff}
    h1{font-size:20px;margin:0 0 12px}.totals{display:flex;gap:24px;flex-wrap:wrap;margin:12px 0 16px}
    .box{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px}.box b{font-size:18px}
    .filters label{margin-right:14px;cursor:pointer}.entry{border:1px solid #d0d7de;border-radius:6px;margin:8px 0}
    .entry summary{padding:8px 12px;cursor:pointer;display:flex;gap:12px;align-items:center}
    .badge{font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;color:#fff;white-space:nowrap}
    .regressed,.failed,.error{background:#cf222e}.fixed,.passed,.repaired{background:#1a7f37}.flaky{background:#9a6700}
    .still-failing{background:#bc4c00}.still-passing{background:#57606a}.new,.removed,.skipped{background:#8250df}
    .cols{display:grid;grid-template-columns:1fr 1fr;gap:0;border-top:1px solid #d0d7de}
    .cols>div{padding:8px 12px;overflow:auto}.cols>div+div{border-left:1px solid #d0d7de}
    pre{white-space:pre-wrap;word-break:break-word;margin:0;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
    del{background:#ffcecb;text-decoration:none;border-radius:3px}ins{background:#aceebb;text-decoration:none;border-radius:3px}
    .meta{color:#57606a;font-size:12px}.msg{color:#cf222e;font-size:12px;margin-top:6px}
    """

    static let script = """
    function f(){var on={};document.querySelectorAll('.filters input').forEach(function(c){on[c.value]=c.checked});
    document.querySelectorAll('.entry').forEach(function(e){e.style.display=on[e.dataset.status]?'':'none'})}
    """

    static func page(title: String, body: String, extraStyle: String = "", extraScript: String = "") -> String {
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
            + "<title>\(escape(title))</title><style>\(style)\(extraStyle)</style></head><body>\(body)<script>\(script)\(extraScript)</script></body></html>\n"
    }

    static func filters(_ statuses: [(String, Int)]) -> String {
        "<div class=\"filters\">Show: " + statuses.filter { $0.1 > 0 }.map {
            "<label><input type=\"checkbox\" value=\"\(escape($0.0))\" checked onchange=\"f()\"> \(escape($0.0)) (\($0.1))</label>"
        }.joined() + "</div>"
    }

    /// Both outputs with the changed words marked inside them; when the changes would mark most
    /// of the text, both are shown plainly instead (a page of highlight reads worse than none).
    public static func sideBySide(_ old: String, _ new: String) -> (String, String, plain: Bool) {
        var l = "", r = ""
        var changed = 0
        let ops = TextDiff.diff(TextDiff.tokens(old), TextDiff.tokens(new))
        for op in ops {
            switch op {
            case .same(let w): l += escape(w); r += escape(w)
            case .removed(let w): l += "<del>\(escape(w))</del>"; if !w.allSatisfy(\.isWhitespace) { changed += w.count }
            case .added(let w): r += "<ins>\(escape(w))</ins>"; if !w.allSatisfy(\.isWhitespace) { changed += w.count }
            }
        }
        let total = max(1, old.count + new.count)
        if Double(changed) / Double(total) > 0.6 { return (escape(old), escape(new), true) }
        return (l, r, false)
    }

    /// The diff page: both sides' pass rates and the McNemar p, then every entry with its outputs side by
    /// side, regressions open.
    public static func diff(_ d: DiffReport) -> String {
        var b = "<h1>Proctor diff: \(escape(d.base.label)) → \(escape(d.head.label))</h1><div class=\"totals\">"
        for side in [d.base, d.head] {
            let w = side.wilson
            b += "<div class=\"box\">\(escape(side.label))<br><b>\(String(format: "%.1f%%", side.passRate * 100))</b> "
            b += "<span class=\"meta\">\(side.passes)/\(side.cases), 95% CI \(String(format: "%.1f–%.1f%%", w.low * 100, w.high * 100))</span></div>"
        }
        b += "<div class=\"box\">regressed <b>\(d.count(.regressed))</b> · fixed <b>\(d.count(.fixed))</b><br>"
        b += "<span class=\"meta\">exact McNemar p = \(String(format: "%.4g", d.mcnemarP))</span></div></div>"
        if !d.leftOut.isEmpty {
            b += "<div class=\"meta\">Left out of the comparison: " + d.leftOut.map(escape).joined(separator: "; ") + "</div>"
        }
        // The score interval, and each test of the family with its raw and Holm-adjusted p.
        if !d.statisticsText.isEmpty { b += "<pre class=\"meta\">\(escape(d.statisticsText))</pre>" }
        if !d.metrics.isEmpty {
            let show = { (m: Breakdown.Metric?) in
                m.map { String(format: "%.1f%% (%d/%d, 95%% CI %.1f–%.1f%%; mean %.3f)", $0.passRate * 100, $0.passes, $0.checks, $0.wilsonLow * 100, $0.wilsonHigh * 100, $0.meanScore) } ?? "–"
            }
            b += "<table class=\"metrics\"><tr><th>metric</th><th>\(escape(d.base.label))</th><th>\(escape(d.head.label))</th></tr>"
            for (name, base, head) in d.metrics { b += "<tr><td>\(escape(name))</td><td>\(show(base))</td><td>\(show(head))</td></tr>" }
            b += "</table>"
        }
        b += filters(DiffReport.Transition.allCases.map { ($0.rawValue, d.count($0)) })
        let order = DiffReport.Transition.allCases
        for e in d.entries.sorted(by: { order.firstIndex(of: $0.transition)! < order.firstIndex(of: $1.transition)! }) {
            let t = e.transition.rawValue
            b += "<details class=\"entry\" data-status=\"\(t)\"\(e.transition == .regressed ? " open" : "")><summary><span class=\"badge \(t)\">\(t)</span>"
            b += "<span>\(escape(e.label))</span>"
            b += "<span class=\"meta\">\(escape(e.statusChange))</span>"
            if let s = e.scoreDelta { b += "<span class=\"meta\">Δ score \(String(format: "%+.2f", s))</span>" }
            if !e.reason.isEmpty { b += "<span class=\"meta\">\(escape(e.reason))</span>" }
            b += "</summary><div class=\"cols\">"
            let (l, r, plain) = sideBySide(e.base?.first.output ?? "", e.head?.first.output ?? "")
            for (side, g, html) in [("base", e.base, l), ("head", e.head, r)] {
                b += "<div><div class=\"meta\">\(side): \(g.map { escape($0.status.rawValue) } ?? "—")"
                b += plain && e.base != nil && e.head != nil ? " · the outputs differ almost entirely" : ""
                b += "</div><pre>\(g == nil ? "" : html)</pre>"
                if let g, let bad = g.samples.first(where: { !$0.isPass }) {
                    b += "<div class=\"msg\">\(escape(RunPage.messages(bad).joined(separator: "; ")))</div>"
                }
                b += "</div>"
            }
            b += "</div></details>"
        }
        return page(title: "Proctor diff", body: b)
    }

    /// The run report: the case × (prompt × backend) matrix of `RunPage`.
    public static func run(_ run: RunResult) -> String { RunPage.render(run) }
}

/// The HTML matrix of a run (`html`).
public struct HTMLRunReport: ReportWriter {
    /// `html`, the format name the CLI asks for this report by.
    public var format: String { "html" }
    /// The report's name in messages.
    public var title: String { "HTML report" }
    /// The page writer.
    public init() {}
    /// Writes the page of `run` into `sink`.
    public func write(_ run: RunResult, into sink: inout ReportSink) { sink.bytes += Array(HTMLWriter.run(run).utf8) }
}

/// The HTML page of a diff, side by side (`html`).
public struct DiffHTMLReport: ReportWriter {
    /// `html`, the format name the CLI asks for this report by.
    public var format: String { "html" }
    /// The report's name in messages.
    public var title: String { "HTML diff" }
    /// The page writer.
    public init() {}
    /// Writes the page of diff `d` into `sink`.
    public func write(_ d: DiffReport, into sink: inout ReportSink) { sink.bytes += Array(HTMLWriter.diff(d).utf8) }
}
