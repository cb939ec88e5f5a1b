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

    static func summaryValue(_ s: RunSummary) -> JSONValue {
        return [
            "flaky": .number(JSONNumber(s.flaky)), "samples": .number(JSONNumber(s.samples)),
            "total": .number(JSONNumber(s.total)), "passed": .number(JSONNumber(s.passed)), "failed": .number(JSONNumber(s.failed)),
            "errors": .number(JSONNumber(s.errors)), "repaired": .number(JSONNumber(s.repaired)), "skipped": .number(JSONNumber(s.skipped)),
            "cached": .number(JSONNumber(s.cached)),
            "passRate": .number(JSONNumber((s.passRate * 10000).rounded() / 10000)),
        ]
    }

    /// One case × prompt × backend across its repeats, at `indent`.
    static func writeGroup(_ g: CaseGroup, into out: inout [UInt8], indent: Int) {
        let w = g.wilson
        var o = PrettyObject(&out, indent: indent)
        o.string("suite", g.first.suite, &out); o.string("case", g.first.caseId, &out); o.string("prompt", g.first.promptId, &out)
        o.string("backend", g.first.backendId, &out); o.string("status", g.status.rawValue, &out); o.bool("flaky", g.flaky, &out)
        o.number("samples", JSONNumber(g.samples.count), &out); o.number("passes", JSONNumber(g.passes), &out)
        o.number("passRate", JSONNumber((g.passRate * 10000).rounded() / 10000), &out)
        o.number("wilsonLow", JSONNumber((w.low * 10000).rounded() / 10000), &out)
        o.number("wilsonHigh", JSONNumber((w.high * 10000).rounded() / 10000), &out)
        o.number("minPassRate", JSONNumber(g.minPassRate), &out)
        o.end(&out)
    }

    /// One sample, streamed key by key in the file's layout (no tree is built for it).
    static func writeResult(_ r: CaseResult, into out: inout [UInt8], indent: Int) {
        var o = PrettyObject(&out, indent: indent)
        o.string("suite", r.suite, &out); o.string("case", r.caseId, &out); o.string("prompt", r.promptId, &out)
        o.string("promptSha256", r.promptSha256, &out); o.string("backend", r.backendId, &out)
        o.number("repeat", JSONNumber(r.repeatIndex), &out)
        o.string("status", r.status.rawValue, &out)
        o.number("score", JSONNumber((r.score * 10000).rounded() / 10000), &out)
        if let t = r.threshold { o.number("threshold", JSONNumber(t), &out) }
        o.string("output", r.output, &out)
        if let f = r.finishReason { o.string("finishReason", f.rawValue, &out) } else { o.value("finishReason", .null, &out) }
        o.bool("truncated", r.truncated, &out)
        o.value("usage", r.usage?.json ?? .null, &out)
        o.number("latencyMs", JSONNumber((r.latencyMs * 1000).rounded() / 1000), &out)
        if r.latencyRecorded { o.bool("latencyRecorded", true, &out) }
        if r.cached { o.bool("cached", true, &out) }
        if let c = r.constrained { o.string("constrained", c, &out) }
        if let t = r.transformed {
            o.string("transform", r.transformSteps ?? "", &out)
            o.string("checkedOutput", t, &out)
        }
        if !r.options.isEmpty { o.value("options", .object(r.options.json), &out) }
        if let e = r.error { o.string("error", e, &out) }
        if let e = r.stderr, !e.isEmpty { o.string("stderr", e, &out) }
        o.array("repairs", r.repairs, &out) { s, out, _ in JSONSerializer.writeString(s, into: &out) }
        o.array("validators", r.validators, &out) { v, out, indent in
            var vo = PrettyObject(&out, indent: indent)
            vo.string("type", v.type, &out); vo.bool("pass", v.pass, &out)
            vo.number("score", JSONNumber((v.score * 10000).rounded() / 10000), &out)
            vo.number("weight", JSONNumber(v.weight), &out); vo.string("message", v.message, &out)
            if !v.evaluated { vo.bool("evaluated", false, &out) }
            if let a = v.graderAnswer { vo.string("graderAnswer", a, &out) }
            vo.end(&out)
        }
        o.number("minPassRate", JSONNumber(r.minPassRate), &out)
        if !r.vars.isEmpty { o.value("vars", .object(r.vars), &out) }
        o.array("messages", r.messages, &out) { m, out, indent in JSONSerializer.write(m.json, into: &out, options: .init(pretty: true), indent: indent) }
        o.string("file", r.caseFile, &out)
        o.number("line", JSONNumber(r.caseLine), &out)
        o.number("column", JSONNumber(r.caseColumn), &out)
        o.end(&out)
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
                        writeResult(r, into: &out, indent: 2)
                    }
                    out.append(contentsOf: "\n  ]".utf8)
                }
            } else if key == "cases" {
                if groups.isEmpty { out.append(contentsOf: "[]".utf8) } else {
                    out.append(contentsOf: "[".utf8)
                    for (j, g) in groups.enumerated() {
                        out.append(contentsOf: (j == 0 ? "\n    " : ",\n    ").utf8)
                        writeGroup(g, into: &out, indent: 2)
                    }
                    out.append(contentsOf: "\n  ]".utf8)
                }
            } else {
                JSONSerializer.write(summaryValue(run.summary), into: &out, options: pretty, indent: 1)
            }
            out.append(contentsOf: (i == head.count - 1 ? "\n" : ",\n").utf8)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}

/// Streams one pretty-printed JSON object in `JSONSerializer`'s layout (two-space indent, `"key": `),
/// key by key, so a report never builds a tree per result.
struct PrettyObject {
    let indent: Int
    var count = 0

    init(_ out: inout [UInt8], indent: Int) {
        self.indent = indent
        out.append(UInt8(ascii: "{"))
    }

    static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(0x0A)
        for _ in 0..<indent { out.append(0x20); out.append(0x20) }
    }

    mutating func key(_ k: String, _ out: inout [UInt8]) {
        if count > 0 { out.append(UInt8(ascii: ",")) }
        Self.newline(&out, indent + 1)
        JSONSerializer.writeString(k, into: &out)
        out.append(UInt8(ascii: ":")); out.append(0x20)
        count += 1
    }

    mutating func string(_ k: String, _ v: String, _ out: inout [UInt8]) { key(k, &out); JSONSerializer.writeString(v, into: &out) }
    mutating func number(_ k: String, _ v: JSONNumber, _ out: inout [UInt8]) { key(k, &out); out.append(contentsOf: v.text.utf8) }
    mutating func bool(_ k: String, _ v: Bool, _ out: inout [UInt8]) { key(k, &out); out.append(contentsOf: (v ? "true" : "false").utf8) }
    mutating func value(_ k: String, _ v: JSONValue, _ out: inout [UInt8]) {
        key(k, &out)
        JSONSerializer.write(v, into: &out, options: .init(pretty: true), indent: indent + 1)
    }

    /// An array value whose items `item` writes at the items' indent.
    mutating func array<T>(_ k: String, _ items: [T], _ out: inout [UInt8], _ item: (T, inout [UInt8], Int) -> Void) {
        key(k, &out)
        if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
        out.append(UInt8(ascii: "["))
        for (i, x) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            Self.newline(&out, indent + 2)
            item(x, &out, indent + 2)
        }
        Self.newline(&out, indent + 1)
        out.append(UInt8(ascii: "]"))
    }

    func end(_ out: inout [UInt8]) {
        if count == 0 { out.append(UInt8(ascii: "}")); return }
        Self.newline(&out, indent)
        out.append(UInt8(ascii: "}"))
    }
}
