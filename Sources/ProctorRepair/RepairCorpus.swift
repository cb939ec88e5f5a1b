import ProctorJSON
import ProctorSupport

/// A seeded generator of realistic model outputs for scoring and benchmarking `JSONRepair`:
/// nested records, tool calls, tables, multilingual text with CJK and emoji, escapes of every
/// kind, numbers in every form, pretty and minified layouts. It writes the JSON text itself, so it
/// knows where every value starts and ends, and from that computes the *expected* repair of any
/// prefix without using the repair engine (the oracle the tests score against).
public struct RepairCorpus {
    /// A JSON document as written, with byte spans.
    public final class Node {
        /// What JSON value a node spans; `literal` covers `true`, `false` and `null`.
        public enum Kind { case object, array, string, number, literal }
        /// What JSON value the node's bytes spell.
        public let kind: Kind
        /// The value as generated, before writing.
        public let value: JSONValue
        /// Byte offset in the written text where the value starts.
        public var start = 0
        /// Byte offset in the written text just past the value's end.
        public var end = 0
        /// For objects: members with their key spans.
        public var members: [(key: String, keyStart: Int, keyEnd: Int, value: Node)] = []
        /// For arrays: the element nodes, in order.
        public var elements: [Node] = []
        init(_ kind: Kind, _ value: JSONValue) { self.kind = kind; self.value = value }
    }

    /// How a document is written.
    public struct Style {
        /// Spaces per nesting level; 0 writes the document minified on one line.
        public var indent = 0                 // 0 = minified
        /// Writes non-ASCII characters as `\uXXXX` escapes, characters beyond the BMP as surrogate pairs.
        public var asciiEscapes = false        // non-ASCII as \uXXXX (surrogate pairs for astral)
        /// Writes `/` inside strings as `\/`.
        public var escapeSlash = false         // "/" as "\/"
        /// Adds a comma after the last item of every non-empty array and object.
        public var trailingCommas = false
        /// Puts a comment before the first member of every non-empty object: `// note` on its own line when indented, `/* note */` when minified.
        public var comments = false
        /// Quotes strings and keys with `'` instead of `"`, escaping inner `'` instead of `"`.
        public var singleQuotes = false
        /// Writes keys that are ASCII identifiers without quotes, as JavaScript object literals allow.
        public var unquotedKeys = false
        /// Writes `None`, `True` and `False` in place of `null`, `true` and `false`.
        public var pythonLiterals = false
        /// Leaves out the commas between object members, and between array elements when indented; minified output puts a space between items instead.
        public var missingCommas = false
        /// Whole numbers of 1,000 and more in other spellings that say the same number: hex
        /// (`0x3039`) or grouped with underscores (`12_345`).
        public var numberSpellings = false
        /// Makes the style of plain minified JSON: every option off.
        public init() {}
    }

    var rng: SplitMix

    /// Makes a generator seeded with `seed`; a seed gives the same documents on every platform.
    public init(seed: UInt64) { rng = SplitMix(seed: seed) }

    // MARK: - Values

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 10_000) / 10_000 < p }

    static let words = ["refund", "order", "ticket", "weather", "Paris", "status", "ok", "pending", "user", "report",
                        "日本語", "東京", "北京", "서울", "😀", "🚀✨", "Привет", "مرحبا", "naïve café", "e\u{301}cole",
                        "// not a comment", "```json", "[1, 2]", "{\"a\": 1}", "/* x */", "True", "None", "a'b", "say \"hi\"",
                        "line1\nline2", "tab\there", "back\\slash", "ctrl\u{1}\u{1F}", "a/b/c", "\u{2028}", "#hash", "", " "]

    /// A random string of one to four words from a list of hard cases: CJK, emoji, combining marks, quotes, backslashes, control characters and JSON-like text.
    public mutating func string() -> String {
        var parts: [String] = []
        for _ in 0..<int(1...4) { parts.append(pick(Self.words)) }
        return parts.joined(separator: pick([" ", "", "-", ", "]))
    }

    /// A random number: half the time one of a fixed set of tricky spellings (`-0`, exponents, a 30-digit integer), otherwise an integer within ±100,000.
    public mutating func number() -> JSONValue {
        let forms = ["0", "-0", "1", "-17", "3.25", "1e10", "-2.5E-3", "123456789012345678901234567890", "0.1", "1.5e+300",
                     "42", "99.990", "-0.000001", "7E2", "65535", "3.141592653589793", "-1.0e-5"]
        if chance(0.5) { return .number(JSONNumber(text: pick(forms))!) }
        return .number(JSONNumber(int(-100_000...100_000)))
    }

    static let keys = ["id", "name", "arguments", "location", "unit", "days", "items", "price", "qty", "tags", "ok",
                       "user_name", "createdAt", "score", "meta", "notes", "データ", "key with space", "a\"quote", "emoji😀", "x"]

    /// A random value: a scalar, or an object or array of up to five items, nesting further only while `depth` is at most 3.
    public mutating func value(depth: Int) -> JSONValue {
        let roll = int(0...9)
        if depth > 3 || roll < 4 {
            switch int(0...5) {
            case 0, 1: return .string(string())
            case 2, 3: return number()
            case 4: return .bool(chance(0.5))
            default: return .null
            }
        }
        if roll < 7 {
            var entries: [JSONObject.Entry] = []
            var used = Set<String>()
            for _ in 0..<int(0...5) {
                let k = pick(Self.keys)
                if used.insert(k).inserted { entries.append((k, value(depth: depth + 1))) }
            }
            return .object(JSONObject(entries))
        }
        return .array((0..<int(0...5)).map { _ in value(depth: depth + 1) })
    }

    /// One realistic document: a tool call, a record, a table, or free nesting.
    public mutating func document() -> JSONValue {
        switch int(0...4) {
        case 0:
            return ["name": .string(pick(["get_weather", "search_web", "create_event"])),
                    "arguments": ["location": .string(string()), "unit": .string(pick(["celsius", "fahrenheit"])),
                                  "days": number(), "flags": [.bool(true), .null, .string(string())]]]
        case 1:
            return ["id": .string("resp_\(int(1000...9999))"), "user": ["name": .string(string()), "age": number(),
                                                                           "emails": [.string(string()), .string(string())]],
                    "active": .bool(chance(0.5)), "notes": .null, "scores": [number(), number(), number()]]
        case 2:
            return .array((0..<int(1...6)).map { _ in ["sku": .string(string()), "qty": number(), "price": number(), "ok": .bool(chance(0.7))] })
        default:
            return value(depth: 0)
        }
    }

    // MARK: - Writing with spans

    /// Writes `v` in `style`; returns the bytes and the span tree.
    public func write(_ v: JSONValue, style: Style) -> (bytes: [UInt8], root: Node) {
        var out: [UInt8] = []
        let root = write(v, style, 0, &out)
        return (out, root)
    }

    func newline(_ style: Style, _ level: Int, _ out: inout [UInt8]) {
        guard style.indent > 0 else { return }
        out.append(0x0A)
        out.append(contentsOf: [UInt8](repeating: 0x20, count: style.indent * level))
    }

    func write(_ v: JSONValue, _ style: Style, _ level: Int, _ out: inout [UInt8]) -> Node {
        let start = out.count
        let node: Node
        switch v {
        case .null:
            node = Node(.literal, v); out.append(contentsOf: (style.pythonLiterals ? "None" : "null").utf8)
        case .bool(let b):
            node = Node(.literal, v)
            out.append(contentsOf: (style.pythonLiterals ? (b ? "True" : "False") : (b ? "true" : "false")).utf8)
        case .number(let n):
            node = Node(.number, v)
            if style.numberSpellings, n.isInteger, let i = Int64(n.text), abs(i) >= 1000 {
                let digits = String(abs(i))
                var grouped = ""
                for (k, ch) in digits.enumerated() { if k > 0 && (digits.count - k) % 3 == 0 { grouped += "_" }; grouped.append(ch) }
                out.append(contentsOf: ((i < 0 ? "-" : "") + (i % 2 == 0 ? "0x" + String(abs(i), radix: 16, uppercase: true) : grouped)).utf8)
            } else {
                out.append(contentsOf: n.text.utf8)
            }
        case .string(let s):
            node = Node(.string, v); writeString(s, style, &out)
        case .array(let items):
            node = Node(.array, v)
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 && !(style.missingCommas && style.indent > 0) { out.append(UInt8(ascii: ",")) }
                if i > 0 && style.indent == 0 && style.missingCommas { out.append(0x20) }
                newline(style, level + 1, &out)
                node.elements.append(write(item, style, level + 1, &out))
            }
            if !items.isEmpty && style.trailingCommas { out.append(UInt8(ascii: ",")) }
            if !items.isEmpty { newline(style, level, &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            node = Node(.object, v)
            out.append(UInt8(ascii: "{"))
            for (i, e) in o.entries.enumerated() {
                if i > 0 && !style.missingCommas { out.append(UInt8(ascii: ",")) }
                if i > 0 && style.missingCommas && style.indent == 0 { out.append(0x20) }
                newline(style, level + 1, &out)
                if style.comments && i == 0 {
                    out.append(contentsOf: (style.indent > 0 ? "// note\n" + String(repeating: " ", count: style.indent * (level + 1)) : "/* note */ ").utf8)
                }
                let ks = out.count
                if style.unquotedKeys && isIdentifier(e.key) { out.append(contentsOf: e.key.utf8) } else { writeString(e.key, style, &out) }
                let ke = out.count
                out.append(UInt8(ascii: ":"))
                if style.indent > 0 { out.append(0x20) }
                let child = write(e.value, style, level + 1, &out)
                node.members.append((e.key, ks, ke, child))
            }
            if !o.isEmpty && style.trailingCommas { out.append(UInt8(ascii: ",")) }
            if !o.isEmpty { newline(style, level, &out) }
            out.append(UInt8(ascii: "}"))
        }
        node.start = start
        node.end = out.count
        return node
    }

    func isIdentifier(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.isASCII, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    func writeString(_ s: String, _ style: Style, _ out: inout [UInt8]) {
        let q: UInt8 = style.singleQuotes ? 0x27 : 0x22
        out.append(q)
        for u in s.unicodeScalars {
            switch u {
            case "\"": if q == 0x22 { out.append(contentsOf: "\\\"".utf8) } else { out.append(0x22) }
            case "'": if q == 0x27 { out.append(contentsOf: "\\'".utf8) } else { out.append(0x27) }
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "/": out.append(contentsOf: (style.escapeSlash ? "\\/" : "/").utf8)
            case "\n": out.append(contentsOf: "\\n".utf8)
            case "\r": out.append(contentsOf: "\\r".utf8)
            case "\t": out.append(contentsOf: "\\t".utf8)
            case "\u{8}": out.append(contentsOf: "\\b".utf8)
            case "\u{C}": out.append(contentsOf: "\\f".utf8)
            default:
                if u.value < 0x20 || (style.asciiEscapes && u.value >= 0x80) {
                    if u.value >= 0x10000 {
                        let v = u.value - 0x10000
                        out.append(contentsOf: "\\u\(hex4(0xD800 + (v >> 10)))\\u\(hex4(0xDC00 + (v & 0x3FF)))".utf8)
                    } else {
                        out.append(contentsOf: "\\u\(hex4(u.value))".utf8)
                    }
                } else {
                    out.append(contentsOf: String(u).utf8)
                }
            }
        }
        out.append(q)
    }

    func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    // MARK: - The oracle

    /// What a correct repair of `bytes[0..<cut]` must return (nil: nothing recoverable).
    public static func expected(_ node: Node, _ bytes: [UInt8], cut: Int, dropPartialStrings: Bool = false) -> JSONValue? {
        if node.end <= cut { return node.value }
        if node.start >= cut { return nil }
        switch node.kind {
        case .literal:
            return node.value
        case .number:
            var t = Array(bytes[node.start..<cut])
            while let l = t.last, l == UInt8(ascii: ".") || l == UInt8(ascii: "e") || l == UInt8(ascii: "E") || l == UInt8(ascii: "+") || l == UInt8(ascii: "-") {
                t.removeLast()
            }
            if t.isEmpty { return nil }
            return JSONNumber(text: String(decoding: t, as: UTF8.self)).map { .number($0) }
        case .string:
            if dropPartialStrings { return nil }
            return .string(decodePartial(Array(bytes[(node.start + 1)..<cut])))
        case .array:
            var items: [JSONValue] = []
            for e in node.elements {
                guard e.start < cut, let v = expected(e, bytes, cut: cut, dropPartialStrings: dropPartialStrings) else { break }
                items.append(v)
                if e.end > cut { break }
            }
            return .array(items)
        case .object:
            var entries: [JSONObject.Entry] = []
            for m in node.members {
                guard m.keyEnd <= cut, m.value.start < cut,
                      let v = expected(m.value, bytes, cut: cut, dropPartialStrings: dropPartialStrings) else { break }
                entries.append((m.key, v))
                if m.value.end > cut { break }
            }
            return .object(JSONObject(entries))
        }
    }

    /// Decodes the content of a string cut short: complete escapes and characters are kept; a cut
    /// escape, an unpaired trailing high surrogate and a cut UTF-8 sequence are dropped.
    static func decodePartial(_ b: [UInt8]) -> String {
        var scalars: [Unicode.Scalar] = []
        var i = 0
        func hex(_ at: Int) -> UInt32? {
            guard at + 4 <= b.count else { return nil }
            return UInt32(String(decoding: b[at..<(at + 4)], as: UTF8.self), radix: 16)
        }
        while i < b.count {
            if b[i] == UInt8(ascii: "\\") {
                guard i + 1 < b.count else { break }
                let e = b[i + 1]
                if e == UInt8(ascii: "u") {
                    guard let u = hex(i + 2) else { break }
                    if u >= 0xD800 && u < 0xDC00 {
                        guard i + 6 + 6 <= b.count, b[i + 6] == UInt8(ascii: "\\"), let lo = hex(i + 8) else { break }
                        scalars.append(Unicode.Scalar(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00))!)
                        i += 12
                    } else {
                        scalars.append(Unicode.Scalar(u)!)
                        i += 6
                    }
                    continue
                }
                let map: [UInt8: UInt32] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 8, 0x66: 0xC, 0x6E: 0xA, 0x72: 0xD, 0x74: 9, 0x27: 0x27]
                scalars.append(Unicode.Scalar(map[e]!)!)
                i += 2
                continue
            }
            let n = b[i] < 0x80 ? 1 : b[i] >= 0xF0 ? 4 : b[i] >= 0xE0 ? 3 : 2
            guard i + n <= b.count else { break }
            scalars.append(contentsOf: String(decoding: b[i..<(i + n)], as: UTF8.self).unicodeScalars)
            i += n
        }
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars)
        return s
    }
}
