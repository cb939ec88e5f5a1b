import Foundation
import ProctorJSON
import Synchronization
import ProctorConversation

/// Responses stored on disk and reused by later runs, keyed exactly like cassette entries (the
/// backend's type and model configuration, the merged options, the rendered messages and the repeat
/// index), so repeats stay independent samples and any change to the request is a miss.
///
/// One file per entry (`DIR/ab/abcdef….json`), written to a temporary file and renamed, so several
/// jobs and several processes can share a cache. A file that cannot be read is ignored with a
/// warning and rewritten; errors are never stored; entries older than `maxAgeSeconds` are misses.
public final class ResponseCache: Sendable {
    /// The cache folder (`.proctor-cache`, or `PROCTOR_CACHE_DIR`).
    public let directory: String
    /// Entries older than this are misses.
    public let maxAgeSeconds: Double
    private let problems = Mutex<[String]>([])

    /// Fourteen days, as promptfoo's default.
    public static let defaultMaxAgeDays = 14.0

    /// A cache in `directory` whose entries count for `maxAgeDays`.
    public init(directory: String, maxAgeDays: Double = ResponseCache.defaultMaxAgeDays) {
        self.directory = directory
        self.maxAgeSeconds = maxAgeDays * 86_400
    }

    /// Problems met while reading or writing (corrupt entries, an unwritable folder); never fatal.
    public var warnings: [String] { problems.withLock { $0 } }

    func path(_ key: String) -> String {
        (directory as NSString).appendingPathComponent(String(key.prefix(2)) + "/" + key + ".json")
    }

    /// The stored response for `key`, if there is a fresh, readable one.
    public func lookup(_ key: String) -> BackendResponse? {
        let p = path(key)
        guard let data = FileManager.default.contents(atPath: p) else { return nil }
        guard let v = try? JSONParser.parse([UInt8](data)), let saved = v["savedAt"]?.doubleValue, case .object(let r)? = v["response"],
              var response = BackendResponse(stored: r) else {
            problems.withLock { $0.append("cache entry \(p) could not be read; it will be rewritten") }
            return nil
        }
        if Date().timeIntervalSince1970 - saved > maxAgeSeconds { return nil }
        response.cached = true
        return response
    }

    /// Stores a response (never an error) atomically.
    public func store(_ key: String, identity: JSONObject, request: JSONValue, response: BackendResponse) {
        guard response.finishReason != .error else { return }
        let entry: JSONValue = ["savedAt": .number(JSONNumber(Date().timeIntervalSince1970)), "identity": .object(identity),
                                "request": request, "response": .object(response.stored)]
        let p = path(key)
        do {
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Data.write(.atomic) writes a temporary file beside it and renames it into place.
            try Data(JSONSerializer.bytes(entry)).write(to: URL(fileURLWithPath: p), options: .atomic)
        } catch {
            problems.withLock { $0.append("cannot write cache entry \(p): \(error.localizedDescription)") }
        }
    }

    /// Entries, bytes and the age range of a cache folder, for `proctor cache info`.
    public static func info(directory: String) -> (entries: Int, bytes: Int, oldest: Date?, newest: Date?) {
        var n = 0, bytes = 0
        var oldest: Date?, newest: Date?
        for f in entryFiles(directory) {
            n += 1
            let attrs = try? FileManager.default.attributesOfItem(atPath: f)
            bytes += (attrs?[.size] as? Int) ?? 0
            if let d = attrs?[.modificationDate] as? Date {
                oldest = min(oldest ?? d, d)
                newest = max(newest ?? d, d)
            }
        }
        return (n, bytes, oldest, newest)
    }

    /// Deletes every entry; returns how many there were.
    public static func clear(directory: String) throws -> Int {
        let files = entryFiles(directory)
        for f in files { try FileManager.default.removeItem(atPath: f) }
        return files.count
    }

    static func entryFiles(_ directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var out: [String] = []
        for case let rel as String in walker where rel.hasSuffix(".json") { out.append((directory as NSString).appendingPathComponent(rel)) }
        return out
    }
}

/// Answers from the response cache when it can, and fills it from the live backend when it cannot.
public struct CachingBackend: Backend {
    let live: any Backend
    let identity: JSONObject
    let cache: ResponseCache
    /// The live backend's id.
    public var id: String { live.id }
    /// The live backend's limit on requests at once.
    public var maxConcurrency: Int? { live.maxConcurrency }
    /// The live backend's warnings (a missing API key is reported even if every answer turns out to be cached).
    public var warnings: [String] { live.warnings }
    /// The live backend's prompt format.
    public var promptFormat: String? { live.promptFormat }

    /// Wraps `live` so each request is looked up in `cache`, and stored there, under a key made from `identity` and the request.
    public init(live: any Backend, identity: JSONObject, cache: ResponseCache) {
        self.live = live
        self.identity = identity
        self.cache = cache
    }

    /// The live backend's check of merged options, unchanged.
    public func check(_ options: GenerationOptions) -> GenerationOptions.ParseError? { live.check(options) }

    /// Each text's embedding from the cache when there (under the identity and the text), else from the live backend, stored.
    public func embed(_ texts: [String]) async -> Result<[[Double]], EmbeddingFailure> {
        var out = [[Double]?](repeating: nil, count: texts.count)
        var identity = self.identity
        identity["purpose"] = "embedding"
        let keys = texts.map { Cassette.key(identity: identity, messages: [ChatMessage(role: "user", content: $0)], options: GenerationOptions(), repeatIndex: 0) }
        for (i, k) in keys.enumerated() {
            if let hit = cache.lookup(k.key), let v = try? JSONParser.parse(hit.text), let xs = v.arrayValue { out[i] = xs.compactMap(\.doubleValue) }
        }
        let missing = out.indices.filter { out[$0] == nil }
        if !missing.isEmpty {
            switch await live.embed(missing.map { texts[$0] }) {
            case .failure(let f): return .failure(f)
            case .success(let vs):
                for (j, i) in missing.enumerated() {
                    out[i] = vs[j]
                    cache.store(keys[i].key, identity: identity, request: keys[i].request,
                                response: BackendResponse(text: JSONSerializer.string(.array(vs[j].map { .number(JSONNumber($0)) })), finishReason: .stop))
                }
            }
        }
        return .success(out.map { $0! })
    }

    /// A fresh cached response for `request` (marked `cached`) when there is one; otherwise the live answer, stored unless it is an error.
    public func complete(_ request: BackendRequest) async -> BackendResponse {
        let (key, req) = Cassette.key(identity: identity, messages: request.messages, options: request.options, repeatIndex: request.repeatIndex, vars: request.vars,
                                       tools: request.tools, toolChoice: request.toolChoice)
        if let hit = cache.lookup(key) { return hit }
        let r = await live.complete(request)
        cache.store(key, identity: identity, request: req, response: r)
        return r
    }
}
