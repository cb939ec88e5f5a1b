import ProctorSupport

// The recursive-descent parser behind `JSONParser`, over an unsafe byte buffer.

@usableFromInline
struct _ByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let options: JSONParser.Options
    var pos = 0
    var depth = 0
    /// Reused scratch buffer for strings with escapes.
    var scratch: [UInt8] = []
    /// When set, records the byte offset of every value (array elements, root) and member (its key).
    var locations: [String: Int]?
    var path: [String] = []
    /// Skip building messages (callers that only need to know whether the text is valid).
    var quiet = false
    let stackFloor = StackGuard.floor()

    init(bytes: UnsafeBufferPointer<UInt8>, options: JSONParser.Options) {
        self.bytes = bytes
        self.options = options
    }

    var strict: Bool { options.mode == .strict }

    // MARK: - Errors

    func error(_ message: @autoclosure () -> String, at offset: Int? = nil) -> JSONParseError {
        let off = offset ?? pos
        if quiet { return JSONParseError(offset: off, line: 0, column: 0, message: "") }
        let message = message()
        let (l, c) = JSONParseError.locate(bytes, offset: off)
        return JSONParseError(offset: off, line: l, column: c, message: message)
    }

    func describeByte(at i: Int) -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        if b < 0x80 { return "byte 0x" + hex2(b) }
        // Show the whole code point when it decodes.
        var end = i + 1
        while end < bytes.count && end < i + 4 && bytes[end] & 0xC0 == 0x80 { end += 1 }
        if let s = String(validating: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self) { return "'\(s)'" }
        return "byte 0x" + hex2(b)
    }

    // MARK: - Document

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        try skipWhitespace()
        if pos >= bytes.count { throw error("unexpected end of input, expected a JSON value") }
        let v = try parseValue()
        try skipWhitespace()
        if pos < bytes.count { throw error("unexpected \(describeByte(at: pos)) after the JSON value") }
        return v
    }

    // MARK: - Whitespace and comments

    mutating func skipWhitespace() throws(JSONParseError) {
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 {
                pos += 1
            } else if b == UInt8(ascii: "/") {
                if strict { throw error("comments are not allowed in strict JSON") }
                try skipComment()
            } else {
                return
            }
        }
    }

    mutating func skipComment() throws(JSONParseError) {
        let start = pos
        guard pos + 1 < bytes.count else { throw error("unexpected '/', expected a comment") }
        let next = bytes[pos + 1]
        if next == UInt8(ascii: "/") {
            pos += 2
            while pos < bytes.count && bytes[pos] != 0x0A { pos += 1 }
        } else if next == UInt8(ascii: "*") {
            pos += 2
            while pos + 1 < bytes.count {
                if bytes[pos] == UInt8(ascii: "*") && bytes[pos + 1] == UInt8(ascii: "/") { pos += 2; return }
                pos += 1
            }
            throw error("unterminated block comment", at: start)
        } else {
            throw error("unexpected '/', expected a comment ('//' or '/*')")
        }
    }

    // MARK: - Values

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard pos < bytes.count else { throw error("unexpected end of input, expected a JSON value") }
        if locations != nil { recordLocation(pos, keepExisting: true) }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "'"): throw error("strings must use double quotes")
        default: throw error("expected a JSON value, found \(describeByte(at: pos))")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let start = pos
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        for i in 0..<n {
            if pos + i >= bytes.count || bytes[pos + i] != w[i] {
                throw error("invalid literal, expected '\(word)'", at: start)
            }
        }
        pos += n
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > options.maxDepth { throw error("nesting deeper than \(options.maxDepth) levels") }
        if StackGuard.isLow(stackFloor) { throw error("nesting too deep for the available stack (\(depth) levels)") }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        pos += 1
        var items: [JSONValue] = []
        try skipWhitespace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") { pos += 1; depth -= 1; return .array(items) }
        while true {
            try skipWhitespace()
            if locations != nil { path.append(String(items.count)) }
            items.append(try parseValue())
            if locations != nil { path.removeLast() }
            try skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input, expected ',' or ']' after array element") }
            let b = bytes[pos]
            if b == UInt8(ascii: ",") {
                pos += 1
                try skipWhitespace()
                if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") {
                    if strict { throw error("trailing comma before ']' is not allowed in strict JSON") }
                    pos += 1; break
                }
            } else if b == UInt8(ascii: "]") {
                pos += 1; break
            } else {
                throw error("expected ',' or ']' after array element, found \(describeByte(at: pos))")
            }
        }
        depth -= 1
        return .array(items)
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        pos += 1
        var entries: [JSONObject.Entry] = []
        try skipWhitespace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") { pos += 1; depth -= 1; return .object(JSONObject(entries)) }
        while true {
            try skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input, expected a string key") }
            guard bytes[pos] == UInt8(ascii: "\"") else {
                throw error("expected a double-quoted string key, found \(describeByte(at: pos))")
            }
            let keyStart = pos
            let key = try parseString()
            if locations != nil { path.append(key); recordLocation(keyStart, keepExisting: false) }
            try skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw error("expected ':' after object key, found \(describeByte(at: pos))")
            }
            pos += 1
            try skipWhitespace()
            let value = try parseValue()
            if locations != nil { path.removeLast() }
            entries.append((key: key, value: value))
            try skipWhitespace()
            guard pos < bytes.count else { throw error("unexpected end of input, expected ',' or '}' after object member") }
            let b = bytes[pos]
            if b == UInt8(ascii: ",") {
                pos += 1
                try skipWhitespace()
                if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") {
                    if strict { throw error("trailing comma before '}' is not allowed in strict JSON") }
                    pos += 1; break
                }
            } else if b == UInt8(ascii: "}") {
                pos += 1; break
            } else {
                throw error("expected ',' or '}' after object member, found \(describeByte(at: pos))")
            }
        }
        depth -= 1
        return .object(JSONObject(entries))
    }

    mutating func recordLocation(_ offset: Int, keepExisting: Bool) {
        let key = path.map { "/" + JSONPointer.escape($0) }.joined()
        if keepExisting && locations![key] != nil { return }
        locations![key] = offset
    }

    // MARK: - Numbers

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = pos
        var negative = false
        if bytes[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid number: expected a digit after '-'") }
        }
        var mantissa: UInt64 = 0
        var digitCount = 0
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count && isDigit(bytes[pos]) { throw error("invalid number: leading zeros are not allowed", at: pos - 1) }
            digitCount = 1
        } else {
            while pos < bytes.count && isDigit(bytes[pos]) {
                if digitCount < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[pos] &- 0x30) }
                digitCount += 1
                pos += 1
            }
        }
        var simple = true
        if pos < bytes.count && bytes[pos] == UInt8(ascii: ".") {
            simple = false
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid number: expected a digit after '.'") }
            while pos < bytes.count && isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count && (bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E")) {
            simple = false
            pos += 1
            if pos < bytes.count && (bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid number: expected a digit in the exponent") }
            while pos < bytes.count && isDigit(bytes[pos]) { pos += 1 }
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<pos])
        let text = String(decoding: slice, as: UTF8.self)
        let d: Double
        if simple && digitCount <= 18 {
            d = negative ? -Double(mantissa) : Double(mantissa)
        } else {
            d = Double(text) ?? (negative ? -.infinity : .infinity)
        }
        return JSONNumber(validText: text, double: d)
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    // MARK: - Strings

    mutating func parseString() throws(JSONParseError) -> String {
        let start = pos
        pos += 1
        let contentStart = pos
        // Fast path: no escapes.
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[contentStart..<pos]), as: UTF8.self)
                pos += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 {
                if strict { throw error("control character U+00\(hex2(b)) in string must be escaped") }
                pos += 1
            } else if b < 0x80 {
                pos += 1
            } else {
                try validateUTF8Sequence()
            }
        }
        guard pos < bytes.count else { throw error("unterminated string", at: start) }
        // Slow path: copy what we have, then decode escapes.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<pos]))
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") {
                try parseEscape()
            } else if b < 0x20 {
                if strict { throw error("control character U+00\(hex2(b)) in string must be escaped") }
                scratch.append(b); pos += 1
            } else if b < 0x80 {
                scratch.append(b); pos += 1
            } else {
                let s = pos
                try validateUTF8Sequence()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[s..<pos]))
            }
        }
        throw error("unterminated string", at: start)
    }

    /// A document that is exactly one JSON string: its decoded UTF-8 appended to `out`, runs
    /// without escapes copied in bulk and no String made (what `repair --lines` reads per line).
    mutating func parseStringDocument(into out: inout [UInt8]) throws(JSONParseError) {
        try skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
            throw error(pos < bytes.count ? "expected a JSON string, found \(describeByte(at: pos))" : "unexpected end of input, expected a JSON string")
        }
        let start = pos
        pos += 1
        var run = pos
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<pos]))
                pos += 1
                try skipWhitespace()
                if pos < bytes.count { throw error("unexpected \(describeByte(at: pos)) after the JSON value") }
                return
            }
            if b == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<pos]))
                if pos + 1 < bytes.count, let d = JSONEscape.decoded(bytes[pos + 1]) {
                    // A two-byte escape (most of them, in JSON text inside a string): no scratch buffer.
                    out.append(d)
                    pos += 2
                } else {
                    scratch.removeAll(keepingCapacity: true)
                    try parseEscape()
                    out.append(contentsOf: scratch)
                }
                run = pos
            } else if b < 0x20 {
                if strict { throw error("control character U+00\(hex2(b)) in string must be escaped") }
                pos += 1
            } else if b < 0x80 {
                pos += 1
            } else {
                try validateUTF8Sequence()
            }
        }
        throw error("unterminated string", at: start)
    }

    mutating func parseEscape() throws(JSONParseError) {
        let escStart = pos
        pos += 1
        guard pos < bytes.count else { throw error("unterminated escape sequence", at: escStart) }
        let c = bytes[pos]
        pos += 1
        if let b = JSONEscape.decoded(c) { scratch.append(b); return }
        switch c {
        case UInt8(ascii: "u"):
            let u = try hex4(at: escStart)
            var scalar: UInt32 = u
            if u >= 0xD800 && u < 0xDC00 {
                // High surrogate: a low one must follow.
                if pos + 1 < bytes.count && bytes[pos] == UInt8(ascii: "\\") && bytes[pos + 1] == UInt8(ascii: "u") {
                    let save = pos
                    pos += 2
                    let lo = try hex4(at: save)
                    if lo >= 0xDC00 && lo < 0xE000 {
                        scalar = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        if strict { throw error("lone surrogate \\u\(hex4String(u)) in string (not followed by a low surrogate)", at: escStart) }
                        pos = save
                        scalar = 0xFFFD
                    }
                } else {
                    if strict { throw error("lone surrogate \\u\(hex4String(u)) in string (not followed by a low surrogate)", at: escStart) }
                    scalar = 0xFFFD
                }
            } else if u >= 0xDC00 && u < 0xE000 {
                if strict { throw error("lone surrogate \\u\(hex4String(u)) in string (low surrogate without a high one)", at: escStart) }
                scalar = 0xFFFD
            }
            appendScalar(scalar)
        default:
            throw error("invalid escape sequence '\\\(describeEscapeChar(c))' in string", at: escStart)
        }
    }

    func describeEscapeChar(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? String(Character(Unicode.Scalar(c))) : "x" + hex2(c)
    }

    mutating func hex4(at escStart: Int) throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("invalid \\u escape: expected 4 hex digits", at: escStart) }
        var v: UInt32 = 0
        for i in 0..<4 {
            let b = bytes[pos + i]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - 0x41 + 10)
            default: throw error("invalid \\u escape: expected 4 hex digits", at: escStart)
            }
            v = v << 4 | d
        }
        pos += 4
        return v
    }

    mutating func appendScalar(_ s: UInt32) { UTF8Encoding.append(s, to: &scratch) }

    /// Checks one multi-byte UTF-8 sequence at `pos` (RFC 3629: no overlongs, no surrogates) and steps over it.
    mutating func validateUTF8Sequence() throws(JSONParseError) {
        let b0 = bytes[pos]
        var need = 0
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; hi = 0x9F
        case 0xF0: need = 3; lo = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; hi = 0x8F
        default: throw error("invalid UTF-8 byte 0x\(hex2(b0))")
        }
        guard pos + need < bytes.count else { throw error("invalid UTF-8: truncated sequence") }
        let b1 = bytes[pos + 1]
        if b1 < lo || b1 > hi { throw error("invalid UTF-8 byte 0x\(hex2(b1))", at: pos + 1) }
        var i = 2
        while i <= need {
            let b = bytes[pos + i]
            if b & 0xC0 != 0x80 { throw error("invalid UTF-8 byte 0x\(hex2(b))", at: pos + i) }
            i += 1
        }
        pos += need + 1
    }
}

@usableFromInline func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
}

func hex4String(_ v: UInt32) -> String { hex2(UInt8((v >> 8) & 0xFF)) + hex2(UInt8(v & 0xFF)) }

/// Appends the UTF-8 encoding of a scalar value (shared by the parser and the repair engine).
public enum UTF8Encoding {
    /// Appends the UTF-8 bytes of scalar `s` to `out` (one to four bytes); `s` is assumed to be a valid scalar value.
    @inlinable
    public static func append(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80: out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (s >> 6))); out.append(UInt8(0x80 | (s & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (s >> 12))); out.append(UInt8(0x80 | ((s >> 6) & 0x3F))); out.append(UInt8(0x80 | (s & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (s >> 18))); out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F))); out.append(UInt8(0x80 | (s & 0x3F)))
        }
    }
}

/// The one-character JSON escapes (shared by the parser and the repair engine).
public enum JSONEscape {
    /// The byte that `\c` stands for, or nil when `c` is not a one-character escape (`u` included).
    @inlinable
    public static func decoded(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "\""): return 0x22
        case UInt8(ascii: "\\"): return 0x5C
        case UInt8(ascii: "/"): return 0x2F
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        default: return nil
        }
    }
}
