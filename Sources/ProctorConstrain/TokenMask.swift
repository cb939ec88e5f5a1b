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
    public func allowed(_ state: MatchState, budget: Int) -> Bitset {
        var mask = Bitset(count: vocab.count)
        if grammar.isComplete(state) { mask.insert(Tokenizer.eos) }
        if state.single, case .string(let s) = state.first.top, s.rule >= 0, s.keyClass < 0, s.esc == 0, s.need == 0 {
            let tail = state.first.below?.tail ?? 0
            bulkString(s, tail: tail, remainingNow: grammar.remainingBytes(state), budget: budget, into: &mask)
            walk(vocab.special, 0, state, budget, &mask)
        } else {
            walk(vocab.full, 0, state, budget, &mask)
        }
        return mask
    }

    /// Tokens after BOS lose a leading space (run.c's decode), so the first token of an empty
    /// prompt is checked one by one with its own bytes.
    public func allowedAfterBOS(_ state: MatchState, budget: Int, tokenizer: Tokenizer) -> Bitset {
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

    func walk(_ trie: TokenTrie, _ node: Int, _ state: MatchState, _ budget: Int, _ mask: inout Bitset) {
        let tf = Int(trie.tokenFirst[node]), te = Int(trie.tokenFirst[node + 1])
        if tf < te, grammar.remainingBytes(state) <= budget - 1 {
            for i in tf..<te { mask.insert(Int(trie.tokenIds[i])) }
        }
        let possible = grammar.possibleNext(state)
        for ci in Int(trie.first[node])..<Int(trie.first[node + 1]) where possible.contains(trie.childBytes[ci]) {
            var s = state
            if grammar.feed(&s, trie.childBytes[ci]) { walk(trie, Int(trie.childNodes[ci]), s, budget, &mask) }
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
