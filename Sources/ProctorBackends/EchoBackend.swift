import ProctorJSON
import ProctorConversation

/// Answers with the last rendered user message, or a fixed `response`: for trying validators.
public struct EchoBackend: Backend {
    /// The backend's id from the suite.
    public let id: String
    let response: String?
    let finishReason: FinishReason

    static let noSampler = "echo answers with fixed text and has no sampler or tokenizer; set it on the backends that take it"
    /// This type's entry in `BackendRegistry`: its keys and which generation options it honours, and as what.
    public static let kind = BackendKind(
        type: "echo", keys: ["response", "finishReason"],
        honours: [.stop: "the text is cut before the first stop string"],
        refusals: [.maxTokens: noSampler, .temperature: noSampler, .topP: noSampler, .seed: noSampler, .extra: noSampler],
        make: { ctx throws(BackendConfigError) in try EchoBackend(ctx) })

    /// Reads the optional `response` and `finishReason` (`stop` or `length`, default `stop`) from the suite entry in `ctx`.
    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        id = ctx.id
        response = try ctx.string("response")
        if let f = try ctx.string("finishReason") {
            guard let r = FinishReason(rawValue: f), r != .error else {
                throw BackendConfigError(pointer: "/finishReason", "\"finishReason\" must be \"stop\" or \"length\", found \"\(f)\"")
            }
            finishReason = r
        } else {
            finishReason = .stop
        }
    }

    /// The fixed response or the last user message, cut before the first stop string.
    public func complete(_ request: BackendRequest) async -> BackendResponse { answer(request) }

    /// The same answer as `complete`, computed in place.
    public func completeNow(_ request: BackendRequest) -> BackendResponse? { answer(request) }

    /// Echo always answers in place, so the runner checks its cases without suspending.
    public var answersNow: Bool { true }

    /// The fixed response, or the last user message, cut before the first stop string.
    func answer(_ request: BackendRequest) -> BackendResponse {
        var text = response ?? request.lastUserMessage
        var finish = finishReason
        if let stops = request.options.stop, let cut = stops.compactMap({ text.range(of: $0)?.lowerBound }).min() {
            text = String(text[..<cut])
            finish = .stop
        }
        return BackendResponse(text: text, finishReason: finish, latencyMs: 0)
    }
}
