import Foundation
import ProctorHarness
import ProctorJSON

/// The run report as a matrix, as people read an eval: one row per case, one column per prompt
/// version × backend, each cell the output with its status and the failed checks' messages in
/// plain sight. Failing rows come first. The page is plain HTML that reads without JavaScript; the
/// inline script only adds search, filters and sorting (and reads them from the URL's `#`, so a
/// filtered view can be shared).
public enum RunPage {
    /// A status's rank: worse first.
    static func rank(_ s: CaseStatus) -> Int {
        switch s {
        case .error: 0
        case .failed: 1
        case .repaired: 2
        case .passed: 3
        case .skipped: 4
        }
    }

    static let style = """
    .controls{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0 14px}
    .controls input,.controls select{font:inherit;padding:3px 6px;border:1px solid #d0d7de;border-radius:6px}
    .matrix{margin:6px 0 24px;border-top:1px solid #d0d7de;border-left:1px solid #d0d7de}
    .matrix .tr{display:grid;grid-template-columns:minmax(140px,18%) var(--cols)}
    .matrix .body .tr{content-visibility:auto;contain-intrinsic-size:auto 90px}
    .matrix .tr>div{border-right:1px solid #d0d7de;border-bottom:1px solid #d0d7de;padding:6px 8px;min-width:0}
    .matrix .head .tr>div{background:#f6f8fa;font-weight:600}
    .matrix .case{word-break:break-word}.vars{color:#57606a;font-size:12px}
    .matrix [hidden]{display:none}
    .matrix .c{white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
    .matrix .c::before{display:table;margin-bottom:4px;font:600 12px/1.5 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;padding:0 8px;border-radius:10px;color:#fff}
    .s-passed::before{content:"passed";background:#1a7f37}.s-failed::before{content:"failed";background:#cf222e}
    .s-error::before{content:"error";background:#cf222e}.s-repaired::before{content:"repaired";background:#1a7f37}
    .s-skipped::before{content:"not run";background:#8250df}.matrix .msg,.matrix .samples{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif}
    .matrix .s-failed,.matrix .s-error{background:#fff8f8}.matrix .s-repaired{background:#fffbea}
    .samples{font-size:12px;color:#57606a}
    h2{font-size:16px;margin:18px 0 4px}
    """

    static let script = """
    (function(){
    var c=document.getElementById('controls');if(!c)return;c.hidden=false;
    var q=document.getElementById('q'),st=document.getElementById('st'),pr=document.getElementById('pr'),be=document.getElementById('be'),so=document.getElementById('so');
    var tables=[].slice.call(document.querySelectorAll('.matrix'));
    var rows=tables.map(function(t){return [].slice.call(t.querySelector('.body').children).map(function(r){return {r:r,t:null}})});
    function text(x){if(x.t===null)x.t=x.r.textContent.toLowerCase();return x.t}
    function apply(){var t0=performance.now(),n=q.value.toLowerCase(),shown=0;
    tables.forEach(function(t,ti){var vis=[];[].slice.call(t.querySelector('.head .tr').children).forEach(function(th,i){if(i===0)return;
    var ok=(!pr.value||th.dataset.prompt===pr.value)&&(!be.value||th.dataset.backend===be.value);vis[i]=ok;th.hidden=!ok});
    rows[ti].forEach(function(x){var any=false;var cs=x.r.children;for(var i=1;i<cs.length;i++){var td=cs[i];
    if(td.hidden!==!vis[i])td.hidden=!vis[i];if(vis[i]&&(!st.value||td.classList.contains('s-'+st.value)))any=true}
    var h=!(any&&(!n||text(x).indexOf(n)>=0));if(x.r.hidden!==h)x.r.hidden=h;if(!h)shown++})});
    document.body.dataset.shown=shown;document.body.dataset.filterMs=(performance.now()-t0).toFixed(1);
    history.replaceState(null,'','#'+new URLSearchParams({q:q.value,status:st.value,prompt:pr.value,backend:be.value,sort:so.value}).toString())}
    function sort(){var k=so.value;tables.forEach(function(t,ti){var b=t.querySelector('.body');rows[ti].slice().sort(function(a,c){var x=a.r.dataset,y=c.r.dataset;
    if(k==='case')return x.case<y.case?-1:x.case>y.case?1:0;if(k==='score')return (+x.score)-(+y.score)||(+x.order)-(+y.order);
    if(k==='latency')return (+y.latency)-(+x.latency)||(+x.order)-(+y.order);return (+x.rank)-(+y.rank)||(+x.order)-(+y.order)})
    .forEach(function(x){b.appendChild(x.r)})})}
    var h=new URLSearchParams(location.hash.slice(1));q.value=h.get('q')||'';st.value=h.get('status')||'';pr.value=h.get('prompt')||'';
    be.value=h.get('backend')||'';so.value=h.get('sort')||'status';
    [q,st,pr,be].forEach(function(e){e.addEventListener('input',apply)});so.addEventListener('input',function(){sort();apply()});
    // The page is already in "failures first" order: sort and filter only when asked.
    if(so.value!=='status')sort();
    if(q.value||st.value||pr.value||be.value||so.value!=='status')apply();else document.body.dataset.shown=rows.reduce(function(a,r){return a+r.length},0);
    document.body.dataset.readyMs=performance.now().toFixed(1)})();
    """

    /// A short line for the case's variables: `ticket: "Please refund…", lang: "en"`.
    static func varsLine(_ vars: JSONObject) -> String {
        guard !vars.isEmpty else { return "" }
        let parts = vars.map { k, v -> String in
            let s = v.stringValue ?? JSONSerializer.string(v)
            return "\(k): " + (s.count > 60 ? String(s.prefix(59)) + "…" : s)
        }
        let line = parts.joined(separator: " · ")
        return line.count > 200 ? String(line.prefix(199)) + "…" : line
    }

    /// The first lines of an output, and whether there is more.
    static func preview(_ s: String) -> (String, Bool) {
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
        var p = lines.prefix(4).joined(separator: "\n")
        var more = lines.count > 4
        if p.count > 400 { p = String(p.prefix(399)) + "…"; more = true }
        return (p, more)
    }

    /// The failed checks' messages of a sample, without the "not JSON" echoes of the one parse error.
    static func messages(_ r: CaseResult) -> [String] {
        r.failureReasons.filter { !$0.contains(": " + CheckResult.notJSONMessage) }
    }

    /// A conversation's turns, collapsed under the cell: each reply with its tool calls, latency
    /// and usage, each tool's result and each scripted user turn.
    static func transcript(_ r: CaseResult) -> String {
        let replies = r.transcript.filter { $0.message.role == "assistant" }.count
        var b = "<details class=\"turns\"><summary class=\"meta\">conversation: \(replies) repl\(replies == 1 ? "y" : "ies"), \(r.toolCalls.count) tool call\(r.toolCalls.count == 1 ? "" : "s")</summary>"
        for step in r.transcript {
            let m = step.message
            var head = m.role
            if let n = m.toolName { head += " · \(n)" }
            if let ms = step.latencyMs { head += String(format: " · %.0f ms", ms) }
            if let u = step.usage { head += " · \(u.promptTokens)+\(u.outputTokens) tokens" }
            b += "<div class=\"meta\">\(HTMLWriter.escape(head))</div>"
            if !m.content.isEmpty { b += "<pre>\(HTMLWriter.escape(m.content))</pre>" }
            for c in m.toolCalls { b += "<pre>→ \(HTMLWriter.escape(c.name))(\(HTMLWriter.escape(JSONSerializer.string(c.arguments))))</pre>" }
        }
        return b + "</details>"
    }

    /// Cost and named metrics per prompt × backend, when the run has either.
    static func breakdownTable(_ bd: Breakdown) -> String {
        guard !bd.isEmpty else { return "" }
        var t = "<h2>Cost and metrics</h2><table class=\"breakdown\"><tr><th>suite</th><th>prompt</th><th>backend</th><th>cost (USD)</th><th>metrics</th><th>pass@k · pass^k</th></tr>"
        for r in bd.rows {
            let cost = r.priced == 0 ? "—" : String(format: "$%.6f", r.costUsd) + (r.spentUsd < r.costUsd ? String(format: " (spent $%.6f)", r.spentUsd) : "")
            let ms = r.metrics.map { $0.name + String(format: " %.1f%% (95%% CI %.1f–%.1f%%; mean %.3f)", $0.passRate * 100, $0.wilsonLow * 100, $0.wilsonHigh * 100, $0.meanScore) }
            let k = r.passAtK.isEmpty ? "—" : r.passAtK.indices.map { String(format: "k=%d: %.3f · %.3f", $0 + 1, r.passAtK[$0], r.passHatK[$0]) }.joined(separator: "; ")
            t += "<tr><td>\(HTMLWriter.escape(r.suite))</td><td>\(HTMLWriter.escape(r.prompt))</td><td>\(HTMLWriter.escape(r.backend))</td><td>\(cost)</td><td>\(HTMLWriter.escape(ms.isEmpty ? "—" : ms.joined(separator: "; ")))</td><td>\(k)</td></tr>"
        }
        return t + "</table>"
    }

    /// The page for `run`: one matrix per suite, failing rows first.
    public static func render(_ run: RunResult) -> String {
        let s = run.summary
        var b = "<h1>Proctor run\(run.interrupted ? " (interrupted)" : "")</h1>"
        b += "<div class=\"totals\"><div class=\"box\">\(HTMLWriter.escape(s.text))</div></div>"
        if let why = ConsoleReport.budgetStop(run) { b += "<p class=\"budget\"><b>Budget:</b> \(HTMLWriter.escape(why))</p>" }
        b += breakdownTable(Breakdown(run.results))
        let groups = run.groups
        let prompts = Array(Set(groups.map(\.key.promptId))).sorted(), backends = Array(Set(groups.map(\.key.backendId))).sorted()
        func options(_ xs: [String], _ all: String) -> String {
            "<option value=\"\">\(all)</option>" + xs.map { "<option value=\"\(HTMLWriter.escape($0))\">\(HTMLWriter.escape($0))</option>" }.joined()
        }
        b += "<div id=\"controls\" class=\"controls\" hidden><input id=\"q\" type=\"search\" placeholder=\"Search cases, variables, outputs\" size=\"32\">"
        b += "<select id=\"st\"><option value=\"\">any status</option>" + ["failed", "error", "repaired", "passed", "skipped"].map { "<option>\($0)</option>" }.joined() + "</select>"
        b += "<select id=\"pr\">\(options(prompts, "all prompts"))</select><select id=\"be\">\(options(backends, "all backends"))</select>"
        b += "<select id=\"so\"><option value=\"status\">failures first</option><option value=\"case\">by case</option><option value=\"score\">by score</option><option value=\"latency\">slowest first</option></select></div>"
        var bySuite: [String: [CaseGroup]] = [:]
        var suiteOrder: [String] = []
        for g in groups {
            if bySuite[g.key.suite] == nil { suiteOrder.append(g.key.suite) }
            bySuite[g.key.suite, default: []].append(g)
        }
        let infos = Dictionary(run.suites.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in suiteOrder {
            let gs = bySuite[name]!
            let info = infos[name]
            // Columns: prompt versions × backends in the order the suite declares them.
            var columns: [(prompt: String, backend: String)] = []
            let declaredPrompts = info?.prompts.map(\.id) ?? [], declaredBackends = info?.backends.map(\.id) ?? []
            for p in declaredPrompts { for bk in declaredBackends where gs.contains(where: { $0.key.promptId == p && $0.key.backendId == bk }) { columns.append((p, bk)) } }
            for g in gs where !columns.contains(where: { $0 == (g.key.promptId, g.key.backendId) }) { columns.append((g.key.promptId, g.key.backendId)) }
            var rowsOrder: [String] = []
            var cells: [String: [Int: CaseGroup]] = [:]
            for g in gs {
                if cells[g.key.caseId] == nil { rowsOrder.append(g.key.caseId) }
                if let ci = columns.firstIndex(where: { $0 == (g.key.promptId, g.key.backendId) }) { cells[g.key.caseId, default: [:]][ci] = g }
            }
            b += "<h2>\(HTMLWriter.escape(name))</h2><div class=\"matrix\" role=\"table\" style=\"--cols:repeat(\(columns.count),minmax(0,1fr))\">"
            b += "<div class=\"head\"><div class=\"tr\" role=\"row\"><div role=\"columnheader\">case</div>"
            for (ci, col) in columns.enumerated() {
                let colGroups = gs.filter { $0.key.promptId == col.prompt && $0.key.backendId == col.backend && $0.status != .skipped }
                let passes = colGroups.filter(\.isPass).count
                let w = Statistics.wilson(successes: passes, trials: colGroups.count)
                b += "<div role=\"columnheader\" data-col=\"\(ci)\" data-prompt=\"\(HTMLWriter.escape(col.prompt))\" data-backend=\"\(HTMLWriter.escape(col.backend))\">"
                b += "\(HTMLWriter.escape(col.prompt)) @ \(HTMLWriter.escape(col.backend))<div class=\"meta\">\(passes)/\(colGroups.count) passed"
                b += colGroups.isEmpty ? "" : String(format: " · %.0f%% (95%% CI %.0f–%.0f%%)", Double(passes) / Double(colGroups.count) * 100, w.low * 100, w.high * 100)
                b += "</div></div>"
            }
            b += "</div></div><div class=\"body\">"
            // Failing rows first, so the page reads right without its script.
            func worstRank(_ id: String) -> Int { cells[id]!.values.map { rank($0.status) }.min() ?? 4 }
            let sortedRows = rowsOrder.enumerated().sorted { (worstRank($0.element), $0.offset) < (worstRank($1.element), $1.offset) }
            for (order, caseId) in sortedRows {
                let row = cells[caseId]!
                let worst = row.values.map(\.status).min(by: { rank($0) < rank($1) }) ?? .skipped
                let score = row.values.map { $0.meanScore }.min() ?? 0
                let latency = row.values.flatMap(\.samples).map(\.latencyMs).max() ?? 0
                let first = row.values.first!.first
                b += "<div class=\"tr\" role=\"row\" data-case=\"\(HTMLWriter.escape(caseId))\" data-rank=\"\(rank(worst))\" data-order=\"\(order)\" data-score=\"\(String(format: "%.4f", score))\" data-latency=\"\(String(format: "%.1f", latency))\">"
                b += "<div class=\"case\" role=\"rowheader\"><b>\(HTMLWriter.escape(caseId))</b><div class=\"vars\">\(HTMLWriter.escape(varsLine(first.vars)))</div></div>"
                for ci in columns.indices {
                    guard let g = row[ci] else { b += "<div role=\"cell\"></div>"; continue }
                    let st = g.status.rawValue
                    let sample = g.samples.first { !$0.isPass && $0.status != .skipped } ?? g.first
                    // Few elements per cell: the badge is drawn by CSS from the class, the preview is the cell's text.
                    b += "<div role=cell class=\"c s-\(st)\">"
                    if g.samples.count > 1 { b += "<div class=\"samples\">\(g.passes)/\(g.ran) samples passed\(g.flaky ? " · flaky" : "")</div>" }
                    for m in messages(sample) { b += "<div class=\"msg\">\(HTMLWriter.escape(m))</div>" }
                    if !sample.repairs.isEmpty {
                        b += "<div class=\"msg\">\(sample.lossyRepair ? "lossy repair" : "repaired"): \(HTMLWriter.escape(sample.repairs.joined(separator: "; ")))</div>"
                    }
                    let (p, more) = preview(sample.output)
                    b += HTMLWriter.escape(p)
                    if more || g.samples.count > 1 {
                        b += "<details><summary class=\"meta\">\(g.samples.count > 1 ? "every sample" : "whole output")</summary>"
                        for smp in g.samples {
                            if g.samples.count > 1 { b += "<div class=\"meta\">sample \(smp.repeatIndex): \(smp.status.rawValue)</div>" }
                            b += "<pre>\(HTMLWriter.escape(smp.output))</pre>"
                        }
                        b += "</details>"
                    }
                    if !sample.transcript.isEmpty { b += transcript(sample) }
                    b += "</div>"
                }
                b += "</div>"
            }
            b += "</div></div>"
        }
        return HTMLWriter.page(title: "Proctor run", body: b, extraStyle: style, extraScript: script)
    }
}
