import Foundation
import Synchronization
import ProctorJSON

/// A suite that cannot run: bad JSON, unknown key, missing file, unknown validator, missing variable.
/// Always names the file, and the line and column where one applies.
public struct SuiteError: Error, Sendable, CustomStringConvertible {
    /// The file at fault: the suite file, or a cases, prompt or schema file it names.
    public let file: String
    /// 1-based line of the problem; nil when it has no place in the file (a missing file).
    public let line: Int?
    /// 1-based column, set together with `line`.
    public let column: Int?
    /// What is wrong, in words, without the location.
    public let message: String
    /// Where in the document the error is, when it was made without a locator (a JSONL line is
    /// parsed without one): the line's reader locates it only if the line fails.
    let pointer: String?

    /// An error in `file` saying `message`, at `line` and `column` when they are known.
    public init(file: String, line: Int? = nil, column: Int? = nil, _ message: String) {
        self.init(file: file, line: line, column: column, pointer: nil, message)
    }

    init(file: String, line: Int?, column: Int?, pointer: String?, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.pointer = pointer
        self.message = message
    }

    /// `file:line:column: message`, or `file: message` when there is no line and column.
    public var description: String {
        if let line, let column { return "\(file):\(line):\(column): \(message)" }
        return "\(file): \(message)"
    }
}

/// Points errors at positions in one suite file.
struct SuiteSource: Sendable {
    let file: String
    let locator: JSONLocator?
    /// For `${VAR}` in configuration strings.
    var env: [String: String] = [:]
    /// `defaults.graderPrompt`, read before the validators are built.
    var graderPrompt: String?
    /// Every tool the suite and its prompts declare, once they are read (nil before, and in a cases
    /// file's own source): a tool check naming another is an error at its own line.
    var toolNames: Set<String>?
    /// Every file the suite was built from (shared by the copies of this source and by its cases
    /// files' sources), so a command can refuse to write over one.
    var inputs = InputLog()

    func error(_ pointer: String, _ message: String) -> SuiteError {
        guard let locator else { return SuiteError(file: file, line: nil, column: nil, pointer: pointer, message) }
        let (l, c) = locator.position(of: pointer)
        return SuiteError(file: file, line: l, column: c, message)
    }

    func location(_ pointer: String) -> SourceLocation {
        let (l, c) = locator?.position(of: pointer) ?? (1, 1)
        return SourceLocation(file: file, line: l, column: c)
    }
}

/// The files a suite load read, in order, each once. Shared by reference between the sources of
/// one load, which may add to it from several threads (JSONL lines are read on every core).
final class InputLog: Sendable {
    private let files = Mutex<[String]>([])

    /// Records `path` (made absolute and standardized).
    func add(_ path: String) {
        let full = URL(fileURLWithPath: path).standardizedFileURL.path
        files.withLock { if !$0.contains(full) { $0.append(full) } }
    }

    var all: [String] { files.withLock { $0 } }
}
