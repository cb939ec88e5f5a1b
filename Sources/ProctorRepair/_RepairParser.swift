import ProctorJSON

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

    mutating func note(_ k: Repair.Kind, _ at: Int? = nil) { repairs.append(Repair(k, at: at ?? pos)) }

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
                // A value where a key should be: skip it.
                note(.removedInvalidCharacter)
                _ = try parseValue()
                continue
            } else {
                note(.removedInvalidCharacter); pos += 1; continue
            }
            // Colon
            skipSpaceAndComments()
            guard pos < end else { note(.droppedIncompleteMember, keyStart); break }
            if bytes[pos] == UInt8(ascii: ":") || bytes[pos] == UInt8(ascii: "=") {
                if bytes[pos] == UInt8(ascii: "=") { note(.insertedColon) }
                pos += 1
            } else if bytes[pos] == UInt8(ascii: ",") || bytes[pos] == UInt8(ascii: "}") {
                note(.droppedMemberWithoutValue, keyStart)
                continue
            } else {
                note(.insertedColon)
            }
            // Value
            skipSpaceAndComments()
            guard pos < end else { note(.droppedIncompleteMember, keyStart); break }
            if bytes[pos] == UInt8(ascii: ",") || bytes[pos] == UInt8(ascii: "}") {
                note(.droppedMemberWithoutValue, keyStart)
                continue
            }
            guard let value = try parseValue() else {
                note(.droppedIncompleteMember, keyStart)
                if pos >= end { break }
                continue
            }
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
                if pos == elementStart { note(.removedInvalidCharacter); pos += 1 }
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
                if !parseEscape() { return (String(decoding: scratch, as: UTF8.self), true) }
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
            if need < 0 || c > 0xF4 { note(.replacedInvalidUTF8); appendScalar(0xFFFD); pos += 1; continue }
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
                note(.replacedInvalidUTF8)
                appendScalar(0xFFFD)
                pos += 1
            }
        }
        note(endIsTruncation ? .closedString : .insertedClosingBracket, open)
        return (String(decoding: scratch, as: UTF8.self), true)
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
        case UInt8(ascii: "'"): scratch.append(0x27)
        case UInt8(ascii: "u"):
            switch hex4() {
            case .cut: note(.droppedPartialEscape, start); pos = end; return false
            case .invalid: note(.fixedEscape, start); scratch.append(UInt8(ascii: "u"))
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
                    note(.replacedLoneSurrogate, start)
                    appendScalar(0xFFFD)
                } else if u >= 0xDC00 && u < 0xE000 {
                    note(.replacedLoneSurrogate, start)
                    appendScalar(0xFFFD)
                } else {
                    appendScalar(u)
                }
            }
        default:
            // An unknown escape keeps its character (`\x` → `x`).
            note(.fixedEscape, start)
            pos -= 1
            if e < 0x80 { scratch.append(e); pos += 1 }
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

    /// A number, normalised to JSON; cut numbers keep the value of their digits so far.
    mutating func parseNumber() -> JSONValue? {
        let start = pos
        if let v = plainNumber() { return v }
        var text: [UInt8] = []
        var fixed = false
        var dropped = false  // a cut '.', 'e' or 'e-' was dropped at the end of the text
        if bytes[pos] == UInt8(ascii: "+") { pos += 1; fixed = true } else if bytes[pos] == UInt8(ascii: "-") { text.append(0x2D); pos += 1 }
        if pos < end && isLetter(bytes[pos]) {
            // -Infinity, +inf, ...
            pos = start
            return parseWord(signed: true)
        }
        let signLen = text.count
        var intDigits = 0
        while pos < end && isDigit(bytes[pos]) { text.append(bytes[pos]); intDigits += 1; pos += 1 }
        while text.count - signLen > 1 && text[signLen] == 0x30 { text.remove(at: signLen); fixed = true }  // "007"
        var fracDigits = 0
        if pos < end && bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            var frac: [UInt8] = []
            while pos < end && isDigit(bytes[pos]) { frac.append(bytes[pos]); pos += 1 }
            fracDigits = frac.count
            if intDigits == 0 && fracDigits > 0 { text.append(0x30); fixed = true }  // ".5"
            if frac.isEmpty {
                if pos >= end && endIsTruncation { dropped = true } else { fixed = true }  // "12." cut, or "12.}"
            } else {
                text.append(0x2E)
                text.append(contentsOf: frac)
            }
        }
        if intDigits + fracDigits > 0, pos < end, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            var e = pos + 1
            var exp: [UInt8] = [bytes[pos]]
            if e < end && (bytes[e] == UInt8(ascii: "+") || bytes[e] == UInt8(ascii: "-")) { exp.append(bytes[e]); e += 1 }
            var expDigits = 0
            while e < end && isDigit(bytes[e]) { exp.append(bytes[e]); e += 1; expDigits += 1 }
            if expDigits > 0 {
                text.append(contentsOf: exp)
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
            if pos >= end && endIsTruncation { note(.truncatedNumber, start) } else { note(.removedInvalidCharacter, start) }
            if pos == start { pos += 1 }
            return nil
        }
        if dropped { note(.truncatedNumber, start) } else if fixed { note(.fixedNumber, start) }
        return .number(JSONNumber(trustedText: String(decoding: text, as: UTF8.self)))
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
        case "NaN", "Infinity", "inf", "nan": pos = e; note(.replacedNonFiniteNumber, start); _ = negative; return .null
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
            // Not a word at all: skip the character.
            note(.removedInvalidCharacter, start)
            pos = max(e, start + 1)
            return nil
        }
        // An unquoted string value: up to the next separator on this line.
        var stop = pos
        while stop < end {
            let c = bytes[stop]
            if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x0A || c == 0x0D { break }
            stop += 1
        }
        var trimmed = stop
        while trimmed > pos && isSpace(bytes[trimmed - 1]) { trimmed -= 1 }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<trimmed]), as: UTF8.self)
        pos = stop
        note(.quotedValue, start)
        return .string(text)
    }
}
