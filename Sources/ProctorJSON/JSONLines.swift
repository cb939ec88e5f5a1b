/// Reads JSON Lines: one JSON document per line, blank lines skipped.
///
/// Errors carry the 1-based line number so a user can find the bad record in a large log.
public enum JSONLines {
    /// One parsed line of a JSON Lines input.
    public struct Record: Sendable {
        /// 1-based line number in the input.
        public let line: Int
        /// The document on that line.
        public let value: JSONValue
    }

    /// The first line that is not valid JSON, and where on it parsing failed.
    public struct LineError: Error, Sendable, CustomStringConvertible {
        /// 1-based line number in the input.
        public let line: Int
        /// 1-based column within that line, counted in Unicode code points.
        public let column: Int
        /// What the parser found wrong.
        public let message: String
        /// The error as `line:column: message`.
        public var description: String { "\(line):\(column): \(message)" }
    }

    /// Parses every non-blank line; throws on the first bad line.
    public static func parse(_ bytes: [UInt8], options: JSONParser.Options = .strict) throws(LineError) -> [Record] {
        var records: [Record] = []
        var err: LineError?
        forEachLine(bytes) { line, buf in
            do throws(JSONParseError) {
                records.append(Record(line: line, value: try JSONParser.parse(bytes: buf, options: options)))
                return true
            } catch {
                err = LineError(line: line, column: error.column, message: error.message)
                return false
            }
        }
        if let err { throw err }
        return records
    }

    /// Calls `body` with each non-blank line's bytes (without the newline and a trailing `\r`);
    /// stops early when `body` returns false.
    public static func forEachLine(_ bytes: [UInt8], _ body: (Int, UnsafeBufferPointer<UInt8>) -> Bool) {
        forEachLine(bytes, in: bytes.indices, firstLine: 1, body)
    }

    /// Splits `bytes` into about `count` pieces that end at line ends, each with the number of
    /// its first line, so the pieces can be read on different cores and still name lines right.
    public static func pieces(_ bytes: [UInt8], count: Int) -> [(range: Range<Int>, firstLine: Int)] {
        guard count > 1, bytes.count > 1 else { return [(bytes.indices, 1)] }
        var out: [(range: Range<Int>, firstLine: Int)] = []
        bytes.withUnsafeBufferPointer { all in
            var start = 0, line = 1
            for k in 1...count {
                var end = k == count ? all.count : max(start, all.count * k / count)
                while end < all.count && end > 0 && all[end - 1] != 0x0A { end += 1 }
                if end <= start { continue }
                out.append((start..<end, line))
                line += newlines(in: UnsafeBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
        return out
    }

    /// How many `\n` bytes `bytes` holds, counted eight bytes at a time.
    static func newlines(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let n = bytes.count
        var count = 0, i = 0
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F, lf: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        let raw = UnsafeRawPointer(base)
        while i + 8 <= n {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ lf
            // The high bit of each byte that was `\n` (now zero), exactly: no borrow crosses bytes.
            let zero = ~(((x & low7) &+ low7) | x | low7)
            count += zero.nonzeroBitCount
            i += 8
        }
        while i < n {
            if base[i] == 0x0A { count += 1 }
            i += 1
        }
        return count
    }

    /// `forEachLine` over the lines in `range` of `bytes`, the first of them numbered `firstLine`.
    public static func forEachLine(_ bytes: [UInt8], in range: Range<Int>, firstLine: Int, _ body: (Int, UnsafeBufferPointer<UInt8>) -> Bool) {
        bytes.withUnsafeBufferPointer { all in
            var start = range.lowerBound
            var line = firstLine
            let n = range.upperBound
            while start < n {
                var end = start
                while end < n && all[end] != 0x0A { end += 1 }
                var stop = end
                if stop > start && all[stop - 1] == 0x0D { stop -= 1 }
                var blank = true
                for i in start..<stop where !(all[i] == 0x20 || all[i] == 0x09) { blank = false; break }
                if !blank {
                    if !body(line, UnsafeBufferPointer(rebasing: all[start..<stop])) { return }
                }
                start = end + 1
                line += 1
            }
        }
    }
}
