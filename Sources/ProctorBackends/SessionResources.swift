import ProctorModel
import Synchronization

/// Live resources a run session shares between its backends: each model file is mapped once per
/// session, however many backends or suites name it. Owned by the session, so two sessions (two
/// tests) never see each other's state.
public final class SessionResources: Sendable {
    private let models = Mutex<[String: (Checkpoint, Tokenizer)]>([:])
    private let cassettes = Mutex<[String: Cassette]>([:])

    /// An empty set of resources: nothing is mapped or opened until a backend asks.
    public init() {}

    /// The cassette at `path`, opened once per session (every backend that names it shares it);
    /// a missing file is an empty cassette when `allowMissing` (recording), an error otherwise.
    public func cassette(_ path: String, allowMissing: Bool) throws(BackendConfigError) -> Cassette {
        if let c = cassettes.withLock({ $0[path] }) { return c }
        let c = try Cassette(path: path, allowMissing: allowMissing)
        return cassettes.withLock { open in
            if let earlier = open[path] { return earlier }
            open[path] = c
            return c
        }
    }

    /// Every cassette opened so far, by path (the session saves them when it closes).
    public var openCassettes: [Cassette] { cassettes.withLock { open in open.keys.sorted().map { open[$0]! } } }

    /// The checkpoint and tokenizer at these paths, loaded on first use.
    public func model(checkpoint modelPath: String, tokenizer tokPath: String) throws(BackendConfigError) -> (Checkpoint, Tokenizer) {
        let key = modelPath + "\u{0}" + tokPath
        if let hit = models.withLock({ $0[key] }) { return hit }
        let c: Checkpoint
        let t: Tokenizer
        do { c = try Checkpoint(path: modelPath) } catch { throw BackendConfigError(pointer: "/model", error.message) }
        do { t = try Tokenizer(path: tokPath, vocabSize: c.config.vocabSize) } catch { throw BackendConfigError(pointer: "/tokenizer", error.message) }
        models.withLock { $0[key] = (c, t) }
        return (c, t)
    }
}
