import Foundation
import ProctorJSON

/// A backend entry from a suite, with what a factory needs to build it.
public struct BackendContext: Sendable {
    /// The backend's JSON object from the suite.
    public let config: JSONObject
    /// The suite file's folder: relative paths resolve here and commands run here.
    public let baseDirectory: String
    /// `--record`: live backends append responses to their cassette.
    public let record: Bool
    /// `--replay`: backends with a cassette answer from it instead of running.
    public let replay: Bool

    public init(config: JSONObject, baseDirectory: String, record: Bool = false, replay: Bool = false) {
        self.config = config
        self.baseDirectory = baseDirectory
        self.record = record
        self.replay = replay
    }

    public var id: String { config["id"]?.stringValue ?? "" }

    /// Resolves a suite-relative path.
    public func path(_ p: String) -> String {
        p.hasPrefix("/") ? p : URL(fileURLWithPath: baseDirectory).appendingPathComponent(p).standardizedFileURL.path
    }

    public func string(_ key: String, required: Bool = false) throws(BackendConfigError) -> String? {
        guard let v = config[key] else {
            if required { throw BackendConfigError(pointer: "", "backend '\(id)' needs \"\(key)\"") }
            return nil
        }
        guard let s = v.stringValue else { throw BackendConfigError(pointer: "/" + key, "\"\(key)\" must be a string, found \(v)") }
        return s
    }

    public func number(_ key: String) throws(BackendConfigError) -> Double? {
        guard let v = config[key] else { return nil }
        guard let d = v.doubleValue else { throw BackendConfigError(pointer: "/" + key, "\"\(key)\" must be a number, found \(v)") }
        return d
    }

    public func stringArray(_ key: String) throws(BackendConfigError) -> [String]? {
        guard let v = config[key] else { return nil }
        guard case .array(let xs) = v, xs.allSatisfy({ $0.stringValue != nil }) else {
            throw BackendConfigError(pointer: "/" + key, "\"\(key)\" must be an array of strings")
        }
        return xs.map { $0.stringValue! }
    }

    /// Rejects keys the backend does not know, with a suggestion.
    public func checkKeys(_ allowed: [String]) throws(BackendConfigError) {
        let all = allowed + ["id", "type", "cassette", "source"]
        for (k, _) in config where !all.contains(k) {
            throw BackendConfigError(pointer: "/" + k, "unknown key \"\(k)\" for backend type '\(config["type"]?.stringValue ?? "")'"
                                     + Suggestions.hint(for: k, among: all))
        }
    }
}

/// Builds a backend from its suite entry.
public typealias BackendFactory = @Sendable (BackendContext) throws(BackendConfigError) -> any Backend

/// The `type` → factory table. Other modules (builtin model, HTTP) add themselves here.
public enum BackendRegistry {
    public static let builtins: [String: BackendFactory] = [
        "echo": { ctx throws(BackendConfigError) in try EchoBackend(ctx) },
        "command": { ctx throws(BackendConfigError) in try CommandBackend(ctx) },
        "replay": { ctx throws(BackendConfigError) in try ReplayBackend(ctx) },
        "builtin": { ctx throws(BackendConfigError) in try BuiltinBackend(ctx) },
        "openai": { ctx throws(BackendConfigError) in try OpenAIBackend(ctx) },
        "anthropic": { ctx throws(BackendConfigError) in try AnthropicBackend(ctx) },
    ]

    /// Builds the backend for `ctx`, wrapping it for `--record`/`--replay` when it has a cassette.
    public static func make(_ ctx: BackendContext, extra: [String: BackendFactory] = [:]) throws(BackendConfigError) -> any Backend {
        let table = builtins.merging(extra) { a, _ in a }
        guard let type = ctx.config["type"]?.stringValue else {
            throw BackendConfigError(pointer: "/type", "backend '\(ctx.id)' needs a \"type\" (\(table.keys.sorted().joined(separator: ", ")))")
        }
        guard let factory = table[type] else {
            throw BackendConfigError(pointer: "/type", "unknown backend type '\(type)'" + Suggestions.hint(for: type, among: Array(table.keys)))
        }
        if type != "replay", let cassette = try ctx.string("cassette") {
            if ctx.replay { return try ReplayBackend(ctx, cassettePath: ctx.path(cassette), sourceId: ctx.id) }
            let live = try factory(ctx)
            if ctx.record { return RecordingBackend(live: live, cassette: Cassette.shared(ctx.path(cassette))) }
            return live
        }
        return try factory(ctx)
    }
}
