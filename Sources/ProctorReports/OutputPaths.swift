import Foundation
import ProctorSupport

/// Every command that writes files checks its outputs here before anything runs: no output may be
/// one of its inputs (a suite, a cases file, a schema, a results file it reads), and no two outputs
/// may share a path, so a run never overwrites what it was given, nor one report with another.
public enum OutputPaths {
    /// Why the outputs were refused; `isUsage` when the command line itself is wrong (exit 2).
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        /// What is wrong, naming the flag and the path.
        public let description: String
        /// The outputs clash with the inputs or each other (a usage error), rather than a folder that cannot be written.
        public let isUsage: Bool
    }

    /// Refuses an output that is also an input or another output, and one whose folder cannot be
    /// written; `outputs` are (flag, path), `inputs` (what it is, path).
    public static func check(outputs: [(flag: String, path: String)], inputs: [(what: String, path: String)]) throws(Refusal) {
        var inputAt: [String: (what: String, path: String)] = [:]
        for i in inputs { inputAt[Folders.canonical(i.path)] = inputAt[Folders.canonical(i.path)] ?? i }
        var seen: [String: String] = [:]
        for (flag, path) in outputs {
            let full = Folders.canonical(path)
            if let i = inputAt[full] {
                throw Refusal(description: "\(flag) \(path) would overwrite \(i.what) (\(i.path)), which this command reads; write the output somewhere else", isUsage: true)
            }
            if let other = seen[full] { throw Refusal(description: "\(other) and \(flag) both write \(path); give each output its own file", isUsage: true) }
            seen[full] = flag
            do { try AtomicFile.checkWritable(path) } catch {
                throw Refusal(description: "cannot write \(flag) \(path): \(Folders.whyNotWritable((full as NSString).deletingLastPathComponent))", isUsage: false)
            }
        }
    }
}
