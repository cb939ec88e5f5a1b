import Foundation
import ProctorBackends
import ProctorJSON

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

    public let suites: [Suite]
    public let mode: Mode
    /// `backends[s][b]`: the backend that answers for `suites[s].backends[b]`.
    let backends: [[any Backend]]
    /// `limiters[s][b]`: the concurrency cap shared by every backend of the same identity.
    let limiters: [[AsyncSemaphore?]]
    let cassettes: [Cassette]
    /// Things worth knowing before the run starts (an API key variable that is not set).
    public let warnings: [String]

    /// Builds every backend, opens every cassette, and checks each case's merged options against
    /// what the live backends know (a model's context): all before any case runs.
    public init(suites: [Suite], mode: Mode = .live, registry: BackendRegistry = .standard) throws(SuiteError) {
        self.suites = suites
        self.mode = mode
        let resources = SessionResources()
        var openCassettes: [String: Cassette] = [:]
        func cassette(_ path: String, _ suite: Suite, _ spec: BackendSpec) throws(SuiteError) -> Cassette {
            if let c = openCassettes[path] { return c }
            do {
                let c = try Cassette(path: path, allowMissing: mode == .record)
                openCassettes[path] = c
                return c
            } catch {
                throw suite.backendError(spec, error.pointer, error.message)
            }
        }
        var built: [[any Backend]] = []
        var allWarnings: [String] = []
        var caps: [String: Int] = [:]
        for suite in suites {
            var row: [any Backend] = []
            for spec in suite.backends {
                let backend: any Backend
                if spec.type == "replay" {
                    let source = suite.effectiveSpec(spec)
                    backend = ReplayBackend(id: spec.id, sourceId: source.id, identity: source.identity,
                                            cassette: try cassette(spec.cassette ?? "", suite, spec))
                } else if let path = spec.cassette, mode == .replay {
                    backend = ReplayBackend(id: spec.id, sourceId: spec.id, identity: spec.identity, cassette: try cassette(path, suite, spec))
                } else {
                    let live: any Backend
                    do { live = try registry.build(spec, resources: resources) } catch { throw suite.backendError(spec, error.pointer, error.message) }
                    if let path = spec.cassette, mode == .record {
                        backend = RecordingBackend(live: live, identity: spec.identity, cassette: try cassette(path, suite, spec))
                    } else {
                        backend = live
                    }
                }
                for c in suite.cases {
                    if let p = backend.check(suite.options(for: c, on: spec)) {
                        throw suite.location(of: p.field, for: c, on: spec).error(p.message + " (case '\(c.id)')")
                    }
                }
                allWarnings += backend.warnings.map { "\(suite.file): backend '\(spec.id)': \($0)" }
                if let cap = backend.maxConcurrency {
                    let k = Self.limitKey(spec, in: suite)
                    caps[k] = min(caps[k] ?? cap, cap)
                }
                row.append(backend)
            }
            built.append(row)
        }
        let semaphores = caps.mapValues { AsyncSemaphore($0) }
        backends = built
        warnings = allWarnings
        limiters = suites.map { s in s.backends.map { semaphores[Self.limitKey($0, in: s)] } }
        cassettes = openCassettes.keys.sorted().map { openCassettes[$0]! }
    }

    /// Backends of the same identity in the same folder are one model: they share one cap.
    static func limitKey(_ spec: BackendSpec, in suite: Suite) -> String {
        JSONSerializer.string(.object(suite.effectiveSpec(spec).identity), options: .init(sortKeys: true)) + "\u{0}" + spec.baseDirectory
    }

    /// Runs `body` within the backend's concurrency cap.
    func withLimit<T: Sendable>(suite: Int, backend: Int, _ body: @Sendable () async -> T) async -> T {
        guard let sem = limiters[suite][backend] else { return await body() }
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

    /// Saves every cassette that recorded something; returns what could not be saved.
    public func close() -> [String] {
        var errors: [String] = []
        for c in cassettes {
            do { try c.save() } catch { errors.append("cannot save cassette \(c.path): \(error.localizedDescription)") }
        }
        return errors
    }
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
