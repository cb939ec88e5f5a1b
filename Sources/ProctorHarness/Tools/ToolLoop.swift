import Foundation
import ProctorBackends
import ProctorJSON
import ProctorConversation

/// A case with mocked tools: model → tool calls → the mocks' results sent back → model, until the
/// model answers without calling a tool. Each request carries the whole conversation so far, so
/// the response cache and cassettes key every one of them.
enum ToolLoop {
    /// What the loop needs besides the request: the tools, the case's variables, and where and
    /// with what environment command mocks run.
    struct Setting: Sendable {
        let tools: ToolSet
        let vars: JSONObject
        let directory: String
        let environment: [String: String]
    }

    /// Runs the loop from `request`, calling the backend through `complete`. The answer is the
    /// last reply's, with every call made, the transcript, the latencies and usages summed and
    /// the repairs of every reply; a failed call, a failed command mock, or a model still calling
    /// tools after `maxToolRounds` rounds is an error result (the transcript so far kept).
    static func run(_ request: BackendRequest, _ setting: Setting,
                    complete: (BackendRequest) async -> BackendResponse) async -> BackendResponse {
        var req = request
        var steps: [TranscriptStep] = []
        var calls: [ToolCall] = []
        var tally = ReplyTally()
        var repairs: [String] = []
        func merged(_ r: BackendResponse) -> BackendResponse {
            var out = tally.applied(to: r, calls: calls, steps: steps)
            out.repairs = repairs
            return out
        }
        func failed(_ message: String, _ last: BackendResponse? = nil) -> BackendResponse {
            var r = merged(.failure(message))
            r.stderr = last?.stderr
            return r
        }
        var round = 0
        while true {
            let r = await complete(req)
            tally.add(r)
            if r.finishReason == .error { return failed((round == 0 ? "" : "after \(round) tool round\(round == 1 ? "" : "s"): ") + (r.error ?? "backend error"), r) }
            repairs += r.repairs
            let reply = r.toolCalls.isEmpty ? ChatMessage(role: "assistant", content: r.text) : ChatMessage.assistant(r.saidWithCalls ?? "", calls: r.toolCalls)
            steps.append(TranscriptStep(reply, latencyMs: r.latencyMs, usage: r.usage))
            if r.toolCalls.isEmpty { return merged(r) }
            calls += r.toolCalls
            if round == setting.tools.maxRounds {
                return failed("the model still called tools (\(r.toolCalls.map(\.name).joined(separator: ", "))) after maxToolRounds (\(setting.tools.maxRounds)) rounds")
            }
            round += 1
            req.messages.append(reply)
            for call in r.toolCalls {
                if Task.isCancelled { return failed("not run: the run was interrupted") }
                switch await answer(call, setting, caseId: request.caseId) {
                case .failure(let e): return failed(e.message)
                case .success(let text):
                    let m = ChatMessage.toolResult(text, for: call)
                    steps.append(TranscriptStep(m))
                    req.messages.append(m)
                }
            }
        }
    }

    /// Why a mock could not answer (its program failed): the case is an error.
    struct MockFailure: Error {
        let message: String
    }

    /// A call's result: the tool's mock rendered over the call's `args` and the case's variables,
    /// or its program's stdout. A call of an undeclared tool, or one missing an argument the mock
    /// reads, is answered with an error text, as a real tool would answer, and the model goes on.
    static func answer(_ call: ToolCall, _ setting: Setting, caseId: String) async -> Result<String, MockFailure> {
        guard let tool = setting.tools.tool(call.name) else {
            return .success("error: there is no tool named '\(call.name)' (tools: \(setting.tools.tools.map(\.definition.name).joined(separator: ", ")))")
        }
        switch tool.mock {
        case nil:
            return .failure(MockFailure(message: "tool '\(call.name)' has no mock, so its call cannot be answered"))
        case .value(let v)?:
            if case .string = call.arguments, !v.argumentPaths().isEmpty {
                return .success("error: the arguments are not a JSON object")
            }
            var vars = setting.vars
            vars["args"] = call.arguments
            if let missing = v.argumentPaths().first(where: { Template.lookup(["args"] + $0, in: vars) == nil }) {
                return .success("error: argument '\(missing.joined(separator: "."))' is missing")
            }
            let value = v.render(vars)
            return .success(value.stringValue ?? JSONSerializer.string(value))
        case .command(let argv, let timeout)?:
            let env = setting.environment.merging(["PROCTOR_TOOL_NAME": call.name, "PROCTOR_TOOL_CALL_ID": call.id, "PROCTOR_CASE_ID": caseId]) { _, b in b }
            let r = await ProcessRunner.run(argv: argv, cwd: setting.directory, stdin: JSONSerializer.bytes(call.arguments), environment: env,
                                            limits: ProcessRunner.Limits(timeoutSeconds: timeout, maxStdoutBytes: 1 << 20))
            if let e = r.launchError { return .failure(MockFailure(message: "tool '\(call.name)' mock: \(e)")) }
            guard r.succeeded else {
                let tail = r.stderrTail()
                return .failure(MockFailure(message: "tool '\(call.name)' mock command '\(argv[0])' \(r.endDescription)" + (tail.isEmpty ? "" : " (stderr ends: \(tail))")))
            }
            var text = r.stdoutText
            if text.hasSuffix("\n") { text.removeLast() }
            return .success(text)
        }
    }
}

/// The sums over a conversation's replies: latency and usage added up, cached or replayed only
/// when every reply was, the latency recorded when any was.
struct ReplyTally {
    var latencyMs = 0.0
    var usage: TokenUsage?
    var cached = true, replayed = true, recorded = false

    /// Counts one reply in.
    mutating func add(_ r: BackendResponse) {
        latencyMs += r.latencyMs
        if let u = r.usage { usage = TokenUsage(promptTokens: (usage?.promptTokens ?? 0) + u.promptTokens, outputTokens: (usage?.outputTokens ?? 0) + u.outputTokens) }
        cached = cached && r.cached
        replayed = replayed && r.replayed
        recorded = recorded || r.latencyRecorded
    }

    /// `last` carrying the sums, every call and the transcript.
    func applied(to last: BackendResponse, calls: [ToolCall], steps: [TranscriptStep]) -> BackendResponse {
        var m = last
        m.latencyMs = latencyMs
        m.usage = usage
        m.toolCalls = calls
        m.transcript = steps
        m.cached = cached
        m.replayed = replayed
        m.latencyRecorded = recorded
        return m
    }
}
