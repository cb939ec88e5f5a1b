import Foundation
import ProctorHarness
import ProctorReports

/// GitHub Actions: the Markdown summary appended to `GITHUB_STEP_SUMMARY`, and `::error`
/// annotations on the suite file and line of each failing case when `GITHUB_ACTIONS=true`.
enum GitHubIntegration {
    static func report(_ run: RunResult, console: Console) {
        let env = console.environment
        if let path = env["GITHUB_STEP_SUMMARY"], !path.isEmpty {
            if let h = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) {
                h.seekToEndOfFile()
                h.write(Data((MarkdownWriter.summary(run) + "\n").utf8))
                try? h.close()
            }
        }
        guard env["GITHUB_ACTIONS"] == "true" else { return }
        for g in run.groups where g.isFailing {
            let r = g.samples.first { !$0.isPass } ?? g.first
            let why = r.status == .error ? (r.error ?? "backend error") : r.failureMessages.joined(separator: "; ")
            console.out("::error file=\(escape(r.caseFile, property: true)),line=\(r.caseLine),title=\(escape("\(r.suite) / \(r.caseId) [\(r.promptId)@\(r.backendId)]", property: true))::\(escape(why, property: false))")
        }
    }

    /// Workflow-command escaping (`%`, CR, LF; and `:` `,` in properties).
    static func escape(_ s: String, property: Bool) -> String {
        var t = s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
        if property { t = t.replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C") }
        return t
    }
}
