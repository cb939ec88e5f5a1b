import Foundation

/// Writes report files atomically: a temporary file in the same folder, then a rename, so a reader
/// (or an interrupted run) never sees half a report.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically, creating its folder if needed.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { sink in sink.bytes = bytes }
    }

    /// Writes the report `body` produces into `sink`, a megabyte at a time, to a temporary file
    /// that replaces `path` only when the whole report is written.
    public static func write(to path: String, _ body: (inout ReportSink) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: tmp, NSLocalizedDescriptionKey: "cannot write \(path): \(String(cString: strerror(errno)))"])
        }
        var sink = ReportSink(fd: fd)
        func fail(_ code: Int32) -> any Error {
            unlink(tmp)
            return CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "cannot write \(path): \(String(cString: strerror(code)))"])
        }
        do { try body(&sink) } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        sink.drain()
        let closed = close(fd) == 0 ? 0 : errno
        if sink.failure != 0 { throw fail(sink.failure) }
        if closed != 0 { throw fail(closed) }
        if rename(tmp, url.path) != 0 { throw fail(errno) }
    }

    /// Writes `text`, as UTF-8, to `path` atomically.
    public static func write(_ text: String, to path: String) throws { try write(Array(text.utf8), to: path) }

    /// Checks that `path`'s folder can be created and written, before a run starts.
    public static func checkWritable(_ path: String) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let probe = dir.appendingPathComponent(".proctor-write-test-\(getpid())")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: dir.path,
                                                                 NSLocalizedDescriptionKey: "reports folder \(dir.path) is not writable"])
        }
        try? FileManager.default.removeItem(at: probe)
    }
}
