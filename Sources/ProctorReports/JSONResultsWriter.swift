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
        writeGroup(g, first: g.first, into: &out, indent: indent)
    }

    /// `first` is the group's first sample, borrowed (not copied) from the run's results.
    static func writeGroup(_ g: CaseGroup, first r: CaseResult, into out: inout [UInt8], indent: Int) {
        let w = g.wilson
        var o = PrettyObject(&out, indent: indent)
        o.string("suite", r.suite, &out); o.string("case", r.caseId, &out); o.string("prompt", r.promptId, &out)
        o.string("backend", r.backendId, &out); o.string("status", g.status.rawValue, &out); o.bool("flaky", g.flaky, &out)
        o.int("samples", g.samples.count, &out); o.int("passes", g.passes, &out)
        o.number("passRate", (g.passRate * 10000).rounded() / 10000, &out)
        o.number("wilsonLow", (w.low * 10000).rounded() / 10000, &out)
        o.number("wilsonHigh", (w.high * 10000).rounded() / 10000, &out)
        o.number("minPassRate", g.minPassRate, &out)
        o.end(&out)
    }

    /// One sample, streamed key by key in the file's layout (no tree is built for it).
    static func writeResult(_ r: CaseResult, into out: inout [UInt8], indent: Int) {
        var o = PrettyObject(&out, indent: indent)
        o.string("suite", r.suite, &out); o.string("case", r.caseId, &out); o.string("prompt", r.promptId, &out)
        o.string("promptSha256", r.promptSha256, &out); o.string("backend", r.backendId, &out)
        o.int("repeat", r.repeatIndex, &out)
        o.string("status", r.status.rawValue, &out)
        o.number("score", (r.score * 10000).rounded() / 10000, &out)
        if let t = r.threshold { o.number("threshold", t, &out) }
        o.string("output", r.output, &out)
        if let f = r.finishReason { o.string("finishReason", f.rawValue, &out) } else { o.literal("finishReason", "null", &out) }
        o.bool("truncated", r.truncated, &out)
        if let u = r.usage { o.value("usage", u.json, &out) } else { o.literal("usage", "null", &out) }
        o.number("latencyMs", (r.latencyMs * 1000).rounded() / 1000, &out)
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
            vo.number("score", (v.score * 10000).rounded() / 10000, &out)
            vo.number("weight", v.weight, &out); vo.string("message", v.message, &out)
            if !v.evaluated { vo.bool("evaluated", false, &out) }
            if let a = v.graderAnswer { vo.string("graderAnswer", a, &out) }
            vo.end(&out)
        }
        o.number("minPassRate", r.minPassRate, &out)
        if !r.vars.isEmpty { o.value("vars", .object(r.vars), &out) }
        o.array("messages", r.messages, &out) { m, out, indent in
            var mo = PrettyObject(&out, indent: indent)
            mo.string("role", m.role, &out); mo.string("content", m.content, &out)
            mo.end(&out)
        }
        o.string("file", r.caseFile, &out)
        o.int("line", r.caseLine, &out)
        o.int("column", r.caseColumn, &out)
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

    /// The whole file in memory (tests, small runs).
    public static func bytes(_ run: RunResult, toolVersion: String) -> [UInt8] {
        var sink = ReportSink()
        sink.bytes.reserveCapacity(256 + run.results.count * 600)
        write(run, toolVersion: toolVersion, into: &sink)
        return sink.bytes
    }

    /// Streams the file into `sink`, one result at a time.
    public static func write(_ run: RunResult, toolVersion: String, into sink: inout ReportSink) {
        let head = fields(run, toolVersion: toolVersion)
        let groups = run.groups
        let pretty = JSONSerializer.Options(pretty: true)
        sink.append("{\n")
        for (i, (key, value)) in head.enumerated() {
            sink.append("  ")
            JSONSerializer.writeString(key, into: &sink.bytes)
            sink.append(": ")
            if let value {
                JSONSerializer.write(value, into: &sink.bytes, options: pretty, indent: 1)
            } else if key == "results" {
                if run.results.isEmpty { sink.append("[]") } else {
                    sink.append("[")
                    for j in run.results.indices {
                        sink.append(j == 0 ? "\n    " : ",\n    ")
                        writeResult(run.results[j], into: &sink.bytes, indent: 2)
                        sink.drainIfFull()
                    }
                    sink.append("\n  ]")
                }
            } else if key == "cases" {
                if groups.isEmpty { sink.append("[]") } else {
                    sink.append("[")
                    let results = run.results
                    for j in groups.indices {
                        sink.append(j == 0 ? "\n    " : ",\n    ")
                        writeGroup(groups[j], first: results[groups[j].firstPosition], into: &sink.bytes, indent: 2)
                        sink.drainIfFull()
                    }
                    sink.append("\n  ]")
                }
            } else {
                JSONSerializer.write(summaryValue(run.summary), into: &sink.bytes, options: pretty, indent: 1)
            }
            sink.append(i == head.count - 1 ? "\n" : ",\n")
        }
        sink.append("}\n")
    }
}

/// Streams one pretty-printed JSON object in `JSONSerializer`'s layout (two-space indent, `"key": `),
/// key by key, so a report never builds a tree per result. Keys are static ASCII names, written
/// as they are.
struct PrettyObject {
    let indent: Int
    var count = 0

    init(_ out: inout [UInt8], indent: Int) {
        self.indent = indent
        out.append(UInt8(ascii: "{"))
    }

    /// A newline and then `indent` levels of two spaces.
    static let breaks: [UInt8] = [0x0A] + [UInt8](repeating: 0x20, count: 64)

    @inline(__always) static func newline(_ out: inout [UInt8], _ indent: Int) {
        let n = 1 + 2 * indent
        if n <= breaks.count {
            breaks.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
        } else {
            out.append(0x0A)
            for _ in 0..<indent { out.append(0x20); out.append(0x20) }
        }
    }

    /// `,` (after the first member), the newline and indent, and `"k": `, gathered on the stack
    /// and appended at once (one append instead of six: members are most of a report's writes).
    @inline(__always) mutating func key(_ k: StaticString, _ out: inout [UInt8]) {
        let n = k.utf8CodeUnitCount
        let spaces = 2 * (indent + 1)
        let comma = count > 0 ? 1 : 0
        let total = comma + 1 + spaces + n + 4
        count += 1
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { b in
            let p = b.baseAddress!
            var j = 0
            if comma == 1 { p[0] = UInt8(ascii: ","); j = 1 }
            p[j] = 0x0A; j += 1
            (p + j).initialize(repeating: 0x20, count: spaces); j += spaces
            p[j] = UInt8(ascii: "\""); j += 1
            (p + j).initialize(from: k.utf8Start, count: n); j += n
            p[j] = UInt8(ascii: "\""); p[j + 1] = UInt8(ascii: ":"); p[j + 2] = 0x20
            out.append(contentsOf: UnsafeBufferPointer(start: p, count: total))
        }
    }

    mutating func string(_ k: StaticString, _ v: String, _ out: inout [UInt8]) { key(k, &out); JSONSerializer.writeString(v, into: &out) }
    mutating func int(_ k: StaticString, _ v: Int, _ out: inout [UInt8]) { key(k, &out); Self.writeInt(v, &out) }
    /// A number as `JSONNumber(v)` writes it: integral values without a fraction.
    mutating func number(_ k: StaticString, _ v: Double, _ out: inout [UInt8]) {
        key(k, &out)
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { Self.writeInt(Int(v), &out) } else { out.append(contentsOf: JSONNumber(v).text.utf8) }
    }
    mutating func bool(_ k: StaticString, _ v: Bool, _ out: inout [UInt8]) { key(k, &out); out.append(contentsOf: (v ? "true" : "false").utf8) }
    mutating func literal(_ k: StaticString, _ v: StaticString, _ out: inout [UInt8]) { key(k, &out); v.withUTF8Buffer { out.append(contentsOf: $0) } }
    mutating func value(_ k: StaticString, _ v: JSONValue, _ out: inout [UInt8]) {
        key(k, &out)
        JSONSerializer.write(v, into: &out, options: .init(pretty: true), indent: indent + 1)
    }

    /// Decimal digits of `v`, as `String(v)` spells them.
    static func writeInt(_ v: Int, _ out: inout [UInt8]) {
        if v >= 0 && v < 10 { out.append(UInt8(truncatingIfNeeded: 0x30 + v)); return }
        if v == Int.min { out.append(contentsOf: String(v).utf8); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            var n = v < 0 ? -v : v
            var i = 24
            repeat { i -= 1; buf[i] = UInt8(truncatingIfNeeded: 0x30 + n % 10); n /= 10 } while n > 0
            if v < 0 { i -= 1; buf[i] = UInt8(ascii: "-") }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<24]))
        }
    }

    /// An array value whose items `item` writes at the items' indent.
    mutating func array<T>(_ k: StaticString, _ items: [T], _ out: inout [UInt8], _ item: (T, inout [UInt8], Int) -> Void) {
        key(k, &out)
        if items.isEmpty { out.append(UInt8(ascii: "[")); out.append(UInt8(ascii: "]")); return }
        out.append(UInt8(ascii: "["))
        for i in items.indices {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            Self.newline(&out, indent + 2)
            item(items[i], &out, indent + 2)
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
