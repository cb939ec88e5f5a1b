/// Byte-by-byte recognition: the automaton's transitions.
extension Grammar {
    /// The state before any output.
    public func start() -> MatchState { MatchState(root: root) }

    /// Advances `state` by one byte of output; false (and the state unchanged) when no valid instance continues this way.
    public func feed(_ state: inout MatchState, _ b: UInt8) -> Bool {
        if state.single {
            var forks: [Thread] = []
            var t = state.first
            let ok = feedThread(&t, b, &forks, offset: state.offset)
            if forks.isEmpty {
                guard ok else { return false }
                if !t.finished.isEmpty { t.finished.removeAll() }
                state.first = t
                state.offset += 1
                return true
            }
            var all = ok ? [t] : []
            all.append(contentsOf: forks)
            return settle(&state, all)
        }
        var all: [Thread] = []
        for var t in state.threads {
            var forks: [Thread] = []
            t.finished.removeAll()
            if feedThread(&t, b, &forks, offset: state.offset) { all.append(t) }
            all.append(contentsOf: forks)
        }
        return settle(&state, all)
    }

    /// Keeps the surviving threads, minus those that finished a `oneOf` value that another branch
    /// finished on the same byte (the value would match two branches).
    func settle(_ state: inout MatchState, _ all: [Thread]) -> Bool {
        var alive = all
        if alive.contains(where: { !$0.finished.isEmpty }) {
            var branches: [Int64: Set<Int32>] = [:]
            for t in alive { for (s, b) in t.finished { branches[s, default: []].insert(b) } }
            let clash = Set(branches.filter { $0.value.count > 1 }.keys)
            if !clash.isEmpty { alive.removeAll { t in t.finished.contains { clash.contains($0.0) } } }
            for i in alive.indices { alive[i].finished.removeAll() }
        }
        guard !alive.isEmpty else { return false }
        state.threads = alive
        state.offset += 1
        return true
    }

    /// Feeds every byte; false at the first one refused (the state is then partly advanced).
    public func feed(_ state: inout MatchState, bytes: some Sequence<UInt8>) -> Bool {
        for b in bytes where !feed(&state, b) { return false }
        return true
    }

    /// The output so far is a whole valid instance (generation may stop here): some thread ends
    /// here, and no `oneOf` value it closes is also closed by another branch.
    public func isComplete(_ state: MatchState) -> Bool {
        var endings: [[(Int64, Int32)]] = []
        for var t in state.threads {
            switch t.top {
            case .done: endings.append([]); continue
            case .number(let n): guard complete(n, nodes[Int(n.node)].number!) else { continue }
            case .literal(let trie, let at): guard tries[Int(trie)].terminal[Int(at)] >= 0 else { continue }
            default: continue
            }
            t.finished = []
            valueDone(&t)
            guard case .done = t.top else { continue }
            endings.append(t.finished)
        }
        guard endings.count > 1, endings.contains(where: { !$0.isEmpty }) else { return !endings.isEmpty }
        var branches: [Int64: Set<Int32>] = [:]
        for e in endings { for (s, b) in e { branches[s, default: []].insert(b) } }
        return endings.contains { e in e.allSatisfy { branches[$0.0]!.count == 1 } }
    }

    @inline(__always) func complete(_ n: NumState, _ rule: NumberRule) -> Bool {
        n.syntax.complete && (!rule.bounded || n.done)
    }

    /// The instance is complete and nothing more may follow.
    public func isFinished(_ state: MatchState) -> Bool {
        if case .done = state.first.top { return true }
        return state.others.contains { if case .done = $0.top { return true }; return false }
    }

    /// Fewest bytes that still complete a valid instance.
    public func remainingBytes(_ state: MatchState) -> Int {
        if state.single { return remaining(state.first.top, below: state.first.below) + (state.first.below?.tail ?? 0) }
        // Several threads: while two branches of one `oneOf` are both alive, the value may still
        // match both, and telling them apart costs bytes (an integer and a number need ".5"): two
        // more are counted for every thread under such a split.
        var pairs: [(Int64, Int32)] = []
        func note(_ f: Frame) { if case .branch(let split, let index) = f { pairs.append((split, index)) } }
        func collect(_ t: Thread) {
            note(t.top)
            var n = t.below
            while let node = n { note(node.frame); n = node.below }
        }
        collect(state.first)
        for t in state.others { collect(t) }
        // Splits with two different branches alive.
        var ambiguous: [Int64] = []
        for (i, p) in pairs.enumerated() where !ambiguous.contains(p.0) {
            for q in pairs[(i + 1)...] where q.0 == p.0 && q.1 != p.1 { ambiguous.append(p.0); break }
        }
        func cost(_ t: Thread) -> Int {
            var c = remaining(t.top, below: t.below) + (t.below?.tail ?? 0)
            guard !ambiguous.isEmpty else { return c }
            var under = false
            if case .branch(let split, _) = t.top, ambiguous.contains(split) { under = true }
            var n = t.below
            while !under, let node = n {
                if case .branch(let split, _) = node.frame, ambiguous.contains(split) { under = true }
                n = node.below
            }
            if under { c += 2 }
            return c
        }
        var best = cost(state.first)
        for t in state.others { best = min(best, cost(t)) }
        return best
    }

    /// A superset of the bytes `state` can take next, cheap to work out: the mask search skips the
    /// other children of a trie node without copying the state to try them.
    public func possibleNext(_ state: MatchState) -> ByteSet {
        guard state.single else { return .all }
        var set = ByteSet()
        let t = state.first
        if options.allowWhitespace { for b in [0x20, 0x0A, 0x09, 0x0D] as [UInt8] { set.insert(b) } }
        func valueStart(_ id: Int, _ depth: Int = 0) {
            let n = nodes[id]
            if !n.alternatives.isEmpty {
                // A union starts with whatever one of its branches starts with.
                guard depth < 8 else { set = .all; return }
                for a in n.alternatives { valueStart(Int(a), depth + 1) }
                return
            }
            if n.literalTrie >= 0 { for (b, _) in tries[Int(n.literalTrie)].children[0] { set.insert(b) }; return }
            if n.string >= 0 { set.insert(0x22) }
            if n.object != nil { set.insert(0x7B) }
            if n.array != nil { set.insert(0x5B) }
            if n.number != nil { set.insert(0x2D); for d in UInt8(0x30)...0x39 { set.insert(d) } }
            if n.keywordTrie >= 0 { for (b, _) in tries[Int(n.keywordTrie)].children[0] { set.insert(b) } }
        }
        switch t.top {
        case .value(let id): valueStart(Int(id))
        case .object(let o):
            switch o.phase {
            case .afterOpen: set.insert(0x22); set.insert(0x7D)
            case .afterComma: set.insert(0x22)
            case .afterKey: set.insert(0x3A)
            case .afterValue: set.insert(0x2C); set.insert(0x7D)
            case .inKey, .inValue: return .all
            }
        case .array(let a):
            set.insert(0x5D)
            if a.afterItem { set.insert(0x2C) } else {
                let rule = nodes[Int(a.node)].array!
                let item = rule.itemNode(0)
                if item >= 0 { valueStart(item) }
            }
        case .number(let n):
            for d in UInt8(0x30)...0x39 { set.insert(d) }
            set.insert(0x2E)
            if complete(n, nodes[Int(n.node)].number!) && !delimiters(after: t, into: &set) { return .all }
        case .literal(let trie, let at):
            let tr = tries[Int(trie)]
            for (b, _) in tr.children[Int(at)] { set.insert(b) }
            if tr.terminal[Int(at)] >= 0 && !delimiters(after: t, into: &set) { return .all }
        case .done: return ByteSet()
        default: return .all
        }
        return set
    }

    /// `possibleNext`, and inside a key of an object that takes no other keys, only the bytes that
    /// continue a key it may still write (and the quote, a backslash): the trie walk then skips the
    /// rest of a large vocabulary at its first byte.
    public func possibleNextPrecise(_ state: MatchState) -> ByteSet {
        guard state.single, case .string(let s) = state.first.top, s.rule < 0, s.esc == 0, s.need == 0,
              case .object(let o)? = state.first.below?.frame else { return possibleNext(state) }
        let rule = nodes[Int(o.node)].object!
        guard rule.additional < 0, rule.classes.isEmpty, s.keyAt >= 0 else { return possibleNext(state) }
        var set = ByteSet()
        set.insert(0x22)
        set.insert(0x5C)
        let trie = tries[Int(rule.keyTrie)]
        for (byte, child) in trie.children[Int(s.keyAt)] where keyCanReach(o, rule, Int(child)) { set.insert(byte) }
        return set
    }

    /// The bytes that may end a number or literal on top of `t` (what its container takes next);
    /// false when that is not simply known (under a `oneOf` branch).
    func delimiters(after t: Thread, into set: inout ByteSet) -> Bool {
        switch t.below?.frame {
        case .object?: set.insert(0x2C); set.insert(0x7D)
        case .array?: set.insert(0x2C); set.insert(0x5D)
        case .done?: break
        default: return false
        }
        return true
    }

    // MARK: - One thread    // MARK: - One thread

    @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }

    func push(_ t: inout Thread, _ f: Frame) {
        t.below = StackNode(frame: t.top, below: t.below, tail: remaining(t.top, below: t.below) + (t.below?.tail ?? 0))
        t.top = f
    }

    func pop(_ t: inout Thread) {
        t.top = t.below!.frame
        t.below = t.below!.below
    }

    /// The value on top is finished: pop it, then tell the frame that held it; false when it
    /// repeats an earlier item of a `uniqueItems` array.
    @discardableResult
    func valueDone(_ t: inout Thread) -> Bool {
        pop(&t)
        while case .branch(let split, let index) = t.top {
            t.finished.append((split, index))
            pop(&t)
        }
        switch t.top {
        case .object(var o): o.phase = .afterValue; t.top = .object(o)
        case .array(var a):
            if nodes[Int(a.node)].array!.unique, let h = t.items.last?.hash {
                if a.seen.contains(h) { return false }
                a.seen.append(h)
            }
            a.afterItem = true
            t.top = .array(a)
        default: break
        }
        return true
    }

    /// After a byte was taken: every open `uniqueItems` item's hash takes it too.
    @inline(__always) func hashItems(_ t: inout Thread, _ b: UInt8) {
        guard !t.items.isEmpty else { return }
        for i in t.items.indices {
            if t.items[i].fresh { t.items[i].fresh = false } else { t.items[i].hash = (t.items[i].hash ^ UInt64(b)) &* 0x100_0000_01B3 }
        }
    }

    func feedThread(_ t: inout Thread, _ b: UInt8, _ forks: inout [Thread], offset: Int) -> Bool {
        let start = forks.count
        guard step(&t, b, &forks, offset: offset) else { return false }
        hashItems(&t, b)
        for i in start..<forks.count { hashItems(&forks[i], b) }
        return true
    }

    func step(_ t: inout Thread, _ b: UInt8, _ forks: inout [Thread], offset: Int) -> Bool {
        while true {
            switch t.top {
            case .done:
                return false
            case .branch:
                return false
            case .value(let id):
                let n = nodes[Int(id)]
                if !n.alternatives.isEmpty {
                    // One thread per branch, each fed this byte.
                    for (k, alt) in n.alternatives.enumerated().dropFirst() {
                        var c = t
                        c.finished = []
                        if n.exclusive { c.top = .branch(split: Int64(offset) << 24 | Int64(id), index: Int32(k)); push(&c, .value(alt)) } else { c.top = .value(alt) }
                        if step(&c, b, &forks, offset: offset) { forks.append(c) }
                    }
                    if n.exclusive { t.top = .branch(split: Int64(offset) << 24 | Int64(id), index: 0); push(&t, .value(n.alternatives[0])) } else { t.top = .value(n.alternatives[0]) }
                    continue
                }
                switch startValue(&t, n, id, b) {
                case .consumed: return true
                case .rejected: return false
                case .refeed: continue
                }
            case .literal(let trie, let at):
                let tr = tries[Int(trie)]
                if let c = tr.child(Int(at), b) {
                    if tr.terminal[c] >= 0 && tr.children[c].isEmpty {
                        t.top = .literal(trie: trie, at: Int32(c))
                        guard valueDone(&t) else { return false }
                    } else {
                        t.top = .literal(trie: trie, at: Int32(c))
                    }
                    return true
                }
                guard tr.terminal[Int(at)] >= 0, valueDone(&t) else { return false }
                continue
            case .number(var s):
                let rule = nodes[Int(s.node)].number!
                if let next = s.syntax.adding(b, integer: rule.integer) {
                    if !rule.bounded { s.syntax = next; t.top = .number(s); return true }
                    s.text.append(b)
                    if rule.feasible(s.text) {
                        s.syntax = next
                        s.done = next.complete && rule.complete(s.text)
                        t.top = .number(s)
                        return true
                    }
                    s.text.removeLast()
                }
                guard complete(s, rule), valueDone(&t) else { return false }
                continue
            case .string(var s):
                guard feedString(&t, &s, b) else { return false }
                return true
            case .object(var o):
                return feedObject(&t, &o, b, &forks)
            case .array(var a):
                switch feedArray(&t, &a, b) {
                case .consumed: return true
                case .rejected: return false
                case .refeed: continue
                }
            }
        }
    }

    /// What a frame did with a byte: took it, refused it, or handed it on to the new top frame.
    enum Step { case consumed, rejected, refeed }

    func startValue(_ t: inout Thread, _ n: GNode, _ id: Int32, _ b: UInt8) -> Step {
        if options.allowWhitespace && isSpace(b) { return .consumed }
        if n.literalTrie >= 0 {
            t.top = .literal(trie: n.literalTrie, at: 0)
            return .refeed
        }
        switch b {
        case 0x22:
            guard n.string >= 0 else { return .rejected }
            t.top = .string(StrState(rule: n.string, dfa: Int32(strings[Int(n.string)].dfa?.start ?? 0)))
        case 0x7B:
            guard n.object != nil, t.depth < options.maxDepth, objectOK[Int(id)] else { return .rejected }
            t.depth += 1
            t.top = .object(ObjState(node: id))
        case 0x5B:
            guard let rule = n.array, t.depth < options.maxDepth, arrayOK[Int(id)] else { return .rejected }
            t.depth += 1
            t.top = .array(ArrState(node: id))
            if rule.unique { t.items.append(ItemHash()) }
        case 0x2D, 0x30...0x39:
            guard let rule = n.number, let syntax = NumSyntax().adding(b, integer: rule.integer), !rule.bounded || rule.feasible([b]) else { return .rejected }
            t.top = .number(NumState(node: id, syntax: syntax, text: rule.bounded ? [b] : [], done: syntax.complete && (!rule.bounded || rule.complete([b]))))
        case 0x74, 0x66, 0x6E:
            guard n.keywordTrie >= 0, let c = tries[Int(n.keywordTrie)].child(0, b) else { return .rejected }
            t.top = .literal(trie: n.keywordTrie, at: Int32(c))
        default:
            return .rejected
        }
        return .consumed
    }

    // MARK: - Strings

    /// One byte inside a string (value or key); handles escapes, UTF-8 and the closing quote.
    func feedString(_ t: inout Thread, _ s: inout StrState, _ b: UInt8) -> Bool {
        feedString(&t, &s, b, rule: s.rule >= 0 ? strings[Int(s.rule)] : nil)
    }

    /// One byte of a string under `rule` (nil: an object key, decided by the object below).
    func feedString(_ t: inout Thread, _ s: inout StrState, _ b: UInt8, rule: StringRule?) -> Bool {
        if s.esc == 1 {
            let c: UInt32
            switch b {
            case 0x22, 0x5C, 0x2F: c = UInt32(b)
            case 0x62: c = 0x08
            case 0x66: c = 0x0C
            case 0x6E: c = 0x0A
            case 0x72: c = 0x0D
            case 0x74: c = 0x09
            case 0x75:
                guard escapable(t, s, rule, 0, 0xFFFF) else { return false }
                s.esc = 2; s.acc = 0
                t.top = .string(s)
                return true
            default: return false
            }
            s.esc = 0
            guard addChar(t, &s, rule, c) else { return false }
            t.top = .string(s)
            return true
        }
        if s.esc >= 2 {
            let h: UInt32
            switch b {
            case 0x30...0x39: h = UInt32(b - 0x30)
            case 0x61...0x66: h = UInt32(b - 0x61 + 10)
            case 0x41...0x46: h = UInt32(b - 0x41 + 10)
            default: return false
            }
            s.acc = s.acc << 4 | h
            let read = Int(s.esc - 1)  // hex digits read, 1…4
            if read < 4 {
                let shift = UInt32(4 * (4 - read))
                let lo = s.acc << shift, hi = lo | ((1 << shift) - 1)
                guard escapable(t, s, rule, lo, hi) else { return false }
                s.esc += 1
                t.top = .string(s)
                return true
            }
            s.esc = 0
            guard !(0xD800...0xDFFF).contains(s.acc), !(0x20...0x7E).contains(s.acc), addChar(t, &s, rule, s.acc) else { return false }
            t.top = .string(s)
            return true
        }
        if s.need > 0 {
            guard b >= s.lo && b <= s.hi else { return false }
            s.acc = s.acc << 6 | UInt32(b & 0x3F)
            s.need -= 1
            s.lo = 0x80; s.hi = 0xBF
            if s.need > 0 {
                let shift = UInt32(6 * Int(s.need))
                let lo = s.acc << shift, hi = lo | ((1 << shift) - 1)
                guard charPossible(t, s, rule, lo, hi) else { return false }
                t.top = .string(s)
                return true
            }
            guard addChar(t, &s, rule, s.acc) else { return false }
            t.top = .string(s)
            return true
        }
        switch b {
        case 0x22:
            return closeString(&t, s, rule)
        case 0x5C:
            guard Self.shortEscapes.contains(where: { charPossible(t, s, rule, $0, $0) }) || escapable(t, s, rule, 0, 0xFFFF) else { return false }
            s.esc = 1
            t.top = .string(s)
            return true
        case 0x00..<0x20:
            return false
        case 0x20..<0x80:
            guard addChar(t, &s, rule, UInt32(b)) else { return false }
            t.top = .string(s)
            return true
        case 0xC2...0xDF:
            s.need = 1; s.seqLen = 2; s.acc = UInt32(b & 0x1F)
        case 0xE0...0xEF:
            s.need = 2; s.seqLen = 3; s.acc = UInt32(b & 0x0F)
            if b == 0xE0 { s.lo = 0xA0 } else if b == 0xED { s.hi = 0x9F }
        case 0xF0...0xF4:
            s.need = 3; s.seqLen = 4; s.acc = UInt32(b & 0x07)
            if b == 0xF0 { s.lo = 0x90 } else if b == 0xF4 { s.hi = 0x8F }
        default:
            return false
        }
        // The scalars this lead byte can start (no overlong forms).
        let shift = UInt32(6 * Int(s.need))
        let least: UInt32 = s.need == 1 ? 0x80 : s.need == 2 ? 0x800 : 0x10000
        let lo = max(s.acc << shift, least), hi = min((s.acc << shift) | ((1 << shift) - 1), 0x10FFFF)
        guard charPossible(t, s, rule, lo, hi) else { return false }
        t.top = .string(s)
        return true
    }

    /// Some character in lo…hi can come next (so starting an escape or a multi-byte character is no dead end).
    func charPossible(_ t: Thread, _ s: StrState, _ rule: StringRule?, _ lo: UInt32, _ hi: UInt32) -> Bool {
        if let rule { return rule.someCharacter(from: Int(s.dfa), count: Int(s.count), in: lo, hi) }
        // Keys: a declared key can still be reached, or extra keys are allowed.
        guard case .object(let o) = t.below!.frame else { return false }
        let rule = nodes[Int(o.node)].object!
        if rule.additional >= 0 { return true }
        guard s.keyAt >= 0 else { return false }
        let trie = tries[Int(rule.keyTrie)]
        // Any child byte that starts a character in range (UTF-8 lead bytes cover ranges of scalars).
        for (byte, child) in trie.children[Int(s.keyAt)] where keyCanReach(o, rule, Int(child)) {
            let (clo, chi) = Self.scalarRange(lead: byte)
            if chi >= lo && clo <= hi { return true }
        }
        return false
    }

    /// Characters with a two-byte escape.
    static let shortEscapes: [UInt32] = [0x22, 0x5C, 0x2F, 0x08, 0x0C, 0x0A, 0x0D, 0x09]

    /// `\u` escapes are written only for what cannot appear as itself (control characters) or
    /// beyond ASCII: printable ASCII is always written plainly (`"` and `\` with their short escapes).
    /// Surrogates are never escaped (a lone one names no character; a pair is written as UTF-8), so a
    /// prefix such as `\ud8` that can only end in one is refused where it starts, not at its last digit.
    func escapable(_ t: Thread, _ s: StrState, _ rule: StringRule?, _ lo: UInt32, _ hi: UInt32) -> Bool {
        if lo < 0x20 && charPossible(t, s, rule, lo, min(hi, 0x1F)) { return true }
        for (a, b): (UInt32, UInt32) in [(0x7F, 0xD7FF), (0xE000, 0xFFFF)] {
            let l = max(lo, a), h = min(hi, b)
            if l <= h && charPossible(t, s, rule, l, h) { return true }
        }
        return false
    }

    /// Scalars a UTF-8 lead byte can start.
    static func scalarRange(lead b: UInt8) -> (UInt32, UInt32) {
        switch b {
        case 0..<0x80: return (UInt32(b), UInt32(b))
        case 0xC2...0xDF: let v = UInt32(b & 0x1F) << 6; return (v, v | 0x3F)
        case 0xE0...0xEF: let v = UInt32(b & 0x0F) << 12; return (max(v, 0x800), v | 0xFFF)
        case 0xF0...0xF4: let v = UInt32(b & 0x07) << 18; return (max(v, 0x10000), min(v | 0x3FFFF, 0x10FFFF))
        default: return (1, 0)
        }
    }

    /// The UTF-8 bytes of scalar `c`, first byte lowest, and how many (none for a surrogate or a
    /// value past U+10FFFF): a key's hash and trie step read them without allocating.
    @inline(__always) static func utf8(_ c: UInt32) -> (UInt32, Int) {
        if c < 0x80 { return (c, 1) }
        if c < 0x800 { return ((0xC0 | c >> 6) | (0x80 | c & 0x3F) << 8, 2) }
        if c < 0x10000 {
            if c >= 0xD800 && c <= 0xDFFF { return (0, 0) }
            return ((0xE0 | c >> 12) | (0x80 | (c >> 6) & 0x3F) << 8 | (0x80 | c & 0x3F) << 16, 3)
        }
        if c > 0x10FFFF { return (0, 0) }
        return ((0xF0 | c >> 18) | (0x80 | (c >> 12) & 0x3F) << 8 | (0x80 | (c >> 6) & 0x3F) << 16 | (0x80 | c & 0x3F) << 24, 4)
    }

    /// Appends a decoded character: length, pattern and (for keys) the key trie must all allow it.
    func addChar(_ t: Thread, _ s: inout StrState, _ rule: StringRule?, _ c: UInt32) -> Bool {
        if let rule {
            var d = Int(s.dfa)
            if let dfa = rule.dfa {
                d = dfa.step(d, c)
                guard d >= 0 else { return false }
            }
            guard rule.finishBytes(state: d, count: Int(s.count) + 1) < Grammar.never else { return false }
            s.dfa = Int32(d)
            s.count += 1
            if s.keyClass >= 0 {
                let (packed, n) = Grammar.utf8(c)
                for i in 0..<n { s.keyHash = (s.keyHash ^ UInt64((packed >> (8 * UInt32(i))) & 0xFF)) &* 0x100_0000_01B3 }
            }
            return true
        }
        guard case .object(let o) = t.below!.frame else { return false }
        let orule = nodes[Int(o.node)].object!
        let (packed, n) = Grammar.utf8(c)
        for i in 0..<n { s.keyHash = (s.keyHash ^ UInt64((packed >> (8 * UInt32(i))) & 0xFF)) &* 0x100_0000_01B3 }
        if s.keyAt >= 0 {
            let trie = tries[Int(orule.keyTrie)]
            var at = Int(s.keyAt)
            for i in 0..<n {
                guard let n = trie.child(at, UInt8((packed >> (8 * UInt32(i))) & 0xFF)) else { at = -1; break }
                at = n
            }
            if at >= 0 && !keyCanReach(o, orule, at) && orule.additional < 0 { return false }
            s.keyAt = Int32(at)
        }
        if s.keyAt < 0 && orule.additional < 0 { return false }
        s.count += 1
        return true
    }

    /// Some declared key below trie node `at` may still be written here.
    func keyCanReach(_ o: ObjState, _ rule: ObjectRule, _ at: Int) -> Bool {
        tries[Int(rule.keyTrie)].below[at].contains { keyAllowed(o, rule, Int($0)) }
    }

    /// Declared key k may come next: not written yet, has an instance, and (in schema order) comes
    /// after the last one written without skipping a required key.
    func keyAllowed(_ o: ObjState, _ rule: ObjectRule, _ k: Int) -> Bool {
        guard !o.emitted.contains(k), shortest[Int(rule.values[k])] < Grammar.never else { return false }
        if let m = rule.maxProperties, o.emitted.count + o.extraHashes.count >= m { return false }
        if options.anyOrder { return true }
        guard k > Int(o.last) else { return false }
        var j = Int(o.last) + 1
        while j < k { if mustWrite(rule, j, o.emitted) { return false }; j += 1 }
        return true
    }

    func closeString(_ t: inout Thread, _ s: StrState, _ rule: StringRule?) -> Bool {
        if let rule {
            guard rule.finishBytes(state: Int(s.dfa), count: Int(s.count)) == 0 else { return false }
            if s.keyClass >= 0 {
                // A key of a key class: new, not a declared name, within maxProperties.
                pop(&t)
                guard case .object(var o) = t.top else { return false }
                let orule = nodes[Int(o.node)].object!
                guard !o.extraHashes.contains(s.keyHash), !orule.declaredHashes.contains(s.keyHash),
                      orule.maxProperties.map({ o.emitted.count + o.extraHashes.count < $0 }) ?? true else { return false }
                o.key = -2 - Int32(s.keyClass)
                o.extraHashes.append(s.keyHash)
                o.phase = .afterKey
                t.top = .object(o)
                return true
            }
            t.top = .string(s)
            return valueDone(&t)
        }
        // A key: declared (and allowed here), or extra (allowed, not repeated, not a declared name).
        pop(&t)
        guard case .object(var o) = t.top else { return false }
        let orule = nodes[Int(o.node)].object!
        let trie = tries[Int(orule.keyTrie)]
        if s.keyAt >= 0, trie.terminal[Int(s.keyAt)] >= 0 {
            let k = Int(trie.terminal[Int(s.keyAt)])
            guard keyAllowed(o, orule, k) else { return false }
            o.key = Int32(k)
            o.emitted.insert(k)
            if !options.anyOrder { o.last = Int32(k) }
        } else {
            guard orule.additional >= 0, shortest[Int(orule.additional)] < Grammar.never, !o.extraHashes.contains(s.keyHash),
                  orule.maxProperties.map({ o.emitted.count + o.extraHashes.count < $0 }) ?? true else { return false }
            o.key = -1
            o.extraHashes.append(s.keyHash)
        }
        o.phase = .afterKey
        t.top = .object(o)
        return true
    }

    // MARK: - Containers

    func canStartKey(_ o: ObjState, _ rule: ObjectRule) -> Bool {
        if let m = rule.maxProperties, o.emitted.count + o.extraHashes.count >= m { return false }
        if rule.additional >= 0 && shortest[Int(rule.additional)] < Grammar.never { return true }
        if rule.classes.contains(where: { shortest[Int($0.value)] < Grammar.never }) { return true }
        return rule.keys.indices.contains { keyAllowed(o, rule, $0) }
    }

    func requiredDone(_ o: ObjState, _ rule: ObjectRule) -> Bool {
        !rule.required.indices.contains { mustWrite(rule, $0, o.emitted) } && o.emitted.count + o.extraHashes.count >= rule.minProperties
    }

    func feedObject(_ t: inout Thread, _ o: inout ObjState, _ b: UInt8, _ forks: inout [Thread]) -> Bool {
        let rule = nodes[Int(o.node)].object!
        if options.allowWhitespace && isSpace(b) && o.phase != .inKey && o.phase != .inValue { return true }
        switch (o.phase, b) {
        case (.afterOpen, 0x22), (.afterComma, 0x22):
            guard canStartKey(o, rule) else { return false }
            o.phase = .inKey
            t.top = .object(o)
            // A thread per key class (its keys follow the class's rule), beside the declared/extra one.
            for (i, c) in rule.classes.enumerated() where shortest[Int(c.value)] < Grammar.never {
                var f = t
                f.finished = []
                push(&f, .string(StrState(rule: c.string, dfa: Int32(strings[Int(c.string)].dfa?.start ?? 0), keyClass: Int16(i))))
                forks.append(f)
            }
            let declaredOrExtra = (rule.additional >= 0 && shortest[Int(rule.additional)] < Grammar.never) || rule.keys.indices.contains { keyAllowed(o, rule, $0) }
            guard declaredOrExtra else { return false }
            push(&t, .string(StrState(rule: -1)))
            return true
        case (.afterOpen, 0x7D), (.afterValue, 0x7D):
            guard requiredDone(o, rule) else { return false }
            t.depth -= 1
            t.top = .object(o)
            return valueDone(&t)
        case (.afterKey, 0x3A):
            o.phase = .inValue
            t.top = .object(o)
            push(&t, .value(valueNode(rule, o.key)))
            return true
        case (.afterValue, 0x2C):
            guard canStartKey(o, rule) else { return false }
            o.phase = .afterComma
            t.top = .object(o)
            return true
        default:
            return false
        }
    }

    func feedArray(_ t: inout Thread, _ a: inout ArrState, _ b: UInt8) -> Step {
        let rule = nodes[Int(a.node)].array!
        if options.allowWhitespace && isSpace(b) { return .consumed }
        if b == 0x5D {
            guard Int(a.count) >= rule.minItems else { return .rejected }
            t.depth -= 1
            t.top = .array(a)
            if rule.unique { t.items.removeLast() }
            return valueDone(&t) ? .consumed : .rejected
        }
        func itemOK(_ i: Int) -> Bool {
            if let cap = rule.capacity, i >= cap { return false }
            let n = rule.itemNode(i)
            return n >= 0 && shortest[n] < Grammar.never
        }
        if a.afterItem {
            guard b == 0x2C, itemOK(Int(a.count)) else { return .rejected }
            a.count += 1
            a.afterItem = false
            t.top = .array(a)
            if rule.unique { t.items[t.items.count - 1] = ItemHash() }
            push(&t, .value(Int32(rule.itemNode(Int(a.count) - 1))))
            return .consumed
        }
        // Right after `[`: this byte starts the first item.
        guard a.count == 0, itemOK(0) else { return .rejected }
        a.count = 1
        t.top = .array(a)
        if rule.unique { t.items[t.items.count - 1].fresh = false }
        push(&t, .value(Int32(rule.itemNode(0))))
        return .refeed
    }
}
