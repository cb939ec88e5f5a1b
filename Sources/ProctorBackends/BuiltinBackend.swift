import Foundation
import ProctorJSON
import ProctorModel
import Synchronization

/// The built-in transformer as a backend: no API key, no network, no server.
///
/// The checkpoint is mapped once per process and shared by every case (weights are immutable);
/// each request gets its own run state. Messages become one prompt: each message's content, in
/// order, separated by a blank line (non-user messages prefixed with their role and a colon), then
/// a newline. Finish reason `length` when `maxTokens` or the context ends generation, `stop` on
/// EOS/BOS or a stop string.
public struct BuiltinBackend: Backend {
    public let id: String
    let checkpoint: Checkpoint
    let tokenizer: Tokenizer
    let maxTokens: Int
    let temperature: Float
    let topP: Float
    let seed: UInt64
    let stop: [String]
    let threads: Int
    let modelPath: String

    /// Loaded checkpoints and tokenizers, by path: one mapping per process.
    private static let cache = Mutex<[String: (Checkpoint, Tokenizer)]>([:])

    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        try ctx.checkKeys(["model", "tokenizer", "maxTokens", "temperature", "topP", "seed", "stop", "threads"])
        id = ctx.id
        guard let m = try ctx.string("model", required: true), let t = try ctx.string("tokenizer", required: true) else {
            throw BackendConfigError(pointer: "", "builtin backend needs \"model\" and \"tokenizer\"")
        }
        modelPath = ctx.path(m)
        let tokPath = ctx.path(t)
        let key = modelPath + "\u{0}" + tokPath
        if let hit = Self.cache.withLock({ $0[key] }) {
            (checkpoint, tokenizer) = hit
        } else {
            let c: Checkpoint
            let tk: Tokenizer
            do { c = try Checkpoint(path: modelPath) } catch { throw BackendConfigError(pointer: "/model", error.message) }
            do { tk = try Tokenizer(path: tokPath, vocabSize: c.config.vocabSize) } catch { throw BackendConfigError(pointer: "/tokenizer", error.message) }
            Self.cache.withLock { $0[key] = (c, tk) }
            (checkpoint, tokenizer) = (c, tk)
        }
        maxTokens = Int(try ctx.number("maxTokens") ?? 256)
        guard maxTokens >= 1 else { throw BackendConfigError(pointer: "/maxTokens", "\"maxTokens\" must be at least 1") }
        temperature = Float(try ctx.number("temperature") ?? 0)
        topP = Float(try ctx.number("topP") ?? 0.9)
        seed = UInt64(max(0, try ctx.number("seed") ?? 42))
        stop = try ctx.stringArray("stop") ?? []
        threads = Int(try ctx.number("threads") ?? Double(ProcessInfo.processInfo.activeProcessorCount))
    }

    /// One generation at a time: it already uses every core for its matrix products.
    public var maxConcurrency: Int? { 1 }

    public var modelOptions: JSONObject {
        JSONObject([("model", .string(URL(fileURLWithPath: modelPath).lastPathComponent)), ("maxTokens", .number(JSONNumber(maxTokens))),
                    ("temperature", .number(JSONNumber(Double(temperature)))), ("topP", .number(JSONNumber(Double(topP)))),
                    ("seed", .number(JSONNumber(Int(seed))))])
    }

    /// The documented prompt template.
    public static func prompt(_ messages: [ChatMessage]) -> String {
        messages.map { $0.role == "user" ? $0.content : "\($0.role.prefix(1).uppercased() + $0.role.dropFirst()): \($0.content)" }
            .joined(separator: "\n\n") + "\n"
    }

    public func complete(_ request: BackendRequest) async -> BackendResponse {
        let start = monotonicMs()
        let t = Transformer(checkpoint: checkpoint, threads: threads)
        // Repeats are independent samples: the seed moves with the repeat index.
        var sampler = Sampler(temperature: temperature, topP: topP, seed: seed &+ UInt64(request.repeatIndex) &* 0x9E37_79B9)
        let limit = request.options["maxTokens"]?.intValue.map { min($0, maxTokens) } ?? maxTokens
        do {
            let g = try Generator(transformer: t, tokenizer: tokenizer).generate(
                prompt: Self.prompt(request.messages), maxNewTokens: limit, sampler: &sampler, stopStrings: stop)
            return BackendResponse(text: g.text, finishReason: g.hitLimit ? .length : .stop,
                                   usage: TokenUsage(promptTokens: g.promptTokenIds.count, outputTokens: g.generatedTokenIds.count),
                                   latencyMs: monotonicMs() - start)
        } catch {
            return .failure("builtin model: \(error)", latencyMs: monotonicMs() - start)
        }
    }
}
