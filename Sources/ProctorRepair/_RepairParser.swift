import ProctorJSON
import ProctorSupport

/// The lenient recursive-descent parser behind `JSONRepair`. Every method either consumes input or
/// returns, so it always terminates; every change is logged in `repairs`.
struct _RepairParser {
    let bytes: UnsafeBufferPointer<UInt8>
    /// End of the JSON region (a closing fence, or the end of the text).
    let end: Int
    let options: JSONRepair.Options
    var pos = 0
    var depth = 0
    var repairs: [Repair] = []
    /// Open containers, innermost last: `{` or `[`.
    var stack: [UInt8] = []
    var scratch: [UInt8] = []
    let stackFloor = StackGuard.floor()

    init(bytes: UnsafeBufferPointer<UInt8>, end: Int, options: JSONRepair.Options) {
        self.bytes = bytes
        self.end = end
        self.options = options
    }

    var atEnd: Bool { pos >= end }
    /// The region ends where the text ends: running out of input is truncation.
    var endIsTruncation: Bool { end == bytes.count }

    mutating func note(_ k: Repair.Kind, _ at: Int? = nil, original: String? = nil) { repairs.append(Repair(k, at: at ?? pos, original: original)) }

    /// The input's text between two offsets (for the log's `original`).
    func text(_ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<max(from, min(to, bytes.count))]), as: UTF8.self)
    }

    /// Where the character at `at` ends (all bytes of a UTF-8 sequence), so a removed character is
    /// removed whole and the log names it.
    func charEnd(_ at: Int) -> Int {
        var e = at + 1
        while e < min(end, at + 4) && bytes[e] & 0xC0 == 0x80 { e += 1 }
        return e
    }

    /// The key as the log names it: its text without quotes.
    func keyText(_ keyStart: Int) -> String {
        var e = keyStart
        let q = bytes[keyStart]
        if q == UInt8(ascii: "\"") || q == UInt8(ascii: "'") {
            e += 1
            while e < end && bytes[e] != q { e += bytes[e] == UInt8(ascii: "\\") ? 2 : 1 }
            return text(keyStart + 1, e)
        }
        while e < end && isKeyChar(bytes[e]) { e += 1 }
        return text(keyStart, e)
    }

    // MARK: - Whitespace and comments

    mutating func skipSpaceAndComments() {
        while pos < end {
            let c = bytes[pos]
            if isSpace(c) { pos += 1; continue }
            if c == UInt8(ascii: "/") && pos + 1 < end && (bytes[pos + 1] == UInt8(ascii: "/") || bytes[pos + 1] == UInt8(ascii: "*")) {
                note(.removedComment)
                if bytes[pos + 1] == UInt8(ascii: "/") {
                    while pos < end && bytes[pos] != 0x0A { pos += 1 }
                } else {
                    pos += 2
                    while pos + 1 < end && !(bytes[pos] == UInt8(ascii: "*") && bytes[pos + 1] == UInt8(ascii: "/")) { pos += 1 }
                    pos = min(pos + 2, end)
                }
                continue
            }
            if c == UInt8(ascii: "#") {
                note(.removedComment)
                while pos < end && bytes[pos] != 0x0A { pos += 1 }
                continue
            }
            return
        }
    }

    /// After the top-level value: anything left but whitespace is dropped (and said so).
    mutating func finishTopLevel(fenceEnd: Int?) {
        skipSpaceAndComments()
        if pos < end { note(.droppedTrailingText) }
        else if fenceEnd == nil, end < bytes.count { note(.droppedTrailingText) }
        else if let f = fenceEnd, f < bytes.count {
            var after = f + 3
            while after < bytes.count && isSpace(bytes[after]) { after += 1 }
            if after < bytes.count { note(.droppedTrailingText, f) }
        }
    }

    // MARK: - Values

    /// A value, or nil when nothing usable was there (end of input, a lone '-', a dropped partial string).
    mutating func parseValue() throws(RepairError) -> JSONValue? {
        skipSpaceAndComments()
        guard pos < end else { return nil }
        let c = bytes[pos]
        switch c {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "("): return try parseArray(closer: UInt8(ascii: ")"))
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (s, cut) = parseString(quote: c)
            if cut && options.dropPartialStrings { note(.droppedPartialString); return nil }
            return .string(s)
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return parseNumber()
        default:
            return parseWord()
        }
    }

    mutating func enter(_ opener: UInt8) throws(RepairError) {
        depth += 1
        if depth > options.maxDepth { throw RepairError(message: "nesting deeper than \(options.maxDepth) levels") }
        if StackGuard.isLow(stackFloor) { throw RepairError(message: "nesting too deep for the available stack (\(depth) levels)") }
        stack.append(opener)
    }

    mutating func leave() {
        depth -= 1
        stack.removeLast()
    }

    /// True when `closer` closes a container further out (so the current one is missing its closer).
    func closesOuter(_ closer: UInt8) -> Bool {
        let opener: UInt8 = closer == UInt8(ascii: "}") ? UInt8(ascii: "{") : UInt8(ascii: "[")
        return stack.dropLast().contains(opener)
    }

    mutating func closeAtEnd(_ kind: Repair.Kind) {
        note(endIsTruncation ? kind : .insertedClosingBracket)
    }

    mutating func parseObject() throws(RepairError) -> JSONValue {
        try enter(UInt8(ascii: "{"))
        defer { leave() }
        pos += 1
        var entries: [JSONObject.Entry] = []
        var closedObject = false
        defer { if pos >= end && !closedObject { closeAtEnd(.closedObject) } }
        while true {
            skipSpaceAndComments()
            guard pos < end else { break }
            let c = bytes[pos]
            if c == UInt8(ascii: "}") { pos += 1; closedObject = true; break }
            if c == UInt8(ascii: "]") || c == UInt8(ascii: ")") {
                if closesOuter(c) { note(.insertedClosingBracket); closedObject = true; break }
                note(.removedStrayCloser); pos += 1; continue
            }
            if c == UInt8(ascii: ",") { note(.removedExtraComma); pos += 1; continue }
            // Key
            let keyStart = pos
            var key: String
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                let (k, cut) = parseString(quote: c, isKey: true)
                if cut { note(.droppedIncompleteMember, keyStart); break }
                key = k
            } else if isKeyChar(c) {
                var e = pos
                while e < end && isKeyChar(bytes[e]) { e += 1 }
                key = String(decoding: UnsafeBufferPointer(rebasing: bytes[pos..<e]), as: UTF8.self)
                if e >= end && endIsTruncation { pos = e; note(.droppedIncompleteMember, keyStart); break }
                note(.quotedKey, keyStart)
                pos = e
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                // A value where a key should be: skip it, naming what was dropped.
                let skipped = pos
                _ = try parseValue()
                note(.removedInvalidCharacter, skipped, original: text(skipped, pos))
                continue
            } else {
                let e = charEnd(pos)
                note(.removedInvalidCharacter, original: text(pos, e)); pos = e; continue
            }
            // Colon
            skipSpaceAndComments()
            guard pos < end else { note(.droppedIncompleteMember, keyStart); break }
            if bytes[pos] == UInt8(ascii: ":") || bytes[pos] == UInt8(ascii: "=") {
                if bytes[pos] == UInt8(ascii: "=") { note(.insertedColon) }
                pos += 1
            } else if bytes[pos] == UInt8(ascii: ",") || bytes[pos] == UInt8(ascii: "}") {
                note(.droppedMemberWithoutValue, keyStart, original: keyText(keyStart))
                continue
            } else {
                note(.insertedColon)
            }
            // Value
            skipSpaceAndComments()
            guard pos < end else { note(.droppedIncompleteMember, keyStart); break }
            if bytes[pos] == UInt8(ascii: ",") || bytes[pos] == UInt8(ascii: "}") {
                note(.droppedMemberWithoutValue, keyStart, original: keyText(keyStart))
                continue
            }
            let valueStart = pos
            guard var value = try parseValue() else {
                // Cut by the end of the text, or a value that could not be read (`"a": -`): not the same thing.
                if pos >= end && endIsTruncation { note(.droppedIncompleteMember, keyStart) } else {
                    note(.droppedMemberWithoutValue, keyStart, original: keyText(keyStart))
                }
                if pos >= end { break }
                continue
            }
            if case .number = value, let merged = commaNumber(from: valueStart) { value = merged }
            entries.append((key: key, value: value))
            // Separator
            skipSpaceAndComments()
            guard pos < end else { break }
            let s = bytes[pos]
            if s == UInt8(ascii: ",") {
                pos += 1
                skipSpaceAndComments()
                if pos < end && bytes[pos] == UInt8(ascii: "}") { note(.removedTrailingComma); pos += 1; closedObject = true; break }
                if pos < end && (bytes[pos] == UInt8(ascii: "]") || bytes[pos] == UInt8(ascii: ")")) { note(.removedTrailingComma) }
                continue
            }
            if s == UInt8(ascii: "}") { pos += 1; closedObject = true; break }
            if s == UInt8(ascii: "]") || s == UInt8(ascii: ")") {
                if closesOuter(s) { note(.insertedClosingBracket); closedObject = true; break }
                note(.removedStrayCloser); pos += 1; continue
            }
            note(.insertedComma)
        }
        return .object(JSONObject(entries))
    }

    mutating func parseArray(closer: UInt8 = UInt8(ascii: "]")) throws(RepairError) -> JSONValue {
        try enter(UInt8(ascii: "["))
        defer { leave() }
        if closer == UInt8(ascii: ")") { note(.convertedPythonLiteral) }
        pos += 1
        var items: [JSONValue] = []
        var closedArray = false
        defer { if pos >= end && !closedArray { closeAtEnd(.closedArray) } }
        while true {
            skipSpaceAndComments()
            guard pos < end else { break }
            let c = bytes[pos]
            if c == closer || c == UInt8(ascii: "]") { pos += 1; closedArray = true; break }
            if c == UInt8(ascii: "}") || c == UInt8(ascii: ")") {
                if closesOuter(c) || c == UInt8(ascii: ")") { note(.insertedClosingBracket); if c == UInt8(ascii: ")") { pos += 1 }; closedArray = true; break }
                note(.removedStrayCloser); pos += 1; continue
            }
            if c == UInt8(ascii: ",") { note(.removedExtraComma); pos += 1; continue }
            let elementStart = pos
            guard let v = try parseValue() else {
                if pos >= end { note(.droppedIncompleteElement, elementStart); break }
                if pos == elementStart { let e = charEnd(pos); note(.removedInvalidCharacter, original: text(pos, e)); pos = e }
                continue
            }
            items.append(v)
            skipSpaceAndComments()
            guard pos < end else { break }
            let s = bytes[pos]
            if s == UInt8(ascii: ",") {
                pos += 1
                skipSpaceAndComments()
                if pos < end && (bytes[pos] == closer || bytes[pos] == UInt8(ascii: "]")) { note(.removedTrailingComma); pos += 1; closedArray = true; break }
                continue
            }
            if s == closer || s == UInt8(ascii: "]") { pos += 1; closedArray = true; break }
            if s == UInt8(ascii: "}") {
                if closesOuter(s) { note(.insertedClosingBracket); closedArray = true; break }
                note(.removedStrayCloser); pos += 1; continue
            }
            note(.insertedComma)
        }
        return .array(items)
    }

    func isKeyChar(_ c: UInt8) -> Bool {
        isLetter(c) || isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "$") || c == UInt8(ascii: "-") || c >= 0x80
    }

    // MARK: - Strings

    /// A string; `cut` when the input ended inside it.
    mutating func parseString(quote: UInt8, isKey: Bool = false) -> (String, cut: Bool) {
        let open = pos
        if quote == UInt8(ascii: "'") { note(.convertedSingleQuotes) }
        pos += 1
        scratch.removeAll(keepingCapacity: true)
        while pos < end {
            let c = bytes[pos]
            if c == quote {
                if !isKey && isInnerQuote() {
                    note(.escapedInnerQuote)
                    scratch.append(c)
                    pos += 1
                    continue
                }
                pos += 1
                return (String(decoding: scratch, as: UTF8.self), false)
            }
            if c == UInt8(ascii: "\\") {
                if !parseEscape() {
                    note(endIsTruncation ? .closedString : .insertedClosingBracket, open)
                    return (String(decoding: scratch, as: UTF8.self), true)
                }
                continue
            }
            if c < 0x20 {
                note(.escapedControlCharacter)
                scratch.append(c)
                pos += 1
                continue
            }
            if c < 0x80 { scratch.append(c); pos += 1; continue }
            // Multi-byte UTF-8: copy a whole valid sequence, drop one cut by the end, replace invalid bytes.
            let need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1
            if need < 0 || c > 0xF4 { note(.replacedInvalidUTF8, original: byteText(pos)); appendScalar(0xFFFD); pos += 1; continue }
            if pos + need >= end {
                var allCont = true
                var k = pos + 1
                while k < end { if bytes[k] & 0xC0 != 0x80 { allCont = false }; k += 1 }
                if allCont && endIsTruncation {
                    note(.droppedPartialCharacter)
                    pos = end
                    break
                }
            }
            if validSequence(pos, need) {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[pos...(pos + need)]))
                pos += need + 1
            } else {
                note(.replacedInvalidUTF8, original: byteText(pos))
                appendScalar(0xFFFD)
                pos += 1
            }
        }
        note(endIsTruncation ? .closedString : .insertedClosingBracket, open)
        return (String(decoding: scratch, as: UTF8.self), true)
    }

    /// A byte the log names (`\xFF`).
    func byteText(_ at: Int) -> String {
        let hex = Array("0123456789ABCDEF")
        return "\\x" + String(hex[Int(bytes[at] >> 4)]) + String(hex[Int(bytes[at] & 15)])
    }

    /// RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF.
    func validSequence(_ at: Int, _ need: Int) -> Bool {
        guard at + need < end else { return false }
        let b0 = bytes[at]
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch b0 {
        case 0xE0: lo = 0xA0
        case 0xED: hi = 0x9F
        case 0xF0: lo = 0x90
        case 0xF4: hi = 0x8F
        default: break
        }
        let b1 = bytes[at + 1]
        if b1 < lo || b1 > hi { return false }
        var k = 2
        while k <= need { if bytes[at + k] & 0xC0 != 0x80 { return false }; k += 1 }
        return true
    }

    /// A quote followed by something other than a separator is part of the text (`"He said "hi" there"`).
    func isInnerQuote() -> Bool {
        var j = pos + 1
        while j < end && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
        guard j < end else { return false }
        let n = bytes[j]
        if n == UInt8(ascii: ",") || n == UInt8(ascii: ":") || n == UInt8(ascii: "}") || n == UInt8(ascii: "]") || n == UInt8(ascii: ")")
            || n == 0x0A || n == 0x0D || n == UInt8(ascii: "\"") || n == UInt8(ascii: "'") || n == UInt8(ascii: "{") || n == UInt8(ascii: "[")
            || n == UInt8(ascii: "/") || n == UInt8(ascii: "`") || n == UInt8(ascii: "#") {
            return false
        }
        // Inside a container the string must be followed by a separator; at the top level text may follow.
        return !stack.isEmpty
    }

    /// One escape at `pos`; false when the input ended inside it (the partial escape is dropped).
    mutating func parseEscape() -> Bool {
        let start = pos
        guard pos + 1 < end else { note(.droppedPartialEscape, start); pos = end; return false }
        let e = bytes[pos + 1]
        pos += 2
        if let b = JSONEscape.decoded(e) { scratch.append(b); return true }
        switch e {
        case UInt8(ascii: "'"):
            // JavaScript's and Python's escaped apostrophe: the apostrophe it means, said in the log
            // (JSON has no such escape, so the input was not valid JSON).
            scratch.append(0x27)
            note(.fixedEscape, start, original: "\\'")
        case UInt8(ascii: "u"):
            switch hex4() {
            case .cut: note(.droppedPartialEscape, start); pos = end; return false
            case .invalid:
                // Not an escape after all: the backslash and the `u` stay as characters.
                note(.fixedEscape, start, original: "\\u")
                scratch.append(UInt8(ascii: "\\"))
                scratch.append(UInt8(ascii: "u"))
            case .value(let u):
                if u >= 0xD800 && u < 0xDC00 {
                    // A high surrogate needs its low half.
                    if pos >= end { note(.droppedPartialEscape, start); return false }
                    if bytes[pos] == UInt8(ascii: "\\") {
                        if pos + 1 >= end { note(.droppedPartialEscape, start); pos = end; return false }
                        if bytes[pos + 1] == UInt8(ascii: "u") {
                            let save = pos
                            pos += 2
                            switch hex4() {
                            case .cut: note(.droppedPartialEscape, start); pos = end; return false
                            case .value(let lo) where lo >= 0xDC00 && lo < 0xE000:
                                appendScalar(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00))
                                return true
                            default:
                                pos = save
                            }
                        }
                    }
                    note(.replacedLoneSurrogate, start, original: text(start, start + 6))
                    appendScalar(0xFFFD)
                } else if u >= 0xDC00 && u < 0xE000 {
                    note(.replacedLoneSurrogate, start, original: text(start, start + 6))
                    appendScalar(0xFFFD)
                } else {
                    appendScalar(u)
                }
            }
        default:
            // Not an escape JSON knows (`C:\path`): the backslash is a character of the text, kept.
            scratch.append(UInt8(ascii: "\\"))
            pos -= 1
            note(.fixedEscape, start, original: e < 0x80 ? text(start, start + 2) : "\\")
        }
        return true
    }

    enum Hex { case value(UInt32), invalid, cut }

    mutating func hex4() -> Hex {
        var v: UInt32 = 0
        for i in 0..<4 {
            guard pos + i < end else {
                return endIsTruncation ? .cut : .invalid
            }
            let c = bytes[pos + i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 0x41 + 10)
            default: return .invalid
            }
            v = v << 4 | d
        }
        pos += 4
        return .value(v)
    }

    mutating func appendScalar(_ s: UInt32) { UTF8Encoding.append(s, to: &scratch) }

    // MARK: - Numbers

    /// A number, normalised to JSON. Other spellings that say one number exactly are read as it and
    /// logged with their text (`0x1F` is 31, `1_000` is 1000, `+5`, `.5`, `12.`); a number with a
    /// unit or a sign around it (`5 kg`, `50%`, `$5`) is kept as a string of its text; a number cut by
    /// the end of the text keeps its digits so far, logged as `truncatedNumber` (it may have gone on).
    mutating func parseNumber() -> JSONValue? {
        let start = pos
        if let v = plainNumber() { return unitText(from: start) ?? v }
        var digits: [UInt8] = []
        var fixed = false
        var dropped = false  // a cut '.', 'e' or 'e-' was dropped at the end of the text
        if bytes[pos] == UInt8(ascii: "+") { pos += 1; fixed = true } else if bytes[pos] == UInt8(ascii: "-") { digits.append(0x2D); pos += 1 }
        if pos < end && isLetter(bytes[pos]) {
            // -Infinity, +inf, ...
            pos = start
            return parseWord(signed: true)
        }
        if let v = radixNumber(negative: !digits.isEmpty, start: start) { return unitText(from: start) ?? v }
        let signLen = digits.count
        var intDigits = 0
        while pos < end {
            if isDigit(bytes[pos]) { digits.append(bytes[pos]); intDigits += 1; pos += 1; continue }
            // `1_000`: an underscore between digits groups them.
            if bytes[pos] == UInt8(ascii: "_"), intDigits > 0, pos + 1 < end, isDigit(bytes[pos + 1]) { fixed = true; pos += 1; continue }
            break
        }
        while digits.count - signLen > 1 && digits[signLen] == 0x30 { digits.remove(at: signLen); fixed = true }  // "007"
        var fracDigits = 0
        if pos < end && bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            var frac: [UInt8] = []
            while pos < end && isDigit(bytes[pos]) { frac.append(bytes[pos]); pos += 1 }
            fracDigits = frac.count
            if intDigits == 0 && fracDigits > 0 { digits.append(0x30); fixed = true }  // ".5"
            if frac.isEmpty {
                if pos >= end && endIsTruncation { dropped = true } else { fixed = true }  // "12." cut, or "12.}"
            } else {
                digits.append(0x2E)
                digits.append(contentsOf: frac)
            }
        }
        if intDigits + fracDigits > 0, pos < end, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            var e = pos + 1
            var exp: [UInt8] = [bytes[pos]]
            if e < end && (bytes[e] == UInt8(ascii: "+") || bytes[e] == UInt8(ascii: "-")) { exp.append(bytes[e]); e += 1 }
            var expDigits = 0
            while e < end && isDigit(bytes[e]) { exp.append(bytes[e]); e += 1; expDigits += 1 }
            if expDigits > 0 {
                digits.append(contentsOf: exp)
                pos = e
            } else if e >= end && endIsTruncation {
                pos = e
                dropped = true
            } else if !(e < end && isLetter(bytes[e])) {
                pos = e
                fixed = true
            }
        }
        if intDigits + fracDigits == 0 {
            // A sign or a dot alone.
            if pos >= end && endIsTruncation { note(.truncatedNumber, start) } else if let t = unitText(from: start) { return t } else {
                note(.removedInvalidCharacter, start, original: text(start, max(pos, start + 1)))
            }
            if pos == start { pos += 1 }
            return nil
        }
        // Ran into the end of the text: the digits so far, and the number may have gone on.
        if dropped || (pos >= end && endIsTruncation) { note(.truncatedNumber, start, original: text(start, pos)); return number(digits) }
        if let t = unitText(from: start) { return t }
        if fixed { note(.fixedNumber, start, original: text(start, pos)) }
        return number(digits)
    }

    func number(_ text: [UInt8]) -> JSONValue { .number(JSONNumber(trustedText: String(decoding: text, as: UTF8.self))) }

    /// `0x1F`, `0o17`, `0b101` (underscores allowed between digits) at `pos`, after an optional sign:
    /// the same number in decimal, logged with its text; one too large for 64 bits is kept as a string.
    mutating func radixNumber(negative: Bool, start: Int) -> JSONValue? {
        guard pos + 2 < end || (pos + 2 <= end && !endIsTruncation), pos + 1 < end, bytes[pos] == UInt8(ascii: "0") else { return nil }
        let radix: UInt64
        switch bytes[pos + 1] | 0x20 {
        case UInt8(ascii: "x"): radix = 16
        case UInt8(ascii: "o"): radix = 8
        case UInt8(ascii: "b"): radix = 2
        default: return nil
        }
        func digit(_ c: UInt8) -> UInt64? {
            let d: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(c - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt64(c - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt64(c - 0x41 + 10)
            default: return nil
            }
            return d < radix ? d : nil
        }
        var e = pos + 2
        guard e < end, digit(bytes[e]) != nil else { return nil }
        var value: UInt64 = 0
        var overflow = false
        while e < end {
            if let d = digit(bytes[e]) {
                let (m, o1) = value.multipliedReportingOverflow(by: radix)
                let (a, o2) = m.addingReportingOverflow(d)
                overflow = overflow || o1 || o2
                value = a
                e += 1
            } else if bytes[e] == UInt8(ascii: "_"), e + 1 < end, digit(bytes[e + 1]) != nil {
                e += 1
            } else {
                break
            }
        }
        if e >= end && endIsTruncation { return nil }   // cut: the plain digits path logs the truncation
        pos = e
        let written = text(start, e)
        if overflow {
            note(.quotedValue, start, original: written)
            return .string(written)
        }
        note(.fixedNumber, start, original: written)
        return .number(JSONNumber(trustedText: (negative && value != 0 ? "-" : "") + String(value)))
    }

    /// A number with something stuck to it that is not JSON (`5kg`, `5 kg`, `50%`, `3x4`, `-$5`): the
    /// whole text up to the next separator as a string, logged, when `start..pos` was a number and
    /// what follows on the line is a word that is not a key or a literal. Nil otherwise.
    mutating func unitText(from start: Int) -> JSONValue? {
        var j = pos
        while j < end && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
        guard j < end else { return nil }
        let c = bytes[j]
        let glued = j == pos
        guard isLetter(c) || c >= 0x80 || c == UInt8(ascii: "%") || c == UInt8(ascii: "$") || (glued && c == UInt8(ascii: "_"))
                || (glued && (c == UInt8(ascii: ".") || c == UInt8(ascii: "/") || c == UInt8(ascii: ":") || c == UInt8(ascii: "-")))
        else { return nil }
        // `1 true` or `1 b: 2` is a missing comma, not a unit.
        var w = j
        while w < end && (isLetter(bytes[w]) || isDigit(bytes[w]) || bytes[w] == UInt8(ascii: "_") || bytes[w] >= 0x80) { w += 1 }
        let word = text(j, w)
        if !glued && ["true", "false", "null", "True", "False", "None", "NaN", "Infinity"].contains(word) { return nil }
        var k = w
        while k < end && (bytes[k] == 0x20 || bytes[k] == 0x09) { k += 1 }
        if !glued && k < end && (bytes[k] == UInt8(ascii: ":") || bytes[k] == UInt8(ascii: "=")) { return nil }
        // A time (`10:30`) or a date (`2024-01-02`) glued to the digits is text too.
        var stop = j
        while stop < end {
            let b = bytes[stop]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == UInt8(ascii: ")") || b == 0x0A || b == 0x0D { break }
            if b == UInt8(ascii: "\"") { break }
            stop += 1
        }
        if stop >= end && endIsTruncation { return nil }   // cut in the middle: cannot know the text's end
        // Any number read on the way is replaced by the text: drop what it logged.
        while let last = repairs.last, last.offset >= start, last.kind == .fixedNumber || last.kind == .truncatedNumber { repairs.removeLast() }
        return quoteText(from: start, to: stop)
    }

    /// `1,5` or `1,234.56` as an object member's value: the digits after the comma cannot be a member
    /// (no key, no colon), so the comma is part of the number, a decimal comma or a thousands
    /// separator; which one cannot be known, so the text is kept as a string and logged.
    mutating func commaNumber(from start: Int) -> JSONValue? {
        guard pos + 1 < end, bytes[pos] == UInt8(ascii: ","), isDigit(bytes[pos + 1]) else { return nil }
        var j = pos + 1
        while true {
            while j < end && isDigit(bytes[j]) { j += 1 }
            // More groups: `1,234,567`.
            if j + 1 < end && bytes[j] == UInt8(ascii: ",") && isDigit(bytes[j + 1]) { j += 1; continue }
            break
        }
        if j < end && bytes[j] == UInt8(ascii: ".") { j += 1; while j < end && isDigit(bytes[j]) { j += 1 } }
        var k = j
        while k < end && isSpace(bytes[k]) { k += 1 }
        guard k < end, bytes[k] == UInt8(ascii: "}") || bytes[k] == UInt8(ascii: ",") else { return nil }
        let written = text(start, j)
        pos = j
        while let last = repairs.last, last.offset >= start, last.kind == .fixedNumber { repairs.removeLast() }
        note(.quotedValue, start, original: written)
        return .string(written)
    }

    /// The common case: a complete, well-formed number followed by a separator; no copy, no repair.
    mutating func plainNumber() -> JSONValue? {
        var i = pos
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, isDigit(bytes[i]) else { return nil }
        if bytes[i] == UInt8(ascii: "0") { i += 1; if i < end && isDigit(bytes[i]) { return nil } } else {
            while i < end && isDigit(bytes[i]) { i += 1 }
        }
        if i < end && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, isDigit(bytes[i]) else { return nil }
            while i < end && isDigit(bytes[i]) { i += 1 }
        }
        if i < end && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < end && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < end, isDigit(bytes[i]) else { return nil }
            while i < end && isDigit(bytes[i]) { i += 1 }
        }
        // Must end at a separator (a number cut by the end of the text takes the careful path).
        guard i < end else { return nil }
        let c = bytes[i]
        guard isSpace(c) || c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == UInt8(ascii: ")") else { return nil }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[pos..<i]), as: UTF8.self)
        pos = i
        return .number(JSONNumber(trustedText: text))
    }

    /// Text up to the next separator that starts with a symbol and holds a letter or digit (`$5`, `~3 h`):
    /// kept as a string, logged with its text. Nil for a lone symbol.
    mutating func symbolText(from start: Int) -> JSONValue? {
        let c = bytes[start]
        guard c > 0x20, c != 0x7F, c != UInt8(ascii: "{"), c != UInt8(ascii: "["), c != UInt8(ascii: "("), c != UInt8(ascii: ":") else { return nil }
        var stop = start
        var hasWord = false
        while stop < end {
            let b = bytes[stop]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == UInt8(ascii: ")") || b == 0x0A || b == 0x0D { break }
            if isLetter(b) || isDigit(b) { hasWord = true }
            stop += 1
        }
        guard hasWord, !(stop >= end && endIsTruncation) else { return nil }
        return quoteText(from: start, to: stop)
    }

    /// The text from `start` to `stop` (trailing spaces trimmed) as a string value, logged as
    /// `quotedValue` with that text; reading goes on at `stop`.
    mutating func quoteText(from start: Int, to stop: Int) -> JSONValue {
        var trimmed = stop
        while trimmed > start && isSpace(bytes[trimmed - 1]) { trimmed -= 1 }
        let written = text(start, trimmed)
        pos = stop
        note(.quotedValue, start, original: written)
        return .string(written)
    }

    /// Matches an ASCII word at `pos` followed by a non-word byte.
    func wordIs(_ w: StaticString) -> Bool {
        let n = w.utf8CodeUnitCount
        guard pos + n <= end else { return false }
        let p = w.utf8Start
        for k in 0..<n where bytes[pos + k] != p[k] { return false }
        return pos + n == end ? true : !(isLetter(bytes[pos + n]) || isDigit(bytes[pos + n]) || bytes[pos + n] == UInt8(ascii: "_"))
    }

    // MARK: - Words: literals, Python literals, unquoted strings

    mutating func parseWord(signed: Bool = false) -> JSONValue? {
        let start = pos
        if !signed {
            if wordIs("true") { pos += 4; return .bool(true) }
            if wordIs("false") { pos += 5; return .bool(false) }
            if wordIs("null") { pos += 4; return .null }
        }
        var negative = false
        if signed && pos < end && (bytes[pos] == UInt8(ascii: "-") || bytes[pos] == UInt8(ascii: "+")) {
            negative = bytes[pos] == UInt8(ascii: "-")
            pos += 1
        }
        var e = pos
        while e < end && (isLetter(bytes[e]) || isDigit(bytes[e]) || bytes[e] == UInt8(ascii: "_")) { e += 1 }
        let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[pos..<e]), as: UTF8.self)
        let atEnd = e >= end && endIsTruncation
        switch word {
        case "true": pos = e; return .bool(true)
        case "false": pos = e; return .bool(false)
        case "null": pos = e; return .null
        case "True": pos = e; note(.convertedPythonLiteral, start); return .bool(true)
        case "False": pos = e; note(.convertedPythonLiteral, start); return .bool(false)
        case "None": pos = e; note(.convertedPythonLiteral, start); return .null
        case "NaN", "Infinity", "inf", "nan":
            // JSON has no such number: null, and the log says what it was.
            pos = e; note(.replacedNonFiniteNumber, start, original: text(start, e)); _ = negative; return .null
        case "undefined": pos = e; note(.convertedPythonLiteral, start); return .null
        default: break
        }
        if atEnd && !word.isEmpty {
            for (lit, v) in [("true", JSONValue.bool(true)), ("false", .bool(false)), ("null", .null),
                             ("True", .bool(true)), ("False", .bool(false)), ("None", .null)] where lit.hasPrefix(word) {
                pos = e
                note(.completedLiteral, start)
                return v
            }
        }
        if word.isEmpty {
            // `$5`, `€12`, `~3`: text that starts with a sign is kept as a string of its text.
            if let t = symbolText(from: start) { return t }
            // Not a word at all: skip the character.
            let ce = charEnd(start)
            note(.removedInvalidCharacter, start, original: text(start, ce))
            pos = max(e, ce)
            return nil
        }
        // An unquoted string value: up to the next separator on this line.
        var stop = pos
        while stop < end {
            let c = bytes[stop]
            if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x0A || c == 0x0D { break }
            stop += 1
        }
        return quoteText(from: start, to: stop)
    }
}
