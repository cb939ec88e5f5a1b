import ProctorModel

/// What a tokenizer's tokens are as output bytes, arranged for mask search: a trie of every
/// token, a trie of the tokens that are not plain string content, and per character count the set
/// of plain-content tokens, so inside a string most of a 32k vocabulary is allowed with one OR.
/// Built once per tokenizer; `Sendable`, shared by every generation.
public struct TokenVocabulary: Sendable {
    /// The bytes each token adds (after any token but BOS); empty for the special tokens 0–2.
    public let bytes: [[UInt8]]
    let full: TokenTrie
    /// Tokens that are not plain content (quotes, backslashes, control bytes, partial UTF-8).
    let special: TokenTrie
    /// Plain-content tokens only (for walks that follow a pattern automaton).
    let content: TokenTrie
    /// Special tokens that, begun inside a string outside an escape, close it with a quote: only
    /// these need the container's state; the rest (`inString`) stay in the string.
    let closing: TokenTrie
    /// Special tokens that stay inside a string begun outside an escape (escapes, partial UTF-8,
    /// control bytes): their fate depends on the string's state alone, so masks cache it.
    let inString: [Int32]
    /// Tokens whose bytes differ right after BOS (run.c drops a leading space there) …
    let bosDiffers: Bitset
    /// … and those tokens with the bytes they have there (the first token of an empty prompt).
    let bosTrie: TokenTrie
    /// The in-string tokens a string with no pattern or length takes (the escapes and partial
    /// characters JSON allows, as Proctor writes them): what an extra key takes …
    let freeInString: Bitset
    /// … each with the bytes of an escape or character it leaves pending (as a key's cost counts them).
    let freeInStringPending: [(token: Int32, pending: Int8)]
    /// Right after a backslash: tokens that finish a short escape (`"\\/bfnrt`) and go on with plain
    /// content only (they leave nothing pending) …
    let escapePlain: Bitset
    /// … and the other tokens that begin with a byte an escape may take (`u` included): walked.
    let escapeOther: TokenTrie
    /// Characters of each plain-content token; -1 for the others.
    let chars: [Int32]
    /// `contentUpTo[k]`: plain-content tokens of at most k characters (k = 1…maxChars).
    let contentUpTo: [Bitset]
    let maxChars: Int
    /// Tokens in the vocabulary.
    public var count: Int { bytes.count }

    /// Builds the tables; a tokenizer without a one-byte token for every printable ASCII character is refused.
    public init(tokenizer: Tokenizer) throws(ConstraintError) {
        let n = tokenizer.vocabSize
        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(n)
        var single = Set<UInt8>()
        var bosBytes = [[UInt8]](repeating: [], count: n)
        var bosDiffers = Bitset(count: n)
        for t in 0..<n {
            if t < 3 { bytes.append([]); continue }
            let b = tokenizer.decode(previous: 0, token: t)
            if b.count == 1 { single.insert(b[0]) }
            bytes.append(b)
            let afterBOS = tokenizer.decode(previous: Tokenizer.bos, token: t)
            if afterBOS != b { bosDiffers.insert(t); bosBytes[t] = afterBOS }
        }
        self.bosDiffers = bosDiffers
        bosTrie = TokenTrie(bosBytes, include: { bosDiffers.contains($0) && !bosBytes[$0].isEmpty })
        // Every byte must exist as a one-byte token, so the shortest completion is always spellable.
        let needed = (0x20...0x7E).map { UInt8($0) }
        guard needed.allSatisfy(single.contains) else {
            throw ConstraintError(pointer: "", "the tokenizer has no single-byte token for every printable ASCII character, so constrained output cannot always be completed")
        }
        self.bytes = bytes
        var chars = [Int32](repeating: -1, count: n)
        for t in 3..<n { chars[t] = TokenVocabulary.plainCharacters(bytes[t]) }
        self.chars = chars
        full = TokenTrie(bytes, include: { $0 >= 3 && !bytes[$0].isEmpty })
        special = TokenTrie(bytes, include: { $0 >= 3 && !bytes[$0].isEmpty && chars[$0] < 0 })
        content = TokenTrie(bytes, include: { chars[$0] > 0 })
        let closes = (0..<n).map { TokenVocabulary.closesString(bytes[$0]) }
        closing = TokenTrie(bytes, include: { $0 >= 3 && !bytes[$0].isEmpty && chars[$0] < 0 && closes[$0] })
        inString = (3..<n).filter { !bytes[$0].isEmpty && chars[$0] < 0 && !closes[$0] }.map(Int32.init)
        (freeInString, freeInStringPending) = TokenVocabulary.freeStringTokens(inString, bytes: bytes, count: n)
        let shortEscapes: Set<UInt8> = [0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74]
        let plainAfterEscape = (0..<n).map { t in
            t >= 3 && !bytes[t].isEmpty && shortEscapes.contains(bytes[t][0]) && (bytes[t].count == 1 || TokenVocabulary.plainCharacters(Array(bytes[t].dropFirst())) > 0)
        }
        var escapePlain = Bitset(count: n)
        for t in 0..<n where plainAfterEscape[t] { escapePlain.insert(t) }
        self.escapePlain = escapePlain
        escapeOther = TokenTrie(bytes, include: { $0 >= 3 && !bytes[$0].isEmpty && !plainAfterEscape[$0] && (shortEscapes.contains(bytes[$0][0]) || bytes[$0][0] == 0x75) })
        let maxChars = Int(chars.max() ?? 0)
        self.maxChars = maxChars
        var sets: [Bitset] = [Bitset(count: n)]
        for k in 1...max(1, maxChars) {
            var s = sets[k - 1]
            for t in 0..<n where chars[t] == Int32(k) { s.insert(t) }
            sets.append(s)
        }
        contentUpTo = sets
    }

    /// Which of `inString` a free string survives, and what each leaves pending, by feeding each
    /// to the grammar of any JSON value from inside a string.
    static func freeStringTokens(_ inString: [Int32], bytes: [[UInt8]], count: Int) -> (Bitset, [(token: Int32, pending: Int8)]) {
        let grammar = Grammar.anyJSON()
        var set = Bitset(count: count)
        var out: [(token: Int32, pending: Int8)] = []
        let free = StringRule(minLength: 0, maxLength: nil, dfa: nil)!
        for t in inString {
            var s = StrState(rule: 0)
            var thread = Thread(top: .string(s), below: nil, depth: 0)
            var ok = true
            for b in bytes[Int(t)] where ok { ok = grammar.feedString(&thread, &s, b, rule: free) }
            guard ok else { continue }
            set.insert(Int(t))
            out.append((t, Int8(s.esc == 1 ? 1 : s.esc >= 2 ? 6 - Int(s.esc) : Int(s.need))))
        }
        return (set, out)
    }

    /// Whether `b`, read from inside a string outside an escape, holds a quote that ends it.
    static func closesString(_ b: [UInt8]) -> Bool {
        var escaped = false
        for x in b {
            if escaped { escaped = false; continue }
            if x == 0x5C { escaped = true } else if x == 0x22 { return true }
        }
        return false
    }

    /// Characters in `b` when it is nothing but characters a string may hold unescaped (complete
    /// UTF-8, no `"`, `\` or control byte); -1 otherwise.
    static func plainCharacters(_ b: [UInt8]) -> Int32 {
        guard !b.isEmpty else { return -1 }
        var i = 0, n: Int32 = 0
        while i < b.count {
            let c = b[i]
            var len = 0
            switch c {
            case 0x20..<0x80 where c != 0x22 && c != 0x5C: len = 1
            case 0xC2...0xDF: len = 2
            case 0xE0...0xEF: len = 3
            case 0xF0...0xF4: len = 4
            default: return -1
            }
            guard i + len <= b.count else { return -1 }
            if len > 1 {
                let second = b[i + 1]
                let lo: UInt8 = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80
                let hi: UInt8 = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF
                guard second >= lo && second <= hi else { return -1 }
                for j in (i + 2)..<(i + len) where b[j] & 0xC0 != 0x80 { return -1 }
            }
            i += len
            n += 1
        }
        return n
    }
}

/// A set of token ids.
public struct Bitset: Sendable, Equatable {
    /// 64 ids per word, id i at bit i % 64 of word i / 64.
    public var words: [UInt64]
    /// Ids the set can hold (0..<count).
    public let count: Int

    /// An empty set for ids 0..<count.
    public init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    /// Whether id `i` is in the set.
    @inline(__always) public func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
    /// Adds id `i`.
    @inline(__always) public mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }
    /// Removes id `i`.
    @inline(__always) public mutating func remove(_ i: Int) { words[i >> 6] &= ~(1 << UInt64(i & 63)) }
    /// Adds every id of `o` (same count).
    public mutating func formUnion(_ o: Bitset) { for i in words.indices { words[i] |= o.words[i] } }
    /// Removes every id of `o` (same count).
    public mutating func subtract(_ o: Bitset) { for i in words.indices { words[i] &= ~o.words[i] } }
    /// No id is in the set.
    public var isEmpty: Bool { !words.contains { $0 != 0 } }
    /// How many ids are in the set.
    public var population: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Calls `body` with every member, in increasing order.
    @inline(__always) public func forEach(_ body: (Int) -> Void) {
        for (w, word) in words.enumerated() {
            var x = word
            while x != 0 {
                body(w << 6 + x.trailingZeroBitCount)
                x &= x - 1
            }
        }
    }
}

/// A byte trie over token strings, flattened: node i's children are `childBytes/childNodes[first[i]..<first[i + 1]]`,
/// its tokens `tokenIds[tokenFirst[i]..<tokenFirst[i + 1]]` (several tokens can spell the same bytes).
struct TokenTrie: Sendable {
    var first: [Int32] = []
    var childBytes: [UInt8] = []
    var childNodes: [Int32] = []
    var tokenFirst: [Int32] = []
    var tokenIds: [Int32] = []

    init(_ bytes: [[UInt8]], include: (Int) -> Bool) {
        // Build with nested arrays, then flatten breadth-first so each node's children are contiguous.
        var kids: [[(UInt8, Int)]] = [[]]
        var toks: [[Int32]] = [[]]
        for (t, b) in bytes.enumerated() where include(t) {
            var n = 0
            for x in b {
                if let c = kids[n].first(where: { $0.0 == x })?.1 { n = c; continue }
                kids.append([]); toks.append([])
                kids[n].append((x, kids.count - 1))
                n = kids.count - 1
            }
            toks[n].append(Int32(t))
        }
        for n in kids.indices {
            first.append(Int32(childBytes.count))
            for (x, c) in kids[n].sorted(by: { $0.0 < $1.0 }) { childBytes.append(x); childNodes.append(Int32(c)) }
            tokenFirst.append(Int32(tokenIds.count))
            tokenIds.append(contentsOf: toks[n])
        }
        first.append(Int32(childBytes.count))
        tokenFirst.append(Int32(tokenIds.count))
    }
}
