import Foundation
import ProctorJSON
import ProctorSupport
import ProctorConversation

/// Runs a program with the rendered prompt on stdin; its stdout is the output, without one final
/// newline (the one `echo` and `print` add is not part of the answer).
///
/// A non-zero exit, a death by signal, a timeout, or stdout past `maxOutputBytes` or stderr past
/// `maxStderrBytes` is an *error* result (not a failed case) that says which, with stderr kept for
/// the report. Invalid UTF-8 in the output is replaced, never a crash. The
/// merged generation options reach the program as JSON in `PROCTOR_OPTIONS`; honouring them is its job.
public struct CommandBackend: Backend {
    /// The backend's id from the suite, also given to the program as `PROCTOR_BACKEND_ID`.
    public let id: String
    let argv: [String]
    let cwd: String
    let limits: ProcessRunner.Limits
    /// The suite's `env` over the environment the session was given.
    let baseEnvironment: [String: String]

    /// This type's entry in `BackendRegistry`: its keys and which generation options it honours, and as what.
    public static let kind = BackendKind(
        type: "command", keys: ["argv", "timeoutSeconds", "env", "maxOutputBytes", "maxStderrBytes"],
        honours: Dictionary(uniqueKeysWithValues: GenerationOptions.Field.allCases.map { ($0, "PROCTOR_OPTIONS (JSON object, suite spelling)") }),
        identityIgnores: ["timeoutSeconds", "maxOutputBytes", "maxStderrBytes"],
        make: { ctx throws(BackendConfigError) in try CommandBackend(ctx) })

    /// Reads `argv`, the limits and `env` from the suite entry in `ctx`; a program that cannot be found is an error here, at load.
    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        id = ctx.id
        guard let a = try ctx.stringArray("argv"), !a.isEmpty else {
            throw BackendConfigError(pointer: "/argv", "command backend '\(ctx.id)' needs \"argv\": a non-empty array of strings")
        }
        argv = a
        cwd = ctx.baseDirectory
        limits = ProcessRunner.Limits(
            timeoutSeconds: try ctx.number("timeoutSeconds", min: 0.001) ?? 60,
            maxStdoutBytes: Int(try ctx.number("maxOutputBytes", integer: true, min: 1) ?? Double(64 << 20)),
            maxStderrBytes: Int(try ctx.number("maxStderrBytes", integer: true, min: 1) ?? Double(ProcessRunner.Limits.defaultStderrBytes)))
        var e: [String: String] = [:]
        if let v = ctx.config["env"] {
            guard case .object(let o) = v else { throw BackendConfigError(pointer: "/env", "\"env\" must be an object of strings") }
            for (k, x) in o {
                guard let s = x.stringValue else { throw BackendConfigError(pointer: "/env/" + k, "\"env\" values must be strings") }
                e[k] = s
            }
        }
        baseEnvironment = ctx.environment.merging(e) { _, b in b }
        // A program that cannot be found is a load-time error, not one error per case.
        if ProcessRunner.resolveExecutable(argv[0], cwd: cwd, environment: baseEnvironment) == nil {
            throw BackendConfigError(pointer: "/argv/0", "command backend '\(id)': program '\(argv[0])' not found"
                                     + (argv[0].contains("/") ? " (relative to \(cwd))" : " on PATH"))
        }
    }

    /// Runs the program once for `request`, the flattened prompt on stdin and the case's facts in `PROCTOR_*` variables, and turns its stdout or its failure into the response.
    public func complete(_ request: BackendRequest) async -> BackendResponse {
        var vars: [String: String] = [:]
        vars["PROCTOR_CASE_ID"] = request.caseId
        vars["PROCTOR_PROMPT_ID"] = request.promptId
        vars["PROCTOR_BACKEND_ID"] = id
        vars["PROCTOR_REPEAT"] = String(request.repeatIndex)
        vars["PROCTOR_MESSAGES"] = JSONSerializer.string(.array(request.messages.map(\.json)))
        vars["PROCTOR_OPTIONS"] = JSONSerializer.string(.object(request.options.json))
        let r = await ProcessRunner.run(argv: argv, cwd: cwd, stdin: Array(request.flattenedPrompt.utf8),
                                        environment: baseEnvironment.merging(vars) { _, b in b }, limits: limits)
        let stderr = r.stderrText.isEmpty ? nil : r.stderrText
        if let e = r.launchError { return .failure(e) }
        guard r.succeeded else {
            let tail = r.stderrTail()
            return .failure("command '\(argv[0])' \(r.endDescription)" + (tail.isEmpty ? "" : "; stderr ends: \(tail)"),
                            latencyMs: r.latencyMs, stderr: stderr)
        }
        return BackendResponse(text: String(decoding: TextInput.droppingFinalNewline(r.stdout), as: UTF8.self), finishReason: .stop,
                               latencyMs: r.latencyMs, stderr: stderr)
    }
}
