import Foundation
import ProctorJSON
import Synchronization
import ProctorConversation

/// Recorded responses in a JSONL file: one line per response, keys sorted, so cassettes read as
/// plain diffs in code review. A run session opens each file once and saves it when it closes.
///
/// Each line: `{"backend", "identity", "key", "request": {"messages", "options", "repeat"},
/// "response": {"text", "finishReason", "latencyMs", "usage"?, "constrained"?}}`. `key` is the SHA-256 of the
/// canonical JSON of `identity` + `request`: the backend's type and model configuration, the merged
/// generation options and the rendered messages, as they are now. Change any of them and the
/// recording no longer matches.
public final class Cassette: Sendable {
    /// The JSONL file the cassette was read from and `save()` writes to.
    public let path: String
    private let entries: Mutex<[String: JSONValue]>
    private let dirty = Mutex(false)

    /// Opens `path`; a missing file is an empty cassette when `allowMissing` (recording), an error otherwise.
    public init(path: String, allowMissing: Bool) throws(BackendConfigError) {
        self.path = path
        var map: [String: JSONValue] = [:]
        if let d = FileManager.default.contents(atPath: path) {
            let recs: [JSONLines.Record]
            do { recs = try JSONLines.parse([UInt8](d)) } catch { throw BackendConfigError(pointer: "/cassette", "\(path):\(error)") }
            for r in recs { if let k = r.value["key"]?.stringValue { map[k] = r.value } }
        } else if !allowMissing {
            throw BackendConfigError(pointer: "/cassette", "cassette '\(path)' does not exist; record it with 'proctor run --record'")
        }
        entries = Mutex(map)
    }

    /// The canonical request object and its key.
    public static func key(identity: JSONObject, messages: [ChatMessage], options: GenerationOptions, repeatIndex: Int,
                           vars: JSONObject = JSONObject(), tools: [ToolDefinition] = [], toolChoice: ToolChoice? = nil) -> (key: String, request: JSONValue) {
        var fields: [JSONObject.Entry] = [("messages", .array(messages.map(\.json))), ("options", .object(options.json)),
                                          ("repeat", .number(JSONNumber(repeatIndex)))]
        // Only backends that read the case's variables pass them: every other key stays as it was.
        if !vars.isEmpty { fields.append(("vars", .object(vars))) }
        // Likewise the tools, and the tool choice, only when a suite declares them.
        if !tools.isEmpty { fields.append(("tools", .array(tools.map(\.json)))) }
        if let toolChoice { fields.append(("toolChoice", .string(toolChoice.text))) }
        let request = JSONValue.object(JSONObject(fields))
        let canonical: JSONValue = ["identity": .object(identity), "request": request]
        let text = JSONSerializer.string(canonical, options: .init(sortKeys: true))
        return (SHA256.hex(text), request)
    }

    /// The whole recorded line under `key` (backend, identity, request and response), or nil when nothing was recorded under it.
    public func lookup(_ key: String) -> JSONValue? { entries.withLock { $0[key] } }

    /// Why nothing matched for `backend`: what differs between the current request and the nearest
    /// recording of that backend (its model configuration, options, or the messages themselves).
    public func explainMiss(backend: String, identity: JSONObject, options: GenerationOptions, messages: [ChatMessage],
                            tools: [ToolDefinition] = [], toolChoice: ToolChoice? = nil) -> String {
        let mine = entries.withLock { map in map.values.filter { $0["backend"]?.stringValue == backend } }
        if mine.isEmpty { return "the cassette has no recordings from backend '\(backend)'" }
        if mine.contains(where: { $0["identity"] == nil }) {
            return "the cassette was recorded by an older Proctor whose recordings do not name the model configuration"
        }
        let sameMessages = mine.filter { $0["request"]?["messages"] == .array(messages.map(\.json)) }
        guard let near = sameMessages.first ?? mine.first else { return "" }
        var changes: [String] = []
        if near["identity"] != .object(identity) {
            changes += Self.diff(near["identity"]?.objectValue ?? JSONObject(), identity, prefix: "")
        }
        let recorded = near["request"]?["options"]?.objectValue ?? JSONObject()
        if recorded != options.json { changes += Self.diff(recorded, options.json, prefix: "options.") }
        if sameMessages.isEmpty { changes.append("the rendered prompt") }
        // The tools and the tool choice are part of the request when a suite declares them.
        let tools: JSONValue? = tools.isEmpty ? nil : .array(tools.map(\.json))
        if near["request"]?["tools"] != tools {
            let was = near["request"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            let now = tools?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            changes.append(was == now ? "the tools' definitions (\(now.joined(separator: ", ")))" : "tools: [\(was.joined(separator: ", "))] → [\(now.joined(separator: ", "))]")
        }
        let choice = near["request"]?["toolChoice"]?.stringValue
        if choice != toolChoice?.text { changes.append("toolChoice: \(choice ?? "unset") → \(toolChoice?.text ?? "unset")") }
        if changes.isEmpty { return "this repeat index was never recorded" }
        return "the backend changed since it was recorded (" + changes.joined(separator: ", ") + ")"
    }

    static func diff(_ old: JSONObject, _ new: JSONObject, prefix: String) -> [String] {
        let keys = (old.keys + new.keys.filter { !old.keys.contains($0) })
        return keys.compactMap { k in
            old[k] == new[k] ? nil : "\(prefix)\(k): \(old[k].map { "\($0)" } ?? "unset") → \(new[k].map { "\($0)" } ?? "unset")"
        }
    }

    /// Stores a response under `key` (saved when the session closes).
    public func record(backend: String, identity: JSONObject, key: String, request: JSONValue, response: BackendResponse) {
        let entry: JSONValue = ["backend": .string(backend), "identity": .object(identity), "key": .string(key), "request": request,
                                "response": .object(response.stored)]
        entries.withLock { $0[key] = entry }
        dirty.withLock { $0 = true }
    }

    /// Writes the file atomically (temp file + rename), lines sorted by key, if anything was recorded.
    public func save() throws {
        guard dirty.withLock({ $0 }) else { return }
        let lines = entries.withLock { map in
            map.keys.sorted().map { JSONSerializer.string(map[$0]!, options: .init(sortKeys: true)) }
        }
        let text = lines.joined(separator: "\n") + "\n"
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
        dirty.withLock { $0 = false }
    }
}

/// Answers from a cassette (`type: replay`, or any backend with a cassette under `--replay`),
/// keyed by the request as it is now.
public struct ReplayBackend: Backend {
    /// This backend's own id, which may differ from `sourceId`, the backend the recordings came from.
    public let id: String
    let cassette: Cassette
    /// The backend id the responses were recorded under.
    let sourceId: String
    /// The identity of the backend the recordings came from, as the suite declares it now.
    let identity: JSONObject

    /// This type's entry in `BackendRegistry`: answers with the recordings of its `source`.
    static let kind = BackendKind(
        type: "replay", keys: ["source"],
        honours: Dictionary(uniqueKeysWithValues: GenerationOptions.Field.allCases.map { ($0, "part of the recording's key") }),
        takesSource: true,
        make: { ctx throws(BackendConfigError) in
            guard let source = ctx.source else {
                throw BackendConfigError(pointer: "/source", "replay backend '\(ctx.id)' needs \"source\": the backend whose recordings it answers with")
            }
            guard let path = ctx.spec.cassette else { throw BackendConfigError(pointer: "", "replay backend '\(ctx.id)' needs \"cassette\"") }
            return ReplayBackend(id: ctx.id, sourceId: source.id, identity: source.identity, cassette: try ctx.resources.cassette(path, allowMissing: false))
        })

    /// A backend `id` that answers with what `sourceId` recorded in `cassette`, matching requests by `identity` (the source's identity as the suite declares it now).
    public init(id: String, sourceId: String, identity: JSONObject, cassette: Cassette) {
        self.id = id
        self.sourceId = sourceId
        self.identity = identity
        self.cassette = cassette
    }

    /// The recorded response for `request`, or a failure that says what changed since it was recorded.
    public func complete(_ request: BackendRequest) async -> BackendResponse { answer(request) }

    /// The same answer as `complete`, without suspending.
    public func completeNow(_ request: BackendRequest) -> BackendResponse? { answer(request) }

    /// A recording is read in place, so a replayed run checks its cases without suspending.
    public var answersNow: Bool { true }

    /// The recorded response, or a failure that says why there is none.
    func answer(_ request: BackendRequest) -> BackendResponse {
        let (key, _) = Cassette.key(identity: identity, messages: request.messages, options: request.options, repeatIndex: request.repeatIndex, vars: request.vars,
                                       tools: request.tools, toolChoice: request.toolChoice)
        guard let entry = cassette.lookup(key), case .object(let r)? = entry["response"] else {
            let why = cassette.explainMiss(backend: sourceId, identity: identity, options: request.options, messages: request.messages,
                                           tools: request.tools, toolChoice: request.toolChoice)
            return .failure("no recording for case '\(request.caseId)' (prompt '\(request.promptId)', repeat \(request.repeatIndex)) "
                            + "from backend '\(sourceId)' in cassette \(cassette.path): \(why); re-record with 'proctor run --record' "
                            + "(backend '\(sourceId)' needs \"cassette\": \"\(cassette.path)\")")
        }
        guard var response = BackendResponse(stored: r) else {
            return .failure("the recording for case '\(request.caseId)' in cassette \(cassette.path) has no text or finish reason; re-record it with 'proctor run --record'")
        }
        response.replayed = true
        return response
    }
}

/// Runs a live backend and stores each response in its cassette (`--record`).
public struct RecordingBackend: Backend {
    let live: any Backend
    let cassette: Cassette
    let identity: JSONObject
    /// The live backend's id, which recordings are stored under.
    public var id: String { live.id }
    /// The live backend's limit on requests at once.
    public var maxConcurrency: Int? { live.maxConcurrency }

    /// Wraps `live` so each successful response is stored in `cassette` under a key made from `identity` and the request.
    public init(live: any Backend, identity: JSONObject, cassette: Cassette) {
        self.live = live
        self.identity = identity
        self.cassette = cassette
    }

    /// The live backend's check of merged options, unchanged.
    public func check(_ options: GenerationOptions) -> GenerationOptions.ParseError? { live.check(options) }
    /// The live backend's warnings.
    public var warnings: [String] { live.warnings }
    /// The live backend's prompt format.
    public var promptFormat: String? { live.promptFormat }

    /// The live backend's embeddings (not recorded: cassettes hold answers).
    public func embed(_ texts: [String]) async -> Result<[[Double]], EmbeddingFailure> { await live.embed(texts) }

    /// The live backend's answer, recorded in the cassette unless it is an error (so a failed call never becomes a recording).
    public func complete(_ request: BackendRequest) async -> BackendResponse {
        let r = await live.complete(request)
        if r.finishReason != .error {
            let (key, req) = Cassette.key(identity: identity, messages: request.messages, options: request.options, repeatIndex: request.repeatIndex, vars: request.vars,
                                       tools: request.tools, toolChoice: request.toolChoice)
            cassette.record(backend: live.id, identity: identity, key: key, request: req, response: r)
        }
        return r
    }
}
