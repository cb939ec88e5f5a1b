import CProctorSystem
import Foundation
import Synchronization

/// Runs an external program (never through a shell) with a timeout and caps on stdout and stderr.
/// Used by the `command` backend and the `command` validator.
///
/// Each run has one thread of its own that writes stdin, reads both pipes and notices the exit in a
/// single `poll` loop (the exit through a pidfd where the kernel has one), so many programs run side
/// by side without waiting on each other and the measured latency is the program's own wall time.
/// Nothing process-wide is changed: SIGPIPE is blocked on that thread only.
public enum ProcessRunner {
    /// What may stop a program before it ends by itself.
    public struct Limits: Sendable {
        /// Wall-clock limit; the program's process group gets SIGTERM, then SIGKILL a second later.
        public var timeoutSeconds: Double
        /// Stdout bytes kept; more stops the program.
        public var maxStdoutBytes: Int
        /// Stderr bytes kept; more stops the program.
        public var maxStderrBytes: Int

        /// The default stderr cap (1 MiB), documented for both command backends and validators.
        public static let defaultStderrBytes = 1 << 20

        /// Limits with the given timeout and caps.
        public init(timeoutSeconds: Double, maxStdoutBytes: Int = 64 << 20, maxStderrBytes: Int = Limits.defaultStderrBytes) {
            self.timeoutSeconds = timeoutSeconds
            self.maxStdoutBytes = maxStdoutBytes
            self.maxStderrBytes = maxStderrBytes
        }
    }

    /// Why Proctor stopped a program.
    public enum Stop: Sendable, Equatable {
        case timeout, stdoutLimit, stderrLimit, cancelled
    }

    /// What a run produced and how it ended.
    public struct Result: Sendable {
        /// The exit status when the program exited by itself; -1 when a signal ended it or it never started.
        public var exitCode: Int32
        /// The signal that ended the program, if one did.
        public var signal: Int32?
        /// Set when Proctor ended the program (a limit, or a cancellation).
        public var stoppedBy: Stop?
        /// What the program wrote on stdout, at most `limits.maxStdoutBytes` bytes.
        public var stdout: [UInt8]
        /// What the program wrote on stderr, at most `limits.maxStderrBytes` bytes.
        public var stderr: [UInt8]
        /// From just before the program started to the moment it was reaped.
        public var latencyMs: Double
        /// Could not start (not found, not executable).
        public var launchError: String?
        /// The limits it ran under (for messages).
        public var limits: Limits

        /// Stdout decoded as UTF-8, invalid bytes replaced rather than an error.
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        /// Stderr decoded as UTF-8, invalid bytes replaced rather than an error.
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
        /// The wall-clock limit ended it.
        public var timedOut: Bool { stoppedBy == .timeout }
        /// Stdout passed its cap.
        public var outputLimitExceeded: Bool { stoppedBy == .stdoutLimit }
        /// Started, exited by itself with status 0, and no limit was hit.
        public var succeeded: Bool { launchError == nil && stoppedBy == nil && signal == nil && exitCode == 0 }

        /// How the program ended, in words: "exited with status 3", "killed by SIGSEGV", or what Proctor
        /// stopped it for ("stopped: its stderr passed maxStderrBytes (1048576 bytes)").
        public var endDescription: String {
            if let launchError { return launchError }
            switch stoppedBy {
            case .timeout?: return "timed out after \(JSONNumberText.format(limits.timeoutSeconds)) s (timeoutSeconds); stopped it"
            case .stdoutLimit?: return "printed more than \(limits.maxStdoutBytes) bytes on stdout (maxOutputBytes); stopped it"
            case .stderrLimit?: return "printed more than \(limits.maxStderrBytes) bytes on stderr (maxStderrBytes); stopped it"
            case .cancelled?: return "was stopped: the run was interrupted"
            case nil: break
            }
            if let signal { return "killed by \(ProcessRunner.signalName(signal))" }
            return "exited with status \(exitCode)"
        }

        /// The last `lines` lines of stderr (at most 2,000 characters), for failure messages; empty when none.
        public func stderrTail(lines: Int = 5) -> String {
            // Control characters (a binary dump, colour codes) would garble a one-line message.
            var text = String(String.UnicodeScalarView(stderrText.unicodeScalars.map {
                $0.value < 0x20 && $0 != "\n" && $0 != "\t" || $0.value == 0x7F ? "\u{FFFD}" : $0
            }))
            while text.hasSuffix("\n") { text.removeLast() }
            let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
            return tail.count > 2000 ? "…" + String(tail.suffix(2000)) : tail
        }
    }

    /// The conventional name of a signal number ("SIGSEGV"), or "signal N".
    public static func signalName(_ n: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT",
            SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1", SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2",
            SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
        ]
        return names[n] ?? "signal \(n)"
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

    /// Runs `argv` in `cwd` with `stdin` and exactly `environment` (the caller decides what the
    /// program sees), under `limits`. Cancelling the task kills the program's process group.
    public static func run(argv: [String], cwd: String, stdin: [UInt8], environment: [String: String],
                           limits: Limits) async -> Result {
        guard let first = argv.first, let exe = resolveExecutable(first, cwd: cwd, environment: environment) else {
            let name = argv.first ?? ""
            return Result(exitCode: -1, signal: nil, stoppedBy: nil, stdout: [], stderr: [], latencyMs: 0,
                          launchError: "command not found: '\(name)'" + (name.contains("/") ? " (relative to \(cwd))" : " (searched PATH)"),
                          limits: limits)
        }
        let control = _Control()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Result, Never>) in
                let job = _Job(exe: exe, argv: argv, cwd: cwd, stdin: stdin, environment: environment, limits: limits, control: control)
                let thread = Thread { cont.resume(returning: job.run()) }
                thread.name = "proctor-process"
                thread.stackSize = 256 << 10
                thread.start()
            }
        } onCancel: {
            control.cancel()
        }
    }

    /// The running program's process group, for cancellation from another thread.
    final class _Control: Sendable {
        private let state = Mutex<(pid: Int32, cancelled: Bool)>((0, false))
        /// Records the pid; true when the run was cancelled before it started (the caller kills it).
        func started(_ pid: Int32) -> Bool { state.withLock { s in s.pid = pid; return s.cancelled } }
        func cancel() {
            let p = state.withLock { s -> Int32 in s.cancelled = true; return s.pid }
            if p > 0 { kill(-p, SIGKILL) }
        }
        var cancelled: Bool { state.withLock { $0.cancelled } }
    }

    /// One run's inputs; `run()` does all the blocking work on the calling thread.
    struct _Job: Sendable {
        let exe: String, argv: [String], cwd: String, stdin: [UInt8], environment: [String: String]
        let limits: Limits
        let control: _Control

        func run() -> Result {
            _ = proctor_block_sigpipe()
            defer { proctor_consume_sigpipe() }
            let start = monotonicMs()
            var pid: Int32 = 0
            var fds: [Int32] = [-1, -1, -1]
            let err: Int32 = withCStrings(argv) { av in
                withCStrings(environment.map { "\($0.key)=\($0.value)" }) { ev in
                    fds.withUnsafeMutableBufferPointer { proctor_spawn(exe, av, ev, cwd, &pid, $0.baseAddress) }
                }
            }
            if err != 0 {
                return Result(exitCode: -1, signal: nil, stoppedBy: nil, stdout: [], stderr: [], latencyMs: 0,
                              launchError: "cannot start '\(argv[0])': \(String(cString: strerror(err)))", limits: limits)
            }
            if control.started(pid) { kill(-pid, SIGKILL) }
            var loop = Loop(pid: pid, fds: fds, stdin: stdin, limits: limits, start: start, control: control)
            return loop.run()
        }
    }

    /// The poll loop over one running program.
    struct Loop {
        let pid: Int32
        var inFD: Int32, outFD: Int32, errFD: Int32
        let pidFD: Int32
        let stdin: [UInt8]
        var stdinOffset = 0
        let limits: Limits
        let start: Double
        let control: _Control
        var out: [UInt8] = [], err: [UInt8] = []
        var stop: Stop?
        var status: Int32?
        var exitedAt = 0.0
        var killAt: Double?

        init(pid: Int32, fds: [Int32], stdin: [UInt8], limits: Limits, start: Double, control: _Control) {
            self.pid = pid
            inFD = fds[0]; outFD = fds[1]; errFD = fds[2]
            pidFD = proctor_pidfd_open(pid)
            self.stdin = stdin
            self.limits = limits
            self.start = start
            self.control = control
            if stdin.isEmpty { close(inFD); inFD = -1 }
        }

        /// Ends the program's whole group now (its children may hold the pipes).
        mutating func stopNow(_ why: Stop) {
            if stop == nil { stop = why }
            kill(-pid, SIGKILL)
        }

        mutating func run() -> Result {
            let deadline = start + limits.timeoutSeconds * 1000
            var scratch = [UInt8](repeating: 0, count: 65536)
            while true {
                if status != nil && outFD < 0 && errFD < 0 { break }
                let now = monotonicMs()
                // Past the limit: SIGTERM the group, SIGKILL a second later.
                if status == nil && stop == nil && now >= deadline {
                    stop = .timeout
                    kill(-pid, SIGTERM)
                    killAt = now + 1000
                }
                if let k = killAt, now >= k { kill(-pid, SIGKILL); killAt = nil }
                // The program is gone but something it started still holds a pipe: wait 2 s, then end the group.
                if status != nil, now >= exitedAt + 2000 {
                    kill(-pid, SIGKILL)
                    if now >= exitedAt + 3000 { break }
                }
                if stop == nil && control.cancelled { stopNow(.cancelled) }
                var pfds: [pollfd] = []
                if inFD >= 0 { pfds.append(pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0)) }
                if outFD >= 0 { pfds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
                if errFD >= 0 { pfds.append(pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)) }
                if status == nil && pidFD >= 0 { pfds.append(pollfd(fd: pidFD, events: Int16(POLLIN), revents: 0)) }
                var wait = status == nil ? max(0, deadline - now) : max(0, exitedAt + 2000 - now)
                if let k = killAt { wait = min(wait, max(0, k - now)) }
                if status == nil && pidFD < 0 { wait = min(wait, 5) }   // no pidfd: look for the exit every 5 ms
                wait = min(wait, 250)                                     // and notice a cancellation soon
                let n = pfds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), Int32(wait.rounded(.up))) }
                if n < 0 && errno != EINTR { break }
                for p in pfds where p.revents != 0 {
                    if p.fd == inFD { writeStdin() }
                    else if p.fd == outFD {
                        let (eof, over) = Self.drain(outFD, into: &out, cap: limits.maxStdoutBytes, scratch: &scratch)
                        if over && stop == nil { stopNow(.stdoutLimit) }
                        if eof { close(outFD); outFD = -1 }
                    } else if p.fd == errFD {
                        let (eof, over) = Self.drain(errFD, into: &err, cap: limits.maxStderrBytes, scratch: &scratch)
                        if over && stop == nil { stopNow(.stderrLimit) }
                        if eof { close(errFD); errFD = -1 }
                    }
                }
                if status == nil { reap(hang: false) }
            }
            if status == nil {
                // Left the loop with the program still running (poll failed): end it and wait.
                kill(-pid, SIGKILL)
                reap(hang: true)
            }
            for fd in [inFD, outFD, errFD, pidFD] where fd >= 0 { close(fd) }
            let st = status ?? 0
            let signaled = proctor_signaled(st) != 0
            return Result(exitCode: signaled ? -1 : Int32(proctor_exit_code(st)), signal: signaled ? Int32(proctor_term_signal(st)) : nil,
                          stoppedBy: stop, stdout: out, stderr: err, latencyMs: exitedAt - start, launchError: nil, limits: limits)
        }

        mutating func reap(hang: Bool) {
            var st: Int32 = 0
            if proctor_wait_status(pid, hang ? 0 : 1, &st) == pid {
                status = st
                exitedAt = monotonicMs()
            }
        }

        mutating func writeStdin() {
            let n = stdin.withUnsafeBytes { raw in write(inFD, raw.baseAddress! + stdinOffset, raw.count - stdinOffset) }
            if n > 0 { stdinOffset += n }
            if (n < 0 && errno != EAGAIN && errno != EINTR) || stdinOffset >= stdin.count {
                close(inFD)
                inFD = -1
            }
        }

        /// Reads what is there: `eof` at the pipe's end; `over` when more than `cap` bytes came (the
        /// first `cap` are kept, the rest dropped).
        static func drain(_ fd: Int32, into buf: inout [UInt8], cap: Int, scratch: inout [UInt8]) -> (eof: Bool, over: Bool) {
            var over = false
            while true {
                let n = scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                if n > 0 {
                    if buf.count + n > cap { over = true }
                    if buf.count < cap { buf.append(contentsOf: scratch[0..<min(n, cap - buf.count)]) }
                    continue
                }
                if n < 0 && (errno == EAGAIN || errno == EINTR) { return (false, over) }
                return (true, over)
            }
        }
    }
}

/// Formats seconds without a trailing ".0" ("2", "0.5").
enum JSONNumberText {
    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings (valid only inside `body`).
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
}
