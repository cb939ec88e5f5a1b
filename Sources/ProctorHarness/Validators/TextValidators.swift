import Foundation
import ProctorJSON
import ProctorRegex

/// Text checks: equals, contains, icontains, contains-any, contains-all, starts-with, ends-with,
/// one-of, regex, length, similar.
///
/// One rule for all of them: both sides are compared after Unicode NFC normalisation (so `e` +
/// combining acute equals `é`) unless the validator says `"normalize": false`; lengths and
/// similarity count grapheme clusters (what a reader sees as characters). When two strings differ
/// only in characters a reader cannot see, the message lists their code points.
enum TextValidators {
    static let factories: [String: ValidatorFactory] = [
        "equals": { c throws(SuiteError) in try Equals(c) },
        "contains": { c throws(SuiteError) in try Contains(c, caseInsensitive: false) },
        "icontains": { c throws(SuiteError) in try Contains(c, caseInsensitive: true) },
        "contains-any": { c throws(SuiteError) in try ContainsSet(c, all: false) },
        "contains-all": { c throws(SuiteError) in try ContainsSet(c, all: true) },
        "starts-with": { c throws(SuiteError) in try Affix(c, prefix: true) },
        "fuzzy-match": { c throws(SuiteError) in try FuzzyMatch(c) },
        "ends-with": { c throws(SuiteError) in try Affix(c, prefix: false) },
        "one-of": { c throws(SuiteError) in try OneOf(c) },
        "regex": { c throws(SuiteError) in try RegexValidator(c) },
        "length": { c throws(SuiteError) in try Length(c) },
        "similar": { c throws(SuiteError) -> any Validator in c.object["embedding"] != nil ? try EmbeddingSimilar(c) : try Similar(c) },
    ]

    static func quote(_ s: String, limit: Int = 80) -> String {
        let q = JSONSerializer.quote(s)
        return q.count <= limit ? q : String(q.prefix(limit - 1)) + "…\""
    }

    static func text(_ c: ValidatorConfig, _ key: String) throws(SuiteError) -> String {
        guard let s = try c.string(key) else { throw c.error(nil, "validator '\(c.type)' needs \"\(key)\" (a string)") }
        return s
    }

    /// A JSON value as JSON text, cut to `limit` characters.
    static func shortJSON(_ v: JSONValue, limit: Int = 120) -> String {
        let t = JSONSerializer.string(v)
        return t.count <= limit ? t : String(t.prefix(limit - 1)) + "…"
    }

    /// How a validator reads text: NFC-normalised (the default) or exactly as given.
    struct TextRule: Sendable {
        let normalize: Bool
        init(_ c: ValidatorConfig) throws(SuiteError) { normalize = try c.bool("normalize") ?? true }
        func callAsFunction(_ s: String) -> String { normalize ? TextValidators.nfc(s) : s }
    }

    /// `s` in Unicode NFC. Text with no byte at or above U+0300's lead byte (0xCC) has no
    /// combining mark and nothing that composes or decomposes, so it is returned as it is without
    /// a trip through Foundation (most model output is plain ASCII or Latin text).
    static func nfc(_ s: String) -> String {
        var s = s
        let plain = s.withUTF8 { b in !b.contains { $0 >= 0xCC } }
        return plain ? s : s.precomposedStringWithCanonicalMapping
    }

    /// `expected X, got Y`, both as JSON, with code points when the difference is invisible.
    static func mismatch(_ want: String, _ got: String, verb: String = "expected") -> String {
        var m = "\(verb) \(quote(want)), got \(quote(got))"
        if want.unicodeScalars.elementsEqual(got.unicodeScalars) == false && visible(want) == visible(got) {
            m += " (they differ only in characters you cannot see: expected \(codePoints(want)), got \(codePoints(got)))"
        }
        return m
    }

    /// The text as a reader sees it: normalised, without format characters (zero-width spaces, BOMs, …).
    static func visible(_ s: String) -> String {
        String(String.UnicodeScalarView(s.precomposedStringWithCanonicalMapping.unicodeScalars.filter {
            $0.properties.generalCategory != .format && !$0.properties.isDefaultIgnorableCodePoint
        }))
    }

    static func codePoints(_ s: String, limit: Int = 24) -> String {
        let all = s.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true).leftPadded(4) }
        return all.prefix(limit).joined(separator: " ") + (all.count > limit ? " …" : "")
    }

    /// Exact match: text against a string `value`, JSON value against a non-string `value` (1 == 1.0).
    struct Equals: ImmediateValidator {
        let value: JSONValue
        let trim: Bool
        let rule: TextRule
        /// A string `value` as compared (trimmed and normalised as the output will be), or nil.
        let wanted: String?
        /// The pass message, written once: it names only the value.
        let passMessage: String
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["value", "trim", "normalize"])
            value = try c.required("value")
            trim = try c.bool("trim") ?? false
            rule = try TextRule(c)
            if case .string(let want) = value { wanted = rule(trim ? want.trimmingWhitespace : want) } else { wanted = nil }
            passMessage = "equals " + (wanted.map { quote($0) } ?? JSONSerializer.string(value))
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            if let wanted {
                let got = rule(trim ? s.text.trimmingWhitespace : s.text)
                return got.utf8.elementsEqual(wanted.utf8) ? .pass(passMessage) : .fail(mismatch(wanted, got))
            }
            guard let v = s.value else { return .notJSON() }
            return v == value ? .pass(passMessage) : .fail("expected \(JSONSerializer.string(value)), got \(shortJSON(v))")
        }
    }

    struct Contains: ImmediateValidator {
        let needle: String
        let caseInsensitive: Bool
        let rule: TextRule
        init(_ c: ValidatorConfig, caseInsensitive: Bool) throws(SuiteError) {
            try c.allowKeys(["value", "normalize"])
            rule = try TextRule(c)
            needle = rule(try text(c, "value"))
            self.caseInsensitive = caseInsensitive
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let t = rule(s.text)
            // Without normalisation, code points are compared exactly after Python's lower() (final sigma included).
            let hit = !caseInsensitive ? t.utf8Contains(needle) : needle.isEmpty
                || (rule.normalize ? t.lowercased().contains(needle.lowercased()) : t.pythonLowercased().utf8Contains(needle.pythonLowercased()))
            return hit ? .pass("contains \(quote(needle))") : .fail("does not contain \(quote(needle))")
        }
    }

    struct ContainsSet: ImmediateValidator {
        let values: [String]
        let all: Bool
        let rule: TextRule
        init(_ c: ValidatorConfig, all: Bool) throws(SuiteError) {
            try c.allowKeys(["values", "normalize"])
            let r = try TextRule(c)
            rule = r
            values = try c.strings("values").map { r($0) }
            self.all = all
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let t = rule(s.text)
            let found = values.filter { t.utf8Contains($0) }
            if all {
                let missing = values.filter { !t.utf8Contains($0) }
                return missing.isEmpty ? .pass("contains all \(values.count) values")
                    : CheckResult(pass: false, score: Double(found.count) / Double(values.count),
                                  message: "missing " + missing.map { quote($0) }.joined(separator: ", "))
            }
            return found.isEmpty ? .fail("contains none of " + values.map { quote($0) }.joined(separator: ", "))
                : .pass("contains \(quote(found[0]))")
        }
    }

    /// `starts-with` / `ends-with`: `value`, or `values` (any of them; OpenAI evals' Match passes
    /// when the completion starts with any ideal answer).
    struct Affix: ImmediateValidator {
        let values: [String]
        let prefix: Bool
        let rule: TextRule
        init(_ c: ValidatorConfig, prefix: Bool) throws(SuiteError) {
            try c.allowKeys(["value", "values", "normalize"])
            rule = try TextRule(c)
            if c.object["values"] != nil {
                if c.object["value"] != nil { throw c.error("values", "give \"value\" or \"values\", not both") }
                let r = rule
                values = try c.strings("values").map { r($0) }
                guard !values.isEmpty else { throw c.error("values", "\"values\" must not be empty") }
            } else {
                values = [rule(try text(c, "value"))]
            }
            self.prefix = prefix
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let t = Array(rule(s.text).utf8)
            let word = prefix ? "starts" : "ends"
            for value in values {
                let v = Array(value.utf8)
                if t.count >= v.count && (prefix ? t.prefix(v.count).elementsEqual(v) : t.suffix(v.count).elementsEqual(v)) { return .pass("\(word) with \(quote(value))") }
            }
            return .fail("does not \(prefix ? "start" : "end") with " + (values.count == 1 ? quote(values[0]) : "any of " + values.map { quote($0) }.joined(separator: ", ")))
        }
    }

    /// `fuzzy-match` (OpenAI evals' FuzzyMatch): after normalising both texts (lowercase, ASCII
    /// punctuation removed, the articles a/an/the removed, whitespace collapsed), one contains the
    /// other, for any of `values`; the score is the best token F1.
    struct FuzzyMatch: ImmediateValidator {
        let values: [String]
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["values", "value", "normalize"])
            // Compared by code points, as Python compares strings: never NFC-normalised.
            if try c.bool("normalize") == true { throw c.error("normalize", "fuzzy-match compares as OpenAI evals does, without Unicode normalisation") }
            values = c.object["values"] != nil ? try c.strings("values") : [try text(c, "value")]
            guard !values.isEmpty else { throw c.error("values", "\"values\" must not be empty") }
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let out = TextValidators.evalsNormal(s.text)
            let f1 = values.map { TextValidators.tokenF1(out, TextValidators.evalsNormal($0)) }.max() ?? 0
            for v in values {
                let n = TextValidators.evalsNormal(v)
                if (out.isEmpty || n.isEmpty) ? out.utf8.elementsEqual(n.utf8) : (out.utf8Contains(n) || n.utf8Contains(out)) {
                    return CheckResult(pass: true, score: f1, message: "fuzzy-matches \(quote(v)) (token F1 \(String(format: "%.3f", f1)))")
                }
            }
            return CheckResult(pass: false, score: f1, message: "fuzzy-matches none of " + values.map { quote($0) }.joined(separator: ", ") + " (token F1 \(String(format: "%.3f", f1)))")
        }
    }

    /// OpenAI evals' `normalize`: lowercase, ASCII punctuation removed, `a`/`an`/`the` removed as
    /// words, whitespace collapsed.
    static func evalsNormal(_ s: String) -> String {
        let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
        // By code point, as Python filters a string.
        let lowered = String(String.UnicodeScalarView(s.lowercased().unicodeScalars.filter { !punctuation.contains($0) }))
        // Python's re.sub(r"\b(a|an|the)\b", " ", s): word boundaries as a regex engine sees them.
        let spaced = articles.stringByReplacingMatches(in: lowered, range: NSRange(lowered.startIndex..., in: lowered), withTemplate: " ")
        return spaced.unicodeScalars.split(whereSeparator: pythonSpace).map { String(String.UnicodeScalarView($0)) }.joined(separator: " ")
    }

    /// Python's `str.split()` separators: Unicode whitespace and the ASCII file, group, record and unit separators.
    static func pythonSpace(_ u: Unicode.Scalar) -> Bool { u.properties.isWhitespace || (0x1C...0x1F).contains(u.value) }

    /// The articles OpenAI evals drop, as whole words.
    static let articles = try! NSRegularExpression(pattern: "\\b(a|an|the)\\b")

    /// SQuAD-style token F1 between two normalised texts.
    static func tokenF1(_ a: String, _ b: String) -> Double {
        // Tokens compared by code points, as Python does.
        let x = a.split(separator: " ").map { Array($0.unicodeScalars) }, y = b.split(separator: " ").map { Array($0.unicodeScalars) }
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        var counts: [[Unicode.Scalar]: Int] = [:]
        for t in y { counts[t, default: 0] += 1 }
        var same = 0
        for t in x where (counts[t] ?? 0) > 0 { counts[t]! -= 1; same += 1 }
        guard same > 0 else { return 0 }
        let p = Double(same) / Double(x.count), r = Double(same) / Double(y.count)
        return 2 * p * r / (p + r)
    }

    struct OneOf: ImmediateValidator {
        let values: [String]
        let trim: Bool
        let rule: TextRule
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["values", "trim", "normalize"])
            let r = try TextRule(c)
            rule = r
            values = try c.strings("values").map { r($0) }
            trim = try c.bool("trim") ?? true
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let t = rule(trim ? s.text.trimmingWhitespace : s.text)
            return values.contains(where: { $0.utf8.elementsEqual(t.utf8) }) ? .pass("is \(quote(t))")
                : .fail("\(quote(t)) is not one of " + values.map { quote($0) }.joined(separator: ", "))
        }
    }

    struct RegexValidator: ImmediateValidator {
        let pattern: SearchPattern
        let full: Bool
        let rule: TextRule
        /// The verdict messages, written once: they name only the pattern.
        let passMessage: String, failMessage: String
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["pattern", "flags", "full", "stepLimit", "normalize"])
            rule = try TextRule(c)
            let source = try text(c, "pattern")
            // Always Unicode mode (as JavaScript's `u` flag): `.` and classes match code points,
            // `\p{…}` works. `u` may be written; it changes nothing.
            var flags: ECMARegex.Flags = [.unicode]
            if let f = try c.string("flags") {
                do { flags.formUnion(try ECMARegex.Flags(letters: f)) } catch {
                    throw c.error("flags", "\(error.message); patterns always run in Unicode mode, as with JavaScript's u flag")
                }
            }
            let regex: ECMARegex
            do {
                regex = try ECMARegex(source, flags: flags, stepLimit: Int(try c.number("stepLimit") ?? 1_000_000))
            } catch {
                throw c.error("pattern", "\(error)")
            }
            full = try c.bool("full") ?? false
            pattern = SearchPattern(regex, whole: full)
            passMessage = full ? "fully matches /\(source)/" : "matches /\(source)/"
            failMessage = full ? "does not fully match /\(source)/" : "does not match /\(source)/"
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            do {
                let t = rule(s.text)
                let ok = full ? try pattern.wholeMatch(t) : try pattern.test(t)
                return ok ? .pass(passMessage) : .fail(failMessage)
            } catch {
                return .unevaluable("\(error)")
            }
        }
    }

    struct Length: ImmediateValidator {
        let min: Int?
        let max: Int?
        let rule: TextRule
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["min", "max", "normalize"])
            rule = try TextRule(c)
            func count(_ key: String) throws(SuiteError) -> Int? {
                guard let v = c.object[key] else { return nil }
                guard let n = v.numberValue, n.isInteger, let i = n.intValue, i >= 0 else {
                    throw c.error(key, "\"\(key)\" must be a whole number of characters (0 or more), found \(v)")
                }
                return i
            }
            min = try count("min")
            max = try count("max")
            if min == nil && max == nil { throw c.error(nil, "validator 'length' needs \"min\" and/or \"max\"") }
            if let min, let max, min > max { throw c.error("min", "\"min\" (\(min)) is greater than \"max\" (\(max)): no output can pass") }
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let n = rule(s.text).count
            if let min, n < min { return .fail("length \(n) is below the minimum \(min)") }
            if let max, n > max { return .fail("length \(n) is above the maximum \(max)") }
            return .pass("length \(n) is within bounds")
        }
    }

    /// Normalised Levenshtein similarity (1 − distance / longer length) against `value`.
    /// Normalised similarity ≥ `threshold`, or (with `maxDistance`) at most that many edits, as
    /// promptfoo's `levenshtein`; the similarity is the score either way.
    struct Similar: ImmediateValidator {
        let value: String
        let threshold: Double
        let maxDistance: Int?
        let rule: TextRule
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["value", "threshold", "maxDistance", "normalize"])
            rule = try TextRule(c)
            value = rule(try text(c, "value"))
            threshold = try c.number("threshold") ?? 0.8
            guard threshold >= 0 && threshold <= 1 else { throw c.error("threshold", "\"threshold\" must be between 0 and 1") }
            if let m = c.object["maxDistance"] {
                guard let n = m.intValue, n >= 0, m.numberValue?.isInteger == true else { throw c.error("maxDistance", "\"maxDistance\" must be a whole number of edits") }
                if c.object["threshold"] != nil { throw c.error("maxDistance", "give \"threshold\" or \"maxDistance\", not both") }
                maxDistance = n
            } else {
                maxDistance = nil
            }
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let t = rule(s.text)
            if let maxDistance {
                let d = distance(t, value)
                return CheckResult(pass: d <= maxDistance, score: similarity(t, value),
                                   message: "edit distance \(d) \(d <= maxDistance ? "≤" : ">") \(maxDistance)")
            }
            let sim = similarity(t, value)
            let shown = (sim * 1000).rounded() / 1000
            return CheckResult(pass: sim >= threshold, score: sim,
                               message: "similarity \(shown) \(sim >= threshold ? "≥" : "<") threshold \(threshold)")
        }
    }

    /// `similar` with `embedding: BACKEND_ID`: the output and `value` embedded through that
    /// backend's `/v1/embeddings` (cached like responses), compared by cosine similarity against
    /// `threshold` (default 0.8); the score is the cosine.
    struct EmbeddingSimilar: Validator {
        let value: String
        let threshold: Double
        let backend: String
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["value", "threshold", "embedding"])
            value = try text(c, "value")
            guard let b = try c.string("embedding"), !b.isEmpty else { throw c.error("embedding", "\"embedding\" must name a backend of the suite (an openai backend: /v1/embeddings)") }
            backend = b
            threshold = try c.number("threshold") ?? 0.8
            guard threshold >= -1 && threshold <= 1 else { throw c.error("threshold", "\"threshold\" is a cosine similarity, between -1 and 1") }
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            guard let access = ctx.grader else { return .unevaluable("no backends to embed with in this context") }
            switch await access.embed(backend, [s.text, value]) {
            case .failure(let e): return .unevaluable("embedding with '\(backend)': \(e.message)")
            case .success(let v):
                guard v.count == 2, v[0].count == v[1].count, !v[0].isEmpty else { return .unevaluable("backend '\(backend)' returned embeddings of different sizes") }
                let cos = TextValidators.cosine(v[0], v[1])
                let shown = (cos * 1000).rounded() / 1000
                return CheckResult(pass: cos >= threshold, score: max(0, cos), message: "cosine similarity \(shown) \(cos >= threshold ? "≥" : "<") threshold \(threshold) (embeddings: \(backend))")
            }
        }
    }

    /// The cosine of the angle between two vectors (0 when either is all zeros).
    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        return na == 0 || nb == 0 ? 0 : dot / (na.squareRoot() * nb.squareRoot())
    }

    /// 1 − Levenshtein distance / longer length, over grapheme clusters.
    static func similarity(_ a: String, _ b: String) -> Double {
        let longer = max(a.count, b.count)
        if longer == 0 { return 1 }
        return 1 - Double(distance(a, b)) / Double(longer)
    }

    /// Levenshtein distance over grapheme clusters.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }
}

extension String {
    /// Substring test on UTF-8 bytes: exact, unlike `contains`, which matches canonically
    /// equivalent text (normalisation is the validator's choice, not the standard library's).
    /// Python's `str.lower()`: the full lowercase mapping, with Σ as ς at the end of a word (after a
    /// cased letter, not before one).
    func pythonLowercased() -> String {
        let scalars = Array(unicodeScalars)
        var out = String.UnicodeScalarView()
        func cased(_ u: Unicode.Scalar) -> Bool { u.properties.isCased }
        func ignorable(_ u: Unicode.Scalar) -> Bool { u.properties.isCaseIgnorable }
        for (i, u) in scalars.enumerated() {
            if u == "\u{03A3}" {
                let before = scalars[..<i].reversed().first { !ignorable($0) }.map(cased) ?? false
                let after = scalars[(i + 1)...].first { !ignorable($0) }.map(cased) ?? false
                if before && !after { out.append("\u{03C2}"); continue }
            }
            out.append(contentsOf: u.properties.lowercaseMapping.unicodeScalars)
        }
        return String(out)
    }

    func utf8Contains(_ needle: String) -> Bool {
        if needle.isEmpty { return true }
        let h = Array(utf8), n = Array(needle.utf8)
        guard h.count >= n.count else { return false }
        for i in 0...(h.count - n.count) where h[i] == n[0] && h[i..<(i + n.count)].elementsEqual(n) { return true }
        return false
    }

    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
