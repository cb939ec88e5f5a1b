import Foundation
import ProctorBackends
import ProctorJSON
import ProctorSupport
import ProctorConversation

/// Everything live of one run: the backends built from the suites' specs, the cassettes they read
/// and write, the mapped models, and the concurrency caps. Loading a suite touches none of this;
/// the runner closes the session, which saves what was recorded.
public final class RunSession: Sendable {
    /// How backends with a cassette answer.
    public enum Mode: String, Sendable {
        /// Every backend runs.
        case live
        /// Backends with a cassette run and store each response in it.
        case record
        /// Backends with a cassette answer from it; a request that was not recorded is an error.
        case replay
    }

    /// The suites the session runs, as loaded.
    public let suites: [Suite]
    /// Live, record or replay.
    public let mode: Mode
    /// `backends[s][b]`: the backend that answers for `suites[s].backends[b]`.
    let backends: [[any Backend]]
    /// `limiters[s][b]`: the concurrency cap shared by every backend of the same identity.
    let limiters: [[AsyncSemaphore?]]
    /// `graders[s]`: every backend and grader of suite s by id, for model-graded checks.
    let graders: [[String: (backend: any Backend, spec: BackendSpec, limiter: AsyncSemaphore?)]]
    let cassettes: [Cassette]
    /// The response cache, when any backend of the run uses it.
    public let cache: ResponseCache?
    /// `--grader`: the grader of graded checks that name none (over `defaults.grader`).
    public let graderOverride: String?
    /// Things worth knowing before the run starts (an API key variable that is not set).
    public let warnings: [String]

    /// Whether responses are cached: `on` and `off` (`--cache`, `--no-cache`) decide for every
    /// backend; `auto` follows each backend's `"cache"` and otherwise its type (HTTP APIs: on).
    public enum CachePolicy: Sendable { case auto, on, off }

    /// Builds every backend the run uses and every grader, opens every cassette, and checks each
    /// case's merged options against what the live backends know (a model's context): all before
    /// any case runs.
    ///
    /// With `backends` (`--backend`), only those backends are built (so the others' API keys are
    /// not needed), besides every grader and any backend a graded check may ask.
    public init(suites: [Suite], mode: Mode = .live, registry: BackendRegistry = .standard, cache: ResponseCache? = nil,
                cachePolicy: CachePolicy = .auto, grader: String? = nil, backends selected: Set<String>? = nil) throws(SuiteError) {
        self.suites = suites
        self.mode = mode
        self.graderOverride = grader
        let resources = SessionResources()
        func cassette(_ path: String, _ suite: Suite, _ spec: BackendSpec) throws(SuiteError) -> Cassette {
            do { return try resources.cassette(path, allowMissing: mode == .record) } catch {
                throw suite.backendError(spec, error.pointer, error.message)
            }
        }
        var usedCache = false
        /// The backend that answers for `spec`: one the registry builds (a `replay` backend gets
        /// its source's spec), a recording, a replay under `--replay`, a cached or a plain live one.
        func make(_ spec: BackendSpec, _ suite: Suite) throws(SuiteError) -> any Backend {
            if spec.source == nil, let path = spec.cassette, mode == .replay {
                return ReplayBackend(id: spec.id, sourceId: spec.id, identity: spec.identity, cassette: try cassette(path, suite, spec))
            }
            let live: any Backend
            do {
                live = try registry.build(spec, resources: resources, environment: suite.environment,
                                          source: spec.source == nil ? nil : suite.effectiveSpec(spec))
            } catch {
                throw suite.backendError(spec, error.pointer, error.message)
            }
            if spec.source != nil { return live }
            if let path = spec.cassette, mode == .record {
                return RecordingBackend(live: live, identity: spec.identity, cassette: try cassette(path, suite, spec))
            }
            let wanted = cachePolicy == .on || (cachePolicy == .auto && (spec.cache ?? registry.kinds[spec.type]?.cachedByDefault ?? false))
            if wanted, let cache {
                usedCache = true
                return CachingBackend(live: live, identity: spec.identity, cache: cache)
            }
            return live
        }
        var built: [[any Backend]] = []
        var allWarnings: [String] = []
        var caps: [String: Int] = [:]
        var graderTables: [[String: (backend: any Backend, spec: BackendSpec)]] = []
        for suite in suites {
            var graderIds: Set<String> = selected == nil ? [] : suite.graderReferences
            if let grader { graderIds.insert(grader) }
            var row: [any Backend] = []
            var table: [String: (backend: any Backend, spec: BackendSpec)] = [:]
            for spec in suite.backends + suite.graders {
                let isBackend = suite.backends.contains(where: { $0.id == spec.id })
                if isBackend, let selected, !selected.contains(spec.id), !graderIds.contains(spec.id) {
                    row.append(UnselectedBackend(id: spec.id))
                    continue
                }
                // A grader no check of the selection asks is not built either (its key is not needed).
                if !isBackend, let selected, !selected.contains(spec.id), !graderIds.contains(spec.id) { continue }
                let backend = try make(spec, suite)
                if isBackend {
                    try suite.checkCaseOptions(on: spec, backend.check)
                    row.append(backend)
                }
                table[spec.id] = (backend, spec)
                allWarnings += backend.warnings.map { "\(suite.file): backend '\(spec.id)': \($0)" }
                if let cap = backend.maxConcurrency {
                    let k = Self.limitKey(spec, in: suite)
                    caps[k] = min(caps[k] ?? cap, cap)
                }
            }
            if let g = grader, table[g] == nil {
                throw SuiteError(file: suite.file, "--grader \(g): the suite has no backend or grader named '\(g)'"
                                 + Suggestions.hint(for: g, among: Array(table.keys)))
            }
            built.append(row)
            graderTables.append(table)
        }
        let semaphores = caps.mapValues { AsyncSemaphore($0) }
        backends = built
        warnings = allWarnings
        limiters = suites.map { s in s.backends.map { semaphores[Self.limitKey($0, in: s)] } }
        graders = zip(suites, graderTables).map { s, t in t.mapValues { ($0.backend, $0.spec, semaphores[Self.limitKey($0.spec, in: s)]) } }
        cassettes = resources.openCassettes
        self.cache = usedCache ? cache : nil
    }

    /// The same live backends, caps, cassettes and cache, serving variations of the same suites
    /// (other prompt versions or cases; the same backends in the same order), so `proctor optimize`
    /// runs many prompt variations without building a backend twice.
    public func serving(_ variations: [Suite]) -> RunSession {
        precondition(variations.count == suites.count && zip(variations, suites).allSatisfy { $0.backends.map(\.id) == $1.backends.map(\.id) },
                     "a session serves variations of its own suites only")
        return RunSession(variations, from: self)
    }

    private init(_ suites: [Suite], from other: RunSession) {
        self.suites = suites
        mode = other.mode
        backends = other.backends
        limiters = other.limiters
        graders = other.graders
        cassettes = other.cassettes
        cache = other.cache
        graderOverride = other.graderOverride
        warnings = other.warnings
    }

    /// What graded checks of suite `s` call: temperature 0 and a fixed seed where the grader's
    /// backend honours them (not on OpenAI's reasoning models, which take only their default
    /// temperature), within the grader's concurrency cap.
    func graderAccess(_ s: Int, registry: BackendRegistry = .standard, repeatIndex: Int = 0) -> GraderAccess {
        let table = graders[s]
        let suite = suites[s]
        return GraderAccess(fallback: graderOverride ?? suite.defaultGrader) { id, prompt in
            guard let g = table[id] else { return nil }
            let target = suite.effectiveSpec(g.spec)
            var fixed = GenerationOptions()
            let honours = registry.kinds[target.type]?.honours ?? [:]
            // OpenAI's reasoning models take no temperature but their default: they grade at it.
            let reasoning = target.type == OpenAIBackend.kind.type && OpenAIBackend.isReasoningModel(target.config["model"]?.stringValue ?? "")
            if honours[.temperature] != nil && !reasoning { fixed.temperature = 0 }
            if honours[.seed] != nil { fixed.seed = 0 }
            var request = BackendRequest(messages: [ChatMessage(role: "user", content: prompt)], options: target.options.overridden(by: fixed),
                                         caseId: "grader", promptId: "grader")
            // A repeated grading (`graders calibrate --repeat`) is its own request: its own seed and cache key.
            if repeatIndex > 0 {
                request.repeatIndex = repeatIndex
                request.options = request.options.forRepeat(repeatIndex)
            }
            let sent = request
            return await RunSession.limited(g.limiter) { await g.backend.complete(sent) }
        } embed: { id, texts in
            guard let g = table[id] else { return nil }
            return await RunSession.limited(g.limiter) { await g.backend.embed(texts) }
        }
    }

    /// The built backend (or grader) `id` of suite `s` and the options it runs with (the suite's
    /// merged over the backend's), for callers outside a run: `generate cases --from-suite`.
    public func backend(_ id: String, suite s: Int = 0) -> (backend: any Backend, options: GenerationOptions)? {
        guard let g = graders[s][id] else { return nil }
        return (g.backend, suites[s].effectiveSpec(g.spec).options.overridden(by: suites[s].options.generation.options))
    }

    /// Backends of the same identity in the same folder are one model: they share one cap.
    static func limitKey(_ spec: BackendSpec, in suite: Suite) -> String {
        JSONSerializer.string(.object(suite.effectiveSpec(spec).identity), options: .init(sortKeys: true)) + "\u{0}" + spec.baseDirectory
    }

    /// Runs `body` within the backend's concurrency cap.
    func withLimit<T: Sendable>(suite: Int, backend: Int, _ body: @Sendable () async -> T) async -> T {
        await Self.limited(limiters[suite][backend], body)
    }

    /// `body` holding one permit of `sem` (none needed when there is no cap).
    static func limited<T: Sendable>(_ sem: AsyncSemaphore?, _ body: @Sendable () async -> T) async -> T {
        guard let sem else { return await body() }
        await sem.wait()
        let r = await body()
        await sem.signal()
        return r
    }

    /// What the reports say about each backend: its identity and the options every case gets
    /// unless the case overrides them.
    func info(_ s: Int) -> [(id: String, type: String, options: JSONObject)] {
        let suite = suites[s]
        return suite.backends.map { spec in
            let target = suite.effectiveSpec(spec)
            var o = JSONObject(target.identity.entries.filter { $0.key != "type" })
            for (k, v) in target.options.overridden(by: suite.options.generation.options).json { o[k] = v }
            return (spec.id, spec.type, o)
        }
    }

    /// Saves every cassette that recorded something; returns what could not be saved, and what
    /// the response cache could not read or write.
    public func close() -> [String] {
        var errors: [String] = []
        for c in cassettes {
            do { try c.save() } catch { errors.append("cannot save cassette \(c.path): \(error.localizedDescription)") }
        }
        return errors
    }
}

/// Stands in for a backend that `--backend` left out and no graded check names: never built, never asked.
struct UnselectedBackend: Backend {
    let id: String
    func complete(_ request: BackendRequest) async -> BackendResponse { .failure("backend '\(id)' is not selected for this run") }
}

/// A counting semaphore for async code.
actor AsyncSemaphore {
    private var permits: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ permits: Int) { self.permits = max(1, permits) }

    func wait() async {
        if permits > 0 { permits -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func signal() {
        if waiters.isEmpty { permits += 1 } else { waiters.removeFirst().resume() }
    }
}
