/// The fewest bytes that close a frame: the budget check behind "output always completes".
extension Grammar {
    func remaining(_ f: Frame, below: StackNode?) -> Int {
        switch f {
        case .done, .branch: return 0
        case .value(let id): return shortest[Int(id)]
        case .literal(let trie, let at): return Int(tries[Int(trie)].minToTerminal[Int(at)])
        case .number(let s):
            let rule = nodes[Int(s.node)].number!
            return rule.bounded ? rule.shortestCompletion(s.text) : (s.syntax.complete ? 0 : 1)
        case .string(let s):
            guard s.rule >= 0 else { return keyRemaining(s, below: below) }
            if s.keyClass >= 0 { return classKeyRemaining(s, below: below) }
            let rule = strings[Int(s.rule)]
            let d = Int(s.dfa), c = Int(s.count)
            if s.esc == 0 && s.need == 0 { return rule.finishBytes(state: d, count: c) + 1 }
            // Mid-character or mid-escape: the bytes that finish it, then the rest from the state the
            // character leads to. Which character it becomes decides that state, so the cheapest of
            // those it can still become counts (not the state before it: a pattern may need more
            // after some characters than after others).
            var best = Grammar.never
            if s.need > 0 {
                let shift = UInt32(6 * Int(s.need))
                let least: UInt32 = s.seqLen == 2 ? 0x80 : s.seqLen == 3 ? 0x800 : 0x10000
                let lo = max(s.acc << shift, least), hi = min((s.acc << shift) | ((1 << shift) - 1), 0x10FFFF)
                best = Int(s.need) + rule.cheapestFinish(from: d, count: c, lo, hi)
            } else if s.esc == 1 {
                for e in Self.shortEscapes { best = min(best, 1 + rule.cheapestFinish(from: d, count: c, e, e)) }
                // `uXXXX` spells control and non-ASCII characters of the BMP.
                best = min(best, 5 + min(rule.cheapestFinish(from: d, count: c, 0, 0x1F), rule.cheapestFinish(from: d, count: c, 0x7F, 0xFFFF)))
            } else {
                let read = Int(s.esc) - 2  // hex digits read so far
                let shift = UInt32(4 * (4 - read))
                let lo = s.acc << shift, hi = lo | ((1 << shift) - 1)
                let cost = min(rule.cheapestFinish(from: d, count: c, lo, min(hi, 0x1F)), rule.cheapestFinish(from: d, count: c, max(lo, 0x7F), hi))
                best = (4 - read) + cost
            }
            return best >= Grammar.never ? Grammar.never : best + 1
        case .object(let o):
            let rule = nodes[Int(o.node)].object!
            switch o.phase {
            case .afterOpen: return objectRemaining(rule, afterOpen: true, emitted: o.emitted, extras: o.extraHashes.count)
            case .afterComma:
                if !requiredDone(o, rule) || o.emitted.count + o.extraHashes.count < rule.minProperties {
                    return objectRemaining(rule, afterOpen: true, emitted: o.emitted, extras: o.extraHashes.count)
                }
                var best = Grammar.never
                for k in rule.keys.indices where keyAllowed(o, rule, k) { best = min(best, rule.keyJSON[k].count + 1 + shortest[Int(rule.values[k])]) }
                if rule.additional >= 0 { best = min(best, 3 + shortest[Int(rule.additional)]) }
                for c in rule.classes { best = min(best, 2 + strings[Int(c.string)].shortestFromStart + 1 + shortest[Int(c.value)]) }
                return best + 1
            case .inKey: return 0
            case .afterKey:
                return 1 + shortest[Int(valueNode(rule, o.key))] + objectRemaining(rule, afterOpen: false, emitted: o.emitted, extras: o.extraHashes.count)
            case .inValue, .afterValue:
                return objectRemaining(rule, afterOpen: false, emitted: o.emitted, extras: o.extraHashes.count)
            }
        case .array(let a):
            return arrayRemaining(nodes[Int(a.node)].array!, count: Int(a.count))
        }
    }

    /// A key being written: the cheapest way to finish it (a declared key it can still become, or
    /// an extra key), its value and the rest of the object.
    func keyRemaining(_ s: StrState, below: StackNode?) -> Int {
        guard case .object(let o) = below?.frame else { return Grammar.never }
        let rule = nodes[Int(o.node)].object!
        var best = Grammar.never
        // Bytes of an escape or a multi-byte character still to come.
        let pending = s.esc == 1 ? 1 : s.esc >= 2 ? 6 - Int(s.esc) : Int(s.need)
        // The rest of the object once key k is written: worked out once, then per key by taking k's
        // own share off when it is one the object must still write (exact without minProperties and
        // dependentRequired, which change what else is needed; those recompute per key).
        let simple = rule.minProperties == 0 && rule.dependents.isEmpty
        let base = simple ? objectRemaining(rule, afterOpen: false, emitted: o.emitted, extras: o.extraHashes.count) : 0
        if s.keyAt >= 0 {
            let trie = tries[Int(rule.keyTrie)]
            for k32 in trie.below[Int(s.keyAt)] {
                let k = Int(k32)
                guard keyAllowed(o, rule, k) else { continue }
                // Mid-character or mid-escape, the key's next character must be one that is spelt that way.
                let depth = Int(trie.depth[Int(s.keyAt)])
                var left = Int(rule.suffixBytes[k][depth])
                if pending > 0 {
                    guard depth < rule.keys[k].count else { continue }
                    let next = rule.keys[k][depth]
                    if s.need > 0 && next < 0x80 { continue }
                    // The character already begun must be this key's next one.
                    if s.need > 0 || s.esc >= 2 {
                        let len = next < 0x80 ? 1 : next >= 0xF0 ? 4 : next >= 0xE0 ? 3 : 2
                        if s.need > 0 && len != Int(s.seqLen) { continue }
                        guard let c = String(decoding: rule.keys[k][depth..<min(depth + len, rule.keys[k].count)], as: UTF8.self).unicodeScalars.first?.value else { continue }
                        let shift = s.need > 0 ? 6 * UInt32(s.need) : 4 * UInt32(4 - (Int(s.esc) - 2))
                        if c >> shift != s.acc { continue }
                    }
                    let printable = next >= 0x20 && next < 0x7F
                    if s.esc == 1 && printable && ![0x22, 0x5C, 0x2F].contains(next) { continue }
                    if s.esc >= 2 && printable { continue }  // \u spells only control and non-ASCII characters
                    // The pending bytes finish this character; the key goes on after it. After a
                    // bare backslash, a character without a short escape still needs `uXXXX`.
                    let len = next < 0x80 ? 1 : next >= 0xF0 ? 4 : next >= 0xE0 ? 3 : 2
                    if s.esc == 1 && ![0x22, 0x5C, 0x2F, 0x08, 0x0C, 0x0A, 0x0D, 0x09].contains(next) { left += 4 - Int(rule.suffixBytes[k][depth]) + Int(rule.suffixBytes[k][min(depth + len, rule.keys[k].count)]) }
                    if !(s.esc == 1 && ![0x22, 0x5C, 0x2F, 0x08, 0x0C, 0x0A, 0x0D, 0x09].contains(next)) {
                        left = Int(rule.suffixBytes[k][min(depth + len, rule.keys[k].count)])
                    }
                }
                let rest: Int
                if simple {
                    rest = rule.required[k] ? base - (rule.keyJSON[k].count + 1 + shortest[Int(rule.values[k])] + 1) : base
                } else {
                    var e = o.emitted
                    e.insert(k)
                    rest = objectRemaining(rule, afterOpen: false, emitted: e, extras: o.extraHashes.count)
                }
                best = min(best, left + pending + 2 + shortest[Int(rule.values[k])] + rest)
            }
        }
        if rule.additional >= 0 {
            let clash = s.keyAt >= 0 && tries[Int(rule.keyTrie)].terminal[Int(s.keyAt)] >= 0 || o.extraHashes.contains(s.keyHash)
            best = min(best, pending + (clash ? 1 : 0) + 2 + shortest[Int(rule.additional)]
                       + objectRemaining(rule, afterOpen: false, emitted: o.emitted, extras: o.extraHashes.count + 1))
        }
        return best
    }

    /// The value node of key `key` of an object: declared (≥ 0), extra (-1), or of a key class (≤ -2).
    func valueNode(_ rule: ObjectRule, _ key: Int32) -> Int32 {
        key >= 0 ? rule.values[Int(key)] : key == -1 ? rule.additional : rule.classes[Int(-2 - key)].value
    }

    /// A key of a key class being written: finish it by its rule, then `:`, its value and the rest of the object.
    func classKeyRemaining(_ s: StrState, below: StackNode?) -> Int {
        guard case .object(let o) = below?.frame else { return Grammar.never }
        let rule = nodes[Int(o.node)].object!
        var plain = s
        plain.keyClass = -1
        let key = remaining(.string(plain), below: below)
        guard key < Grammar.never else { return Grammar.never }
        let value = shortest[Int(rule.classes[Int(s.keyClass)].value)]
        guard value < Grammar.never else { return Grammar.never }
        return key + 1 + value + objectRemaining(rule, afterOpen: false, emitted: o.emitted, extras: o.extraHashes.count + 1)
    }

    /// After a key of a key class closes: `:`, the cheapest value and the rest of the object.
    func classKeyAfter(_ s: StrState, below: StackNode?) -> Int {
        guard case .object(let o) = below?.frame else { return Grammar.never }
        let rule = nodes[Int(o.node)].object!
        let value = shortest[Int(rule.classes[Int(s.keyClass)].value)]
        guard value < Grammar.never else { return Grammar.never }
        return 1 + value + objectRemaining(rule, afterOpen: false, emitted: o.emitted, extras: o.extraHashes.count + 1)
    }

    /// For a key being written in an object that takes extra keys: the most that finishing it as
    /// an extra key can cost (one more character should it clash with a name already there, the
    /// quote, `:`, the value and the rest of the object); nil when the object takes no extra keys.
    func extraKeyWorstCost(_ below: StackNode?) -> Int? {
        guard case .object(let o) = below?.frame else { return nil }
        let rule = nodes[Int(o.node)].object!
        guard rule.additional >= 0, shortest[Int(rule.additional)] < Grammar.never else { return nil }
        if let m = rule.maxProperties, o.emitted.count + o.extraHashes.count >= m { return nil }
        return 1 + 2 + shortest[Int(rule.additional)] + objectRemaining(rule, afterOpen: false, emitted: o.emitted, extras: o.extraHashes.count + 1)
    }

    /// Whether a key being written could equal an extra key the object already has (which costs
    /// one more character to avoid).
    func extraKeyMayClash(_ below: StackNode?) -> Bool {
        guard case .object(let o) = below?.frame else { return false }
        return !o.extraHashes.isEmpty
    }

    /// The hashes of the extra keys the object below already has.
    func extraKeyHashes(_ below: StackNode?) -> [UInt64] {
        guard case .object(let o) = below?.frame else { return [] }
        return o.extraHashes
    }

    /// The declared names of the object below, as a trie (nil when below is not an object).
    func keyTrie(_ below: StackNode?) -> ByteTrie? {
        guard case .object(let o) = below?.frame else { return nil }
        return tries[Int(nodes[Int(o.node)].object!.keyTrie)]
    }
}
