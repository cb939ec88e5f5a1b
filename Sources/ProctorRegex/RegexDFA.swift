// A deterministic automaton for a pattern's language, for constrained decoding: it says after each
// character whether the text can still become one the pattern matches, so a decoder can refuse a
// character the moment it rules every match out.

/// Why a pattern has no automaton: bad syntax, or a construct whose language is not regular or
/// that this compiler does not cover (back references, look-around, word boundaries, Unicode
/// property classes).
public struct RegexDFAError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the pattern.
    public let message: String
    /// The message.
    public var description: String { message }
}

/// A DFA over Unicode scalars (surrogates excluded) accepting exactly the strings in which the
/// pattern finds a match (JSON Schema `pattern`: unanchored unless the pattern says `^`/`$`).
///
/// The alphabet is cut into intervals on which every character class of the pattern agrees, so a
/// state's transitions are a row of `intervalCount` targets; -1 is the dead state, and every other
/// state can still reach acceptance (states that cannot are removed).
public struct RegexDFA: Sendable {
    /// Interval i holds the scalars from `intervalStarts[i]` to `intervalStarts[i + 1] - 1` (the last to 0x10FFFF).
    public let intervalStarts: [UInt32]
    /// `transitions[state * intervalCount + interval]`: the next state, or -1.
    public let transitions: [Int32]
    /// Whether the text read so far is matched.
    public let accepting: [Bool]
    /// The state before any character; -1 when the pattern matches nothing.
    public let start: Int
    /// Interval of each ASCII scalar, so the common case skips the binary search.
    let asciiInterval: [Int32]

    /// Alphabet intervals (columns of the transition table).
    public var intervalCount: Int { intervalStarts.count }
    /// States (rows of the transition table).
    public var stateCount: Int { accepting.count }

    /// The last scalar of interval `i`.
    public func intervalEnd(_ i: Int) -> UInt32 { i + 1 < intervalStarts.count ? intervalStarts[i + 1] - 1 : 0x10FFFF }

    /// The interval holding `scalar`.
    @inline(__always) public func interval(of scalar: UInt32) -> Int {
        if scalar < 128 { return Int(asciiInterval[Int(scalar)]) }
        return Self.interval(of: scalar, in: intervalStarts)
    }

    /// The index of the last start at or below `scalar` in sorted `starts` (whose first is 0): one
    /// binary search shared by matching and by the construction.
    static func interval(of scalar: UInt32, in starts: [UInt32]) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= scalar { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The state after `scalar`, or -1 when no match can follow.
    @inline(__always) public func step(_ state: Int, _ scalar: UInt32) -> Int {
        Int(transitions[state * intervalStarts.count + interval(of: scalar)])
    }

    /// The state after interval `i`, or -1.
    @inline(__always) public func step(_ state: Int, interval i: Int) -> Int {
        Int(transitions[state * intervalStarts.count + i])
    }

    /// Steps the subset construction may take by default before it gives up on a pattern.
    public static let defaultMaxWork = 20_000_000

    /// Compiles `pattern` (ECMA-262 syntax, the `u` flag) with search semantics; at most `maxStates`
    /// states and `maxWork` steps of construction, so a hostile pattern fails fast with a message.
    public init(pattern: String, maxStates: Int = 4096, maxWork: Int = RegexDFA.defaultMaxWork) throws(RegexDFAError) {
        var parser = RegexParser(pattern: pattern, flags: [.unicode])
        let ast: RegexNode
        do { ast = try parser.parse() } catch { throw RegexDFAError(message: error.description) }
        var nfa = NFA()
        let any = RangeSet.all
        // Σ* before the pattern, Σ* after it: a search, not a whole match.
        let s0 = nfa.add(), p0 = nfa.add(), p1 = nfa.add(), f = nfa.add()
        nfa.chars(s0, any, s0)
        nfa.eps(s0, p0)
        try nfa.build(ast, p0, p1, pattern)
        nfa.eps(p1, f)
        nfa.chars(f, any, f)
        self = try RegexDFA.determinise(nfa, start: s0, final: f, maxStates: maxStates, maxWork: maxWork, pattern: pattern)
    }

    init(intervalStarts: [UInt32], transitions: [Int32], accepting: [Bool], start: Int) {
        self.intervalStarts = intervalStarts
        self.transitions = transitions
        self.accepting = accepting
        self.start = start
        var table = [Int32](repeating: 0, count: 128)
        var i = 0
        for c in 0..<128 {
            while i + 1 < intervalStarts.count && intervalStarts[i + 1] <= UInt32(c) { i += 1 }
            table[c] = Int32(i)
        }
        asciiInterval = table
    }

    /// True when the automaton accepts `text` (tests compare this with the backtracking matcher).
    public func matches(_ text: String) -> Bool {
        var s = start
        for u in text.unicodeScalars {
            guard s >= 0 else { return false }
            s = step(s, u.value)
        }
        return s >= 0 && accepting[s]
    }

    static func determinise(_ nfa: NFA, start: Int, final: Int, maxStates: Int, maxWork: Int, pattern: String) throws(RegexDFAError) -> RegexDFA {
        // Alphabet intervals: every boundary of every class.
        var cuts: Set<UInt32> = [0]
        for edges in nfa.charEdges { for (set, _) in edges { for (lo, hi) in set.ranges { cuts.insert(lo); if hi < 0x10FFFF { cuts.insert(hi + 1) } } } }
        let starts = cuts.sorted()
        var subsets = Subsets(nfa: nfa, intervalStarts: starts, maxWork: maxWork)
        func tooComplex() -> RegexDFAError {
            RegexDFAError(message: "pattern /\(pattern)/ is too complex for an automaton (over \(maxWork) steps to build it)")
        }
        var index: [[UInt64]: Int] = [:]
        var sets: [[UInt64]] = []
        var rows: [[Int]] = []
        guard subsets.closure([Int32(start)], atStart: true, atEnd: false) else { throw tooComplex() }
        index[subsets.bits] = 0
        sets.append(subsets.bits)
        var k = 0
        while k < sets.count {
            var row = [Int](repeating: -1, count: starts.count)
            guard subsets.gatherTargets(of: sets[k]) else { throw tooComplex() }
            for i in starts.indices where !subsets.targets[i].isEmpty {
                guard subsets.closure(subsets.targets[i], atStart: false, atEnd: false) else { throw tooComplex() }
                subsets.targets[i].removeAll(keepingCapacity: true)
                if let j = index[subsets.bits] { row[i] = j; continue }
                guard sets.count < maxStates else {
                    throw RegexDFAError(message: "pattern /\(pattern)/ needs more than \(maxStates) automaton states")
                }
                index[subsets.bits] = sets.count
                row[i] = sets.count
                sets.append(subsets.bits)
            }
            rows.append(row)
            k += 1
        }
        // The first state may pass `^`; the others see `$` only when checking acceptance.
        var accepting: [Bool] = []
        accepting.reserveCapacity(sets.count)
        for (i, set) in sets.enumerated() {
            guard subsets.closure(of: set, atStart: i == 0, atEnd: true) else { throw tooComplex() }
            accepting.append(subsets.bits[final >> 6] & (1 << UInt64(final & 63)) != 0)
        }
        // Drop states that cannot reach acceptance (a walk back from the accepting ones), renumbering the rest.
        var predecessors = [[Int]](repeating: [], count: sets.count)
        for (i, row) in rows.enumerated() { for t in row where t >= 0 { predecessors[t].append(i) } }
        var live = accepting
        var stack = accepting.indices.filter { accepting[$0] }
        while let s = stack.popLast() {
            for p in predecessors[s] where !live[p] { live[p] = true; stack.append(p) }
        }
        var renumber = [Int](repeating: -1, count: sets.count)
        var n = 0
        for i in sets.indices where live[i] { renumber[i] = n; n += 1 }
        var transitions: [Int32] = []
        transitions.reserveCapacity(n * starts.count)
        var acc: [Bool] = []
        for i in sets.indices where live[i] {
            for t in rows[i] { transitions.append(Int32(t >= 0 ? renumber[t] : -1)) }
            acc.append(accepting[i])
        }
        return RegexDFA(intervalStarts: starts, transitions: transitions, accepting: acc, start: renumber[0])
    }
}

/// The subset construction's working state: NFA state sets as bitsets (cheap to hash and compare),
/// each NFA state's class edges as runs of alphabet intervals, and a count of the steps taken so a
/// hostile pattern stops with an error instead of running for minutes.
struct Subsets {
    /// ε edges flattened: state `s`'s are `epsTarget[epsStart[s]..<epsStart[s + 1]]`, with their kinds.
    let epsStart: [Int32]
    let epsTarget: [Int32]
    let epsKind: [NFA.Eps]
    /// `spans[s]`: (first interval, last interval, target) for every range of every class edge out of `s`.
    let spans: [[(Int32, Int32, Int32)]]
    let words: Int
    /// Per interval, the NFA states one step reaches from the set being expanded.
    var targets: [[Int32]]
    /// `mark[s] == stamp` when `s` is already in the closure being built.
    var mark: [UInt32]
    var stamp: UInt32 = 0
    var stack: [Int32] = []
    /// The closure just computed, one bit per NFA state.
    var bits: [UInt64] = []
    var work = 0
    let maxWork: Int

    init(nfa: NFA, intervalStarts: [UInt32], maxWork: Int) {
        var offsets: [Int32] = [0], ends: [Int32] = [], kinds: [NFA.Eps] = []
        for edges in nfa.epsEdges {
            for (kind, t) in edges { ends.append(Int32(t)); kinds.append(kind) }
            offsets.append(Int32(ends.count))
        }
        (epsStart, epsTarget, epsKind) = (offsets, ends, kinds)
        func intervalIndex(_ c: UInt32) -> Int32 { Int32(RegexDFA.interval(of: c, in: intervalStarts)) }
        spans = nfa.charEdges.map { edges in
            edges.flatMap { set, t in set.ranges.map { lo, hi in (intervalIndex(lo), intervalIndex(hi), Int32(t)) } }
        }
        words = (nfa.epsEdges.count + 63) / 64
        targets = Array(repeating: [], count: intervalStarts.count)
        mark = Array(repeating: 0, count: nfa.epsEdges.count)
        self.maxWork = maxWork
    }

    /// Calls `body` with each NFA state in a bitset, in increasing order.
    static func forEachMember(_ set: [UInt64], _ body: (Int) -> Void) {
        for (w, word) in set.enumerated() {
            var bits = word
            while bits != 0 {
                body(w << 6 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
    }

    /// Fills `targets` with the states the set's class edges reach, per interval; false past the budget.
    mutating func gatherTargets(of set: [UInt64]) -> Bool {
        var budgetLeft = maxWork - work
        var over = false
        Self.forEachMember(set) { s in
            for (first, last, t) in spans[s] {
                budgetLeft -= Int(last - first) + 1
                for i in Int(first)...Int(last) { targets[i].append(t) }
            }
            if budgetLeft < 0 { over = true }
        }
        work = maxWork - budgetLeft
        return !over
    }

    /// Puts the ε-closure of `seed` in `bits` (`^` edges only at the start, `$` edges only at the
    /// end); false past the budget.
    mutating func closure(_ seed: [Int32], atStart: Bool, atEnd: Bool) -> Bool {
        startClosure()
        for s in seed where mark[Int(s)] != stamp { mark[Int(s)] = stamp; stack.append(s) }
        return finishClosure(atStart: atStart, atEnd: atEnd)
    }

    /// The same closure seeded by the members of a bitset (a state already built, seen again at the end).
    mutating func closure(of set: [UInt64], atStart: Bool, atEnd: Bool) -> Bool {
        startClosure()
        Self.forEachMember(set) { s in mark[s] = stamp; stack.append(Int32(s)) }
        return finishClosure(atStart: atStart, atEnd: atEnd)
    }

    /// A fresh stamp, cleared `bits` and an empty stack, for the next closure's seeds.
    private mutating func startClosure() {
        stamp &+= 1
        if stamp == 0 { for i in mark.indices { mark[i] = 0 }; stamp = 1 }
        // Cleared in place; when the last closure was kept as a state the write copies it first (copy on write).
        if bits.count == words { for w in bits.indices { bits[w] = 0 } } else { bits = [UInt64](repeating: 0, count: words) }
        stack.removeAll(keepingCapacity: true)
    }

    /// Follows ε edges from the seeded stack until it is empty, filling `bits`.
    private mutating func finishClosure(atStart: Bool, atEnd: Bool) -> Bool {
        while let s = stack.popLast() {
            bits[Int(s) >> 6] |= 1 << UInt64(s & 63)
            let lo = Int(epsStart[Int(s)]), hi = Int(epsStart[Int(s) + 1])
            work += 1 + hi - lo
            var e = lo
            while e < hi {
                let t = Int(epsTarget[e])
                if mark[t] != stamp {
                    switch epsKind[e] {
                    case .plain: mark[t] = stamp; stack.append(Int32(t))
                    case .lineStart: if atStart { mark[t] = stamp; stack.append(Int32(t)) }
                    case .lineEnd: if atEnd { mark[t] = stamp; stack.append(Int32(t)) }
                    }
                }
                e += 1
            }
        }
        work += words
        return work <= maxWork
    }
}

/// Sorted, disjoint, inclusive scalar ranges.
struct RangeSet {
    var ranges: [(UInt32, UInt32)]

    static let all = RangeSet(ranges: [(0, 0xD7FF), (0xE000, 0x10FFFF)])

    func contains(_ c: UInt32) -> Bool {
        for (lo, hi) in ranges where c >= lo && c <= hi { return true }
        return false
    }

    static func normalised(_ rs: [(UInt32, UInt32)]) -> RangeSet {
        let sorted = rs.sorted { $0.0 < $1.0 }
        var out: [(UInt32, UInt32)] = []
        for r in sorted {
            if let last = out.last, r.0 <= last.1 &+ 1 { out[out.count - 1].1 = max(last.1, r.1) } else { out.append(r) }
        }
        return RangeSet(ranges: out)
    }

    /// Everything in 0…0x10FFFF outside the set.
    var complement: RangeSet {
        var out: [(UInt32, UInt32)] = []
        var next: UInt32 = 0
        for (lo, hi) in ranges {
            if lo > next { out.append((next, lo - 1)) }
            next = hi &+ 1
            if hi >= 0x10FFFF { return RangeSet(ranges: out) }
        }
        out.append((next, 0x10FFFF))
        return RangeSet(ranges: out)
    }

    /// Without surrogates, which no JSON string holds as a character.
    var withoutSurrogates: RangeSet {
        var out: [(UInt32, UInt32)] = []
        for (lo, hi) in ranges {
            if hi < 0xD800 || lo > 0xDFFF { out.append((lo, hi)); continue }
            if lo < 0xD800 { out.append((lo, 0xD7FF)) }
            if hi > 0xDFFF { out.append((0xE000, hi)) }
        }
        return RangeSet(ranges: out)
    }
}

/// A Thompson NFA: ε edges (some only at the start or end of the text) and class edges.
struct NFA {
    enum Eps { case plain, lineStart, lineEnd }
    var epsEdges: [[(Eps, Int)]] = []
    var charEdges: [[(RangeSet, Int)]] = []

    mutating func add() -> Int {
        epsEdges.append([]); charEdges.append([])
        return epsEdges.count - 1
    }
    mutating func eps(_ a: Int, _ b: Int, _ kind: Eps = .plain) { epsEdges[a].append((kind, b)) }
    mutating func chars(_ a: Int, _ set: RangeSet, _ b: Int) { charEdges[a].append((set.withoutSurrogates, b)) }

    /// Adds states so that a path from `from` to `to` spells the node's language.
    mutating func build(_ node: RegexNode, _ from: Int, _ to: Int, _ pattern: String) throws(RegexDFAError) {
        func unsupported(_ what: String) -> RegexDFAError {
            RegexDFAError(message: "pattern /\(pattern)/ uses \(what), which has no automaton (constrained decoding covers characters, classes, groups, alternation, repetition, ^ and $)")
        }
        switch node {
        case .empty: eps(from, to)
        case .char(let c): chars(from, RangeSet(ranges: [(c, c)]), to)
        case .any:
            chars(from, RangeSet.normalised([(0, 0x09), (0x0B, 0x0C), (0x0E, 0x2027), (0x202A, 0x10FFFF)]), to)
        case .set(let cls): chars(from, try Self.ranges(cls, unsupported), to)
        case .seq(let xs):
            var cur = from
            for (i, x) in xs.enumerated() {
                let next = i == xs.count - 1 ? to : add()
                try build(x, cur, next, pattern)
                cur = next
            }
            if xs.isEmpty { eps(from, to) }
        case .alt(let xs):
            for x in xs {
                let a = add(), b = add()
                eps(from, a); try build(x, a, b, pattern); eps(b, to)
            }
        case .group(let n, _): try build(n, from, to, pattern)
        case .repeatNode(let n, let lo, let hi, _):
            guard lo <= 1000, (hi ?? 0) <= 1000 else { throw unsupported("a repetition count over 1000") }
            var cur = from
            for _ in 0..<lo {
                let next = add()
                try build(n, cur, next, pattern)
                cur = next
            }
            if let hi {
                for _ in lo..<max(lo, hi) {
                    let next = add()
                    try build(n, cur, next, pattern)
                    eps(cur, to)
                    cur = next
                }
                eps(cur, to)
            } else {
                let loopStart = add(), loopEnd = add()
                eps(cur, loopStart)
                try build(n, loopStart, loopEnd, pattern)
                eps(loopEnd, loopStart)
                eps(cur, to)
                eps(loopEnd, to)
            }
        case .lineStart: eps(from, to, .lineStart)
        case .lineEnd: eps(from, to, .lineEnd)
        case .wordBoundary: throw unsupported("a word boundary (\\b or \\B)")
        case .look: throw unsupported("a look-ahead or look-behind")
        case .backref, .namedBackref: throw unsupported("a back reference")
        }
    }

    /// The scalars a class matches.
    static func ranges(_ cls: CharClass, _ unsupported: (String) -> RegexDFAError) throws(RegexDFAError) -> RangeSet {
        var rs = cls.ranges
        for (p, negated) in cls.predicates {
            var set: RangeSet
            switch p {
            case .digit: set = RangeSet(ranges: [(0x30, 0x39)])
            case .word: set = RangeSet.normalised([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
            case .space:
                set = RangeSet.normalised([(0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029),
                                           (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF)])
            case .anyScalar: set = RangeSet(ranges: [(0, 0x10FFFF)])
            case .ascii: set = RangeSet(ranges: [(0, 0x7F)])
            case .category, .binary: throw unsupported("a Unicode property class (\\p{…})")
            }
            if negated { set = set.complement }
            rs.append(contentsOf: set.ranges)
        }
        if cls.ignoreCase {
            guard rs.allSatisfy({ $0.1 < 0x80 }) else { throw unsupported("case-insensitive non-ASCII ranges") }
            for (lo, hi) in rs {
                for c in lo...hi where (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { rs.append((c ^ 0x20, c ^ 0x20)) }
            }
        }
        let set = RangeSet.normalised(rs)
        return cls.negated ? set.complement : set
    }
}

extension RegexDFA {
    /// The automaton accepting what both accept (a string with several patterns, `allOf` of patterns).
    public static func intersection(_ a: RegexDFA, _ b: RegexDFA) throws(RegexDFAError) -> RegexDFA {
        guard a.start >= 0, b.start >= 0 else {
            return RegexDFA(intervalStarts: [0], transitions: [], accepting: [], start: -1)
        }
        let starts = Set(a.intervalStarts).union(b.intervalStarts).sorted()
        var index: [Int: Int] = [a.start * b.stateCount + b.start: 0]
        var pairs = [(a.start, b.start)]
        var transitions: [Int32] = []
        var k = 0
        while k < pairs.count {
            let (x, y) = pairs[k]
            for lo in starts {
                let nx = a.step(x, lo), ny = nx >= 0 ? b.step(y, lo) : -1
                guard nx >= 0, ny >= 0 else { transitions.append(-1); continue }
                let key = nx * b.stateCount + ny
                if let j = index[key] { transitions.append(Int32(j)); continue }
                guard pairs.count < 8192 else { throw RegexDFAError(message: "the patterns together need more than 8192 automaton states") }
                index[key] = pairs.count
                transitions.append(Int32(pairs.count))
                pairs.append((nx, ny))
            }
            k += 1
        }
        let accepting = pairs.map { a.accepting[$0.0] && b.accepting[$0.1] }
        // Keep only states that can still reach acceptance.
        let n = starts.count
        var live = accepting
        var changed = true
        while changed {
            changed = false
            for i in pairs.indices where !live[i] {
                for t in transitions[(i * n)..<(i * n + n)] where t >= 0 && live[Int(t)] { live[i] = true; changed = true; break }
            }
        }
        guard live[0] else { return RegexDFA(intervalStarts: [0], transitions: [], accepting: [], start: -1) }
        var renumber = [Int](repeating: -1, count: pairs.count)
        var m = 0
        for i in pairs.indices where live[i] { renumber[i] = m; m += 1 }
        var out: [Int32] = []
        var acc: [Bool] = []
        for i in pairs.indices where live[i] {
            for t in transitions[(i * n)..<(i * n + n)] { out.append(t >= 0 && live[Int(t)] ? Int32(renumber[Int(t)]) : -1) }
            acc.append(accepting[i])
        }
        return RegexDFA(intervalStarts: starts, transitions: out, accepting: acc, start: 0)
    }
}
