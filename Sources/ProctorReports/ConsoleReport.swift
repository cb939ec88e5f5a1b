import Foundation
import ProctorHarness
import ProctorJSON

/// What `proctor run` prints on the console: a line per failing and repaired case, and the
/// summary line. Deliberately not of the form "N passed, N failed", which CI systems read as a
/// test runner's own total. `color(text, code)` colours a part where the console allows it.
public enum ConsoleReport {
    /// One line per failing case: why, which samples, and what the model said.
    public static func failureLine(_ g: CaseGroup, color: (String, String) -> String) -> String {
        let bad = g.samples.filter { $0.status == .failed || $0.status == .error }
        let r = bad.first ?? g.first
        let label = color(g.status == .error ? "ERROR" : "FAIL", "31")
        let extra = r.failureMessages.count > 1 ? " (+\(r.failureMessages.count - 1) more)" : ""
        var line = "\(label) \(r.suite)[\(r.promptId)@\(r.backendId)] \(r.caseId): "
        if g.samples.count > 1 {
            line += "\(bad.count)/\(g.samples.count) samples \(g.status == .error ? "errored" : "failed") (sample\(bad.count == 1 ? "" : "s") "
                + bad.map { String($0.repeatIndex) }.joined(separator: ", ") + "): "
        }
        line += r.failureHeadline + extra
        if r.status != .error { line += " · output: " + excerpt(r.output) }
        return line
    }

    /// One line per repaired case: which repairs it passed after (lossy ones marked).
    public static func repairedLine(_ g: CaseGroup, color: (String, String) -> String) -> String {
        let r = g.samples.first { $0.status == .repaired } ?? g.first
        return "\(color(r.lossyRepair ? "REPAIRED (lossy)" : "REPAIRED", "33")) \(r.suite)[\(r.promptId)@\(r.backendId)] \(r.caseId): passed after \(r.repairs.joined(separator: ", "))"
    }

    /// The output on one line, JSON-escaped and cut, so a failure reads without opening results.json.
    public static func excerpt(_ s: String, limit: Int = 100) -> String {
        let q = JSONSerializer.quote(s)
        return q.count <= limit ? q : String(q.prefix(limit - 2)) + "…\" (\(s.count) characters)"
    }

    /// The one counting rule, as the README states it: every case is exactly one of passed,
    /// repaired, failed, error or skipped; flaky cases are listed beside their status.
    public static func summaryLine(_ s: RunSummary, durationMs: Double, color: (String, String) -> String) -> String {
        "proctor: " + color(s.text, s.allPassed ? "32" : "31") + String(format: " in %.2f s", durationMs / 1000)
    }

    /// What the run's priced answers cost, when any was priced ("cost: $0.001234 for 12 priced
    /// answers ($0.000900 spent in this run)"), and why cases were not run when a budget stopped them.
    public static func costLines(_ run: RunResult) -> [String] {
        var lines: [String] = []
        let b = Breakdown(run.results)
        let priced = b.rows.reduce(0) { $0 + $1.priced }
        if priced > 0 {
            lines.append(String(format: "cost: $%.6f for %d priced answer", b.costUsd, priced) + (priced == 1 ? "" : "s") + String(format: " ($%.6f spent in this run)", b.spentUsd))
        }
        if let why = budgetStop(run) { lines.append(why) }
        return lines
    }

    /// "N cases not run: --max-cost …" when the budget stopped any, else nil.
    public static func budgetStop(_ run: RunResult) -> String? {
        let stopped = run.results.indices.filter { run.results[$0].status == .skipped && run.results[$0].error?.hasPrefix("not run: --max-cost") == true }
        guard let first = stopped.first, let reason = run.results[first].error else { return nil }
        return "\(stopped.count) case\(stopped.count == 1 ? "" : "s") not run: " + reason.dropFirst("not run: ".count)
    }
}
