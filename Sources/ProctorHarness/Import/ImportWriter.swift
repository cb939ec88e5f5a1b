import Foundation
import ProctorSupport

/// How every importer writes: a suite is written only when it loads. It is loaded from a file beside
/// the target (so its relative paths mean the same) and moved into place only then; nothing is left
/// behind otherwise.
public enum ImportWriter {
    /// Why nothing was written.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        /// The target's folder cannot be written.
        case notWritable(String)
        /// The suite does not load (the loader's message, naming the target).
        case doesNotLoad(String)
        /// What went wrong, in words.
        public var description: String {
            switch self {
            case .notWritable(let m): return m
            case .doesNotLoad(let m): return "the imported suite does not load, so nothing was written: \(m)"
            }
        }
    }

    /// Writes `text` to `out` if `loader` loads it.
    public static func write(_ text: String, to out: String, loader: SuiteLoader) throws(Failure) {
        let dir = (out as NSString).deletingLastPathComponent
        let folder = dir.isEmpty ? "." : dir
        let trial = (dir.isEmpty ? "" : dir + "/") + ".proctor-import-\(UUID().uuidString).jsonc"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: trial), options: .atomic)
        } catch { throw .notWritable("cannot write \(out): \(Folders.whyNotWritable(folder))") }
        defer { try? FileManager.default.removeItem(atPath: trial) }
        do { _ = try loader.load(trial) } catch {
            throw .doesNotLoad(String(describing: error).replacingOccurrences(of: trial, with: out))
        }
        if rename(trial, out) != 0 { throw .notWritable("cannot write \(out): \(String(cString: strerror(errno)))") }
    }
}
