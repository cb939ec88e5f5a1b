import Foundation
import ProctorReports

/// Every command that writes files checks its outputs here before anything runs: no output may be
/// one of its inputs (a suite, a cases file, a schema, a results file it reads), and no two outputs
/// may share a path, so a run never overwrites what it was given, nor one report with another.
enum OutputPaths {
    /// The path as the file system sees it: absolute, `..` and symlinks resolved where they exist.
    static func canonical(_ path: String) -> String {
        let abs = URL(fileURLWithPath: path).standardizedFileURL.path
        if let real = realpath(abs, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        // Not there yet: resolve the folder, keep the name.
        let dir = (abs as NSString).deletingLastPathComponent, name = (abs as NSString).lastPathComponent
        if let real = realpath(dir, nil) {
            defer { free(real) }
            return (String(cString: real) as NSString).appendingPathComponent(name)
        }
        return abs
    }

    /// Refuses (usage error, exit 2) an output that is also an input or another output, and one
    /// whose folder cannot be written; `outputs` are (flag, path), `inputs` (what it is, path).
    static func check(outputs: [(flag: String, path: String)], inputs: [(what: String, path: String)]) throws(CLIError) {
        var inputAt: [String: (what: String, path: String)] = [:]
        for i in inputs { inputAt[canonical(i.path)] = inputAt[canonical(i.path)] ?? i }
        var seen: [String: String] = [:]
        for (flag, path) in outputs {
            let full = canonical(path)
            if let i = inputAt[full] {
                throw CLIError.usage("\(flag) \(path) would overwrite \(i.what) (\(i.path)), which this command reads; write the output somewhere else")
            }
            if let other = seen[full] { throw CLIError.usage("\(other) and \(flag) both write \(path); give each output its own file") }
            seen[full] = flag
            do { try AtomicFile.checkWritable(path) } catch {
                throw CLIError.input("cannot write \(flag) \(path): \(plainReason((full as NSString).deletingLastPathComponent))")
            }
        }
    }

    /// Why a folder cannot be written, in words: a file in the way, no permission, or no such place.
    static func plainReason(_ folder: String) -> String {
        var path = folder
        while !path.isEmpty && path != "/" {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
                if !isDir.boolValue { return "\(path) is a file, not a folder" }
                return FileManager.default.isWritableFile(atPath: path) ? "the file system refused it" : "\(path) is not writable"
            }
            path = (path as NSString).deletingLastPathComponent
        }
        return "no such place"
    }

}
