/// An ECMA-262 regular expression (the dialect JSON Schema's `pattern` specifies), compiled once and
/// safe to share across threads.
///
/// Written here rather than borrowed: Foundation's ICU regex differs from ECMA-262 (`$`, `\d`, `\w`),
/// and a step budget is needed so a hostile pattern fails with a message instead of hanging a run.
/// Supported: alternation, greedy and lazy quantifiers, groups (capturing, non-capturing, named),
/// back references, lookahead and lookbehind, classes with ranges, `\d\w\s\b` (ASCII, as ECMA-262),
/// `\p{…}` general categories and common binary properties, and the flags i, m, s.
/// Not supported: `\p{Script=…}` (no script data in the standard library) and the `v` flag's set operations.
public struct ECMARegex: Sendable {
    /// The ECMA-262 flags this engine knows: `i`, `m`, `s` and `u`.
    public struct Flags: OptionSet, Sendable {
        /// The flags as bits.
        public let rawValue: Int
        /// Makes flags from their bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `i`: letters match regardless of case.
        public static let ignoreCase = Flags(rawValue: 1)
        /// `m`: `^` and `$` also match at line breaks.
        public static let multiline = Flags(rawValue: 2)
        /// `s`: `.` also matches line terminators.
        public static let dotAll = Flags(rawValue: 4)
        /// `u`: accepted and recorded; the engine always matches Unicode scalars with `u`-mode escapes, set or not.
        public static let unicode = Flags(rawValue: 8)
        var ignoreCase: Bool { contains(.ignoreCase) }
        var multiline: Bool { contains(.multiline) }
        var dotAll: Bool { contains(.dotAll) }
        var unicode: Bool { contains(.unicode) }

        /// Flags from letters such as `"im"`; throws on an unknown letter.
        public init(letters: String) throws(RegexSyntaxError) {
            var f: Flags = []
            for ch in letters {
                switch ch {
                case "i": f.insert(.ignoreCase)
                case "m": f.insert(.multiline)
                case "s": f.insert(.dotAll)
                case "u": f.insert(.unicode)
                default: throw RegexSyntaxError(pattern: letters, position: 0, message: "unknown flag '\(ch)' (use i, m, s or u)")
                }
            }
            self = f
        }
    }

    /// The pattern source, as given.
    public let pattern: String
    /// The flags the pattern was compiled with.
    public let flags: Flags
    /// Backtracking steps allowed per search before `RegexStepLimitExceeded`, plus 32 per input
    /// character, so linear patterns on long texts always finish while exponential ones stop.
    public var stepLimit: Int
    let program: RegexProgram

    /// The default `stepLimit`: five million backtracking steps per search.
    public static let defaultStepLimit = 5_000_000

    /// Compiles `pattern` with `flags`; throws `RegexSyntaxError` when the syntax is wrong or uses something unsupported.
    public init(_ pattern: String, flags: Flags = [.unicode], stepLimit: Int = ECMARegex.defaultStepLimit) throws(RegexSyntaxError) {
        var parser = RegexParser(pattern: pattern, flags: flags)
        let ast = try parser.parse()
        var compiler = RegexCompiler(flags: flags, names: parser.names, pattern: pattern)
        self.program = try compiler.compile(ast, captures: parser.captureCount)
        self.pattern = pattern
        self.flags = flags
        self.stepLimit = stepLimit
    }

    /// The first match and its capture groups, as scalar offsets: element 0 is the whole match,
    /// element i the i-th group (nil when the group took no part in the match).
    public func firstMatchGroups(in text: String) throws(RegexStepLimitExceeded) -> [Range<Int>?]? {
        try search(Self.scalars(text)).map { whole, caps in
            [whole] + (1...max(1, program.captureCount)).prefix(program.captureCount).map { g in
                caps[g * 2] >= 0 && caps[g * 2 + 1] >= caps[g * 2] ? caps[g * 2]..<caps[g * 2 + 1] : nil
            }
        }
    }

    /// The scalar offsets of the first match, searching from every start position (ECMA `exec`).
    public func firstMatch(in text: String) throws(RegexStepLimitExceeded) -> Range<Int>? {
        try search(Self.scalars(text))?.0
    }

    func search(_ input: [UInt32]) throws(RegexStepLimitExceeded) -> (Range<Int>, [Int])? {
        var m = RegexMatcher(program: program, input: input, limit: stepLimit + 32 * input.count)
        let lastStart = program.anchoredStart ? 0 : input.count
        var firstChar: UInt32? = nil
        if case .char(let c) = program.insts.first { firstChar = c }
        var start = 0
        while start <= lastStart {
            if let fc = firstChar {
                while start < input.count && input[start] != fc { start += 1 }
                if start >= input.count { return nil }
            }
            for i in m.caps.indices { m.caps[i] = -1 }
            guard let r = m.run(program.insts, at: start) else { throw RegexStepLimitExceeded(pattern: pattern, limit: stepLimit + 32 * input.count) }
            if let end = r { return (start..<end, m.caps) }
            start += 1
        }
        return nil
    }

    /// True when the pattern matches somewhere in `text` (JSON Schema `pattern` semantics).
    public func test(_ text: String) throws(RegexStepLimitExceeded) -> Bool {
        try firstMatch(in: text) != nil
    }

    /// True when the pattern matches all of `text`.
    public func wholeMatch(_ text: String) throws(RegexStepLimitExceeded) -> Bool {
        let input = Self.scalars(text)
        var m = RegexMatcher(program: program, input: input, limit: stepLimit + 32 * input.count)
        guard let r = m.run(program.insts, at: 0, requiredEnd: input.count) else {
            throw RegexStepLimitExceeded(pattern: pattern, limit: stepLimit + 32 * input.count)
        }
        return r != nil
    }

    static func scalars(_ s: String) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars { out.append(u.value) }
        return out
    }
}
