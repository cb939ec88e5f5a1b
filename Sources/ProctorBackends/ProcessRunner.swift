import Foundation
import Synchronization

/// Runs an external program (never through a shell) with a timeout and an output cap.
/// Used by the `command` backend and the `command` validator.
public enum ProcessRunner {
    public struct Result: Sendable {
        public var exitCode: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var timedOut: Bool
        /// Stdout passed `maxOutputBytes`; the program was stopped.
        public var outputLimitExceeded: Bool
        public var latencyMs: Double
        /// Could not start (not found, not executable).
        public var launchError: String?

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Finds `name` on `PATH` (or relative to `cwd` when it contains a slash).
    public static func resolveExecutable(_ name: String, cwd: String, environment: [String: String]) -> String? {
        let fm = FileManager.default
        if name.contains("/") {
            let p = name.hasPrefix("/") ? name : URL(fileURLWithPath: cwd).appendingPathComponent(name).standardizedFileURL.path
            return fm.isExecutableFile(atPath: p) ? p : nil
        }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let p = String(dir) + "/" + name
            if fm.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Runs `argv` in `cwd` with `stdin`, extra environment variables, a timeout and an output cap.
    public static func run(argv: [String], cwd: String, stdin: [UInt8], environment extra: [String: String] = [:],
                           timeoutSeconds: Double, maxOutputBytes: Int = 64 << 20) async -> Result {
        let env = ProcessInfo.processInfo.environment.merging(extra) { _, b in b }
        let start = monotonicMs()
        guard let first = argv.first, let exe = resolveExecutable(first, cwd: cwd, environment: env) else {
            let name = argv.first ?? ""
            return Result(exitCode: -1, stdout: [], stderr: [], timedOut: false, outputLimitExceeded: false, latencyMs: 0,
                          launchError: "command not found: '\(name)'" + (name.contains("/") ? " (relative to \(cwd))" : " (searched PATH)"))
        }
        // Cancelling the task (Ctrl-C) kills the program and its children.
        let pidBox = _PID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Result, Never>) in
                DispatchQueue.global().async {
                    cont.resume(returning: runBlocking(exe: exe, argv: argv, cwd: cwd, stdin: stdin, env: env,
                                                       timeout: timeoutSeconds, maxOutput: maxOutputBytes, start: start, pidBox: pidBox))
                }
            }
        } onCancel: {
            pidBox.cancel()
        }
    }

    /// Bytes read from one pipe.
    private final class Collector: Sendable {
        private let data = Mutex<[UInt8]>([])
        var bytes: [UInt8] { data.withLock { $0 } }

        /// Reads `fd` to its end; returns true when more than `cap` bytes arrived (reading stops there).
        func drain(_ fd: Int32, cap: Int) -> Bool {
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 65536) }
                if n <= 0 { return false }
                let over = data.withLock { d -> Bool in
                    if d.count + n > cap {
                        d.append(contentsOf: buf[0..<max(0, cap - d.count)])
                        return true
                    }
                    d.append(contentsOf: buf[0..<n])
                    return false
                }
                if over { return true }
            }
        }
    }

    private final class State: Sendable {
        let timedOut = Mutex(false)
        let overLimit = Mutex(false)
    }

    /// The running program's pid, for cancellation from another thread.
    final class _PID: Sendable {
        private let state = Mutex<(pid: Int32, cancelled: Bool)>((0, false))
        func set(_ pid: Int32) { let c = state.withLock { s -> Bool in s.pid = pid; return s.cancelled }; if c { kill(-pid, SIGKILL) } }
        func cancel() { let p = state.withLock { s -> Int32 in s.cancelled = true; return s.pid }; if p > 0 { kill(-p, SIGKILL) } }
    }

    private static func runBlocking(exe: String, argv: [String], cwd: String, stdin: [UInt8], env: [String: String],
                                    timeout: Double, maxOutput: Int, start: Double, pidBox: _PID) -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = Array(argv.dropFirst())
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        p.environment = env
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        do { try p.run() } catch {
            return Result(exitCode: -1, stdout: [], stderr: [], timedOut: false, outputLimitExceeded: false, latencyMs: 0,
                          launchError: "cannot start '\(argv[0])': \(error.localizedDescription)")
        }
        let state = State()
        let pid = p.processIdentifier
        pidBox.set(pid)
        // Feed stdin on its own thread so a program that never reads cannot block us.
        let inHandle = inPipe.fileHandleForWriting
        DispatchQueue.global().async {
            signal(SIGPIPE, SIG_IGN)
            stdin.withUnsafeBytes { raw in
                var off = 0
                while off < raw.count {
                    let n = write(inHandle.fileDescriptor, raw.baseAddress! + off, raw.count - off)
                    if n <= 0 { break }
                    off += n
                }
            }
            try? inHandle.close()
        }
        let group = DispatchGroup()
        let outBox = Collector(), errBox = Collector()
        let outFD = outPipe.fileHandleForReading.fileDescriptor, errFD = errPipe.fileHandleForReading.fileDescriptor
        group.enter()
        DispatchQueue.global().async {
            if outBox.drain(outFD, cap: maxOutput) { state.overLimit.withLock { $0 = true }; kill(-pid, SIGKILL) }
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            if errBox.drain(errFD, cap: 1 << 20) { kill(-pid, SIGKILL) }
            group.leave()
        }
        let timer = DispatchWorkItem {
            state.timedOut.withLock { $0 = true }
            // Foundation starts the program in its own process group: signal the whole group, so
            // grandchildren holding the pipes die too.
            kill(-pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 1) { kill(-pid, SIGKILL) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        p.waitUntilExit()
        timer.cancel()
        // Children of the program may keep the pipes open; do not wait for them forever.
        if group.wait(timeout: .now() + 2) == .timedOut { kill(-pid, SIGKILL); _ = group.wait(timeout: .now() + 1) }
        return Result(exitCode: p.terminationStatus, stdout: outBox.bytes, stderr: errBox.bytes,
                      timedOut: state.timedOut.withLock { $0 }, outputLimitExceeded: state.overLimit.withLock { $0 },
                      latencyMs: monotonicMs() - start, launchError: nil)
    }
}
