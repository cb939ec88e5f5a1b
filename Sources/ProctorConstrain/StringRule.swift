import ProctorRegex

/// A string's length bounds (in characters, as JSON Schema counts them) and its pattern automaton,
/// with the table that says, for every automaton state and length so far, the fewest bytes that
/// still finish the string validly (unbounded means that no valid ending exists).
final class StringRule: Sendable {
    let minLength: Int
    let maxLength: Int?
    let dfa: RegexDFA?
    /// Cheapest JSON encoding, in bytes, of a character of each automaton interval.
    let intervalCost: [Int]
    /// `finish[d * (limit + 1) + c]`: fewest bytes to a valid end from state d with c characters
    /// (c ≥ limit, when there is no maxLength, reads row `limit`). Empty without an automaton.
    let finish: [Int]
    /// Rows of `finish`: maxLength, or minLength when there is no maximum.
    let limit: Int
    /// The most `finishBytes` can be from any reachable state (the budget needs no per-token check above it).
    let worstFinish: Int
    /// Fewest content bytes of a valid string.
    let shortestFromStart: Int

    static let never = Grammar.never

    init?(minLength: Int, maxLength: Int?, dfa: RegexDFA?) {
        if let maxLength, maxLength < minLength { return nil }
        self.minLength = minLength
        self.maxLength = maxLength
        guard let dfa else {
            self.dfa = nil
            intervalCost = []; finish = []; limit = 0
            worstFinish = minLength
            shortestFromStart = minLength
            return
        }
        guard dfa.start >= 0 else { return nil }
        self.dfa = dfa
        let ni = dfa.intervalCount, ns = dfa.stateCount
        intervalCost = (0..<ni).map { StringRule.cheapestEncoding(dfa.intervalStarts[$0], dfa.intervalEnd($0)) }
        let limit = maxLength ?? minLength
        self.limit = limit
        let never = StringRule.never
        var f = [Int](repeating: never, count: ns * (limit + 1))
        // Row `limit` first: exact when it is maxLength (no more characters allowed); the
        // unconstrained shortest path to acceptance otherwise (a fixpoint over the automaton).
        for d in 0..<ns where dfa.accepting[d] { f[d * (limit + 1) + limit] = 0 }
        if maxLength == nil {
            var changed = true
            while changed {
                changed = false
                for d in 0..<ns {
                    var best = f[d * (limit + 1) + limit]
                    for i in 0..<ni {
                        let t = dfa.step(d, interval: i)
                        if t >= 0, f[t * (limit + 1) + limit] < never { best = min(best, intervalCost[i] + f[t * (limit + 1) + limit]) }
                    }
                    if best < f[d * (limit + 1) + limit] { f[d * (limit + 1) + limit] = best; changed = true }
                }
            }
        }
        if limit > 0 {
            for c in stride(from: limit - 1, through: 0, by: -1) {
                for d in 0..<ns {
                    var best = dfa.accepting[d] && c >= minLength ? 0 : never
                    for i in 0..<ni {
                        let t = dfa.step(d, interval: i)
                        if t >= 0, f[t * (limit + 1) + c + 1] < never { best = min(best, intervalCost[i] + f[t * (limit + 1) + c + 1]) }
                    }
                    f[d * (limit + 1) + c] = best
                }
            }
        }
        finish = f
        let start = f[dfa.start * (limit + 1)]
        guard start < never else { return nil }
        shortestFromStart = start
        worstFinish = f.filter { $0 < never }.max() ?? 0
    }

    /// Fewest bytes of content (closing quote excluded) that still end the string validly, or `never`.
    @inline(__always) func finishBytes(state d: Int, count c: Int) -> Int {
        guard let dfa else {
            if let maxLength, c > maxLength { return StringRule.never }
            return max(0, minLength - c)
        }
        _ = dfa
        if let maxLength, c > maxLength { return StringRule.never }
        return finish[d * (limit + 1) + min(c, limit)]
    }

    /// Whether some character in scalars lo…hi keeps the string finishable (escapes and multi-byte
    /// characters are checked before their last byte, so the decoder never enters a dead end).
    func someCharacter(from d: Int, count c: Int, in lo: UInt32, _ hi: UInt32) -> Bool {
        guard let dfa else { return maxLength.map { c < $0 } ?? true }
        if let maxLength, c >= maxLength { return false }
        var i = dfa.interval(of: lo)
        while i < dfa.intervalCount && dfa.intervalStarts[i] <= hi {
            let t = dfa.step(d, interval: i)
            // Surrogates are never characters: an interval made only of them does not count.
            let s = max(dfa.intervalStarts[i], lo), e = min(dfa.intervalEnd(i), hi)
            let onlySurrogates = s >= 0xD800 && e <= 0xDFFF
            if t >= 0, !onlySurrogates, finishBytes(state: t, count: c + 1) < StringRule.never { return true }
            i += 1
        }
        return false
    }

    /// The fewest bytes that finish the string after one more character from scalars lo…hi (the
    /// DFA moves on that character; which one decides what the rest costs), or `never`.
    func cheapestFinish(from d: Int, count c: Int, _ lo: UInt32, _ hi: UInt32) -> Int {
        guard lo <= hi else { return StringRule.never }
        guard let dfa else { return finishBytes(state: d, count: c + 1) }
        if let maxLength, c >= maxLength { return StringRule.never }
        var best = StringRule.never
        var i = dfa.interval(of: lo)
        while i < dfa.intervalCount && dfa.intervalStarts[i] <= hi {
            let t = dfa.step(d, interval: i)
            let s = max(dfa.intervalStarts[i], lo), e = min(dfa.intervalEnd(i), hi)
            if t >= 0, !(s >= 0xD800 && e <= 0xDFFF) { best = min(best, finishBytes(state: t, count: c + 1)) }
            i += 1
        }
        return best
    }

    /// Bytes of the cheapest JSON encoding of any scalar in lo…hi.
    static func cheapestEncoding(_ lo: UInt32, _ hi: UInt32) -> Int {
        func plain(_ c: UInt32) -> Bool { c >= 0x20 && c != 0x22 && c != 0x5C }
        if lo <= 0x7E && hi >= 0x20 {
            // Printable ASCII: one byte unless the only ones here are `"` and `\`.
            let a = max(lo, 0x20), b = min(hi, 0x7E)
            if b > a + 1 || plain(a) || plain(b) { return 1 }
            return 2
        }
        if lo < 0x20 {
            for c in lo...min(hi, 0x1F) where [0x08, 0x09, 0x0A, 0x0C, 0x0D].contains(c) { return 2 }
            return 6
        }
        if lo == 0x7F { return 1 }
        if lo <= 0x7FF { return 2 }
        if lo <= 0xFFFF { return 3 }
        return 4
    }
}
