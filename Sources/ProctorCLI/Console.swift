import Foundation
import ProctorHarness
import Synchronization

/// Where a command writes: the real stdout/stderr, or buffers in tests. Thread-safe, because the
/// runner reports progress from concurrent tasks.
public final class Console: Sendable {
    private let capture = Mutex<(out: [UInt8], err: [UInt8])>(([], []))
    private let capturing: Bool
    /// True when stderr is a terminal (live progress and colour).
    public let isTerminal: Bool
    /// Colour allowed (terminal, no NO_COLOR, not CI).
    public let useColor: Bool
    /// The environment variables the command sees (the process's, or a test's).
    public let environment: [String: String]
    /// The working directory the command's relative paths mean (the process's, or a test's).
    public let workingDirectory: String
    private let stdinData: [UInt8]?
    /// Only the real process console takes over SIGINT (tests drive `Interruption` directly).
    public let installsSignalHandlers: Bool
    /// The run's interruption (Ctrl-C); tests fire it themselves.
    public let interruption: Interruption

    /// Keeps `value` alive until the process exits, when this is the process's console: the
    /// kernel takes a finished run's memory back at once, while freeing 100,000 results one by
    /// one costs a fifth of a second. In tests (a capturing console) nothing is kept.
    public func keepUntilExit<T: Sendable>(_ value: T) {
        guard !capturing else { return }
        _ = Unmanaged.passRetained(Kept(value))  // deliberately never released
    }

    private final class Kept<T: Sendable>: Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    /// The process's own streams.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        interruption = Interruption()
        capturing = false
        self.environment = environment
        workingDirectory = FileManager.default.currentDirectoryPath
        let tty = isatty(2) == 1 && environment["CI"] != "true"
        isTerminal = tty
        useColor = tty && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        stdinData = nil
        installsSignalHandlers = true
    }

    /// A console that captures output, for tests.
    public init(capturingWith environment: [String: String] = [:], stdin: String? = nil, interruption: Interruption = Interruption(),
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.interruption = interruption
        self.capturing = true
        self.environment = environment
        self.workingDirectory = workingDirectory
        isTerminal = false
        useColor = false
        stdinData = stdin.map { Array($0.utf8) }
        installsSignalHandlers = false
    }

    /// Writes `s` and a newline to stdout (or to the captured output).
    public func out(_ s: String) { write(s + "\n", toErr: false) }
    /// Writes `s` and a newline to stderr (or to the captured errors).
    public func err(_ s: String) { write(s + "\n", toErr: true) }
    /// Writes `s` to stderr as is, with no newline added (for progress lines that redraw themselves).
    public func rawErr(_ s: String) { write(s, toErr: true) }
    /// Writes `s` to stdout as is, with no newline added.
    public func rawOut(_ s: String) { write(s, toErr: false) }
    /// Bytes to stdout as they are (no String round trip for large outputs).
    public func rawOut(bytes: [UInt8]) {
        if bytes.isEmpty { return }
        if capturing {
            capture.withLock { $0.out.append(contentsOf: bytes) }
        } else {
            bytes.withUnsafeBytes { FileHandle.standardOutput.write(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0.baseAddress!), count: $0.count, deallocator: .none)) }
        }
    }

    private func write(_ s: String, toErr: Bool) {
        if capturing {
            capture.withLock { if toErr { $0.err.append(contentsOf: s.utf8) } else { $0.out.append(contentsOf: s.utf8) } }
        } else {
            let fh = toErr ? FileHandle.standardError : FileHandle.standardOutput
            fh.write(Data(s.utf8))
        }
    }

    /// Captured stdout (tests).
    public var capturedOut: String { capture.withLock { String(decoding: $0.out, as: UTF8.self) } }
    /// Captured stderr (tests).
    public var capturedErr: String { capture.withLock { String(decoding: $0.err, as: UTF8.self) } }

    /// All of standard input.
    public func readStdin() -> [UInt8] {
        if let stdinData { return stdinData }
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }

    /// Wraps `s` in an ANSI colour when colour is on.
    public func color(_ s: String, _ code: String) -> String { useColor ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
}

extension Console {
    /// The suite loader for this command: the console's environment and working directory.
    var loader: SuiteLoader {
        var l = SuiteLoader(environment: environment)
        l.workingDirectory = workingDirectory
        return l
    }
}
