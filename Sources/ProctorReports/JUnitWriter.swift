import Foundation
import ProctorHarness
import ProctorJSON

/// JUnit XML that validates against the Jenkins xunit schema (`jenkins-junit-10.xsd`): one
/// `<testsuite>` per suite × prompt × backend, one `<testcase>` per case.
public enum JUnitWriter {
    /// How the XML is written: for now, whether `<testcase>` carries `file` and `line`.
    public struct Options: Sendable {
        /// Add `file`/`line` attributes to `<testcase>` for GitLab and GitHub annotators. The Jenkins
        /// schema rejects them, so this leaves the schema.
        public var fileAttributes = false
        /// Options that add `file`/`line` attributes only when `fileAttributes` is true.
        public init(fileAttributes: Bool = false) { self.fileAttributes = fileAttributes }
    }

    /// Seconds with at most three decimals and no exponent (C's "%.3f", without Foundation's
    /// formatter, which costs more than the rest of a test case).
    static func seconds(_ ms: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf in
            _ = withVaList([max(0, ms) / 1000]) { vsnprintf(buf.baseAddress!, 64, "%.3f", $0) }
            return String(cString: buf.baseAddress!)
        }
    }

    static func excerpt(_ s: String, limit: Int = 2000) -> String {
        if s.utf8.count <= limit { return s }  // no more characters than bytes
        return s.count <= limit ? s : String(s.prefix(limit)) + "… (\(s.count) characters in all)"
    }

    /// The report as a string: `bytes(_:options:)` decoded.
    public static func render(_ run: RunResult, options: Options = Options()) -> String {
        String(decoding: bytes(run, options: options), as: UTF8.self)
    }

    /// The report as UTF-8, in memory.
    public static func bytes(_ run: RunResult, options: Options = Options()) -> [UInt8] {
        var sink = ReportSink()
        sink.bytes.reserveCapacity(4096 + run.results.count * 400)
        write(run, options: options, into: &sink)
        return sink.bytes
    }

    /// Streams the report into `sink`, one test case at a time.
    public static func write(_ run: RunResult, options: Options = Options(), into sink: inout ReportSink) {
        // Group cases by suite × prompt × backend, in order of first appearance; repeats of one case
        // are one <testcase>. Groups are handled by index: copying 100,000 of them would retain
        // the run's one results array as many times.
        let groups = run.groups, results = run.results
        var order: [CaseKey] = []
        var members: [CaseKey: [Int]] = [:]
        var current: CaseKey?
        // Read through buffer pointers: an array element passed on is otherwise copied (a retain
        // of each of a result's fields, on strings the JSON writer's core retains too).
        groups.withUnsafeBufferPointer { groups in
            results.withUnsafeBufferPointer { results in
                for i in groups.indices {
                    let f = results.baseAddress! + groups[i].firstPosition
                    if let c = current, sameSuite(f, c) {
                        members[c]!.append(i)
                        continue
                    }
                    let key = CaseKey(suite: f.pointee.suite, caseId: "", promptId: f.pointee.promptId, backendId: f.pointee.backendId)
                    if members[key] == nil { order.append(key) }
                    members[key, default: []].append(i)
                    current = key
                }
            }
        }
        let infos = Dictionary(run.suites.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Cost and named metrics per prompt × backend (only for runs that have them), as properties.
        let breakdown = Breakdown(run.results)
        let extras = Dictionary(breakdown.rows.map { r in (CaseKey(suite: r.suite, caseId: "", promptId: r.prompt, backendId: r.backend), Self.properties(r)) },
                                uniquingKeysWith: { a, _ in a })
        let s = run.summary
        let timestamp = iso(run.startedAt)
        sink.bytes += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".utf8
        sink.bytes += "<testsuites name=\"proctor\" tests=\"\(s.total)\" failures=\"\(s.failed)\" errors=\"\(s.errors)\" time=\"\(seconds(run.durationMs))\">\n".utf8
        for key in order {
            let list = members[key]!
            suiteHead(groups, list, run, infos, timestamp, extras[key] ?? [], &sink.bytes)
            // Read through buffer pointers: an array element passed on is otherwise copied.
            groups.withUnsafeBufferPointer { groups in
                results.withUnsafeBufferPointer { results in
                    for i in list {
                        if groups[i].samples.count == 1 && groups[i].isPass {
                            passedOnce(results.baseAddress! + groups[i].firstPosition, options, &sink.bytes)
                        } else {
                            testcase(groups[i], options, &sink.bytes)
                        }
                        sink.drainIfFull()
                    }
                }
            }
            sink.append("  </testsuite>\n")
        }
        sink.append("</testsuites>\n")
    }

    @inline(__always) static func sameSuite(_ r: UnsafePointer<CaseResult>, _ k: CaseKey) -> Bool {
        r.pointee.backendId == k.backendId && r.pointee.promptId == k.promptId && r.pointee.suite == k.suite
    }

    /// A `<testsuite>` start tag and its properties.
    static func suiteHead(_ groups: [CaseGroup], _ list: [Int], _ run: RunResult, _ infos: [String: SuiteInfo], _ timestamp: String,
                          _ extra: [(String, String)], _ x: inout [UInt8]) {
        // One pass by index over the suite's groups (copying 100,000 of them costs more).
        var failures = 0, errors = 0, skipped = 0, most = 1
        var time = 0.0
        var repaired: [String] = [], flaky: [String] = []
        groups.withUnsafeBufferPointer { groups in run.results.withUnsafeBufferPointer { results in
            for i in list {
                let g = groups.baseAddress! + i
                switch g.pointee.status {
                case .failed: failures += 1
                case .error: errors += 1
                case .skipped: skipped += 1
                default: break
                }
                var sum = 0.0
                for k in 0..<g.pointee.samples.count { sum += results[g.pointee.samples.position(k)].latencyMs }
                time += sum
                if g.pointee.anyRepaired { repaired.append(results[g.pointee.firstPosition].caseId) }
                if g.pointee.flaky { flaky.append(results[g.pointee.firstPosition].caseId) }
                most = max(most, g.pointee.samples.count)
            }
        } }
        let first = groups[list[0]].first
        let name = "\(first.suite)[\(first.promptId)@\(first.backendId)]"
        let count = list.count
        x += "  <testsuite name=\"".utf8; attr(name, &x)
        x += "\" tests=\"\(count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(seconds(time))\" timestamp=\"\(timestamp)\">\n".utf8
        x += "    <properties>\n".utf8
        var props: [(String, String)] = [("suite", first.suite), ("suite.file", first.suiteFile), ("prompt", first.promptId),
                                          ("prompt.sha256", first.promptSha256), ("backend", first.backendId)]
        if let info = infos[first.suite], let b = info.backends.first(where: { $0.id == first.backendId }) {
            props.append(("backend.type", b.type))
            props.append(("backend.options", JSONSerializer.string(.object(b.options), options: .init(sortKeys: true))))
        }
        if run.interrupted { props.append(("interrupted", "true: cases that did not run are marked skipped")) }
        if !repaired.isEmpty { props.append(("repaired", repaired.joined(separator: ", "))) }
        if most > 1 {
            props.append(("repeat", String(most)))
            // Per-case pass counts (JUnit allows properties on suites, not on test cases).
            for i in list { props.append(("passes." + groups[i].first.caseId, "\(groups[i].passes)/\(groups[i].ran)")) }
            if !flaky.isEmpty { props.append(("flaky", flaky.joined(separator: ", "))) }
        }
        props += extra
        for (n, v) in props {
            x += "      <property name=\"".utf8; attr(n, &x)
            x += "\" value=\"".utf8; attr(v, &x)
            x += "\"/>\n".utf8
        }
        x += "    </properties>\n".utf8
    }

    /// A breakdown row as `<property>` pairs: `costUsd`, `spentUsd`, `metric.NAME`.
    static func properties(_ r: Breakdown.Row) -> [(String, String)] {
        var p: [(String, String)] = []
        if r.priced > 0 { p += [("costUsd", String(format: "%.6f", r.costUsd)), ("spentUsd", String(format: "%.6f", r.spentUsd))] }
        for m in r.metrics {
            p.append(("metric." + m.name, String(format: "pass rate %.4f (95%% CI %.4f–%.4f), mean score %.4f, %d checks", m.passRate, m.wilsonLow, m.wilsonHigh, m.meanScore, m.checks)))
        }
        return p
    }

    /// A case is a `<failure>` when its one status is failed.
    static func failing(_ g: CaseGroup) -> Bool { g.status == .failed }

    static func testcase(_ g: CaseGroup, _ options: Options, _ x: inout [UInt8]) {
        general(g, first: g.first, options, &x)
    }

    /// Any case: failures, errors and skips, repeats; `r` is its first sample.
    static func general(_ g: CaseGroup, first r: CaseResult, _ options: Options, _ x: inout [UInt8]) {
        var time = 0.0
        for i in g.samples.indices { time += g.samples[i].latencyMs }
        withUnsafePointer(to: r) { open($0, time: time / Double(max(1, g.samples.count)), options, &x) }
        let repeated = g.samples.count > 1
        let failedSamples = g.samples.filter { $0.status == .failed }
        if failing(g) && !failedSamples.isEmpty {
            let f = failedSamples[0]
            var summary = f.failureHeadline
            if repeated { summary = "\(g.passes)/\(g.ran) samples passed (minPassRate \(g.minPassRate)): " + summary }
            var body = ""
            for s in failedSamples {
                if repeated { body += "--- sample \(s.repeatIndex) ---\n" }
                body += s.failureMessages.joined(separator: "\n")
                if let t = s.threshold { body += "\nscore \(String(format: "%.3f", s.score)) (threshold \(t))" }
                body += "\n--- output ---\n" + excerpt(s.output) + "\n"
            }
            x += "      <failure message=\"".utf8; attr(summary, &x)
            x += "\" type=\"validator\">".utf8; text(body, &x); x += "</failure>\n".utf8
        } else if g.status == .error || (failing(g) && failedSamples.isEmpty) {
            let e = g.samples.first { $0.status == .error } ?? r
            var body = e.error ?? "backend error"
            if let err = e.stderr, !err.isEmpty { body += "\n--- stderr ---\n" + excerpt(err) }
            x += "      <error message=\"".utf8; attr(e.error ?? "backend error", &x)
            x += "\" type=\"backend\">".utf8; text(body, &x); x += "</error>\n".utf8
        } else if g.status == .skipped {
            x += "      <skipped message=\"".utf8; attr(r.error ?? "skipped", &x); x += "\"/>\n".utf8
        }
        if g.status != .skipped {
            var out = ""
            for s in g.samples where s.status != .skipped {
                if repeated { out += "[proctor] sample \(s.repeatIndex): \(s.status.rawValue)\n" }
                if s.truncated { out += "[proctor] output was truncated at the token limit\n" }
                if let c = s.constrained { out += "[proctor] output produced under \(c)\n" }
                if !s.repairs.isEmpty { out += "[proctor] output repaired before validation: \(s.repairs.joined(separator: "; "))\n" }
                out += s.output
                if repeated && !out.hasSuffix("\n") { out += "\n" }
            }
            x += "      <system-out>".utf8; text(excerpt(out, limit: 20000), &x); x += "</system-out>\n".utf8
        }
        let errs = g.samples.compactMap { $0.status != .error ? $0.stderr : nil }.filter { !$0.isEmpty }
        if !errs.isEmpty { x += "      <system-err>".utf8; text(excerpt(errs.joined(separator: "\n")), &x); x += "</system-err>\n".utf8 }
        x += "    </testcase>\n".utf8
    }

    /// The `<testcase>` start tag.
    static func open(_ r: UnsafePointer<CaseResult>, time: Double, _ options: Options, _ x: inout [UInt8]) {
        x += "    <testcase classname=\"".utf8; attr(r.pointee.suite, &x); x.append(UInt8(ascii: ".")); attr(r.pointee.promptId, &x)
        x.append(UInt8(ascii: ".")); attr(r.pointee.backendId, &x)
        x += "\" name=\"".utf8; attr(r.pointee.caseId, &x)
        x += "\" time=\"".utf8
        if time == 0 { x += "0.000\"".utf8 } else { x += seconds(time).utf8; x.append(UInt8(ascii: "\"")) }
        if options.fileAttributes { x += " file=\"".utf8; attr(r.pointee.caseFile, &x); x += "\" line=\"\(r.pointee.caseLine)\"".utf8 }
        x += ">\n".utf8
    }

    /// A case run once that passed (the bulk of a large run): the same elements as the general
    /// path, written from the one sample without gathering lists; `r` points at it in the run's
    /// results (read in place: a value passed on is copied field by field).
    static func passedOnce(_ r: UnsafePointer<CaseResult>, _ options: Options, _ x: inout [UInt8]) {
        open(r, time: r.pointee.latencyMs, options, &x)
        x += "      <system-out>".utf8
        if !r.pointee.truncated && r.pointee.constrained == nil && r.pointee.repairs.isEmpty {
            text(excerpt(r.pointee.output, limit: 20000), &x)
        } else {
            var out = ""
            if r.pointee.truncated { out += "[proctor] output was truncated at the token limit\n" }
            if let c = r.pointee.constrained { out += "[proctor] output produced under \(c)\n" }
            if !r.pointee.repairs.isEmpty { out += "[proctor] output repaired before validation: \(r.pointee.repairs.joined(separator: "; "))\n" }
            text(excerpt(out + r.pointee.output, limit: 20000), &x)
        }
        x += "</system-out>\n".utf8
        if let e = r.pointee.stderr, !e.isEmpty { x += "      <system-err>".utf8; text(excerpt(e), &x); x += "</system-err>\n".utf8 }
        x += "    </testcase>\n".utf8
    }

    static func attr(_ s: String, _ x: inout [UInt8]) { XMLText.append(s, attribute: true, to: &x) }
    static func text(_ s: String, _ x: inout [UInt8]) { XMLText.append(s, attribute: false, to: &x) }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
}

/// The JUnit XML report of a run (`junit`).
public struct JUnitReport: ReportWriter {
    /// `<testcase file= line=>` (outside the Jenkins schema, for GitLab and GitHub).
    public var fileAttributes = false
    /// `junit`, the format name the CLI asks for this report by.
    public var format: String { "junit" }
    /// The report's name in messages.
    public var title: String { "JUnit report" }
    /// A JUnit writer, with file attributes when asked.
    public init(fileAttributes: Bool = false) { self.fileAttributes = fileAttributes }
    /// Writes the XML of `run` into `sink`.
    public func write(_ run: RunResult, into sink: inout ReportSink) {
        JUnitWriter.write(run, options: .init(fileAttributes: fileAttributes), into: &sink)
    }
}
