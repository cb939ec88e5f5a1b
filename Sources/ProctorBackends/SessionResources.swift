import ProctorModel
import Synchronization

/// Live resources a run session shares between its backends: each model file is mapped once per
/// session, however many backends or suites name it. Owned by the session, so two sessions (two
/// tests) never see each other's state.
public final class SessionResources: Sendable {
    private let models = Mutex<[String: (Checkpoint, Tokenizer)]>([:])

    public init() {}

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
