// Parses ECMA-262 pattern syntax (with the `u` flag's escapes, leniently) into a `RegexNode`.

/// Why a pattern does not compile.
public struct RegexSyntaxError: Error, Sendable, CustomStringConvertible {
    /// The pattern that failed to compile, as given.
    public let pattern: String
    /// Position (in Unicode scalars) where the problem was found.
    public let position: Int
    /// What is wrong at `position`.
    public let message: String
    /// One line naming the pattern, the position and the problem.
    public var description: String { "invalid regular expression /\(pattern)/ at position \(position): \(message)" }
}

struct RegexParser {
    let pattern: String
    let src: [UInt32]
    var pos = 0
    let flags: ECMARegex.Flags
    var captureCount = 0
    var names: [String: Int] = [:]
    var maxBackref = 0
    /// Open groups and classes: nesting is capped so a hostile pattern ends in an error, never in a
    /// stack overflow (task and sanitizer stacks are small).
    var depth = 0
    static let maxDepth = 100

    init(pattern: String, flags: ECMARegex.Flags) {
        self.pattern = pattern
        self.src = pattern.unicodeScalars.map(\.value)
        self.flags = flags
    }

    func fail(_ message: String) -> RegexSyntaxError {
        RegexSyntaxError(pattern: pattern, position: pos, message: message)
    }

    var atEnd: Bool { pos >= src.count }
    func peek(_ off: Int = 0) -> UInt32? { pos + off < src.count ? src[pos + off] : nil }
    func isChar(_ c: Character, _ off: Int = 0) -> Bool { peek(off) == c.unicodeScalars.first!.value }

    mutating func parse() throws(RegexSyntaxError) -> RegexNode {
        let n = try parseAlternation()
        if !atEnd { throw fail(isChar(")") ? "unmatched ')'" : "unexpected character") }
        if maxBackref > captureCount { throw fail("back reference \\\(maxBackref) has no matching group") }
        return n
    }

    mutating func parseAlternation() throws(RegexSyntaxError) -> RegexNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw fail("groups nested deeper than \(Self.maxDepth)") }
        var alts: [RegexNode] = [try parseSequence()]
        while isChar("|") {
            pos += 1
            alts.append(try parseSequence())
        }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    mutating func parseSequence() throws(RegexSyntaxError) -> RegexNode {
        var items: [RegexNode] = []
        while !atEnd && !isChar("|") && !isChar(")") {
            let atomStart = pos
            var atom = try parseAtom()
            if let q = try parseQuantifier() {
                switch atom {
                case .lineStart, .lineEnd, .wordBoundary:
                    pos = atomStart
                    throw fail("nothing to repeat")
                case .look(_, let behind, _) where behind:
                    throw fail("nothing to repeat")
                default: break
                }
                atom = .repeatNode(atom, min: q.min, max: q.max, greedy: q.greedy)
            }
            items.append(atom)
        }
        if items.isEmpty { return .empty }
        return items.count == 1 ? items[0] : .seq(items)
    }

    mutating func parseQuantifier() throws(RegexSyntaxError) -> (min: Int, max: Int?, greedy: Bool)? {
        guard let c = peek() else { return nil }
        var q: (min: Int, max: Int?)
        switch c {
        case 0x2A: q = (0, nil); pos += 1  // *
        case 0x2B: q = (1, nil); pos += 1  // +
        case 0x3F: q = (0, 1); pos += 1    // ?
        case 0x7B:  // {
            guard let braced = try parseBraces() else { return nil }
            q = braced
        default: return nil
        }
        var greedy = true
        if isChar("?") { greedy = false; pos += 1 }
        if let m = q.max, m < q.min { throw fail("numbers out of order in {} quantifier") }
        return (q.min, q.max, greedy)
    }

    /// `{n}`, `{n,}`, `{n,m}`; nil (and position unchanged) when the brace is not a quantifier.
    mutating func parseBraces() throws(RegexSyntaxError) -> (min: Int, max: Int?)? {
        let save = pos
        pos += 1
        guard let lo = parseInt() else { pos = save; return nil }
        var hi: Int? = lo
        if isChar(",") {
            pos += 1
            hi = parseInt()
        }
        guard isChar("}") else { pos = save; return nil }
        pos += 1
        return (lo, hi)
    }

    mutating func parseInt() -> Int? {
        var v = 0
        var any = false
        while let c = peek(), c >= 0x30 && c <= 0x39 {
            v = min(v * 10 + Int(c - 0x30), 1_000_000)
            any = true
            pos += 1
        }
        return any ? v : nil
    }

    mutating func parseAtom() throws(RegexSyntaxError) -> RegexNode {
        let c = src[pos]
        switch c {
        case 0x5E: pos += 1; return .lineStart        // ^
        case 0x24: pos += 1; return .lineEnd          // $
        case 0x2E: pos += 1; return .any              // .
        case 0x28: return try parseGroup()            // (
        case 0x5B: return .set(try parseClass())      // [
        case 0x5C: return try parseEscape()           // \
        case 0x2A, 0x2B, 0x3F: throw fail("nothing to repeat")
        case 0x7B:
            if try parseBraces() != nil { throw fail("nothing to repeat") }
            pos += 1
            return .char(c)
        default:
            pos += 1
            return .char(c)
        }
    }

    mutating func parseGroup() throws(RegexSyntaxError) -> RegexNode {
        pos += 1
        if isChar("?") {
            if isChar(":", 1) {
                pos += 2
                let n = try parseAlternation()
                try expectClose()
                return .group(n, capture: nil)
            }
            if isChar("=", 1) || isChar("!", 1) {
                let neg = isChar("!", 1)
                pos += 2
                let n = try parseAlternation()
                try expectClose()
                return .look(n, behind: false, negated: neg)
            }
            if isChar("<", 1) && (isChar("=", 2) || isChar("!", 2)) {
                let neg = isChar("!", 2)
                pos += 3
                let n = try parseAlternation()
                try expectClose()
                return .look(n, behind: true, negated: neg)
            }
            if isChar("<", 1) {
                pos += 2
                var name = ""
                while let c = peek(), c != 0x3E { name.unicodeScalars.append(Unicode.Scalar(c) ?? "?"); pos += 1 }
                guard isChar(">"), !name.isEmpty else { throw fail("invalid group name") }
                pos += 1
                captureCount += 1
                let idx = captureCount
                if names[name] != nil { throw fail("duplicate group name '\(name)'") }
                names[name] = idx
                let n = try parseAlternation()
                try expectClose()
                return .group(n, capture: idx)
            }
            throw fail("invalid group")
        }
        captureCount += 1
        let idx = captureCount
        let n = try parseAlternation()
        try expectClose()
        return .group(n, capture: idx)
    }

    mutating func expectClose() throws(RegexSyntaxError) {
        guard isChar(")") else { throw fail("missing ')'") }
        pos += 1
    }

    // MARK: - Escapes

    mutating func parseEscape() throws(RegexSyntaxError) -> RegexNode {
        pos += 1
        guard let c = peek() else { throw fail("\\ at end of pattern") }
        switch c {
        case 0x62: pos += 1; return .wordBoundary(negated: false)  // \b
        case 0x42: pos += 1; return .wordBoundary(negated: true)   // \B
        case 0x31...0x39:
            let save = pos
            let n = parseInt() ?? 0
            if n > 0 {
                maxBackref = max(maxBackref, n)
                return .backref(n)
            }
            pos = save
            throw fail("invalid back reference")
        case 0x6B where isChar("<", 1):  // \k<name>
            pos += 2
            var name = ""
            while let c = peek(), c != 0x3E { name.unicodeScalars.append(Unicode.Scalar(c) ?? "?"); pos += 1 }
            guard isChar(">") else { throw fail("invalid named reference") }
            pos += 1
            return .namedBackref(name)
        default:
            if let cls = try parseClassEscape() { return .set(cls) }
            return .char(try parseCharEscape())
        }
    }

    /// `\d \D \w \W \s \S \p{…} \P{…}`; nil when the escape is not a class.
    mutating func parseClassEscape() throws(RegexSyntaxError) -> CharClass? {
        guard let c = peek() else { return nil }
        var cls = CharClass()
        switch c {
        case 0x64: cls.predicates = [(.digit, false)]
        case 0x44: cls.predicates = [(.digit, true)]
        case 0x77: cls.predicates = [(.word, false)]
        case 0x57: cls.predicates = [(.word, true)]
        case 0x73: cls.predicates = [(.space, false)]
        case 0x53: cls.predicates = [(.space, true)]
        case 0x70, 0x50:
            guard isChar("{", 1) else { throw fail("\\p needs a property name in braces") }
            pos += 2
            var name = ""
            while let ch = peek(), ch != 0x7D { name.unicodeScalars.append(Unicode.Scalar(ch) ?? "?"); pos += 1 }
            guard isChar("}") else { throw fail("missing '}' after property name") }
            guard let pred = UnicodeProperty.predicate(named: name) else { throw fail("unknown Unicode property '\(name)'") }
            cls.predicates = [(pred, c == 0x50)]
        default: return nil
        }
        pos += 1
        return cls
    }

    /// A single-character escape (after the backslash).
    mutating func parseCharEscape() throws(RegexSyntaxError) -> UInt32 {
        let c = src[pos]
        pos += 1
        switch c {
        case 0x74: return 0x09  // t
        case 0x6E: return 0x0A  // n
        case 0x76: return 0x0B  // v
        case 0x66: return 0x0C  // f
        case 0x72: return 0x0D  // r
        case 0x30:              // \0
            if let d = peek(), d >= 0x30 && d <= 0x39 { throw fail("invalid octal escape") }
            return 0
        case 0x63:              // \cX
            guard let l = peek(), (l >= 0x41 && l <= 0x5A) || (l >= 0x61 && l <= 0x7A) else { throw fail("invalid control escape") }
            pos += 1
            return l % 32
        case 0x78:              // \xHH
            guard let v = parseHex(count: 2) else { throw fail("invalid \\x escape") }
            return v
        case 0x75:              // \uHHHH or \u{…}
            if isChar("{") {
                pos += 1
                var v: UInt32 = 0
                var n = 0
                while let h = peek(), let d = hexValue(h) { v = v * 16 + d; n += 1; pos += 1; if v > 0x10FFFF { throw fail("code point out of range") } }
                guard n > 0, isChar("}") else { throw fail("invalid \\u{} escape") }
                pos += 1
                return v
            }
            guard let hi = parseHex(count: 4) else { throw fail("invalid \\u escape") }
            if hi >= 0xD800 && hi < 0xDC00 && isChar("\\") && isChar("u", 1) {
                let save = pos
                pos += 2
                if let lo = parseHex(count: 4), lo >= 0xDC00 && lo < 0xE000 {
                    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                }
                pos = save
            }
            return hi
        default:
            // Identity escapes: syntax characters and '/', '-'; anything else is rejected in unicode mode.
            let syntax = Array("^$\\.*+?()[]{}|/-".unicodeScalars.map(\.value))
            if syntax.contains(c) { return c }
            throw fail("invalid escape '\\\(Unicode.Scalar(c).map(String.init) ?? "?")'")
        }
    }

    func hexValue(_ c: UInt32) -> UInt32? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    mutating func parseHex(count: Int) -> UInt32? {
        var v: UInt32 = 0
        for i in 0..<count {
            guard let c = peek(i), let d = hexValue(c) else { return nil }
            v = v * 16 + d
        }
        pos += count
        return v
    }

    // MARK: - Bracket classes

    mutating func parseClass() throws(RegexSyntaxError) -> CharClass {
        pos += 1
        var cls = CharClass()
        cls.ignoreCase = flags.ignoreCase
        if isChar("^") { cls.negated = true; pos += 1 }
        while true {
            guard let c = peek() else { throw fail("missing ']'") }
            if c == 0x5D { pos += 1; break }
            // One class atom, maybe the start of a range.
            let lo = try parseClassAtom(into: &cls)
            if isChar("-") && !isChar("]", 1) && peek(1) != nil {
                guard let lo else {
                    if flags.unicode { throw fail("invalid character class range") }
                    continue
                }
                pos += 1
                guard let hi = try parseClassAtom(into: &cls) else { throw fail("invalid character class range") }
                if hi < lo { throw fail("range out of order in character class") }
                cls.ranges.append((lo, hi))
            } else if let lo {
                cls.ranges.append((lo, lo))
            }
        }
        return cls
    }

    /// A single character (returned) or a class escape (added to `cls`, returns nil).
    mutating func parseClassAtom(into cls: inout CharClass) throws(RegexSyntaxError) -> UInt32? {
        let c = src[pos]
        if c == 0x5C {
            pos += 1
            guard let e = peek() else { throw fail("\\ at end of pattern") }
            if e == 0x62 { pos += 1; return 0x08 }  // \b is backspace in a class
            if e == 0x2D { pos += 1; return 0x2D }
            if let inner = try parseClassEscape() {
                for p in inner.predicates { cls.predicates.append(p) }
                return nil
            }
            return try parseCharEscape()
        }
        pos += 1
        return c
    }
}

