import Foundation
import ProctorJSON
import ProctorSupport
import ProctorConversation

/// A backend entry from a suite as pure data: what to build, never built by loading.
///
/// Generation options written on the backend (`temperature`, …) are taken out of `config` into
/// `options`, the lowest layer of the merge.
public struct BackendSpec: Sendable {
    /// The backend's `id`, unique in its suite.
    public let id: String
    /// The backend's `type`, a key of the registry.
    public let type: String
    /// The backend's keys from the suite, without `id`, `type` and the generation options.
    public let config: JSONObject
    /// Generation options set on the backend itself.
    public let options: GenerationOptions
    /// The suite file's folder: relative paths resolve here and commands run here.
    public let baseDirectory: String
    /// The cassette file (absolute), when the backend has one.
    public let cassette: String?
    /// For `type: replay`: the id of the backend of the same suite whose recordings it answers with.
    public let source: String?
    /// `"cache"` as written: true or false, nil for the type's default.
    public let cache: Bool?
    /// What decides the answers: the type and every key that changes them (not timeouts, limits or
    /// key variables). Reported, and part of every cassette key.
    public let identity: JSONObject
    /// What its tokens cost: the suite's `pricing`, else the built-in list price of its model; nil when unknown.
    public var pricing: Pricing?
}

/// What a factory gets to build a live backend.
public struct BackendContext: Sendable {
    /// The backend entry being built.
    public let spec: BackendSpec
    /// Shared, session-owned resources (mapped model files).
    public let resources: SessionResources
    /// The environment the backend may read (API key variables; what a command sees), given by the
    /// caller: a library never reads the process's own.
    public let environment: [String: String]
    /// For a kind that answers with another backend's recordings (`takesSource`): that backend's
    /// spec, as the suite declares it now (its identity decides which recordings match).
    public let source: BackendSpec?

    /// A context for building `spec` with the session's `resources` and the `environment` it may read; `source` is the spec of the backend a `takesSource` kind answers for.
    public init(spec: BackendSpec, resources: SessionResources, environment: [String: String] = [:], source: BackendSpec? = nil) {
        self.spec = spec
        self.resources = resources
        self.environment = environment
        self.source = source
    }

    /// The backend's id (for messages).
    public var id: String { spec.id }
    /// The backend's keys from the suite.
    public var config: JSONObject { spec.config }
    /// The suite file's folder.
    public var baseDirectory: String { spec.baseDirectory }

    /// Resolves a suite-relative path.
    public func path(_ p: String) -> String { BackendRegistry.resolve(p, in: baseDirectory) }

    /// A string key; with `required`, its absence is an error.
    public func string(_ key: String, required: Bool = false) throws(BackendConfigError) -> String? {
        try BackendRegistry.string(config, key, id: id, required: required)
    }

    /// A number; with `integer`, only whole values; with `min`, only values at least that.
    public func number(_ key: String, integer: Bool = false, min: Double? = nil) throws(BackendConfigError) -> Double? {
        guard let v = config[key] else { return nil }
        guard let d = v.doubleValue, d.isFinite, !integer || v.numberValue?.isInteger == true, d < 1e15 else {
            throw BackendConfigError(pointer: "/" + key, "\"\(key)\" must be \(integer ? "an integer" : "a number"), found \(v)")
        }
        if let min, d < min {
            throw BackendConfigError(pointer: "/" + key, "\"\(key)\" must be at least \(JSONNumber(min)), found \(v)")
        }
        return d
    }

    /// An array-of-strings key.
    public func stringArray(_ key: String) throws(BackendConfigError) -> [String]? {
        guard let v = config[key] else { return nil }
        guard case .array(let xs) = v, xs.allSatisfy({ $0.stringValue != nil }) else {
            throw BackendConfigError(pointer: "/" + key, "\"\(key)\" must be an array of strings")
        }
        return xs.map { $0.stringValue! }
    }
}

/// Builds a live backend from its spec (called by the run session, never by the loader).
public typealias BackendFactory = @Sendable (BackendContext) throws(BackendConfigError) -> any Backend

/// One backend `type`: its keys, which generation options it honours and as what, and its factory.
public struct BackendKind: Sendable {
    /// The `type` the suite writes.
    public let type: String
    /// Keys the backend takes besides `id`, `type`, `cassette` and the generation options.
    public let keys: [String]
    /// Generation options it honours, each with what it becomes (for messages and the README table).
    public let honours: [GenerationOptions.Field: String]
    /// Why it cannot honour the others.
    public let refusals: [GenerationOptions.Field: String]
    /// Keys that do not change the answers (left out of the identity).
    public let identityIgnores: [String]
    /// Keys whose value, when a string, names a small file whose content shapes the answers (a
    /// builtin backend's `schema`): the identity also holds the file's SHA-256 (`schemaSha256`),
    /// so a file edited in place is a cache miss, and a replay miss that says what changed.
    public let identityFiles: [String]
    /// Responses are cached unless the backend or the run says otherwise (HTTP APIs: they cost
    /// money and time; local backends are cheap and may change between runs).
    public let cachedByDefault: Bool
    /// The kind answers with the recordings of another backend of the suite, named by `source`
    /// (`replay`): the suite must name one, and its factory gets that backend's spec.
    public let takesSource: Bool
    /// Requests are built from the case's variables too (`http` bodies): the run passes them, and
    /// they join the cache key.
    public var readsVars = false
    /// Whether a backend of this kind, configured so, can send a suite's `tools` and read the calls
    /// back: nil when it can, else why not (a suite with tools then fails to load).
    public let toolRefusal: @Sendable (JSONObject) -> String?
    /// Static checks of the config that need nothing live (literal secrets).
    public let checkConfig: @Sendable (JSONObject) throws(BackendConfigError) -> Void
    /// Range checks of merged options that are specific to the kind.
    public let checkOptions: @Sendable (GenerationOptions) -> GenerationOptions.ParseError?
    /// Builds the live backend (called by the run session).
    public let make: BackendFactory

    /// Describes one backend type; besides `type`, `keys`, `honours` and `make`, every table and check defaults to empty or off.
    public init(type: String, keys: [String], honours: [GenerationOptions.Field: String], refusals: [GenerationOptions.Field: String] = [:],
                identityIgnores: [String] = [], identityFiles: [String] = [], cachedByDefault: Bool = false, takesSource: Bool = false,
                checkConfig: @escaping @Sendable (JSONObject) throws(BackendConfigError) -> Void = { _ in },
                checkOptions: @escaping @Sendable (GenerationOptions) -> GenerationOptions.ParseError? = { _ in nil },
                toolRefusal: @escaping @Sendable (JSONObject) -> String? = { _ in "it has no tool calling" },
                make: @escaping BackendFactory) {
        self.toolRefusal = toolRefusal
        self.type = type
        self.keys = keys
        self.honours = honours
        self.refusals = refusals
        self.identityIgnores = identityIgnores
        self.identityFiles = identityFiles
        self.cachedByDefault = cachedByDefault
        self.takesSource = takesSource
        self.checkConfig = checkConfig
        self.checkOptions = checkOptions
        self.make = make
    }

    /// The first field of `options` this kind cannot take, with the reason, if any.
    public func refusal(_ options: GenerationOptions) -> GenerationOptions.ParseError? {
        for f in options.setFields where honours[f] == nil {
            let why = refusals[f] ?? "it has no such setting"
            return GenerationOptions.ParseError(field: f, message: "backend type '\(type)' cannot honour \"\(f.rawValue)\": \(why)")
        }
        return checkOptions(options)
    }
}

/// The `type` → kind table: every backend Proctor can build, one file each.
public struct BackendRegistry: Sendable {
    /// Every kind, by `type`.
    public var kinds: [String: BackendKind]

    /// A registry of `kinds` keyed by `type`; of two kinds with the same type, the later one wins.
    public init(kinds: [BackendKind]) {
        self.kinds = Dictionary(kinds.map { ($0.type, $0) }, uniquingKeysWith: { _, b in b })
    }

    /// Every backend type that ships with Proctor.
    public static let standard = BackendRegistry(kinds: [EchoBackend.kind, CommandBackend.kind, BuiltinBackend.kind, OpenAIBackend.kind, EndpointBackend.kind,
                                                        AnthropicBackend.kind, ReplayBackend.kind])

    static let commonKeys = ["id", "type", "cassette", "extraBody", "cache", "pricing"]

    /// Reads and checks a suite's backend object without building anything.
    public func spec(_ object: JSONObject, baseDirectory: String) throws(BackendConfigError) -> BackendSpec {
        guard let id = object["id"]?.stringValue, !id.isEmpty else { throw BackendConfigError(pointer: "/id", "backend needs an \"id\" (a non-empty string)") }
        guard let typeValue = object["type"] else {
            throw BackendConfigError(pointer: "", "backend '\(id)' needs a \"type\" (\(kinds.keys.sorted().joined(separator: ", ")))")
        }
        guard let type = typeValue.stringValue, let kind = kinds[type] else {
            let shown = typeValue.stringValue.map { "'\($0)'" } ?? "\(typeValue)"
            throw BackendConfigError(pointer: "/type", "unknown backend type \(shown)" + Suggestions.hint(for: typeValue.stringValue ?? "", among: Array(kinds.keys)))
        }
        try kind.checkConfig(object)
        let allowed = Self.commonKeys + kind.keys + GenerationOptions.keys
        for (k, _) in object where !allowed.contains(k) {
            throw BackendConfigError(pointer: "/" + JSONPointer.escape(k), "unknown key \"\(k)\" for backend type '\(type)'" + Suggestions.hint(for: k, among: allowed))
        }
        var options: GenerationOptions
        do { options = try GenerationOptions.parse(object) } catch { throw BackendConfigError(pointer: error.pointer, error.message) }
        // `extraBody` on a backend is its layer of `extra`: server-specific fields (llama.cpp's
        // `top_k`, `repeat_penalty`, …) merged into every request body.
        if let eb = object["extraBody"] {
            guard case .object(let e) = eb else {
                throw BackendConfigError(pointer: "/extraBody", "\"extraBody\" must be an object of request body fields, found \(eb)")
            }
            guard kind.honours[.extra] != nil else {
                throw BackendConfigError(pointer: "/extraBody", "backend type '\(type)' has no request body for \"extraBody\"")
            }
            options = GenerationOptions(extra: e).overridden(by: options)
        }
        if let problem = kind.refusal(options) {
            // Name the key the user wrote: a field from `extraBody` is reported as `extraBody`'s.
            if problem.field == .extra, case .object(let eb)? = object["extraBody"],
               let key = eb.keys.first(where: { problem.message.contains("\"\($0)\"") }), object["extra"]?[key] == nil {
                throw BackendConfigError(pointer: "/extraBody/" + JSONPointer.escape(key),
                                         problem.message.replacingOccurrences(of: "\"extra\" cannot set", with: "\"extraBody\" cannot set"))
            }
            throw BackendConfigError(pointer: problem.pointer, problem.message)
        }
        let cassette = try Self.string(object, "cassette", id: id).map { Self.resolve($0, in: baseDirectory) }
        let source = kind.takesSource ? try Self.string(object, "source", id: id) : nil
        var cache: Bool?
        if let c = object["cache"] {
            guard let b = c.boolValue else { throw BackendConfigError(pointer: "/cache", "\"cache\" must be true or false, found \(c)") }
            cache = b
        }
        let pricing = try Pricing.parse(object["pricing"]) ?? Pricing.builtIn(type: type, model: object["model"]?.stringValue)
        let config = JSONObject(object.entries.filter { !["id", "type", "extraBody", "cache", "pricing"].contains($0.key) && !GenerationOptions.keys.contains($0.key) })
        var identity: [JSONObject.Entry] = [("type", .string(type))]
        for e in config.entries.sorted(by: { $0.key < $1.key }) where !(["cassette", "source"] + kind.identityIgnores).contains(e.key) {
            identity.append(e)
        }
        // A file that cannot be read adds nothing here: building the live backend reports it.
        for key in kind.identityFiles {
            if let path = object[key]?.stringValue, let data = FileManager.default.contents(atPath: Self.resolve(path, in: baseDirectory)) {
                identity.append((key + "Sha256", .string(SHA256.hex(data))))
            }
        }
        return BackendSpec(id: id, type: type, config: config, options: options, baseDirectory: baseDirectory, cassette: cassette,
                           source: source, cache: cache, identity: JSONObject(identity), pricing: pricing)
    }

    /// Builds a backend straight from its suite JSON, with resources of its own (for library use
    /// outside a run session): the spec's own generation options are returned for the caller to send.
    public func make(_ object: JSONObject, baseDirectory: String, environment: [String: String] = [:]) throws(BackendConfigError)
        -> (backend: any Backend, spec: BackendSpec) {
        let s = try spec(object, baseDirectory: baseDirectory)
        return (try build(s, resources: SessionResources(), environment: environment), s)
    }

    /// Builds the live backend for a spec, reading only `environment`; `source` is the spec of the
    /// backend whose recordings a `takesSource` kind answers with.
    public func build(_ spec: BackendSpec, resources: SessionResources, environment: [String: String] = [:],
                      source: BackendSpec? = nil) throws(BackendConfigError) -> any Backend {
        guard let kind = kinds[spec.type] else { throw BackendConfigError(pointer: "/type", "unknown backend type '\(spec.type)'") }
        return try kind.make(BackendContext(spec: spec, resources: resources, environment: environment, source: source))
    }

    static func resolve(_ p: String, in dir: String) -> String {
        p.hasPrefix("/") ? p : URL(fileURLWithPath: dir).appendingPathComponent(p).standardizedFileURL.path
    }

    static func string(_ o: JSONObject, _ key: String, id: String, required: Bool = false) throws(BackendConfigError) -> String? {
        guard let v = o[key] else {
            if required { throw BackendConfigError(pointer: "", "backend '\(id)' needs \"\(key)\"") }
            return nil
        }
        guard let s = v.stringValue else { throw BackendConfigError(pointer: "/" + key, "\"\(key)\" must be a string, found \(v)") }
        return s
    }
}
