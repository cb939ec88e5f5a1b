import Foundation
import ProctorBackends
import ProctorHarness
import ProctorJSON

/// The machine-readable results file (`reports/results.json`), read by `proctor diff` and other tools.
/// Its shape is documented in the README; `formatVersion` changes when it changes incompatibly
/// (2: a case's `status` is one of passed/failed/error/repaired/skipped, with `flaky` beside it).
public enum JSONResultsWriter {
    public static let formatVersion = 2

    /// The file's fields in order; nil for the three that come from the results (`summary`,
    /// `cases`, `results`), which `value` fills in and `bytes` streams.
    static func fields(_ run: RunResult, toolVersion: String) -> [(String, JSONValue?)] {
        let suites: [JSONValue] = run.suites.map { info in
            var o: [(String, JSONValue)] = [("name", .string(info.name)), ("file", .string(info.file))]
            if let d = info.description { o.append(("description", .string(d))) }
            o.append(("prompts", .array(info.prompts.map { ["id": .string($0.id), "sha256": .string($0.sha256)] })))
            o.append(("backends", .array(info.backends.map { ["id": .string($0.id), "type": .string($0.type), "options": .object($0.options)] })))
            return obj(o)
        }
        return [
            ("formatVersion", .number(JSONNumber(formatVersion))),
            ("tool", ["name": "proctor", "version": .string(toolVersion)]),
            ("startedAt", .string(JUnitWriter.iso(run.startedAt))),
            ("durationMs", ms(run.durationMs)),
            ("interrupted", .bool(run.interrupted)),
            ("summary", nil),
            ("suites", .array(suites)),
            ("cases", nil),
            ("results", nil),
        ] + (run.shard.map { [("shard", ["index": .number(JSONNumber($0.index)), "count": .number(JSONNumber($0.count))])] } ?? [])
    }

    public static func value(_ run: RunResult, toolVersion: String) -> JSONValue {
        let groups = run.groups
        return obj(fields(run, toolVersion: toolVersion).map { key, v in
            if let v { return (key, v) }
            switch key {
            case "summary": return (key, summaryValue(RunSummary(groups: groups)))
            case "cases": return (key, .array(groups.map(group)))
            default: return (key, .array(run.results.map(result)))
            }
        })
    }

    /// One case × prompt × backend across its repeats.
    public static func group(_ g: CaseGroup) -> JSONValue {
        let w = g.wilson
        return obj([("suite", .string(g.first.suite)), ("case", .string(g.first.caseId)), ("prompt", .string(g.first.promptId)),
                    ("backend", .string(g.first.backendId)), ("status", .string(g.status.rawValue)), ("flaky", .bool(g.flaky)),
                    ("samples", .number(JSONNumber(g.samples.count))), ("passes", .number(JSONNumber(g.passes))),
                    ("passRate", .number(JSONNumber((g.passRate * 10000).rounded() / 10000))),
                    ("wilsonLow", .number(JSONNumber((w.low * 10000).rounded() / 10000))),
                    ("wilsonHigh", .number(JSONNumber((w.high * 10000).rounded() / 10000))),
                    ("minPassRate", .number(JSONNumber(g.minPassRate)))])
    }

    static func summaryValue(_ s: RunSummary) -> JSONValue {
        return [
            "flaky": .number(JSONNumber(s.flaky)), "samples": .number(JSONNumber(s.samples)),
            "total": .number(JSONNumber(s.total)), "passed": .number(JSONNumber(s.passed)), "failed": .number(JSONNumber(s.failed)),
            "errors": .number(JSONNumber(s.errors)), "repaired": .number(JSONNumber(s.repaired)), "skipped": .number(JSONNumber(s.skipped)),
            "cached": .number(JSONNumber(s.cached)),
            "passRate": .number(JSONNumber((s.passRate * 10000).rounded() / 10000)),
        ]
    }

    public static func result(_ r: CaseResult) -> JSONValue {
        var o: [(String, JSONValue)] = [
            ("suite", .string(r.suite)), ("case", .string(r.caseId)), ("prompt", .string(r.promptId)),
            ("promptSha256", .string(r.promptSha256)), ("backend", .string(r.backendId)), ("repeat", .number(JSONNumber(r.repeatIndex))),
            ("status", .string(r.status.rawValue)),
            ("score", .number(JSONNumber((r.score * 10000).rounded() / 10000))),
        ]
        if let t = r.threshold { o.append(("threshold", .number(JSONNumber(t)))) }
        o.append(("output", .string(r.output)))
        o.append(("finishReason", r.finishReason.map { .string($0.rawValue) } ?? .null))
        o.append(("truncated", .bool(r.truncated)))
        o.append(("usage", r.usage?.json ?? .null))
        o.append(("latencyMs", ms(r.latencyMs)))
        if r.latencyRecorded { o.append(("latencyRecorded", .bool(true))) }
        if r.cached { o.append(("cached", .bool(true))) }
        if let t = r.transformed {
            o.append(("transform", .string(r.transformSteps ?? "")))
            o.append(("checkedOutput", .string(t)))
        }
        if !r.options.isEmpty { o.append(("options", .object(r.options.json))) }
        if let e = r.error { o.append(("error", .string(e))) }
        if let e = r.stderr, !e.isEmpty { o.append(("stderr", .string(e))) }
        o.append(("repairs", .array(r.repairs.map { .string($0) })))
        o.append(("validators", .array(r.validators.map { v in
            obj([("type", .string(v.type)), ("pass", .bool(v.pass)), ("score", .number(JSONNumber((v.score * 10000).rounded() / 10000))),
                 ("weight", .number(JSONNumber(v.weight))), ("message", .string(v.message))]
                + (v.evaluated ? [] : [("evaluated", .bool(false))])
                + (v.graderAnswer.map { [("graderAnswer", .string($0))] } ?? []))
        })))
        o.append(("minPassRate", .number(JSONNumber(r.minPassRate))))
        if !r.vars.isEmpty { o.append(("vars", .object(r.vars))) }
        o.append(("messages", .array(r.messages.map(\.json))))
        o.append(("file", .string(r.caseFile)))
        o.append(("line", .number(JSONNumber(r.caseLine))))
        o.append(("column", .number(JSONNumber(r.caseColumn))))
        return obj(o)
    }

    static func ms(_ v: Double) -> JSONValue { .number(JSONNumber((v * 1000).rounded() / 1000)) }

    static func obj(_ entries: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject(entries.map { (key: $0.0, value: $0.1) }))
    }

    /// Pretty JSON text. Results are serialised one at a time into the output buffer, so memory
    /// grows with the output, not with a second copy of every result as a tree.
    public static func render(_ run: RunResult, toolVersion: String) -> String {
        String(decoding: bytes(run, toolVersion: toolVersion), as: UTF8.self)
    }

    public static func bytes(_ run: RunResult, toolVersion: String) -> [UInt8] {
        let head = fields(run, toolVersion: toolVersion)
        let groups = run.groups
        var out: [UInt8] = []
        out.reserveCapacity(256 + run.results.count * 600)
        let pretty = JSONSerializer.Options(pretty: true)
        out.append(contentsOf: "{\n".utf8)
        for (i, (key, value)) in head.enumerated() {
            out.append(contentsOf: "  ".utf8)
            JSONSerializer.writeString(key, into: &out)
            out.append(contentsOf: ": ".utf8)
            if let value {
                JSONSerializer.write(value, into: &out, options: pretty, indent: 1)
            } else if key == "results" {
                if run.results.isEmpty { out.append(contentsOf: "[]".utf8) } else {
                    out.append(contentsOf: "[".utf8)
                    for (j, r) in run.results.enumerated() {
                        out.append(contentsOf: (j == 0 ? "\n    " : ",\n    ").utf8)
                        JSONSerializer.write(result(r), into: &out, options: pretty, indent: 2)
                    }
                    out.append(contentsOf: "\n  ]".utf8)
                }
            } else if key == "cases" {
                JSONSerializer.write(.array(groups.map(group)), into: &out, options: pretty, indent: 1)
            } else {
                JSONSerializer.write(summaryValue(RunSummary(groups: groups)), into: &out, options: pretty, indent: 1)
            }
            out.append(contentsOf: (i == head.count - 1 ? "\n" : ",\n").utf8)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}
