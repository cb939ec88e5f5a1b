import Foundation
import ProctorJSON
import ProctorConversation

/// What a case asks of a backend.
public struct BackendRequest: Sendable {
    /// The rendered conversation the backend answers, in order, system messages included.
    public var messages: [ChatMessage]
    /// The merged generation options (backend config < suite `options` < case `options`), already
    /// checked against what this backend honours.
    public var options: GenerationOptions
    /// Facts passed to external commands as environment variables.
    public var caseId: String
    /// The id of the prompt under test, given to command programs as `PROCTOR_PROMPT_ID` and named when a replay finds no recording.
    public var promptId: String
    /// 0 for the first sample; repeats get 1, 2, ...
    public var repeatIndex: Int
    /// The case's variables, for backends whose requests are built from them (`http` bodies);
    /// empty for the others. When set they are part of the cache and cassette key.
    public var vars = JSONObject()
    /// The tools the model may call (the suite's or the prompt's `tools`); empty when none are declared.
    public var tools: [ToolDefinition] = []
    /// The suite's `toolChoice`, when it sets one (nil: the API's default, `auto`).
    public var toolChoice: ToolChoice?

    /// A request for `messages`; unless given, the options are empty, the ids are empty strings and the repeat index is 0.
    public init(messages: [ChatMessage], options: GenerationOptions = GenerationOptions(), caseId: String = "", promptId: String = "", repeatIndex: Int = 0) {
        self.messages = messages
        self.options = options
        self.caseId = caseId
        self.promptId = promptId
        self.repeatIndex = repeatIndex
    }

    /// The text of the last user message (what `echo` answers with).
    public var lastUserMessage: String { messages.last(where: { $0.role == "user" })?.content ?? messages.last?.content ?? "" }

    /// The whole prompt as one text (for command backends): messages separated by blank lines,
    /// each non-user message prefixed with its role.
    public var flattenedPrompt: String {
        if messages.count == 1 { return messages[0].content }
        return messages.map { $0.role == "user" ? $0.content : "[\($0.role)]\n\($0.content)" }.joined(separator: "\n\n")
    }
}

/// A backend's answer. Backend failures are values too (`finishReason == .error`).
public struct BackendResponse: Sendable {
    /// The output the case's validators check (a tool call as JSON text); empty when the call failed.
    public var text: String
    /// Why the output ended: `stop`, `length` when a token limit cut it, or `error` when the call failed.
    public var finishReason: FinishReason
    /// Prompt and output token counts, when the backend reports them.
    public var usage: TokenUsage?
    /// Wall time of the call in milliseconds.
    public var latencyMs: Double
    /// Why the call failed, when `finishReason == .error`.
    public var error: String?
    /// Diagnostic output (a command's stderr), kept for the report.
    public var stderr: String?
    /// The latency is the one stored with a recording (`--replay`), not a measurement of this run.
    public var latencyRecorded = false
    /// The response came from the response cache.
    public var cached = false
    /// The answer came from a cassette (`--replay` or a `replay` backend): recorded earlier, not paid for now.
    public var replayed = false
    /// The output was produced under constrained decoding (what constrained it), so it is valid by construction.
    public var constrained: String?
    /// Repairs the backend made to what the model sent before it became the output (tool-call
    /// arguments cut at the token limit), described as results list them; the case is then
    /// `repaired`, like an output the JSON pipeline repaired.
    public var repairs: [String] = []
    /// The tool calls the answer made, in order (`text` then holds them as JSON); after a tool
    /// loop, every call of the conversation.
    public var toolCalls: [ToolCall] = []
    /// After a tool loop or a scripted conversation: every message after the prompt (each reply,
    /// its calls and the tools' results), with each reply's latency and usage. Empty for one call.
    public var transcript: [TranscriptStep] = []
    /// Text the model wrote beside its tool calls (the output is then the calls): kept so the
    /// conversation sent back holds the reply as it was.
    public var saidWithCalls: String?

    /// A response with the given fields; `cached`, `latencyRecorded`, `constrained` and `repairs` start unset for the backend to fill in.
    public init(text: String, finishReason: FinishReason, usage: TokenUsage? = nil, latencyMs: Double = 0, error: String? = nil, stderr: String? = nil) {
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
        self.latencyMs = latencyMs
        self.error = error
        self.stderr = stderr
    }

    /// A failed call: an error result with no text.
    public static func failure(_ message: String, latencyMs: Double = 0, stderr: String? = nil) -> BackendResponse {
        BackendResponse(text: "", finishReason: .error, latencyMs: latencyMs, error: message, stderr: stderr)
    }

    /// The form a response is kept in (cassettes, the response cache): what constrained it when
    /// something did, finish reason, latency in ms to 3 decimals, the backend's repairs when it made
    /// some, text, the tool calls when it made some, and usage when known; keys in this order. (A replayed or cached answer says it was constrained exactly when the live
    /// one did.)
    public var stored: JSONObject {
        var e: [JSONObject.Entry] = constrained.map { [("constrained", .string($0))] } ?? []
        e += [("finishReason", .string(finishReason.rawValue)), ("latencyMs", .number(JSONNumber((latencyMs * 1000).rounded() / 1000)))]
        if !repairs.isEmpty { e.append(("repairs", .array(repairs.map { .string($0) }))) }
        e.append(("text", .string(text)))
        if !toolCalls.isEmpty { e.append(("toolCalls", .array(toolCalls.map(\.json)))) }
        if let saidWithCalls { e.append(("saidWithCalls", .string(saidWithCalls))) }
        if let u = usage { e.append(("usage", u.json)) }
        return JSONObject(e)
    }

    /// A response read back from its stored form, its latency marked as recorded; nil when the
    /// object has no text or no known finish reason.
    public init?(stored r: JSONObject) {
        guard let text = r["text"]?.stringValue, let finish = r["finishReason"]?.stringValue.flatMap(FinishReason.init(rawValue:)) else { return nil }
        var usage: TokenUsage?
        if let u = r["usage"], let p = u["promptTokens"]?.intValue, let o = u["outputTokens"]?.intValue { usage = TokenUsage(promptTokens: p, outputTokens: o) }
        self.init(text: text, finishReason: finish, usage: usage, latencyMs: r["latencyMs"]?.doubleValue ?? 0)
        latencyRecorded = true
        constrained = r["constrained"]?.stringValue
        repairs = (r["repairs"]?.arrayValue ?? []).compactMap(\.stringValue)
        toolCalls = (r["toolCalls"]?.arrayValue ?? []).compactMap(ToolCall.init(json:))
        saidWithCalls = r["saidWithCalls"]?.stringValue
    }
}

/// A model behind one small async interface; chosen by `type` through `BackendRegistry`.
public protocol Backend: Sendable {
    var id: String { get }
    /// The most requests this backend handles at once (nil: the runner's limit).
    var maxConcurrency: Int? { get }
    /// Checks merged options against what only the live backend knows (a model's context length),
    /// before anything runs; nil when they are fine.
    func check(_ options: GenerationOptions) -> GenerationOptions.ParseError?
    /// Facts the user should see before the run (printed as warnings), e.g. a missing API key.
    var warnings: [String] { get }
    /// The prompt format the model behind this backend was trained on, as a one-message template
    /// with `{{system}}` and `{{user}}` placeholders that this backend turns into exactly that
    /// format (nil: none declared); `proctor optimize` transplants it into candidate prompts.
    var promptFormat: String? { get }
    /// Answers one request; failures are values (`finishReason == .error`), never thrown.
    func complete(_ request: BackendRequest) async -> BackendResponse
    /// The answer `complete` would give, without suspending, from a backend that computes it in
    /// place (fixed text); nil from one that must wait. The runner then checks the case without
    /// an async hop, which is most of a fast backend's cost per case.
    func completeNow(_ request: BackendRequest) -> BackendResponse?
    /// `completeNow` answers every request (asked once per run, not per case).
    var answersNow: Bool { get }
    /// Embeddings of `texts` (OpenAI's `/v1/embeddings`), for embedding similarity; a message when
    /// the backend cannot embed or the request failed.
    func embed(_ texts: [String]) async -> Result<[[Double]], EmbeddingFailure>
}

/// Why embeddings could not be had, in words.
public struct EmbeddingFailure: Error, Sendable {
    /// What went wrong, naming the backend.
    public let message: String
    /// A failure with its message.
    public init(_ message: String) { self.message = message }
}

extension Backend {
    /// By default a backend leaves the number of requests at once to the runner's limit.
    public var maxConcurrency: Int? { nil }
    /// By default a backend has no checks beyond its kind's, so any merged options pass.
    public func check(_ options: GenerationOptions) -> GenerationOptions.ParseError? { nil }
    /// By default a backend has nothing to warn about.
    public var warnings: [String] { [] }
    /// By default a backend declares no prompt format.
    public var promptFormat: String? { nil }
    /// By default a backend must wait for its answers, so the runner always calls `complete`.
    public func completeNow(_ request: BackendRequest) -> BackendResponse? { nil }
    /// By default a backend does not answer in place.
    public var answersNow: Bool { false }
    /// By default a backend has no embeddings.
    public func embed(_ texts: [String]) async -> Result<[[Double]], EmbeddingFailure> {
        .failure(EmbeddingFailure("backend '\(id)' cannot embed text (embeddings come from an \"openai\" backend: /v1/embeddings)"))
    }
}

/// A problem with a backend's configuration, found when the suite loads.
public struct BackendConfigError: Error, Sendable, CustomStringConvertible {
    /// JSON Pointer (relative to the backend object) of the bad value.
    public let pointer: String
    /// What is wrong, in a sentence for the user that names the key or the backend.
    public let message: String
    /// An error saying `message` about the value at `pointer` (relative to the backend object; empty for the object itself).
    public init(pointer: String, _ message: String) {
        self.pointer = pointer
        self.message = message
    }
    /// The message alone: the suite loader adds the file and position from `pointer`.
    public var description: String { message }
}

/// Monotonic milliseconds, for latencies.
public func monotonicMs() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }
