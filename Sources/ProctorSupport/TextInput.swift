import Foundation

/// Reading text inputs (suites, cases, schemas, prompts, results): a leading UTF-8 byte-order mark,
/// as spreadsheets and some editors write, is not part of the text and is dropped.
public enum TextInput {
    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The file's bytes without a leading BOM; nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        // A regular file is read straight into the array (one copy, not Data and then an array);
        // anything else (a pipe, a device, an empty or growing file) goes through FileManager.
        if let bytes = readRegularFile(path) { return strippingBOM(bytes) }
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return strippingBOM([UInt8](d))
    }

    static func readRegularFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        let size = Int(st.st_size)
        var complete = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buf, count in
            var got = 0
            while got <= size {
                let n = Foundation.read(fd, buf.baseAddress! + got, size + 1 - got)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                got += n
            }
            count = min(got, size)
            complete = got == size
        }
        return complete ? bytes : nil
    }

    /// `bytes` without a leading UTF-8 BOM.
    public static func strippingBOM(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: bom) ? Array(bytes.dropFirst(3)) : bytes
    }

    /// `bytes` without one final newline ("\n" or "\r\n"): the one rule for program and file output,
    /// where editors, `echo` and `print` add a newline that is not part of the text.
    public static func droppingFinalNewline(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.last == 0x0A else { return bytes }
        return Array(bytes.dropLast(bytes.count >= 2 && bytes[bytes.count - 2] == 0x0D ? 2 : 1))
    }
}
