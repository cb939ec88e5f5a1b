import ProctorHarness

/// One report format: its name, what it is called in messages, and how it writes its input (a run,
/// a diff, an optimizer's report) into a sink. Every writer is a type of its own, in a file of its
/// own, and found through a registry, so the CLI asks for a format by name and never knows how a
/// format is made.
public protocol ReportWriter<Input>: Sendable {
    /// What the writer reports on (`RunResult`, `DiffReport`, …).
    associatedtype Input
    /// The format's name, the CLI flag that asks for it (`junit`, `json`, `markdown`, `html`).
    var format: String { get }
    /// What the report is called in messages ("JUnit report").
    var title: String { get }
    /// Writes the report of `input` into `sink`.
    func write(_ input: Input, into sink: inout ReportSink)
}

extension ReportWriter {
    /// The report of `input` as bytes, in memory.
    public func bytes(_ input: Input) -> [UInt8] {
        var sink = ReportSink()
        write(input, into: &sink)
        return sink.bytes
    }

    /// The report of `input` as text.
    public func text(_ input: Input) -> String { String(decoding: bytes(input), as: UTF8.self) }
}

/// The writers Proctor ships, by format: the one place the CLI finds them.
public enum ReportRegistry {
    /// What the run reports need to know that is not in the run.
    public struct Options: Sendable {
        /// The tool's version, recorded in results.json.
        public var toolVersion: String
        /// `<testcase file= line=>` in JUnit (GitLab, GitHub; outside the Jenkins schema).
        public var junitFileAttributes = false
        /// Options for a tool of this version.
        public init(toolVersion: String) { self.toolVersion = toolVersion }
    }

    /// Reports of a run: `junit`, `json`, `markdown`, `html`, and `annotations` (GitHub Actions
    /// workflow commands, one per failing case).
    public static func run(_ options: Options) -> [String: any ReportWriter<RunResult>] {
        let writers: [any ReportWriter<RunResult>] = [
            JUnitReport(fileAttributes: options.junitFileAttributes), ResultsReport(toolVersion: options.toolVersion),
            MarkdownSummaryReport(), HTMLRunReport(), GitHubAnnotationsReport(),
        ]
        return Dictionary(uniqueKeysWithValues: writers.map { ($0.format, $0) })
    }

    /// Reports of a diff: `markdown`, `json`, `html`, and `comment` (a pull-request comment, linked
    /// to the HTML report at `htmlURL` when given).
    public static func diff(htmlURL: String? = nil) -> [String: any ReportWriter<DiffReport>] {
        let writers: [any ReportWriter<DiffReport>] = [DiffMarkdownReport(), DiffJSONReport(), DiffHTMLReport(), DiffCommentReport(htmlURL: htmlURL)]
        return Dictionary(uniqueKeysWithValues: writers.map { ($0.format, $0) })
    }
}
