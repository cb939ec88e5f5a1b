import ProctorJSON

/// Repairs truncated and malformed JSON as models write it.
///
/// Truncation (the text is a prefix of a JSON document) is completed *prefix-consistently*: every
/// value that was complete is kept exactly, members whose key or value never started are dropped
/// (never invented), cut strings keep what was written, cut escapes and cut UTF-8 characters are
/// dropped, cut numbers keep their digits so far, cut literals are completed. Malformations (fences,
/// prose, trailing commas, comments, single quotes, unquoted keys, Python literals, missing commas and
/// brackets) are fixed. Valid JSON takes a fast path: one strict parse, no repair pass.
public enum JSONRepair {
    /// Repair settings: what to do with a cut string, and the nesting limit.
    public struct Options: Sendable {
        /// Drop a string cut by the end of the text instead of keeping its prefix.
        public var dropPartialStrings: Bool
        /// Deepest nesting accepted.
        public var maxDepth: Int
        /// Makes settings; the defaults keep cut strings' prefixes and accept nesting up to 1000 levels.
        public init(dropPartialStrings: Bool = false, maxDepth: Int = 1000) {
            self.dropPartialStrings = dropPartialStrings
            self.maxDepth = maxDepth
        }
    }

    /// Repairs `text` into a JSON value and lists what was changed; throws when no JSON can be recovered.
    public static func repair(_ text: String, options: Options = Options()) throws(RepairError) -> RepairResult {
        var copy = text
        let r: Result<RepairResult, RepairError> = copy.withUTF8 { buf in
            Result { () throws(RepairError) -> RepairResult in try repair(bytes: buf, options: options) }
        }
        return try r.get()
    }

    /// Repairs UTF-8 `bytes` into a JSON value and lists what was changed; valid JSON returns at once with no repairs.
    public static func repair(bytes: UnsafeBufferPointer<UInt8>, options: Options = Options()) throws(RepairError) -> RepairResult {
        // Valid JSON ends with one of these; a text cut short usually does not, and skips the strict try.
        var last = bytes.count - 1
        while last >= 0 && isSpace(bytes[last]) { last -= 1 }
        if last >= 0, bytes[last] == UInt8(ascii: "}") || bytes[last] == UInt8(ascii: "]") || bytes[last] == UInt8(ascii: "\"")
            || isDigit(bytes[last]) || bytes[last] == UInt8(ascii: "e") || bytes[last] == UInt8(ascii: "l"),
           let v = JSONParser.parseIfValid(bytes: bytes, options: JSONParser.Options(maxDepth: options.maxDepth)) {
            return RepairResult(value: v, repairs: [])
        }
        let (value, repairs) = try locateAndParse(bytes, options)
        return RepairResult(value: value, repairs: repairs)
    }

    // MARK: - Where the JSON starts

    static func locateAndParse(_ b: UnsafeBufferPointer<UInt8>, _ options: Options) throws(RepairError) -> (JSONValue, [Repair]) {
        var start = 0
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { start = 3 }  // BOM
        while start < b.count && isSpace(b[start]) { start += 1 }
        guard start < b.count else { throw RepairError(message: "nothing to repair: the input is empty") }

        // A fence before any bracket: parse its content.
        let firstBracket = indexOf(b, from: start) { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }
        if let fence = findFence(b, from: start), fence < (firstBracket ?? Int.max) {
            var contentStart = fence + 3
            while contentStart < b.count && b[contentStart] != 0x0A { contentStart += 1 }
            contentStart = min(contentStart + 1, b.count)
            let end = findClosingFence(b, from: contentStart) ?? b.count
            var p = _RepairParser(bytes: b, end: end, options: options)
            p.repairs.append(Repair(.strippedFence, at: fence))
            p.pos = contentStart
            p.skipSpaceAndComments()
            if let v = try p.parseValue() {
                p.finishTopLevel(fenceEnd: end)
                return (v, p.repairs)
            }
        }

        // JSON at the start (anything that can begin a value, or a lone literal): no prose search.
        let c = b[start]
        if startsValue(c) && !isLetter(c) || looksLikeLoneLiteral(b, start) {
            var p = _RepairParser(bytes: b, end: b.count, options: options)
            p.pos = start
            if let v = try p.parseValue() {
                p.finishTopLevel(fenceEnd: nil)
                return (v, p.repairs)
            }
            if c != UInt8(ascii: "-") && c != UInt8(ascii: "+") && c != UInt8(ascii: ".") {
                throw RepairError(message: "nothing recoverable: the text ends before any complete part of its JSON value")
            }
        }

        // JSON inside prose: try each bracket, keep the cleanest parse.
        var best: (JSONValue, [Repair], Int)?
        var i = firstBracket
        var tried = 0
        while let s = i, tried < 64 {
            tried += 1
            var p = _RepairParser(bytes: b, end: b.count, options: options)
            p.pos = s
            p.repairs.append(Repair(.extractedFromProse, at: s))
            if let v = try? p.parseValue() {
                p.finishTopLevel(fenceEnd: nil)
                let penalty = p.repairs.filter { $0.kind == .quotedValue || $0.kind == .insertedComma || $0.kind == .removedInvalidCharacter
                    || $0.kind == .insertedColon || $0.kind == .quotedKey }.count
                if best == nil || penalty < best!.2 { best = (v, p.repairs, penalty) }
                if penalty == 0 { break }
            }
            i = indexOf(b, from: s + 1) { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }
        }
        if let best { return (best.0, best.1) }
        throw RepairError(message: "no JSON found in the input")
    }

    static func indexOf(_ b: UnsafeBufferPointer<UInt8>, from: Int, _ pred: (UInt8) -> Bool) -> Int? {
        var i = from
        while i < b.count {
            if pred(b[i]) { return i }
            i += 1
        }
        return nil
    }

    static func findFence(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from
        while i + 2 < b.count {
            if b[i] == 0x60 && b[i + 1] == 0x60 && b[i + 2] == 0x60 { return i }
            i += 1
        }
        return nil
    }

    /// A closing fence: "```" at the start of a line (after optional spaces).
    static func findClosingFence(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from
        while let f = findFence(b, from: i) {
            var j = f - 1
            while j >= from && (b[j] == 0x20 || b[j] == 0x09) { j -= 1 }
            if j < from || b[j] == 0x0A { return f }
            i = f + 3
        }
        return nil
    }

    static func looksLikeLoneLiteral(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Bool {
        var end = start
        while end < b.count && isLetter(b[end]) { end += 1 }
        let word = String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
        var rest = end
        while rest < b.count && isSpace(b[rest]) { rest += 1 }
        guard rest == b.count else { return false }
        if ["true", "false", "null", "True", "False", "None", "NaN", "Infinity"].contains(word) { return true }
        // A literal cut short: only at the very end of the text.
        return end == b.count && !word.isEmpty && ["true", "false", "null", "True", "False", "None"].contains { $0.hasPrefix(word) }
    }
}

@inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
@inline(__always) func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
@inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
@inline(__always) func startsValue(_ c: UInt8) -> Bool {
    c == UInt8(ascii: "{") || c == UInt8(ascii: "[") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "-")
        || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || isDigit(c) || isLetter(c)
}
