import Synchronization
import ProctorJSON
import ProctorModel
import ProctorConversation

/// How the built-in model calls tools, for the `builtin` backend and `proctor model serve` alike:
/// a call is `{"name": …, "arguments": …}` decoded under a grammar whose name is one of the
/// declared tools (or the one `toolChoice` names) and whose arguments are that tool's
/// `parameters`, so a call is valid by construction. Under `auto` the model decides: it answers
/// freely first, and when that answer begins a call (`{"name"`), the call is decoded again under
/// the grammar; `required` or a tool's name decodes a call at once; `none` never calls.
public struct ToolCaller: Sendable {
    /// The grammar of a call under this caller's choice.
    let constraint: GrammarConstraint
    /// `auto`, `required`, `none` or a tool's name.
    public let choice: ToolChoice
    /// Bytes of the shortest call the grammar allows: a call needs at least that many tokens
    /// (a token is at least one byte), so a smaller budget can never hold one.
    public var shortestCallBytes: Int { constraint.grammar.remainingBytes(constraint.grammar.start()) }

    /// A caller for `tools` under `choice`, with the tokenizer's tables `vocab`; a tool whose
    /// parameters the decoder cannot honour is an error here, before anything is generated.
    public init(tools: [ToolDefinition], choice: ToolChoice, vocab: TokenVocabulary) throws(ConstraintError) {
        self.choice = choice
        var offered = tools
        if case .tool(let name) = choice { offered = tools.filter { $0.name == name } }
        guard !offered.isEmpty else { throw ConstraintError(pointer: "", "tool_choice names '\(choice.text)', which is not among the tools") }
        let calls: [JSONValue] = offered.map { t in
            .object(JSONObject([("type", "object"), ("properties", .object(JSONObject([("name", ["const": .string(t.name)]), ("arguments", t.parameters)]))),
                                ("required", ["name", "arguments"]), ("additionalProperties", false)]))
        }
        let schema: JSONValue = calls.count == 1 ? calls[0] : ["anyOf": .array(calls)]
        // Whitespace is the model's choice: the default model writes calls spaced, as its corpus does.
        constraint = GrammarConstraint(grammar: try Grammar(schema: schema, options: ConstraintOptions(allowWhitespace: true)), vocab: vocab)
    }

    /// What the model answered: words, or calls (with every token it generated on the way).
    public enum Reply: Sendable {
        /// An answer in words: the generation as it ran.
        case text(Generation)
        /// A call, with the generation that decoded it and its tokens (the free answer that began
        /// it under `auto` is discarded and not counted: the completion is the call).
        case call(ToolCall, Generation, generatedTokens: Int)
    }

    /// The reply to `prompt` with `options` (stop strings apply to a free answer only: a call ends
    /// when it is complete). `callId` names the call, so a conversation's ids are reproducible.
    /// `progress` sees the text so far and stops the generation by returning false (a client gone).
    /// `capacity` is the tokens left for the answer: under `auto`, a call that cannot fit in them
    /// is not attempted (the free answer stands, as the model wrote it).
    public func reply(_ generator: Generator, prompt: String, options: GenerationOptions, repeatIndex: Int = 0, callId: String, capacity: Int = .max,
                      progress: ((_ text: UnsafeBufferPointer<UInt8>) -> Bool)? = nil) throws(ModelError) -> Reply {
        if choice == .none || choice == .auto {
            let free = try generator.generate(prompt: prompt, options: options, repeatIndex: repeatIndex, progress: progress)
            if choice == .none || shortestCallBytes > capacity || !free.text.drop(while: { $0 == " " || $0 == "\n" }).hasPrefix("{\"name\"") { return .text(free) }
        }
        var o = options
        o.stop = nil
        let g = try generator.generate(prompt: prompt, options: o, repeatIndex: repeatIndex, constraint: constraint, progress: progress)
        guard let v = try? JSONParser.parse(g.text), let name = v["name"]?.stringValue, let args = v["arguments"] else {
            throw ModelError("a tool call decoded under its grammar did not parse: \(g.text)")
        }
        return .call(ToolCall(id: callId, name: name, arguments: args), g, generatedTokens: g.generatedTokenIds.count)
    }

    /// The id of the next call in `messages`: `call_1`, `call_2`, … by the calls made before it.
    public static func nextCallId(after messages: [ChatMessage]) -> String {
        "call_\(messages.reduce(0) { $0 + $1.toolCalls.count } + 1)"
    }
}

/// Callers built once per tool set and choice, shared by a backend's or a server's requests.
public final class ToolCallerCache: Sendable {
    let vocab: TokenVocabulary
    let callers = Mutex<[String: ToolCaller]>([:])
    /// A cache over the tokenizer's tables `vocab`.
    public init(vocab: TokenVocabulary) { self.vocab = vocab }
    /// The caller for `tools` under `choice`, built the first time they are asked for.
    public func caller(_ tools: [ToolDefinition], _ choice: ToolChoice) throws(ConstraintError) -> ToolCaller {
        let key = JSONSerializer.string(.array(tools.map(\.json))) + "\u{0}" + choice.text
        if let c = callers.withLock({ $0[key] }) { return c }
        let c = try ToolCaller(tools: tools, choice: choice, vocab: vocab)
        callers.withLock { $0[key] = c }
        return c
    }
}
