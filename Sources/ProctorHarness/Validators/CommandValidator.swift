import Foundation
import ProctorBackends

/// The escape hatch: runs an argv (never a shell) with the output on stdin and case facts in
/// environment variables. Exit 0 passes; the first stdout line is the message.
enum CommandValidator {
    static let factories: [String: ValidatorFactory] = [
        "command": { c throws(SuiteError) in try Run(c) },
    ]

    struct Run: Validator {
        let argv: [String]
        let timeout: Double
        let cwd: String

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["argv", "timeoutSeconds"])
            argv = try c.strings("argv")
            timeout = try c.number("timeoutSeconds") ?? 30
            cwd = c.suiteDirectory
            if ProcessRunner.resolveExecutable(argv[0], cwd: cwd, environment: ProcessInfo.processInfo.environment) == nil {
                throw c.error("argv", "program '\(argv[0])' not found" + (argv[0].contains("/") ? " (relative to \(cwd))" : " on PATH"))
            }
        }

        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let env = [
                "PROCTOR_CASE_ID": ctx.caseId, "PROCTOR_PROMPT_ID": ctx.promptId, "PROCTOR_BACKEND_ID": ctx.backendId,
                "PROCTOR_FINISH_REASON": ctx.response.finishReason.rawValue, "PROCTOR_LATENCY_MS": String(ctx.response.latencyMs),
            ]
            let r = await ProcessRunner.run(argv: argv, cwd: cwd, stdin: Array(s.text.utf8), environment: env,
                                            timeoutSeconds: timeout, maxOutputBytes: 1 << 20)
            if let e = r.launchError { return .unevaluable(e) }
            if r.timedOut { return .unevaluable("command '\(argv[0])' timed out after \(timeout) s") }
            if r.outputLimitExceeded { return .unevaluable("command '\(argv[0])' printed more than 1 MB") }
            let first = r.stdoutText.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            if r.exitCode == 0 { return .pass(first.isEmpty ? "command passed" : first) }
            return .fail(first.isEmpty ? "command '\(argv[0])' exited with status \(r.exitCode)" : first)
        }
    }
}
