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
        // Group results by suite × prompt × backend, in order of first appearance.
        var order: [String] = []
        var groups: [String: [CaseResult]] = [:]
        for r in run.results {
            let key = "\(r.suite)\u{0}\(r.promptId)\u{0}\(r.backendId)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        let infos = Dictionary(run.suites.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let s = run.summary
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"proctor\" tests=\"\(s.total)\" failures=\"\(s.failed)\" errors=\"\(s.errors)\" time=\"\(seconds(run.durationMs))\">\n"
        for key in order {
            let rs = groups[key]!
            let first = rs[0]
            let name = "\(first.suite)[\(first.promptId)@\(first.backendId)]"
            let failures = rs.filter { $0.status == .failed }.count
            let errors = rs.filter { $0.status == .error }.count
            let skipped = rs.filter { $0.status == .skipped }.count
            let time = rs.reduce(0) { $0 + $1.latencyMs }
            x += "  <testsuite name=\"\(attr(name))\" tests=\"\(rs.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(seconds(time))\" timestamp=\"\(iso(run.startedAt))\">\n"
            x += "    <properties>\n"
            var props: [(String, String)] = [("suite", first.suite), ("suite.file", first.suiteFile), ("prompt", first.promptId),
                                              ("prompt.sha256", first.promptSha256), ("backend", first.backendId)]
            if let info = infos[first.suite], let b = info.backends.first(where: { $0.id == first.backendId }) {
                props.append(("backend.type", b.type))
                props.append(("backend.options", JSONSerializer.string(.object(b.options), options: .init(sortKeys: true))))
            }
            let repaired = rs.filter { $0.status == .repaired }.map(\.caseId)
            if !repaired.isEmpty { props.append(("repaired", repaired.joined(separator: ", "))) }
            for (n, v) in props { x += "      <property name=\"\(attr(n))\" value=\"\(attr(v))\"/>\n" }
            x += "    </properties>\n"
            for r in rs { x += testcase(r, options) }
            x += "  </testsuite>\n"
        }
        x += "</testsuites>\n"
        return x
    }

    static func testcase(_ r: CaseResult, _ options: Options) -> String {
        let classname = "\(r.suite).\(r.promptId).\(r.backendId)"
        var x = "    <testcase classname=\"\(attr(classname))\" name=\"\(attr(r.caseId))\" time=\"\(seconds(r.latencyMs))\""
        if options.fileAttributes { x += " file=\"\(attr(r.caseFile))\" line=\"\(r.caseLine)\"" }
        x += ">\n"
        switch r.status {
        case .failed:
            let msgs = r.failureMessages
            let summary = msgs.first ?? "score \(r.score) below threshold"
            var body = msgs.joined(separator: "\n")
            if let t = r.threshold { body += "\nscore \(String(format: "%.3f", r.score)) (threshold \(t))" }
            body += "\n--- output ---\n" + excerpt(r.output)
            x += "      <failure message=\"\(attr(summary))\" type=\"validator\">\(text(body))</failure>\n"
        case .error:
            var body = r.error ?? "backend error"
            if let e = r.stderr, !e.isEmpty { body += "\n--- stderr ---\n" + excerpt(e) }
            x += "      <error message=\"\(attr(r.error ?? "backend error"))\" type=\"backend\">\(text(body))</error>\n"
        case .skipped:
            x += "      <skipped message=\"\(attr(r.error ?? "skipped"))\"/>\n"
        case .passed, .repaired:
            break
        }
        var out = r.output
        if r.status == .repaired || !r.repairs.isEmpty {
            out = "[proctor] output repaired before validation: \(r.repairs.joined(separator: "; "))\n" + out
        }
        if r.truncated { out = "[proctor] output was truncated at the token limit\n" + out }
        if r.status != .skipped { x += "      <system-out>\(text(excerpt(out, limit: 20000)))</system-out>\n" }
        if let e = r.stderr, !e.isEmpty, r.status != .error { x += "      <system-err>\(text(excerpt(e)))</system-err>\n" }
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
