import Foundation
import ProctorBackends
import ProctorJSON

/// The escape hatch: runs an argv (never a shell) with the output on stdin and case facts in
/// environment variables. Exit 0 passes; the first stdout line is the message. A failing program's
/// stderr tail is shown with it; a program that dies by a signal or hits a limit could not evaluate.
/// With `threshold`, the program scores: its first stdout line is a number, and the check passes
/// when that reaches the threshold (OpenAI's python grader); a scoring program that fails gave no
/// score, so the check could not be evaluated. With `"stdin": "json"` the program reads
/// `{"output": …, "vars": {…}}` (the case's variables) instead of the bare output.
enum CommandValidator {
    static let factories: [String: ValidatorFactory] = [
        "command": { c throws(SuiteError) in try Run(c) },
    ]

    struct Run: Validator {
        let argv: [String]
        let limits: ProcessRunner.Limits
        let cwd: String
        /// The environment the suite was loaded with: what the program sees, plus the case facts.
        let environment: [String: String]
        /// Set: the first stdout line is a score that must reach this.
        let threshold: Double?
        /// Whether stdin carries the case's variables with the output, as one JSON object.
        let stdinJSON: Bool

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["argv", "timeoutSeconds", "maxOutputBytes", "maxStderrBytes", "threshold", "stdin"])
            threshold = try c.number("threshold")
            switch try c.string("stdin") {
            case nil, "output"?: stdinJSON = false
            case "json"?: stdinJSON = true
            case let other?: throw c.error("stdin", "\"stdin\" is \"output\" (the default) or \"json\" (the output and the case's variables), not \"\(other)\"")
            }
            argv = try c.strings("argv")
            func positive(_ key: String, integer: Bool) throws(SuiteError) -> Double? {
                guard let d = try c.number(key) else { return nil }
                guard d > 0, d.isFinite, !integer || d == d.rounded() else {
                    throw c.error(key, "\"\(key)\" must be a positive \(integer ? "integer" : "number"), found \(JSONNumber(d))")
                }
                return d
            }
            limits = ProcessRunner.Limits(timeoutSeconds: try positive("timeoutSeconds", integer: false) ?? 30,
                                          maxStdoutBytes: Int(try positive("maxOutputBytes", integer: true) ?? Double(1 << 20)),
                                          maxStderrBytes: Int(try positive("maxStderrBytes", integer: true) ?? Double(ProcessRunner.Limits.defaultStderrBytes)))
            cwd = c.suiteDirectory
            environment = c.environment
            if ProcessRunner.resolveExecutable(argv[0], cwd: cwd, environment: environment) == nil {
                throw c.error("argv", "program '\(argv[0])' not found" + (argv[0].contains("/") ? " (relative to \(cwd))" : " on PATH"))
            }
        }

        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let env = [
                "PROCTOR_CASE_ID": ctx.caseId, "PROCTOR_PROMPT_ID": ctx.promptId, "PROCTOR_BACKEND_ID": ctx.backendId,
                "PROCTOR_FINISH_REASON": ctx.response.finishReason.rawValue, "PROCTOR_LATENCY_MS": String(ctx.response.latencyMs),
            ]
            let input = stdinJSON ? JSONSerializer.string(["output": .string(s.text), "vars": .object(ctx.vars)]) : s.text
            let r = await ProcessRunner.run(argv: argv, cwd: cwd, stdin: Array(input.utf8),
                                            environment: environment.merging(env) { _, b in b }, limits: limits)
            let tail = r.stderrTail()
            let stderrNote = tail.isEmpty ? "" : " (stderr ends: \(tail))"
            if let e = r.launchError { return .unevaluable(e) }
            // Killed by a limit or a signal: the program never gave a verdict.
            if r.stoppedBy != nil || r.signal != nil { return .unevaluable("command '\(argv[0])' \(r.endDescription)" + stderrNote) }
            let first = r.stdoutText.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            if threshold != nil && r.exitCode != 0 { return .unevaluable("command '\(argv[0])' \(r.endDescription), so it gave no score" + stderrNote) }
            if let threshold {
                let word = first.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
                guard let score = Double(word), score.isFinite else {
                    return .unevaluable("command '\(argv[0])' printed no score (its first line must start with a number): \(TextValidators.quote(first))")
                }
                let ok = score >= threshold - 1e-12
                var v = CheckResult(pass: ok, score: min(max(score, 0), 1), message: "score \(JSONNumber(score).text) \(ok ? "≥" : "<") threshold \(JSONNumber(threshold).text)"
                                    + (first.count > word.count ? ": " + first.dropFirst(word.count + 1) : ""))
                v.value = score
                return v
            }
            if r.exitCode == 0 { return .pass(first.isEmpty ? "command passed" : first) }
            return .fail((first.isEmpty ? "command '\(argv[0])' \(r.endDescription)" : first) + stderrNote)
        }
    }
}
