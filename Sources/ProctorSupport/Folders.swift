import Foundation

/// Why a file could not be written, in words a user can act on, shared by every command that writes.
public enum Folders {
    /// Why `folder` cannot be written: a file in the way, no permission, or no such place.
    public static func whyNotWritable(_ folder: String) -> String {
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

    /// The path as the file system sees it: absolute, `..` and symlinks resolved where they exist
    /// (for a path not there yet, its folder resolved and its name kept).
    public static func canonical(_ path: String) -> String {
        let abs = URL(fileURLWithPath: path).standardizedFileURL.path
        if let real = realpath(abs, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let dir = (abs as NSString).deletingLastPathComponent, name = (abs as NSString).lastPathComponent
        if let real = realpath(dir, nil) {
            defer { free(real) }
            return (String(cString: real) as NSString).appendingPathComponent(name)
        }
        return abs
    }
}
