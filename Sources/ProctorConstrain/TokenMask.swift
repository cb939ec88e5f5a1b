import ProctorModel
import ProctorRegex

/// The tokens that keep the output a prefix of a valid instance within the token budget, for one
/// grammar and one vocabulary. Holds per-(string rule, pattern state) caches, so one instance
/// serves one generation at a time (it is a class with mutable caches, not shared across tasks).
public final class TokenMask {
    /// The automaton the mask follows.
    public let grammar: Grammar
    /// The tokens it chooses among.
    public let vocab: TokenVocabulary
    /// Plain-content tokens per (string rule, automaton state): the state after each and its characters.
    struct Bulk {
        var live: Bitset
        var entries: [(token: Int32, state: Int32, chars: Int32)]
    }
    var bulkCache: [Int: Bulk] = [:]

    /// A mask with empty caches.
    public init(grammar: Grammar, vocab: TokenVocabulary) {
        self.grammar = grammar
        self.vocab = vocab
    }

    /// The state after `token`, when it is allowed with `budget` tokens left (this one included).
    public func after(_ state: MatchState, token: Int, budget: Int) -> MatchState? {
        guard token >= 3, token < vocab.count, !vocab.bytes[token].isEmpty else { return nil }
        var s = state
        guard grammar.feed(&s, bytes: vocab.bytes[token]), grammar.remainingBytes(s) <= budget - 1 else { return nil }
        return s
    }

    /// Every allowed token; EOS (id 2) is in the set when the output may end here.
    ///
    /// Inside a string with nothing pending, the plain-content tokens are decided by set operations
    /// (per pattern state, cached) and only the other tokens are walked: in a value, in a key of a key
    /// class (its pattern, then `:`, the value and the rest of the object counted), and in an extra key
    /// when the most an extra key can still cost fits the budget. Everything else walks the token trie,
    /// pruned by the bytes the state can take. `allowedReference` is the plain walk these must equal.
    public func allowed(_ state: MatchState, budget: Int) -> Bitset {
        var mask = Bitset(count: vocab.count)
        if grammar.isComplete(state) { mask.insert(Tokenizer.eos) }
        if state.single, case .string(let s) = state.first.top, s.esc == 0, s.need == 0 {
            let below = state.first.below?.tail ?? 0
            if s.rule >= 0 {
                let after = s.keyClass >= 0 ? grammar.classKeyAfter(s, below: state.first.below) : 0
                if after < Grammar.never {
                    bulkString(s, tail: below + after, remainingNow: grammar.remainingBytes(state), budget: budget, into: &mask)
                    // Escapes and partial characters by the cached string-only entries; only the tokens
                    // that close the string walk on into the container.
                    let limit = budget - 1 - below - after
                    for e in inStringEntries(s) where Int(e.remaining) <= limit { mask.insert(Int(e.token)) }
                    walk(vocab.closing, 0, state, budget, &mask)
                    return mask
                }
            } else {
                let extra = grammar.extraKeyWorstCost(state.first.below)
                if let extra, s.keyAt < 0 {
                    extraKey(state, budget: budget, below: below, extra: extra, into: &mask)
                    return mask
                }
                if let extra, extra + below <= budget - 1, grammar.remainingBytes(state) <= budget - 1 {
                    mask.formUnion(vocab.contentUpTo[min(vocab.maxChars, vocab.contentUpTo.count - 1)])
                    // An extra key takes every well-formed escape and partial character; with up to five
                    // bytes of it pending the dearest finish still fits, they are all in, and only the
                    // tokens that close the key walk on.
                    if extra + 5 + below <= budget - 1 {
                        mask.formUnion(vocab.freeInString)
                        walk(vocab.closing, 0, state, budget, &mask)
                    } else {
                        walk(vocab.special, 0, state, budget, &mask)
                    }
                    return mask
                }
                if s.keyAt >= 0, let trie = grammar.keyTrie(state.first.below) {
                    declaredKey(state, s, trie: trie, budget: budget, below: below, extra: extra, into: &mask)
                    return mask
                }
            }
        }
        // Right after a backslash in a key no declared name begins with: the short escapes followed
        // by plain content cost what the key costs with nothing pending; the rest walk.
        if state.single, case .string(let s) = state.first.top, s.rule < 0, s.keyAt < 0, s.esc == 1,
           let extra = grammar.extraKeyWorstCost(state.first.below) {
            let slack = budget - 1 - (state.first.below?.tail ?? 0) - (extra - 1)
            if slack >= 1 || (slack == 0 && !grammar.extraKeyMayClash(state.first.below)) {
                mask.formUnion(vocab.escapePlain)
                walk(vocab.escapeOther, 0, state, budget, &mask)
                return mask
            }
        }
        if !state.single, let rest = multiString(state, budget: budget, into: &mask) {
            walk(rest, 0, state, budget, &mask)
            return mask
        }
        walk(vocab.full, 0, state, budget, &mask)
        return mask
    }

    /// A key no declared name begins with, in an object that takes extra keys: whatever stays in
    /// the key costs the bytes it leaves pending (an escape or character begun) on top of the extra
    /// key's finish, one more should the key then equal an earlier one. Only a token exactly at
    /// that edge, in an object with earlier extra keys, is fed to tell; the tokens that close the
    /// key walk on.
    func extraKey(_ state: MatchState, budget: Int, below: Int, extra: Int, into mask: inout Bitset) {
        let slack = budget - 1 - below - (extra - 1)  // what is left for pending bytes and a clash
        let mayClash = grammar.extraKeyMayClash(state.first.below)
        if slack >= 1 || (slack == 0 && !mayClash) {
            mask.formUnion(vocab.contentUpTo[min(vocab.maxChars, vocab.contentUpTo.count - 1)])
        } else if slack == 0, case .string(let s) = state.first.top {
            // Exactly at the edge with earlier extra keys: plain content fits unless the key it makes
            // is one of them (the key's hash run on over the token's bytes, as feeding would).
            let earlier = grammar.extraKeyHashes(state.first.below)
            vocab.contentUpTo[min(vocab.maxChars, vocab.contentUpTo.count - 1)].forEach { t in
                var h = s.keyHash
                for x in vocab.bytes[t] { h = (h ^ UInt64(x)) &* 0x100_0000_01B3 }
                if !earlier.contains(h) { mask.insert(t) }
            }
        }
        if slack >= 6 {
            mask.formUnion(vocab.freeInString)
        } else {
            for e in vocab.freeInStringPending {
                let p = Int(e.pending)
                if p + 1 <= slack || (p == slack && (!mayClash || after(state, token: Int(e.token), budget: budget) != nil)) { mask.insert(Int(e.token)) }
            }
        }
        walk(vocab.closing, 0, state, budget, &mask)
    }

    /// A key that is still the beginning of a declared name, where an extra key's finish may not
    /// fit: plain-content tokens that stay on the declared names are fed and checked (a walk of the
    /// content trie along the key trie); those that leave them make an extra key, which costs
    /// what `extraKey` says; the other tokens walk.
    func declaredKey(_ state: MatchState, _ s: StrState, trie: ByteTrie, budget: Int, below: Int, extra: Int?, into mask: inout Bitset) {
        var staying = Bitset(count: vocab.count)
        let content = vocab.content
        func go(_ node: Int, _ keyNode: Int, _ st: MatchState) {
            let tf = Int(content.tokenFirst[node]), te = Int(content.tokenFirst[node + 1])
            if tf < te {
                let fits = grammar.remainingBytes(st) <= budget - 1
                for i in tf..<te {
                    let t = Int(content.tokenIds[i])
                    staying.insert(t)
                    if fits { mask.insert(t) }
                }
            }
            let lo = Int(content.first[node]), hi = Int(content.first[node + 1])
            for (x, kc) in trie.children[keyNode] {
                // The token trie's children are sorted by byte.
                var a = lo, b = hi
                while a < b { let m = (a + b) / 2; if content.childBytes[m] < x { a = m + 1 } else { b = m } }
                guard a < hi, content.childBytes[a] == x else { continue }
                var next = st
                if grammar.feed(&next, x) { go(Int(content.childNodes[a]), Int(kc), next) }
            }
        }
        go(0, Int(s.keyAt), state)
        if let extra {
            // Leaving every declared name: an extra key with nothing pending, one more byte should it
            // equal an earlier extra key.
            let slack = budget - 1 - below - (extra - 1)
            let earlier = grammar.extraKeyHashes(state.first.below)
            if slack >= 1 {
                // Every plain token fits as an extra key (the staying ones too, whichever way is cheaper).
                mask.formUnion(vocab.contentUpTo[min(vocab.maxChars, vocab.contentUpTo.count - 1)])
            } else if slack == 0 {
                vocab.contentUpTo[min(vocab.maxChars, vocab.contentUpTo.count - 1)].forEach { t in
                    guard !staying.contains(t) else { return }
                    var h = s.keyHash
                    for x in vocab.bytes[t] { h = (h ^ UInt64(x)) &* 0x100_0000_01B3 }
                    if !earlier.contains(h) { mask.insert(t) }
                }
            }
        }
        walk(vocab.special, 0, state, budget, &mask)
    }

    /// Per (string rule, automaton state, characters so far, key class or not): the in-string special
    /// tokens the string survives, and the bytes still needed after each (closing quote included).
    var inStringCache: [InStringKey: [(token: Int32, remaining: Int32)]] = [:]
    struct InStringKey: Hashable { let rule: Int32, dfa: Int32, count: Int32 }

    func inStringEntries(_ s: StrState) -> [(token: Int32, remaining: Int32)] {
        let key = InStringKey(rule: s.rule, dfa: s.dfa, count: s.count)
        if let hit = inStringCache[key] { return hit }
        var out: [(token: Int32, remaining: Int32)] = []
        var base = s
        base.keyClass = -1  // the string's own rule decides; what follows the quote is not reached
        for t in vocab.inString {
            var thread = Thread(top: .string(base), below: nil, depth: 0)
            var st = base
            var ok = true
            for b in vocab.bytes[Int(t)] {
                guard grammar.feedString(&thread, &st, b) else { ok = false; break }
                if case .string(let now) = thread.top { st = now } else { ok = false; break }
            }
            guard ok else { continue }
            let r = grammar.remaining(.string(st), below: nil)
            if r < Grammar.never { out.append((t, Int32(r))) }
        }
        if inStringCache.count > 4096 { inStringCache.removeAll() }
        inStringCache[key] = out
        return out
    }

    /// Scratch for `multiString`, kept between masks (a mask is built by one generation at a time).
    var survivorScratch: [UInt8] = []
    var costScratch: [Int32] = []

    /// Several threads alive (union branches still open), each inside a value string with nothing
    /// pending: the plain-content tokens by each thread's cached automaton entries. A token is allowed
    /// when some thread survives it and the cheapest survivor's remaining bytes (two more under a
    /// `oneOf` whose branches are still both alive, as `remainingBytes` counts them) fit the budget.
    /// Plain content closes nothing, so no thread finishes a value or forks on it; nor do escapes
    /// and partial characters, which value strings take by their cached entries. Returns the tokens
    /// left to walk (those that close a string, or every special token when a key thread is alive),
    /// or nil when the state is not of this shape (the walk then decides).
    func multiString(_ state: MatchState, budget: Int, into mask: inout Bitset) -> TokenTrie? {
        let threads = state.threads
        let k = threads.count
        guard k >= 2, k <= 8 else { return nil }
        var strs: [StrState] = []
        var tails: [Int] = []
        var pairs: [[(Int64, Int32)]] = []
        var keyThreadFits = false
        for t in threads {
            guard case .string(let s) = t.top, s.keyClass < 0, s.esc == 0, s.need == 0 else { return nil }
            if s.rule < 0 {
                // A key of an object that takes extra keys survives any plain content; when even its
                // dearest finish (two more bytes under a live oneOf) fits, every content token does.
                guard let worst = grammar.extraKeyWorstCost(t.below) else { return nil }
                if worst + (t.below?.tail ?? 0) + 2 <= budget - 1 { keyThreadFits = true }
                continue
            }
            strs.append(s)
            tails.append(t.below?.tail ?? 0)
            var p: [(Int64, Int32)] = []
            var n = t.below
            while let node = n { if case .branch(let split, let index) = node.frame { p.append((split, index)) }; n = node.below }
            pairs.append(p)
        }
        if strs.count < k {
            guard keyThreadFits else { return nil }
            mask.formUnion(vocab.contentUpTo[min(vocab.maxChars, vocab.contentUpTo.count - 1)])
            return vocab.special
        }
        // For every set of survivors, which threads sit under a split two of them leave ambiguous.
        var extra = [[Int32]](repeating: [Int32](repeating: 0, count: k), count: 1 << k)
        for set in 1..<(1 << k) {
            var seen: [Int64: Set<Int32>] = [:]
            for i in 0..<k where set & (1 << i) != 0 { for (sp, ix) in pairs[i] { seen[sp, default: []].insert(ix) } }
            let ambiguous = Set(seen.filter { $0.value.count > 1 }.keys)
            guard !ambiguous.isEmpty else { continue }
            for i in 0..<k where set & (1 << i) != 0 && pairs[i].contains(where: { ambiguous.contains($0.0) }) { extra[set][i] = 2 }
        }
        let n = vocab.count
        let limit = Int32(budget - 1)
        // The scratch arrays moved into locals for the loops (a class's stored arrays are checked
        // for exclusive access at every element, which was most of this function's time).
        var survivors = survivorScratch, threadCost = costScratch
        survivorScratch = []; costScratch = []
        defer { survivorScratch = survivors; costScratch = threadCost }
        if survivors.count != n { survivors = [UInt8](repeating: 0, count: n) }
        if threadCost.count < k * n { threadCost = [Int32](repeating: 0, count: 8 * n) }
        if strs.allSatisfy({ grammar.strings[Int($0.rule)].dfa == nil }) {
            // No pattern anywhere: what a plain token costs each thread depends only on how many
            // characters it has, so the tokens are taken a character count at a time.
            for chars in 1...max(1, vocab.maxChars) where chars < vocab.contentUpTo.count {
                var set = 0
                var cost = [Int32](repeating: 0, count: k)
                for i in 0..<k {
                    let fb = grammar.strings[Int(strs[i].rule)].finishBytes(state: 0, count: Int(strs[i].count) + chars)
                    if fb < Grammar.never { set |= 1 << i; cost[i] = Int32(fb + 1 + tails[i]) }
                }
                guard set != 0 else { continue }
                var best = Int32.max
                for i in 0..<k where set & (1 << i) != 0 { best = min(best, cost[i] + extra[set][i]) }
                guard best <= limit else { continue }
                let upTo = vocab.contentUpTo[chars], below = vocab.contentUpTo[chars - 1]
                for w in 0..<mask.words.count { mask.words[w] |= upTo.words[w] & ~below.words[w] }
            }
            // Escapes and partial characters by each thread's cached entries.
            for t in vocab.inString { survivors[Int(t)] = 0 }
            for i in 0..<k {
                for e in inStringEntries(strs[i]) {
                    survivors[Int(e.token)] |= UInt8(1 << i)
                    threadCost[i * n + Int(e.token)] = e.remaining + Int32(tails[i])
                }
            }
            for t32 in vocab.inString {
                let t = Int(t32), set = Int(survivors[t])
                guard set != 0 else { continue }
                var best = Int32.max
                for i in 0..<k where set & (1 << i) != 0 { best = min(best, threadCost[i * n + t] + extra[set][i]) }
                if best <= limit { mask.insert(t) }
            }
            return vocab.closing
        }
        for t in 0..<n { survivors[t] = 0 }
        for i in 0..<k {
            let s = strs[i]
            let rule = grammar.strings[Int(s.rule)]
            let c = Int(s.count)
            let bit = UInt8(1 << i)
            func note(_ t: Int, _ fb: Int) {
                guard fb < Grammar.never else { return }
                survivors[t] |= bit
                threadCost[i * n + t] = Int32(fb + 1 + tails[i])
            }
            if let dfa = rule.dfa {
                for e in bulkFor(rule: Int(s.rule), dfa: dfa, state: Int(s.dfa)).entries {
                    note(Int(e.token), rule.finishBytes(state: Int(e.state), count: c + Int(e.chars)))
                }
            } else {
                for t in 3..<n where vocab.chars[t] > 0 { note(t, rule.finishBytes(state: 0, count: c + Int(vocab.chars[t]))) }
            }
            // Escapes and partial characters: the string's cached entries (their cost has the quote in it).
            for e in inStringEntries(s) {
                survivors[Int(e.token)] |= bit
                threadCost[i * n + Int(e.token)] = e.remaining + Int32(tails[i])
            }
        }
        for t in 0..<n {
            let set = Int(survivors[t])
            guard set != 0 else { continue }
            var best = Int32.max
            for i in 0..<k where set & (1 << i) != 0 { best = min(best, threadCost[i * n + t] + extra[set][i]) }
            if best <= limit { mask.insert(t) }
        }
        return vocab.closing
    }

    /// The mask as the plain walk over every token gives it (with only the value-string shortcut
    /// the first implementation had): the reference the faster paths are tested against.
    public func allowedReference(_ state: MatchState, budget: Int) -> Bitset {
        var mask = Bitset(count: vocab.count)
        if grammar.isComplete(state) { mask.insert(Tokenizer.eos) }
        if state.single, case .string(let s) = state.first.top, s.rule >= 0, s.keyClass < 0, s.esc == 0, s.need == 0 {
            let tail = state.first.below?.tail ?? 0
            bulkString(s, tail: tail, remainingNow: grammar.remainingBytes(state), budget: budget, into: &mask)
            walk(vocab.special, 0, state, budget, &mask, pruned: false)
        } else {
            walk(vocab.full, 0, state, budget, &mask, pruned: false)
        }
        return mask
    }

    /// Tokens after BOS lose a leading space (run.c's decode): the first token of an empty prompt
    /// is the ordinary mask for the tokens that read the same there, and a walk of the others with
    /// the bytes they have after BOS.
    public func allowedAfterBOS(_ state: MatchState, budget: Int, tokenizer: Tokenizer) -> Bitset {
        var mask = allowed(state, budget: budget)
        mask.subtract(vocab.bosDiffers)
        walk(vocab.bosTrie, 0, state, budget, &mask)
        return mask
    }

    /// `allowedAfterBOS` token by token: its reference.
    public func allowedAfterBOSReference(_ state: MatchState, budget: Int, tokenizer: Tokenizer) -> Bitset {
        var mask = Bitset(count: vocab.count)
        if grammar.isComplete(state) { mask.insert(Tokenizer.eos) }
        for t in 3..<vocab.count {
            let b = tokenizer.decode(previous: Tokenizer.bos, token: t)
            guard !b.isEmpty else { continue }
            var s = state
            if grammar.feed(&s, bytes: b), grammar.remainingBytes(s) <= budget - 1 { mask.insert(t) }
        }
        return mask
    }

    func walk(_ trie: TokenTrie, _ node: Int, _ state: MatchState, _ budget: Int, _ mask: inout Bitset, pruned: Bool = true) {
        let tf = Int(trie.tokenFirst[node]), te = Int(trie.tokenFirst[node + 1])
        if tf < te, grammar.remainingBytes(state) <= budget - 1 {
            for i in tf..<te { mask.insert(Int(trie.tokenIds[i])) }
        }
        let possible = pruned ? grammar.possibleNextPrecise(state) : grammar.possibleNext(state)
        for ci in Int(trie.first[node])..<Int(trie.first[node + 1]) where possible.contains(trie.childBytes[ci]) {
            var s = state
            if grammar.feed(&s, trie.childBytes[ci]) { walk(trie, Int(trie.childNodes[ci]), s, budget, &mask, pruned: pruned) }
        }
    }

    /// Inside a string with nothing pending: plain-content tokens by set operations.
    func bulkString(_ s: StrState, tail: Int, remainingNow: Int, budget: Int, into mask: inout Bitset) {
        let rule = grammar.strings[Int(s.rule)]
        let c = Int(s.count)
        guard let dfa = rule.dfa else {
            // Content never raises the bytes still needed; with no slack it must lower them.
            let room = rule.maxLength.map { $0 - c } ?? vocab.maxChars
            let tight = remainingNow > budget - 1
            if room >= 1 && (!tight || c < rule.minLength) { mask.formUnion(vocab.contentUpTo[min(room, vocab.maxChars)]) }
            return
        }
        let bulk = bulkFor(rule: Int(s.rule), dfa: dfa, state: Int(s.dfa))
        if rule.minLength == 0 && rule.maxLength == nil && budget - 1 >= tail + 1 + rule.worstFinish {
            mask.formUnion(bulk.live)
            return
        }
        for e in bulk.entries {
            let fb = rule.finishBytes(state: Int(e.state), count: c + Int(e.chars))
            if fb < Grammar.never && fb + 1 + tail <= budget - 1 { mask.insert(Int(e.token)) }
        }
    }

    func bulkFor(rule: Int, dfa: RegexDFA, state: Int) -> Bulk {
        let key = rule << 20 | state
        if let b = bulkCache[key] { return b }
        var bulk = Bulk(live: Bitset(count: vocab.count), entries: [])
        let trie = vocab.content
        // Depth-first over plain-content tokens, decoding UTF-8 into the pattern automaton.
        func go(_ node: Int, _ d: Int, _ need: Int, _ acc: UInt32, _ chars: Int32) {
            if need == 0 {
                for i in Int(trie.tokenFirst[node])..<Int(trie.tokenFirst[node + 1]) {
                    let t = trie.tokenIds[i]
                    bulk.live.insert(Int(t))
                    bulk.entries.append((t, Int32(d), chars))
                }
            }
            for ci in Int(trie.first[node])..<Int(trie.first[node + 1]) {
                let x = trie.childBytes[ci], child = Int(trie.childNodes[ci])
                if need > 0 {
                    let a = acc << 6 | UInt32(x & 0x3F)
                    if need == 1 {
                        let d2 = dfa.step(d, a)
                        if d2 >= 0 { go(child, d2, 0, 0, chars + 1) }
                    } else {
                        go(child, d, need - 1, a, chars)
                    }
                } else if x < 0x80 {
                    let d2 = dfa.step(d, UInt32(x))
                    if d2 >= 0 { go(child, d2, 0, 0, chars + 1) }
                } else if x >= 0xF0 {
                    go(child, d, 3, UInt32(x & 0x07), chars)
                } else if x >= 0xE0 {
                    go(child, d, 2, UInt32(x & 0x0F), chars)
                } else {
                    go(child, d, 1, UInt32(x & 0x1F), chars)
                }
            }
        }
        go(0, state, 0, 0, 0)
        bulkCache[key] = bulk
        return bulk
    }
}
