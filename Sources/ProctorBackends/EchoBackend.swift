import ProctorJSON

/// Answers with the last rendered user message, or a fixed `response`: for trying validators.
public struct EchoBackend: Backend {
    public let id: String
    let response: String?
    let finishReason: FinishReason
    public var modelOptions: JSONObject { JSONObject() }

    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        try ctx.checkKeys(["response", "finishReason"])
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

    public func complete(_ request: BackendRequest) async -> BackendResponse {
        let text = response ?? request.lastUserMessage
        return BackendResponse(text: text, finishReason: finishReason, latencyMs: 0)
    }
}
