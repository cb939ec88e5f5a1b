import Foundation
import Synchronization

/// METEOR as NLTK's `meteor_score([reference.split()], candidate.split())` computes it: words
/// lowercased, matched exactly, then by their Porter stems, then by WordNet synonyms of the stems
/// left (each stage on the words still unmatched, the later word of the candidate first, taking the
/// latest reference word it can), then the harmonic mean weighted 9:1 towards recall, less a fragmentation penalty
/// of 0.5 × (chunks / matches)³.
enum Meteor {
    static func score(_ candidate: String, _ reference: String, wordnet: WordNet) -> Double {
        let hyp = candidate.split(whereSeparator: isPythonSpace).map { String($0).lowercased() }
        let ref = reference.split(whereSeparator: isPythonSpace).map { String($0).lowercased() }
        var h = Array(hyp.enumerated()), r = Array(ref.enumerated())
        var matches: [(Int, Int)] = []
        // Each stage keeps the words it did not match as it keyed them: NLTK looks up the synonyms
        // of the stems left by the stem stage, and compares them with the reference's stems.
        func stage(_ key: (String) -> String, synonyms: ((String) -> Set<String>)? = nil) {
            var positions: [String: [Int]] = [:]
            h = h.map { ($0.offset, key($0.element)) }
            r = r.map { ($0.offset, key($0.element)) }
            for (j, w) in r.map(\.element).enumerated() { positions[w, default: []].append(j) }
            var usedH = Set<Int>(), usedR = Set<Int>()
            for i in h.indices.reversed() {
                let word = h[i].element
                var best = -1, bestWord: String?
                if let synonyms {
                    for s in synonyms(word) { if let p = positions[s]?.last, p > best { best = p; bestWord = s } }
                } else if let p = positions[word]?.last {
                    best = p; bestWord = word
                }
                guard let w = bestWord else { continue }
                positions[w]!.removeLast()
                usedH.insert(i); usedR.insert(best)
                matches.append((h[i].offset, r[best].offset))
            }
            h = h.indices.filter { !usedH.contains($0) }.map { h[$0] }
            r = r.indices.filter { !usedR.contains($0) }.map { r[$0] }
        }
        stage { $0 }
        stage(PorterStemmer.stem)
        stage({ $0 }, synonyms: { wordnet.synonyms(of: $0).union([$0]) })
        guard !matches.isEmpty, !hyp.isEmpty, !ref.isEmpty else { return 0 }
        matches.sort { $0.0 < $1.0 }
        let m = Double(matches.count)
        let precision = m / Double(hyp.count), recall = m / Double(ref.count)
        let fmean = precision * recall / (0.9 * precision + 0.1 * recall)
        var chunks = 1
        for k in 0..<(matches.count - 1) where !(matches[k + 1].0 == matches[k].0 + 1 && matches[k + 1].1 == matches[k].1 + 1) { chunks += 1 }
        let frag = Double(chunks) / m
        return (1 - 0.5 * pow(frag, 3)) * fmean
    }

    /// Python's `str.split()` separators.
    static func isPythonSpace(_ c: Character) -> Bool {
        c.unicodeScalars.allSatisfy { s in
            s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
        }
    }
}

/// NLTK's Porter stemmer in its default mode (NLTK_EXTENSIONS): the 1980 algorithm with NLTK's
/// irregular forms, its `ies`/`ied` rules for four-letter words, `y` → `i` only after a consonant,
/// `alli` first, and `fulli` / `logi`.
enum PorterStemmer {
    typealias Word = [Unicode.Scalar]
    static let irregular: [String: String] = [
        "sky": "sky", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie", "news": "news",
        "innings": "inning", "inning": "inning", "outings": "outing", "outing": "outing",
        "cannings": "canning", "canning": "canning", "howe": "howe", "proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
    ]

    static func stem(_ text: String) -> String {
        let lower = text.lowercased()
        if let s = irregular[lower] { return s }
        var w = Word(lower.unicodeScalars)
        if w.count <= 2 { return lower }
        w = step1a(w); w = step1b(w); w = step1c(w); w = step2(w); w = step3(w); w = step4(w); w = step5a(w); w = step5b(w)
        return String(String.UnicodeScalarView(w))
    }

    static func isVowel(_ c: Unicode.Scalar) -> Bool { c == "a" || c == "e" || c == "i" || c == "o" || c == "u" }
    static func consonants(_ w: Word) -> [Bool] {
        var f: [Bool] = []
        for (i, c) in w.enumerated() { f.append(isVowel(c) ? false : c == "y" ? (i == 0 ? true : !f[i - 1]) : true) }
        return f
    }
    static func isConsonant(_ w: Word, _ i: Int) -> Bool { consonants(w)[i] }
    static func measure(_ w: Word) -> Int {
        let f = consonants(w)
        var n = 0
        for i in f.indices.dropFirst() where f[i] && !f[i - 1] { n += 1 }
        return n
    }
    static func containsVowel(_ w: Word) -> Bool { consonants(w).contains(false) }
    static func endsDoubleConsonant(_ w: Word) -> Bool { w.count >= 2 && w[w.count - 1] == w[w.count - 2] && isConsonant(w, w.count - 1) }
    static func endsCVC(_ w: Word) -> Bool {
        let n = w.count
        if n >= 3, isConsonant(w, n - 3), !isConsonant(w, n - 2), isConsonant(w, n - 1), !["w", "x", "y"].contains(w[n - 1]) { return true }
        return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1)
    }
    static func ends(_ w: Word, _ s: String) -> Bool { let x = Array(s.unicodeScalars); return w.count >= x.count && Array(w.suffix(x.count)) == x }
    static func cut(_ w: Word, _ s: String) -> Word { Array(w.dropLast(s.unicodeScalars.count)) }
    static func plus(_ w: Word, _ s: String) -> Word { w + Array(s.unicodeScalars) }

    /// A rule: the suffix (`*d`: a double consonant), its replacement and the stem's condition.
    typealias Rule = (String, String, ((Word) -> Bool)?)
    /// The first rule whose suffix matches decides: its replacement when its condition holds,
    /// else the word unchanged.
    static func apply(_ w: Word, _ rules: [Rule]) -> Word {
        for (suffix, replacement, condition) in rules {
            if suffix == "*d" && endsDoubleConsonant(w) {
                let stem = Array(w.dropLast(2))
                return condition?(stem) ?? true ? plus(stem, replacement) : w
            }
            if ends(w, suffix) {
                let stem = cut(w, suffix)
                return condition?(stem) ?? true ? plus(stem, replacement) : w
            }
        }
        return w
    }

    static func step1a(_ w: Word) -> Word {
        if ends(w, "ies") && w.count == 4 { return plus(cut(w, "ies"), "ie") }
        return apply(w, [("sses", "ss", nil), ("ies", "i", nil), ("ss", "ss", nil), ("s", "", nil)])
    }
    static func step1b(_ w: Word) -> Word {
        if ends(w, "ied") { return plus(cut(w, "ied"), w.count == 4 ? "ie" : "i") }
        if ends(w, "eed") { let s = cut(w, "eed"); return measure(s) > 0 ? plus(s, "ee") : w }
        var mid: Word?
        for suffix in ["ed", "ing"] where ends(w, suffix) {
            if containsVowel(cut(w, suffix)) { mid = cut(w, suffix); break }
        }
        guard let s = mid else { return w }
        let last = String(s[s.count - 1])
        return apply(s, [("at", "ate", nil), ("bl", "ble", nil), ("iz", "ize", nil),
                         ("*d", last, { _ in !["l", "s", "z"].contains(last) }),
                         ("", "e", { measure($0) == 1 && endsCVC($0) })])
    }
    static func step1c(_ w: Word) -> Word { apply(w, [("y", "i", { $0.count > 1 && isConsonant($0, $0.count - 1) })]) }
    static func positive(_ w: Word) -> Bool { measure(w) > 0 }
    static func step2(_ w: Word) -> Word {
        if ends(w, "alli") && positive(cut(w, "alli")) { return step2(plus(cut(w, "alli"), "al")) }
        let pairs = [("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("bli", "ble"),
                     ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"),
                     ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"),
                     ("iviti", "ive"), ("biliti", "ble"), ("fulli", "ful")]
        var rules: [Rule] = pairs.map { ($0.0, $0.1, positive) }
        rules.append(("logi", "log", { _ in positive(Array(w.dropLast(3))) }))
        return apply(w, rules)
    }
    static func step3(_ w: Word) -> Word {
        apply(w, [("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", "")].map { ($0.0, $0.1, positive) })
    }
    static func step4(_ w: Word) -> Word {
        let gt1: (Word) -> Bool = { measure($0) > 1 }
        var rules: [Rule] = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"].map { ($0, "", gt1) }
        rules.append(("ion", "", { measure($0) > 1 && ($0.last == "s" || $0.last == "t") }))
        rules += ["ou", "ism", "ate", "iti", "ous", "ive", "ize"].map { ($0, "", gt1) }
        return apply(w, rules)
    }
    static func step5a(_ w: Word) -> Word {
        guard ends(w, "e") else { return w }
        let s = cut(w, "e")
        if measure(s) > 1 || (measure(s) == 1 && !endsCVC(s)) { return s }
        return w
    }
    static func step5b(_ w: Word) -> Word { apply(w, [("ll", "l", { _ in measure(Array(w.dropLast())) > 1 })]) }
}

/// The WordNet 3.0 database (the `dict` folder: `index.*`, `data.*`, `*.exc`), read as NLTK's
/// reader reads it, for METEOR's synonym stage. Index lines are found by binary search (the files
/// are sorted); a synset is read at its byte offset in the data file. Loaded once per folder.
final class WordNet: Sendable {
    static let parts = ["noun", "verb", "adj", "adv"]
    /// Per part of speech, in `parts` order.
    let index: [[UInt8]], data: [[UInt8]]
    let exceptions: [[String: [String]]]
    /// The folder it was read from.
    let folder: String

    /// Folders searched when a check names none: where Debian's `wordnet-base` and NLTK's
    /// downloader put it.
    static func defaultFolders(home: String?) -> [String] {
        ["/usr/share/wordnet", "/usr/local/share/wordnet", "/usr/share/nltk_data/corpora/wordnet", "/usr/local/share/nltk_data/corpora/wordnet"]
            + (home.map { ["\($0)/nltk_data/corpora/wordnet"] } ?? [])
    }

    /// The first database found in `folders` (by default, `defaultFolders`).
    static func find(in folders: [String]) -> WordNet? { folders.lazy.compactMap(open).first }
    static func find(home: String?) -> WordNet? { find(in: defaultFolders(home: home)) }

    static let loaded = Mutex<[String: WordNet]>([:])

    /// The database in `folder`, read once per process; nil when a file is missing.
    static func open(_ folder: String) -> WordNet? {
        if let w = loaded.withLock({ $0[folder] }) { return w }
        guard let w = WordNet(folder: folder) else { return nil }
        return loaded.withLock { cache in
            if let existing = cache[folder] { return existing }
            cache[folder] = w
            return w
        }
    }

    init?(folder: String) {
        var index: [[UInt8]] = [], data: [[UInt8]] = [], exceptions: [[String: [String]]] = []
        for p in Self.parts {
            guard let i = FileManager.default.contents(atPath: "\(folder)/index.\(p)"), let d = FileManager.default.contents(atPath: "\(folder)/data.\(p)"),
                  let e = FileManager.default.contents(atPath: "\(folder)/\(p).exc") else { return nil }
            index.append([UInt8](i)); data.append([UInt8](d))
            var map: [String: [String]] = [:]
            for line in String(decoding: e, as: UTF8.self).split(separator: "\n") {
                let terms = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
                if let k = terms.first { map[k] = Array(terms.dropFirst()) }   // a repeated key: the last line wins, as in NLTK
            }
            exceptions.append(map)
        }
        (self.index, self.data, self.exceptions, self.folder) = (index, data, exceptions, folder)
    }

    /// The synset offsets of `lemma` as part of speech `p` (an index into `parts`).
    func offsets(_ lemma: String, _ p: Int) -> [Int]? {
        let key = Array(lemma.utf8), file = index[p]
        var lo = 0, hi = file.count
        // Binary search over line starts: find the line whose first word is `key`.
        while lo < hi {
            let mid = (lo + hi) / 2
            var start = mid
            while start > 0 && file[start - 1] != 0x0A { start -= 1 }
            var end = start
            while end < file.count && file[end] != 0x20 && file[end] != 0x0A { end += 1 }
            if file[start] == 0x20 { lo = nextLine(file, start); continue }   // the licence header: lines start with a space
            let word = file[start..<end]
            if word.elementsEqual(key) { return parseOffsets(file, start) }
            if word.lexicographicallyPrecedes(key) { lo = nextLine(file, start) } else { hi = start }
        }
        return nil
    }

    func nextLine(_ f: [UInt8], _ i: Int) -> Int {
        var j = i
        while j < f.count && f[j] != 0x0A { j += 1 }
        return j + 1
    }

    func fields(_ f: [UInt8], _ start: Int) -> [Substring] {
        let end = nextLine(f, start) - 1
        return String(decoding: f[start..<min(end, f.count)], as: UTF8.self).split(separator: " ")
    }

    /// `lemma pos synset_cnt p_cnt [ptr…] sense_cnt tagsense_cnt offset…`.
    func parseOffsets(_ f: [UInt8], _ start: Int) -> [Int]? {
        let t = fields(f, start)
        guard t.count > 4, let n = Int(t[2]), let pointers = Int(t[3]), t.count >= 6 + pointers + n else { return nil }
        return t[(6 + pointers)..<(6 + pointers + n)].compactMap { Int($0) }
    }

    /// The lemma names of the synset at `offset` in the data file of part `p`, syntactic markers
    /// (`(a)`, `(p)`, `(ip)`) removed.
    func lemmas(_ p: Int, _ offset: Int) -> [String] {
        guard offset >= 0, offset < data[p].count else { return [] }
        let t = fields(data[p], offset)
        guard t.count > 4, let n = Int(t[3], radix: 16) else { return [] }
        return (0..<n).compactMap { k -> String? in
            guard 4 + 2 * k < t.count else { return nil }
            var name = String(t[4 + 2 * k])
            if name.hasSuffix(")"), let open = name.firstIndex(of: "(") { name = String(name[..<open]) }
            return name
        }
    }

    static let substitutions: [[(String, String)]] = [
        [("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")],
        [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
        [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
        [],
    ]

    /// NLTK's `_morphy`: the word's exception-list bases, or its forms after one substitution,
    /// with the word itself, that the index has for this part of speech.
    func morphy(_ form: String, _ p: Int) -> [String] {
        let forms = exceptions[p][form] ?? Self.substitutions[p].compactMap { old, new in form.hasSuffix(old) ? String(form.dropLast(old.count)) + new : nil }
        var seen = Set<String>(), out: [String] = []
        for f in [form] + forms where offsets(f, p) != nil && seen.insert(f).inserted { out.append(f) }
        return out
    }

    /// Every lemma name without `_` of every synset of `word` (lowercased), as METEOR takes them.
    func synonyms(of word: String) -> Set<String> {
        let w = word.lowercased()
        var out = Set<String>()
        for p in Self.parts.indices {
            for form in morphy(w, p) {
                for o in offsets(form, p) ?? [] {
                    for name in lemmas(p, o) where !name.contains("_") { out.insert(name) }
                }
            }
        }
        return out
    }
}
