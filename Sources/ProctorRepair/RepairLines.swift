import ProctorJSON

/// Batch repair of JSON Lines whose every line is a JSON string literal holding one broken text
/// (what `proctor repair --lines` reads), on every core.
public enum RepairLines {
    /// A line that was not a JSON string literal (it is answered with `null`).
    public struct Unreadable: Sendable, Equatable {
        /// 1-based line number in the input.
        public let line: Int
        /// The line was blank (else it held something other than one string literal).
        public let blank: Bool

        /// A line's number and whether it was blank.
        public init(line: Int, blank: Bool) {
            self.line = line
            self.blank = blank
        }
    }

    /// Lines whose repair changed or dropped what the text said (`RepairResult.isLossy`).
    public struct LossyLines: Sendable, Equatable {
        /// How many lines.
        public var count = 0
        /// The first such line and its lossy repairs, described.
        public var first: (line: Int, repairs: String)?

        /// Equal when the counts and the first lossy lines match.
        public static func == (a: LossyLines, b: LossyLines) -> Bool { a.count == b.count && a.first?.line == b.first?.line && a.first?.repairs == b.first?.repairs }
    }

    /// Repairs every line of `bytes` and hands the output to `write` in input order, a piece at
    /// a time: output line N answers input line N, the repaired JSON text as a string literal, or
    /// `null` when nothing could be recovered or the line was unreadable. Unreadable lines go to
    /// `unreadable` in order, each before the piece of output that holds its `null`. Returns the
    /// lines that needed a lossy repair, so the caller can say so.
    @discardableResult
    public static func repair(_ bytes: [UInt8], options: JSONRepair.Options, split: JSONLines.Split,
                              write: ([UInt8]) -> Void, unreadable: (Unreadable) -> Void) -> LossyLines {
        var lossy = LossyLines()
        JSONLines.transformInOrder(bytes, split: split, transform: { range, firstLine in
            piece(bytes, range, firstLine, options: options)
        }, consume: { out in
            for u in out.unreadable { unreadable(u) }
            lossy.count += out.lossy.count
            if lossy.first == nil { lossy.first = out.lossy.first }
            write(out.lines)
        })
        return lossy
    }

    /// The output lines for the input lines in `range`, and the lines that could not be read.
    /// Unlike `JSONLines.forEachLine`, blank lines are answered too (with `null`).
    static func piece(_ bytes: [UInt8], _ range: Range<Int>, _ firstLine: Int, options: JSONRepair.Options)
        -> (lines: [UInt8], unreadable: [Unreadable], lossy: LossyLines) {
        var lossy = LossyLines()
        var out: [UInt8] = []
        out.reserveCapacity(range.count + range.count / 4)
        var bad: [Unreadable] = []
        var text: [UInt8] = []  // one line's decoded text, reused
        bytes.withUnsafeBufferPointer { all in
            var start = range.lowerBound, line = firstLine
            while start < range.upperBound {
                var end = start
                while end < range.upperBound && all[end] != 0x0A { end += 1 }
                var stop = end
                if stop > start && all[stop - 1] == 0x0D { stop -= 1 }
                let buf = UnsafeBufferPointer(rebasing: all[start..<stop])
                text.removeAll(keepingCapacity: true)
                if (try? JSONParser.decodeString(bytes: buf, into: &text)) != nil {
                    let repaired = text.withUnsafeBufferPointer { try? JSONRepair.repair(bytes: $0, options: options) }
                    if let r = repaired {
                        if r.isLossy {
                            lossy.count += 1
                            if lossy.first == nil { lossy.first = (line, r.repairs.filter(\.isLossy).map(\.description).joined(separator: ", ")) }
                        }
                        JSONSerializer.writeQuoted(r.value, into: &out)
                    } else {
                        out.append(contentsOf: "null".utf8)
                    }
                } else {
                    bad.append(Unreadable(line: line, blank: buf.isEmpty))
                    out.append(contentsOf: "null".utf8)
                }
                out.append(0x0A)
                start = end + 1
                line += 1
            }
        }
        return (out, bad, lossy)
    }
}
