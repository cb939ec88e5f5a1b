/// Writes `JSONValue`s as JSON text: compact or pretty, members in stored order, minimal escaping.
///
/// Only `"`, `\` and control characters are escaped, so output stays readable (non-ASCII text is
/// written as UTF-8, never as `\u` escapes).
public enum JSONSerializer {
    /// Output settings: indentation and key order.
    public struct Options: Sendable {
        /// Two-space indentation and one member per line.
        public var pretty: Bool
        /// Sort object keys (for byte-stable files such as cassettes).
        public var sortKeys: Bool
        /// Makes settings; the defaults give compact output with members in stored order.
        public init(pretty: Bool = false, sortKeys: Bool = false) {
            self.pretty = pretty
            self.sortKeys = sortKeys
        }
    }

    /// The JSON text for `value`, written with `options`.
    public static func string(_ value: JSONValue, options: Options = Options()) -> String {
        String(decoding: bytes(value, options: options), as: UTF8.self)
    }

    /// The JSON text for `value`, pretty-printed when `pretty` is true; a shorthand for the `options:` form.
    public static func string(_ value: JSONValue, pretty: Bool) -> String {
        string(value, options: Options(pretty: pretty))
    }

    /// The UTF-8 bytes of the JSON text for `value`, written with `options`.
    public static func bytes(_ value: JSONValue, options: Options = Options()) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out, options: options, indent: 0)
        return out
    }

    /// Appends `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8], options: Options = Options(), indent: Int = 0) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.text.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if options.pretty { newline(&out, indent + 1) }
                write(item, into: &out, options: options, indent: indent + 1)
            }
            if options.pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let obj):
            if obj.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            let entries = options.sortKeys ? obj.uniqueEntries.sorted { $0.key < $1.key } : obj.entries
            for (i, e) in entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if options.pretty { newline(&out, indent + 1) }
                writeString(e.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if options.pretty { out.append(UInt8(ascii: " ")) }
                write(e.value, into: &out, options: options, indent: indent + 1)
            }
            if options.pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(0x0A)
        for _ in 0..<indent { out.append(0x20); out.append(0x20) }
    }

    /// Appends `s` as a JSON string literal.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        // Native strings are read in place (no copy, so no retain of storage that other threads
        // may be reading); others are made contiguous first.
        if s.utf8.withContiguousStorageIfAvailable({ writeString(bytes: $0, into: &out) }) != nil { return }
        var s = s
        s.withUTF8 { writeString(bytes: $0, into: &out) }
    }

    /// How many extra bytes escaping `bytes` takes (0: none needs escaping). Eight bytes at a
    /// time: a word with no `"`, `\` or control byte is skipped with a few arithmetic operations.
    @inline(__always) public static func escapeExtra(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        guard n > 0, let p = bytes.baseAddress else { return 0 }
        var i = 0
        var extra = 0
        while i + 8 <= n {
            if mayNeedEscape(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) {
                for k in i..<(i + 8) where needsEscape(p[k]) { extra += shortEscape(p[k]) != 0 ? 1 : 5 }
            }
            i += 8
        }
        while i < n {
            if needsEscape(p[i]) { extra += shortEscape(p[i]) != 0 ? 1 : 5 }
            i += 1
        }
        return extra
    }

    /// Whether any of the eight bytes in `w` may need escaping: a byte is flagged when < 0x20,
    /// == 0x22 or == 0x5C (exact for ASCII; bytes ≥ 0x80 may be flagged too, and the caller then
    /// checks the eight one by one).
    @inline(__always) static func mayNeedEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let lt20 = (w &- ones &* 0x20) & ~w
        let q = w ^ (ones &* 0x22), bs = w ^ (ones &* 0x5C)
        let eq = ((q &- ones) & ~q) | ((bs &- ones) & ~bs)
        return (lt20 | eq) & highs != 0
    }

    /// Room `writeQuoted(_:to:)` may need for `n` bytes: every byte a six-byte `\u00XX`, and
    /// the quotes (its whole-word stores write only the word's own eight bytes).
    public static func quotedCapacity(_ n: Int) -> Int { 6 * n + 2 }

    /// Writes `bytes` as a JSON string literal at `dst` in one pass and returns how many bytes it
    /// wrote; `dst` has room for `quotedCapacity(bytes.count)`. Words with nothing to escape are
    /// stored whole; the bytes are those of `writeString`.
    @inline(__always) public static func writeQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to dst: UnsafeMutablePointer<UInt8>) -> Int {
        let n = bytes.count
        var j = 0
        dst[0] = UInt8(ascii: "\""); j = 1
        if n > 0, let src = bytes.baseAddress {
            var i = 0
            while i + 8 <= n {
                let w = UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self)
                if !mayNeedEscape(w) {
                    UnsafeMutableRawPointer(dst + j).storeBytes(of: w, as: UInt64.self)
                    j += 8
                } else {
                    for k in i..<(i + 8) { j += escaped(src[k], to: dst + j) }
                }
                i += 8
            }
            while i < n { j += escaped(src[i], to: dst + j); i += 1 }
        }
        dst[j] = UInt8(ascii: "\"")
        return j + 1
    }

    /// `b` at `d`, escaped when it must be (`\"`, `\n`, …, `\u00XX`); the bytes written.
    @inline(__always) static func escaped(_ b: UInt8, to d: UnsafeMutablePointer<UInt8>) -> Int {
        guard needsEscape(b) else { d[0] = b; return 1 }
        d[0] = 0x5C
        let e = shortEscape(b)
        if e != 0 { d[1] = e; return 2 }
        d[1] = UInt8(ascii: "u"); d[2] = 0x30; d[3] = 0x30
        d[4] = hexDigits[Int(b >> 4)]; d[5] = hexDigits[Int(b & 0xF)]
        return 6
    }

    /// Bytes that need escaping in a JSON string: `"`, `\` and the control characters.
    @inline(__always) static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

    /// The UTF-8 `bytes` as a JSON string literal: runs that need no escaping are copied in bulk.
    public static func writeString(bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        // Two passes: the exact output length first, then runs copied and escapes written through
        // a raw pointer, so no byte pays for an append's uniqueness and capacity checks.
        let n = bytes.count
        let extra = escapeExtra(bytes)
        if extra == 0 && n <= 256 {
            // Short and plain (most keys, ids and messages): quotes and bytes in one append.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n + 2) { t in
                let p = t.baseAddress!
                p[0] = UInt8(ascii: "\"")
                if n > 0 { (p + 1).initialize(from: bytes.baseAddress!, count: n) }
                p[n + 1] = UInt8(ascii: "\"")
                out.append(contentsOf: UnsafeBufferPointer(start: p, count: n + 2))
            }
            return
        }
        let base = out.count
        var fill = n + 2 + extra
        while fill > 0 {
            let k = min(fill, zeros.count)
            out.append(contentsOf: zeros[0..<k])
            fill -= k
        }
        out.withUnsafeMutableBufferPointer { o in writeQuoted(bytes, extra: extra, to: o.baseAddress! + base) }
    }

    /// Writes `bytes` as a JSON string literal at `dst`, which has room for `bytes.count + 2 +
    /// extra` bytes (`extra` from `escapeExtra`), so writers with their own buffers share the escaping.
    public static func writeQuoted(_ bytes: UnsafeBufferPointer<UInt8>, extra: Int, to dst: UnsafeMutablePointer<UInt8>) {
        let n = bytes.count
        var j = 0
        dst[j] = UInt8(ascii: "\""); j += 1
        if n > 0, let src = bytes.baseAddress {
            var runStart = 0
            if extra > 0 {
                for i in 0..<n where needsEscape(src[i]) {
                    if i > runStart { (dst + j).update(from: src + runStart, count: i - runStart); j += i - runStart }
                    j += escaped(src[i], to: dst + j)
                    runStart = i + 1
                }
            }
            if n > runStart { (dst + j).update(from: src + runStart, count: n - runStart); j += n - runStart }
        }
        dst[j] = UInt8(ascii: "\"")
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    /// Grows an output buffer by a memory copy (a generic repeated-element append is far slower).
    static let zeros = [UInt8](repeating: 0, count: 4096)

    /// The letter after the backslash of a two-byte escape (`"`, `\\`, `n`, `r`, `t`, `b`, `f`), 0 for `\u00XX`.
    @inline(__always) static func shortEscape(_ b: UInt8) -> UInt8 {
        switch b {
        case 0x22: return 0x22
        case 0x5C: return 0x5C
        case 0x0A: return UInt8(ascii: "n")
        case 0x0D: return UInt8(ascii: "r")
        case 0x09: return UInt8(ascii: "t")
        case 0x08: return UInt8(ascii: "b")
        case 0x0C: return UInt8(ascii: "f")
        default: return 0
        }
    }

    /// `s` as a JSON string literal.
    public static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        writeString(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
