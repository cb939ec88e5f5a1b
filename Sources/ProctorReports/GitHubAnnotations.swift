import Foundation
import ProctorHarness

/// GitHub Actions annotations for a run (`annotations`): one `::error file=…,line=…::` workflow
/// command per failing case, on the file and line that define it, so the pull request shows the
/// failure beside the case. The CLI prints them under `GITHUB_ACTIONS=true` (not with `--no-github`).
public struct GitHubAnnotationsReport: ReportWriter {
    /// `annotations`, the format name the CLI asks for this report by.
    public var format: String { "annotations" }
    /// The report's name in messages.
    public var title: String { "GitHub annotations" }
    /// The annotations writer.
    public init() {}

    /// Writes one `::error` line per failing case into `sink`, with the reasons of its first sample that did not pass.
    public func write(_ run: RunResult, into sink: inout ReportSink) {
        for g in run.groups where g.isFailing {
            let r = g.samples.first { !$0.isPass } ?? g.first
            let line = "::error file=\(Self.escape(r.caseFile, property: true)),line=\(r.caseLine),"
                + "title=\(Self.escape("\(r.suite) / \(r.caseId) [\(r.promptId)@\(r.backendId)]", property: true))::"
                + Self.escape(r.failureReasons.joined(separator: "; "), property: false) + "\n"
            sink.bytes += Array(line.utf8)
        }
    }

    /// Workflow-command escaping (`%`, CR, LF; and `:` `,` in properties).
    static func escape(_ s: String, property: Bool) -> String {
        var t = s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
        if property { t = t.replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C") }
        return t
    }
}
