import ProctorBackends
import ProctorJSON
import ProctorRepair
import ProctorConversation

/// A case's `turns`: each user message appended to the conversation, answered (through the tool
/// loop when the prompt's tools have mocks), and the reply checked by that turn's validators.
/// Every request carries the whole conversation so far.
enum ScriptedConversation {
    /// What a conversation gives the case: the last reply, carrying every call, the transcript and
    /// the summed latency and usage; each turn's verdicts (their messages say which turn); and the
    /// repairs its checks needed to read a reply as JSON.
    struct Outcome {
        var response: BackendResponse
        var verdicts: [ValidatorVerdict] = []
        var repairs: [String] = []
    }

    /// Runs `turns` after the prompt's messages in `request`; `context` makes the check context of
    /// one reply (its output, JSON and the conversation it answered).
    static func run(_ request: BackendRequest, turns: [CaseTurn], vars: JSONObject, loop: ToolLoop.Setting?,
                    context: (BackendResponse, String, (value: JSONValue?, error: String?, repairs: [Repair]), [ChatMessage]) -> CheckContext,
                    complete: (BackendRequest) async -> BackendResponse) async -> Outcome {
        var req = request
        var steps: [TranscriptStep] = []
        var calls: [ToolCall] = []
        var tally = ReplyTally()
        var out = Outcome(response: .failure("no turn was run"))
        for (k, turn) in turns.enumerated() {
            let said = ChatMessage(role: "user", content: turn.user.render(vars))
            req.messages.append(said)
            steps.append(TranscriptStep(said))
            var r: BackendResponse
            if let loop { r = await ToolLoop.run(req, loop, complete: complete) } else { r = await complete(req) }
            tally.add(r)
            let replySteps = r.transcript.isEmpty && r.finishReason != .error
                ? [TranscriptStep(r.toolCalls.isEmpty ? ChatMessage(role: "assistant", content: r.text) : .assistant(r.saidWithCalls ?? "", calls: r.toolCalls),
                                  latencyMs: r.latencyMs, usage: r.usage)]
                : r.transcript
            steps += replySteps
            calls += r.toolCalls
            let total = { (last: BackendResponse) -> BackendResponse in tally.applied(to: last, calls: calls, steps: steps) }
            if r.finishReason == .error {
                out.response = total(.failure("turn \(k + 1) of \(turns.count): " + (r.error ?? "backend error")))
                out.response.stderr = r.stderr
                return out
            }
            // This turn's checks see its reply alone (its own calls), and the conversation it answered.
            if !turn.validators.isEmpty {
                let parsed = CaseEvaluator.parseJSON(r.text, mode: turn.jsonMode)
                let ctx = context(r, r.text, (parsed.value, parsed.error, parsed.repairs), req.messages)
                if !parsed.repairs.isEmpty { out.repairs += CaseEvaluator.groupedRepairs(parsed.repairs, truncated: r.finishReason == .length).map { "turn \(k + 1): \($0)" } }
                for v in turn.validators {
                    let verdict = ValidatorVerdict(type: v.type, weight: v.weight, await v.run(ctx), metric: v.metric)
                    out.verdicts.append(verdict.with(message: "turn \(k + 1): " + verdict.message))
                }
            }
            out.repairs += r.repairs.map { "turn \(k + 1): \($0)" }
            req.messages += replySteps.map(\.message)
            out.response = total(r)
        }
        // The case's repairs of the last reply are its own; those of earlier turns come with the outcome.
        out.response.repairs = []
        return out
    }
}
