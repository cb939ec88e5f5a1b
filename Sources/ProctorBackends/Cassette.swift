import Foundation
import ProctorJSON
import Synchronization

/// Recorded responses in a JSONL file: one line per response, keys sorted, so cassettes read as
/// plain diffs in code review.
///
/// Each line: `{"backend", "key", "request": {"messages", "options", "repeat"}, "response": {"text",
/// "finishReason", "usage"?}}`. `key` is the SHA-256 of the canonical JSON of `backend` + `request`.
public final class Cassette: Sendable {
    public let path: String
    private let entries: Mutex<[String: JSONValue]>
    private let dirty = Mutex(false)

    private static let open = Mutex<[String: Cassette]>([:])

    /// One shared instance per file, so several backends recording into it do not clobber each other.
    public static func shared(_ path: String) -> Cassette {
        open.withLock { table in
            if let c = table[path] { return c }
            let c = Cassette(path: path)
            table[path] = c
            return c
        }
    }

    /// Saves every cassette that recorded something (called once at the end of a run).
    public static func saveAll() throws {
        let all = open.withLock { Array($0.values) }
        for c in all { try c.save() }
    }

    init(path: String) {
        self.path = path
        var map: [String: JSONValue] = [:]
        if let d = FileManager.default.contents(atPath: path), let recs = try? JSONLines.parse([UInt8](d)) {
            for r in recs { if let k = r.value["key"]?.stringValue { map[k] = r.value } }
        }
        entries = Mutex(map)
    }

    /// Loads a cassette, reporting a malformed line with its line number.
    public static func load(_ path: String, allowMissing: Bool = false) throws(BackendConfigError) -> Cassette {
        guard let d = FileManager.default.contents(atPath: path) else {
            if allowMissing { return shared(path) }
            throw BackendConfigError(pointer: "/cassette", "cassette '\(path)' does not exist; record it with 'proctor run --record'")
        }
        do { _ = try JSONLines.parse([UInt8](d)) } catch {
            throw BackendConfigError(pointer: "/cassette", "\(path):\(error)")
        }
        return shared(path)
    }

    /// The canonical request object and its key.
    public static func key(backend: String, messages: [ChatMessage], options: JSONObject, repeatIndex: Int) -> (key: String, request: JSONValue) {
        let request: JSONValue = ["messages": .array(messages.map(\.json)), "options": .object(options),
                                  "repeat": .number(JSONNumber(repeatIndex))]
        let canonical: JSONValue = ["backend": .string(backend), "request": request]
        let text = JSONSerializer.string(canonical, options: .init(sortKeys: true))
        return (SHA256.hex(text), request)
    }

    public func lookup(_ key: String) -> JSONValue? { entries.withLock { $0[key] } }

    /// The options recorded for `backend` (all its entries share them unless re-recorded).
    public func recordedOptions(for backend: String) -> JSONObject? {
        entries.withLock { map in
            map.values.sorted { ($0["key"]?.stringValue ?? "") < ($1["key"]?.stringValue ?? "") }
                .first { $0["backend"]?.stringValue == backend }?["request"]?["options"]?.objectValue
        }
    }

    public func record(backend: String, key: String, request: JSONValue, response: BackendResponse) {
        var resp: [(String, JSONValue)] = [("finishReason", .string(response.finishReason.rawValue)), ("text", .string(response.text))]
        if let u = response.usage { resp.append(("usage", u.json)) }
        let entry: JSONValue = ["backend": .string(backend), "key": .string(key), "request": request,
                                "response": .object(JSONObject(resp.map { (key: $0.0, value: $0.1) }))]
        entries.withLock { $0[key] = entry }
        dirty.withLock { $0 = true }
    }

    /// Writes the file atomically (temp file + rename), lines sorted by key.
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

/// Answers from a cassette (`type: replay`, or any backend with a cassette under `--replay`).
public struct ReplayBackend: Backend {
    public let id: String
    let cassette: Cassette
    /// The backend id the responses were recorded under.
    let sourceId: String

    public init(_ ctx: BackendContext) throws(BackendConfigError) {
        try ctx.checkKeys([])
        guard let c = try ctx.string("cassette", required: true) else { throw BackendConfigError(pointer: "/cassette", "missing cassette") }
        try self.init(ctx, cassettePath: ctx.path(c), sourceId: try ctx.string("source") ?? ctx.id)
    }

    public init(_ ctx: BackendContext, cassettePath: String, sourceId: String) throws(BackendConfigError) {
        id = ctx.id
        cassette = try Cassette.load(cassettePath, allowMissing: ctx.record)
        self.sourceId = sourceId
    }

    public var modelOptions: JSONObject { cassette.recordedOptions(for: sourceId) ?? JSONObject() }

    public func complete(_ request: BackendRequest) async -> BackendResponse {
        let options = cassette.recordedOptions(for: sourceId) ?? request.options
        let (key, _) = Cassette.key(backend: sourceId, messages: request.messages, options: options, repeatIndex: request.repeatIndex)
        guard let entry = cassette.lookup(key), case .object(let r)? = entry["response"] else {
            return .failure("no recording for case '\(request.caseId)' (prompt '\(request.promptId)', repeat \(request.repeatIndex)) "
                            + "from backend '\(sourceId)' in cassette \(cassette.path); record it with 'proctor run --record' "
                            + "on a suite where backend '\(sourceId)' has \"cassette\": \"\(cassette.path)\"")
        }
        var usage: TokenUsage?
        if let u = r["usage"], let p = u["promptTokens"]?.intValue, let o = u["outputTokens"]?.intValue {
            usage = TokenUsage(promptTokens: p, outputTokens: o)
        }
        let finish = FinishReason(rawValue: r["finishReason"]?.stringValue ?? "stop") ?? .stop
        return BackendResponse(text: r["text"]?.stringValue ?? "", finishReason: finish, usage: usage, latencyMs: 0)
    }
}

/// Runs a live backend and stores each response in its cassette (`--record`).
public struct RecordingBackend: Backend {
    let live: any Backend
    let cassette: Cassette
    public var id: String { live.id }
    public var maxConcurrency: Int? { live.maxConcurrency }
    public var modelOptions: JSONObject { live.modelOptions }

    public init(live: any Backend, cassette: Cassette) {
        self.live = live
        self.cassette = cassette
    }

    public func complete(_ request: BackendRequest) async -> BackendResponse {
        let r = await live.complete(request)
        if r.finishReason != .error {
            let (key, req) = Cassette.key(backend: live.id, messages: request.messages, options: live.modelOptions, repeatIndex: request.repeatIndex)
            cassette.record(backend: live.id, key: key, request: req, response: r)
        }
        return r
    }
}
