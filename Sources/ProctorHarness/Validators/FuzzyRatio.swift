/// rapidfuzz's `fuzz.WRatio` with `utils.default_process`, divided by 100: the `fuzzy_match`
/// metric of OpenAI's text-similarity grader. Both texts are processed (letters and digits
/// lowercased, every other character a space, spaces trimmed at the ends), then the best of the
/// plain ratio, the token ratios and (for texts of different lengths) the partial ratios, each
/// scaled as WRatio scales it. Lengths are in code points, as Python counts them.
enum FuzzyRatio {
    typealias Text = [UInt32]

    /// WRatio(candidate, reference, processor=default_process) / 100.
    static func wRatio(_ a: String, _ b: String) -> Double {
        let s1 = process(a), s2 = process(b)
        guard !s1.isEmpty, !s2.isEmpty else { return 0 }
        let unbase = 0.95
        let lenRatio = s1.count > s2.count ? Double(s1.count) / Double(s2.count) : Double(s2.count) / Double(s1.count)
        var end = ratio(s1, s2)
        if lenRatio < 1.5 { return max(end, tokenRatio(s1, s2) * unbase) / 100 }
        let partialScale = lenRatio <= 8 ? 0.9 : 0.6
        end = max(end, partialRatio(s1, s2) * partialScale)
        return max(end, partialTokenRatio(s1, s2) * unbase * partialScale) / 100
    }

    /// `utils.default_process`: alphanumerics lowercased (simple mapping), others a space, trimmed.
    static func process(_ s: String) -> Text {
        var out: Text = []
        for u in s.unicodeScalars {
            let p = u.properties
            let alnum: Bool
            switch p.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber: alnum = true
            default: alnum = false
            }
            guard alnum else { out.append(0x20); continue }
            // The simple mapping: only U+0130 (İ) lowercases to more than one scalar, and its simple
            // mapping is the first of them.
            out.append(p.lowercaseMapping.unicodeScalars.first?.value ?? u.value)
        }
        while out.last == 0x20 { out.removeLast() }
        let lead = out.firstIndex { $0 != 0x20 } ?? out.count
        return Array(out[lead...])
    }

    /// Length of the longest common subsequence.
    static func lcs(_ a: ArraySlice<UInt32>, _ b: ArraySlice<UInt32>) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var prev = [Int](repeating: 0, count: b.count + 1), cur = prev
        for x in a {
            var j = 1
            for y in b {
                cur[j] = x == y ? prev[j - 1] + 1 : max(prev[j], cur[j - 1])
                j += 1
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// `fuzz.ratio`: the normalised Indel similarity × 100 (100 for two empty texts).
    static func ratio(_ a: ArraySlice<UInt32>, _ b: ArraySlice<UInt32>) -> Double {
        let total = a.count + b.count
        guard total > 0 else { return 100 }
        return 100 * (1 - Double(total - 2 * lcs(a, b)) / Double(total))
    }
    static func ratio(_ a: Text, _ b: Text) -> Double { ratio(a[...], b[...]) }

    /// `fuzz.partial_ratio`: the best ratio of the shorter text against the longer one's windows of
    /// its length, and against the longer one's prefixes and suffixes shorter than that.
    static func partialRatio(_ x: Text, _ y: Text) -> Double {
        let (s1, s2) = x.count <= y.count ? (x, y) : (y, x)
        if s1.isEmpty || s2.isEmpty { return s1.count == s2.count ? 100 : 0 }
        var best = partialImpl(s1, s2)
        if best != 100 && s1.count == s2.count { best = max(best, partialImpl(s2, s1)) }
        return best
    }

    static func partialImpl(_ s1: Text, _ s2: Text) -> Double {
        let n = s1.count, m = s2.count
        var best = 0.0
        for i in 1..<max(n, 1) { best = max(best, ratio(s1[...], s2[..<i])) }
        if m > n { for i in 0..<(m - n) { best = max(best, ratio(s1[...], s2[i..<(i + n)])) } }
        for i in max(m - n, 0)..<m { best = max(best, ratio(s1[...], s2[i...])) }
        return best
    }

    static func words(_ s: Text) -> [Text] { s.split(separator: 0x20).map(Array.init) }
    static func joined(_ ws: [Text]) -> Text { Array(ws.joined(separator: [0x20])) }
    static func sortedWords(_ ws: [Text]) -> [Text] { ws.sorted { $0.lexicographicallyPrecedes($1) } }
    static func set(_ ws: [Text]) -> [Text] { sortedWords(Array(Set(ws))) }

    /// `fuzz.token_ratio`: the best of token_sort_ratio and token_set_ratio.
    static func tokenRatio(_ s1: Text, _ s2: Text) -> Double {
        let wa = words(s1), wb = words(s2)
        guard !wa.isEmpty, !wb.isEmpty else { return 0 }
        let a = Set(wa), b = Set(wb)
        let common = set(Array(a.intersection(b)))
        let ab = set(Array(a.subtracting(b))), ba = set(Array(b.subtracting(a)))
        if !common.isEmpty && (ab.isEmpty || ba.isEmpty) { return 100 }
        var result = ratio(joined(sortedWords(wa)), joined(sortedWords(wb)))
        let abText = joined(ab), baText = joined(ba)
        let sect = joined(common).count
        let sectAB = sect + (sect != 0 ? 1 : 0) + abText.count, sectBA = sect + (sect != 0 ? 1 : 0) + baText.count
        // ratio("sect ab", "sect ba"): the common words add the same length to both.
        let dist = abText.count + baText.count - 2 * lcs(abText[...], baText[...])
        result = max(result, normSim(dist, sectAB + sectBA))
        guard sect != 0 else { return result }
        let sep = 1
        return max(result, normSim(sep + abText.count, sect + sectAB), normSim(sep + baText.count, sect + sectBA))
    }

    static func normSim(_ dist: Int, _ total: Int) -> Double { total == 0 ? 100 : 100 * (1 - Double(dist) / Double(total)) }

    /// `fuzz.partial_token_ratio`: 100 when a word is shared; else partial_ratio of the sorted words
    /// and of the sorted words each has alone.
    static func partialTokenRatio(_ s1: Text, _ s2: Text) -> Double {
        let wa = words(s1), wb = words(s2)
        let a = Set(wa), b = Set(wb)
        if !a.intersection(b).isEmpty { return 100 }
        let ab = a.subtracting(b), ba = b.subtracting(a)
        let result = partialRatio(joined(sortedWords(wa)), joined(sortedWords(wb)))
        if wa.count == ab.count && wb.count == ba.count { return result }
        return max(result, partialRatio(joined(set(Array(ab))), joined(set(Array(ba)))))
    }
}
