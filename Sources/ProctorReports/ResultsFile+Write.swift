import Foundation
import ProctorHarness
import ProctorJSON
import ProctorConversation

/// The machine-readable results file (`reports/results.json`): one type that both writes it (this
/// file) and reads it back (`ResultsFile+Read.swift`), with its format version, so the two can never
/// describe different files. Read by `proctor diff`, `merge`, `view`, reruns and other tools.
/// `formatVersion` changes when the shape changes incompatibly (2: a case's `status` is one of
/// passed/failed/error/repaired/skipped, with `flaky` beside it).
public enum ResultsFile {
    /// The version written; files of versions 1 to this one are read.
    public static let formatVersion = 2

    /// The file's fields in order; nil for the three that come from the results (`summary`,
    /// `cases`, `results`), which `value` fills in and `bytes` streams.
    static func fields(_ run: RunResult, toolVersion: String) -> [(String, JSONValue?)] {
        // Cost and named metrics per prompt × backend, only when a run has either.
        let breakdown = Breakdown(run.results)
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
        ] + (breakdown.isEmpty ? [] : [("breakdown", breakdown.json)]) + [
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

    /// One case × prompt × backend across its repeats, at `indent`; `r` points at its first
    /// sample in the run's results (read in place: a value passed on is copied field by field).
    static func writeGroup(_ g: borrowing CaseGroup, first r: UnsafePointer<CaseResult>, into out: inout ByteBuffer, indent: Int) {
        let w = g.wilson
        var o = PrettyObject(&out, indent: indent)
        o.string("suite", r.pointee.suite, &out); o.string("case", r.pointee.caseId, &out); o.string("prompt", r.pointee.promptId, &out)
        o.string("backend", r.pointee.backendId, &out); o.string("status", g.status.rawValue, &out); o.bool("flaky", g.flaky, &out)
        o.int("samples", g.samples.count, &out); o.int("passes", g.passes, &out)
        o.number("passRate", (g.passRate * 10000).rounded() / 10000, &out)
        o.number("wilsonLow", (w.low * 10000).rounded() / 10000, &out)
        o.number("wilsonHigh", (w.high * 10000).rounded() / 10000, &out)
        o.number("minPassRate", g.minPassRate, &out)
        // With repeats: pass@k and pass^k for k = 1…n over the samples that ran.
        if g.ran > 1 {
            let (n, c) = (g.ran, g.passes)
            func curve(_ f: (Int, Int, Int) -> Double) -> JSONValue {
                .object(JSONObject((1...n).map { k in (String(k), .number(JSONNumber((f(n, c, k) * 10000).rounded() / 10000))) }))
            }
            o.value("passAtK", curve { Statistics.passAtK(n: $0, c: $1, k: $2) }, &out)
            o.value("passHatK", curve { Statistics.passHatK(n: $0, c: $1, k: $2) }, &out)
        }
        o.end(&out)
    }

    /// One sample, streamed key by key in the file's layout (no tree is built for it).
    static func writeResult(_ r: UnsafePointer<CaseResult>, into out: inout ByteBuffer, indent: Int) {
        var o = PrettyObject(&out, indent: indent)
        o.string("suite", r.pointee.suite, &out); o.string("case", r.pointee.caseId, &out); o.string("prompt", r.pointee.promptId, &out)
        o.string("promptSha256", r.pointee.promptSha256, &out); o.string("backend", r.pointee.backendId, &out)
        o.int("repeat", r.pointee.repeatIndex, &out)
        o.string("status", r.pointee.status.rawValue, &out)
        o.number("score", (r.pointee.score * 10000).rounded() / 10000, &out)
        if let t = r.pointee.threshold { o.number("threshold", t, &out) }
        o.string("output", r.pointee.output, &out)
        if let f = r.pointee.finishReason { o.string("finishReason", f.rawValue, &out) } else { o.literal("finishReason", "null", &out) }
        o.bool("truncated", r.pointee.truncated, &out)
        if let u = r.pointee.usage { o.value("usage", u.json, &out) } else { o.literal("usage", "null", &out) }
        o.number("latencyMs", (r.pointee.latencyMs * 1000).rounded() / 1000, &out)
        if let c = r.pointee.costUsd { o.number("costUsd", (c * 1e8).rounded() / 1e8, &out) }
        if r.pointee.latencyRecorded { o.bool("latencyRecorded", true, &out) }
        if r.pointee.cached { o.bool("cached", true, &out) }
        if r.pointee.replayed { o.bool("replayed", true, &out) }
        if let c = r.pointee.constrained { o.string("constrained", c, &out) }
        if let t = r.pointee.transformed {
            o.string("transform", r.pointee.transformSteps ?? "", &out)
            o.string("checkedOutput", t, &out)
        }
        if !r.pointee.options.isEmpty { o.value("options", .object(r.pointee.options.json), &out) }
        if let e = r.pointee.error { o.string("error", e, &out) }
        if let e = r.pointee.stderr, !e.isEmpty { o.string("stderr", e, &out) }
        o.key("repairs", &out)
        o.items(r.pointee.repairs.count, &out) { i, out, _ in out.append(quoted: r.pointee.repairs[i]) }
        if r.pointee.lossyRepair { o.bool("lossyRepair", true, &out) }
        o.key("validators", &out)
        o.items(r.pointee.validators.count, &out) { i, out, indent in
            var vo = PrettyObject(&out, indent: indent)
            vo.string("type", r.pointee.validators[i].type, &out); vo.bool("pass", r.pointee.validators[i].pass, &out)
            vo.number("score", (r.pointee.validators[i].score * 10000).rounded() / 10000, &out)
            vo.number("weight", r.pointee.validators[i].weight, &out); vo.string("message", r.pointee.validators[i].message, &out)
            if !r.pointee.validators[i].evaluated { vo.bool("evaluated", false, &out) }
            if let a = r.pointee.validators[i].graderAnswer { vo.string("graderAnswer", a, &out) }
            if let m = r.pointee.validators[i].metric { vo.string("metric", m, &out) }
            vo.end(&out)
        }
        o.number("minPassRate", r.pointee.minPassRate, &out)
        if !r.pointee.vars.isEmpty { o.value("vars", .object(r.pointee.vars), &out) }
        if !r.pointee.metadata.isEmpty { o.value("metadata", .object(r.pointee.metadata), &out) }
        o.key("messages", &out)
        o.items(r.pointee.messages.count, &out) { i, out, indent in
            var mo = PrettyObject(&out, indent: indent)
            mo.string("role", r.pointee.messages[i].role, &out); mo.string("content", r.pointee.messages[i].content, &out)
            mo.end(&out)
        }
        if let t = r.pointee.toolTrace {
            if !t.calls.isEmpty { o.value("toolCalls", .array(t.calls.map(\.json)), &out) }
            if !t.transcript.isEmpty { o.value("transcript", .array(t.transcript.map(\.json)), &out) }
        }
        o.string("file", r.pointee.caseFile, &out)
        o.int("line", r.pointee.caseLine, &out)
        o.int("column", r.pointee.caseColumn, &out)
        o.end(&out)
    }

    /// Items per block when a list is serialised: results go on several cores a block each.
    static let block = 1024

    /// Every result, each after `,\n    ` (the first after `\n    `). A large run's results are
    /// serialised a few blocks at a time, one block per core, and the blocks written in order:
    /// the bytes are the same as one after the other.
    static func writeResults(_ results: [CaseResult], into sink: inout ReportSink,
                             lanes wanted: Int = min(4, ProcessInfo.processInfo.activeProcessorCount)) {
        @Sendable func render(_ range: Range<Int>, _ out: inout ByteBuffer) {
            results.withUnsafeBufferPointer { results in
                for j in range {
                    out.append(j == 0 ? "\n    " : ",\n    ")
                    writeResult(results.baseAddress! + j, into: &out, indent: 2)
                }
            }
        }
        let lanes = results.count < 2 * block ? 1 : max(1, wanted)
        let buffers = LaneBuffers(lanes)
        var start = 0
        while start < results.count {
            let round = start
            if lanes == 1 {
                buffers.fill(0) { render(round..<min(results.count, round + block), &$0) }
            } else {
                DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                    let lo = min(results.count, round + lane * block), hi = min(results.count, lo + block)
                    buffers.fill(lane) { render(lo..<hi, &$0) }
                }
            }
            for lane in 0..<lanes { buffers.drain(lane) { sink.append(block: $0) } }
            sink.drainIfFull()
            start += lanes * block
        }
    }

    /// Every group of the run, as `writeResults` writes results (one core: groups are small).
    static func writeGroups(_ run: RunResult, into sink: inout ReportSink) {
        var out = ByteBuffer()
        // Read through buffer pointers: an array element passed on is otherwise copied (a retain
        // of each of a result's fields).
        run.groups.withUnsafeBufferPointer { groups in
            run.results.withUnsafeBufferPointer { results in
                for j in groups.indices {
                    out.append(j == 0 ? "\n    " : ",\n    ")
                    writeGroup(groups[j], first: results.baseAddress! + groups[j].firstPosition, into: &out, indent: 2)
                    if out.count >= ReportSink.chunk || j == groups.count - 1 {
                        sink.bytes.append(contentsOf: out.bytes)
                        out.removeAll()
                        sink.drainIfFull()
                    }
                }
            }
        }
    }

    /// One reusable byte buffer per lane of `writeResults`.
    ///
    /// `@unchecked Sendable` is sound: during a round, lane `i`'s buffer is touched only by the
    /// one `concurrentPerform` iteration numbered `i`; between rounds only the calling thread
    /// reads them, after `concurrentPerform` has returned.
    final class LaneBuffers: @unchecked Sendable {
        final class Lane { var buffer = ByteBuffer() }
        private let lanes: [Lane]
        init(_ count: Int) { lanes = (0..<count).map { _ in Lane() } }
        func fill(_ lane: Int, _ body: (inout ByteBuffer) -> Void) { body(&lanes[lane].buffer) }
        func drain(_ lane: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
            body(lanes[lane].buffer.bytes)
            lanes[lane].buffer.removeAll()
        }
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
                    writeResults(run.results, into: &sink)
                    sink.append("\n  ]")
                }
            } else if key == "cases" {
                if groups.isEmpty { sink.append("[]") } else {
                    sink.append("[")
                    writeGroups(run, into: &sink)
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

    init(_ out: inout ByteBuffer, indent: Int) {
        self.indent = indent
        out.append(UInt8(ascii: "{"))
    }

    /// `,` (after the first member), the newline and indent, and `"k": `.
    @inline(__always) mutating func key(_ k: StaticString, _ out: inout ByteBuffer) {
        out.memberKey(k, first: count == 0, indent: indent + 1)
        count += 1
    }

    mutating func string(_ k: StaticString, _ v: String, _ out: inout ByteBuffer) { key(k, &out); out.append(quoted: v) }
    mutating func int(_ k: StaticString, _ v: Int, _ out: inout ByteBuffer) { key(k, &out); out.append(int: v) }
    /// A number as `JSONNumber(v)` writes it: integral values without a fraction.
    mutating func number(_ k: StaticString, _ v: Double, _ out: inout ByteBuffer) { key(k, &out); out.append(number: v) }
    mutating func bool(_ k: StaticString, _ v: Bool, _ out: inout ByteBuffer) {
        key(k, &out)
        if v { out.append("true") } else { out.append("false") }
    }
    mutating func literal(_ k: StaticString, _ v: StaticString, _ out: inout ByteBuffer) { key(k, &out); out.append(v) }
    mutating func value(_ k: StaticString, _ v: JSONValue, _ out: inout ByteBuffer) {
        key(k, &out)
        out.append(json: v, indent: indent + 1)
    }

    /// An array value (after `key`) of `n` items that `item` writes at the items' indent.
    func items(_ n: Int, _ out: inout ByteBuffer, _ item: (Int, inout ByteBuffer, Int) -> Void) {
        if n == 0 { out.append("[]"); return }
        out.append(UInt8(ascii: "["))
        for i in 0..<n {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.newline(indent + 2)
            item(i, &out, indent + 2)
        }
        out.newline(indent + 1)
        out.append(UInt8(ascii: "]"))
    }

    func end(_ out: inout ByteBuffer) {
        if count == 0 { out.append(UInt8(ascii: "}")); return }
        out.newline(indent)
        out.append(UInt8(ascii: "}"))
    }
}

/// The results file of a run (`json`).
public struct ResultsReport: ReportWriter {
    /// The tool's version, recorded in the file.
    public var toolVersion: String
    /// `json`, the format name the CLI asks for this report by.
    public var format: String { "json" }
    /// The file's name in messages.
    public var title: String { "JSON results" }
    /// A results writer for a tool of this version.
    public init(toolVersion: String) { self.toolVersion = toolVersion }
    /// Writes the results file of `run`, stamped with `toolVersion`, into `sink`.
    public func write(_ run: RunResult, into sink: inout ReportSink) { ResultsFile.write(run, toolVersion: toolVersion, into: &sink) }
}
