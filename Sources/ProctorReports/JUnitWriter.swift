import Foundation
import ProctorBackends
import ProctorHarness
import ProctorJSON

/// JUnit XML that validates against the Jenkins xunit schema (`jenkins-junit-10.xsd`): one
/// `<testsuite>` per suite × prompt × backend, one `<testcase>` per case.
public enum JUnitWriter {
    public struct Options: Sendable {
        /// Add `file`/`line` attributes to `<testcase>` for GitLab and GitHub annotators. The Jenkins
        /// schema rejects them, so this leaves the schema.
        public var fileAttributes = false
        public init(fileAttributes: Bool = false) { self.fileAttributes = fileAttributes }
    }

    /// Seconds with at most three decimals and no exponent.
    static func seconds(_ ms: Double) -> String { String(format: "%.3f", max(0, ms) / 1000) }

    static func excerpt(_ s: String, limit: Int = 2000) -> String {
        s.count <= limit ? s : String(s.prefix(limit)) + "… (\(s.count) characters in all)"
    }

    public static func render(_ run: RunResult, options: Options = Options()) -> String {
        // Group cases by suite × prompt × backend, in order of first appearance; repeats of one case
        // are one <testcase>.
        var order: [CaseKey] = []
        var suites: [CaseKey: [CaseGroup]] = [:]
        for g in run.groups {
            let key = CaseKey(suite: g.key.suite, caseId: "", promptId: g.key.promptId, backendId: g.key.backendId)
            if suites[key] == nil { order.append(key) }
            suites[key, default: []].append(g)
        }
        let infos = Dictionary(run.suites.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let s = run.summary
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"proctor\" tests=\"\(s.total)\" failures=\"\(s.failed)\" errors=\"\(s.errors)\" time=\"\(seconds(run.durationMs))\">\n"
        for key in order {
            let gs = suites[key]!
            let first = gs[0].first
            let name = "\(first.suite)[\(first.promptId)@\(first.backendId)]"
            let failures = gs.filter { failing($0) }.count
            let errors = gs.filter { $0.status == .error }.count
            let skipped = gs.filter { $0.status == .skipped }.count
            let time = gs.reduce(0) { $0 + $1.samples.reduce(0) { $0 + $1.latencyMs } }
            x += "  <testsuite name=\"\(attr(name))\" tests=\"\(gs.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(seconds(time))\" timestamp=\"\(iso(run.startedAt))\">\n"
            x += "    <properties>\n"
            var props: [(String, String)] = [("suite", first.suite), ("suite.file", first.suiteFile), ("prompt", first.promptId),
                                              ("prompt.sha256", first.promptSha256), ("backend", first.backendId)]
            if let info = infos[first.suite], let b = info.backends.first(where: { $0.id == first.backendId }) {
                props.append(("backend.type", b.type))
                props.append(("backend.options", JSONSerializer.string(.object(b.options), options: .init(sortKeys: true))))
            }
            if run.interrupted { props.append(("interrupted", "true: cases that did not run are marked skipped")) }
            let repaired = gs.filter { $0.samples.contains { $0.status == .repaired } }.map(\.first.caseId)
            if !repaired.isEmpty { props.append(("repaired", repaired.joined(separator: ", "))) }
            if gs.contains(where: { $0.samples.count > 1 }) {
                props.append(("repeat", String(gs.map(\.samples.count).max() ?? 1)))
                // Per-case pass counts (JUnit allows properties on suites, not on test cases).
                for g in gs { props.append(("passes." + g.first.caseId, "\(g.passes)/\(g.ran)")) }
                let flaky = gs.filter(\.flaky).map(\.first.caseId)
                if !flaky.isEmpty { props.append(("flaky", flaky.joined(separator: ", "))) }
            }
            for (n, v) in props { x += "      <property name=\"\(attr(n))\" value=\"\(attr(v))\"/>\n" }
            x += "    </properties>\n"
            for g in gs { x += testcase(g, options) }
            x += "  </testsuite>\n"
        }
        x += "</testsuites>\n"
        return x
    }

    /// A case is a `<failure>` when its one status is failed.
    static func failing(_ g: CaseGroup) -> Bool { g.status == .failed }

    static func testcase(_ g: CaseGroup, _ options: Options) -> String {
        let r = g.first
        let classname = "\(r.suite).\(r.promptId).\(r.backendId)"
        let time = g.samples.reduce(0) { $0 + $1.latencyMs } / Double(max(1, g.samples.count))
        var x = "    <testcase classname=\"\(attr(classname))\" name=\"\(attr(r.caseId))\" time=\"\(seconds(time))\""
        if options.fileAttributes { x += " file=\"\(attr(r.caseFile))\" line=\"\(r.caseLine)\"" }
        x += ">\n"
        let repeated = g.samples.count > 1
        let failedSamples = g.samples.filter { $0.status == .failed }
        if failing(g) && !failedSamples.isEmpty {
            let f = failedSamples[0]
            var summary = f.failureMessages.first ?? "score \(f.score) below threshold"
            if repeated { summary = "\(g.passes)/\(g.ran) samples passed (minPassRate \(g.minPassRate)): " + summary }
            var body = ""
            for s in failedSamples {
                if repeated { body += "--- sample \(s.repeatIndex) ---\n" }
                body += s.failureMessages.joined(separator: "\n")
                if let t = s.threshold { body += "\nscore \(String(format: "%.3f", s.score)) (threshold \(t))" }
                body += "\n--- output ---\n" + excerpt(s.output) + "\n"
            }
            x += "      <failure message=\"\(attr(summary))\" type=\"validator\">\(text(body))</failure>\n"
        } else if g.status == .error || (failing(g) && failedSamples.isEmpty) {
            let e = g.samples.first { $0.status == .error } ?? r
            var body = e.error ?? "backend error"
            if let err = e.stderr, !err.isEmpty { body += "\n--- stderr ---\n" + excerpt(err) }
            x += "      <error message=\"\(attr(e.error ?? "backend error"))\" type=\"backend\">\(text(body))</error>\n"
        } else if g.status == .skipped {
            x += "      <skipped message=\"\(attr(r.error ?? "skipped"))\"/>\n"
        }
        if g.status != .skipped {
            var out = ""
            for s in g.samples where s.status != .skipped {
                if repeated { out += "[proctor] sample \(s.repeatIndex): \(s.status.rawValue)\n" }
                if s.truncated { out += "[proctor] output was truncated at the token limit\n" }
                if !s.repairs.isEmpty { out += "[proctor] output repaired before validation: \(s.repairs.joined(separator: "; "))\n" }
                out += s.output
                if repeated && !out.hasSuffix("\n") { out += "\n" }
            }
            x += "      <system-out>\(text(excerpt(out, limit: 20000)))</system-out>\n"
        }
        let errs = g.samples.compactMap { $0.status != .error ? $0.stderr : nil }.filter { !$0.isEmpty }
        if !errs.isEmpty { x += "      <system-err>\(text(excerpt(errs.joined(separator: "\n"))))</system-err>\n" }
        x += "    </testcase>\n"
        return x
    }

    static func attr(_ s: String) -> String { XMLText.escape(s, attribute: true) }
    static func text(_ s: String) -> String { XMLText.escape(s, attribute: false) }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
}
