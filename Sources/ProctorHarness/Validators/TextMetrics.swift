import Foundation

/// Reference-based text similarity, computed by Proctor itself to the definitions other tools use
/// (checked against them in the tests): sentence BLEU as sacrebleu computes it (13a tokens, up to
/// 4-grams, exponential smoothing, effective order), sentence GLEU as NLTK computes it (whitespace
/// tokens, 1- to 4-grams), and ROUGE-N and ROUGE-L F-measures as Google's `rouge_score` computes
/// them (lowercased alphanumeric tokens, no stemming), and `fuzzy` as rapidfuzz's `WRatio` with its
/// default processor computes it (see `FuzzyRatio`). Each is a score in 0…1.
public enum TextMetrics {
    /// The metrics by the name a validator gives.
    public static let names = ["bleu", "gleu", "fuzzy", "rouge1", "rouge2", "rouge3", "rouge4", "rouge5", "rougeL"]

    /// Whether METEOR can be computed here: WordNet 3.0 is in one of the folders a `meteor` check
    /// searches (`home` is `HOME`, for NLTK's downloader's folder).
    public static func meteorAvailable(home: String?) -> Bool { WordNet.find(home: home) != nil }

    /// `metric` of `candidate` against `reference`; nil for an unknown metric name.
    public static func score(_ metric: String, candidate: String, reference: String) -> Double? {
        switch metric {
        case "bleu": return bleu(candidate, reference)
        case "gleu": return gleu(candidate, reference)
        case "fuzzy": return FuzzyRatio.wRatio(candidate, reference)
        case "rougeL": return rougeL(candidate, reference)
        default:
            guard metric.hasPrefix("rouge"), let n = Int(metric.dropFirst(5)), (1...5).contains(n) else { return nil }
            return rougeN(candidate, reference, n: n)
        }
    }

    // MARK: BLEU

    /// sacrebleu's 13a tokenization: punctuation split off, periods and commas too unless between
    /// digits, a dash after a digit; then whitespace.
    static func tokens13a(_ text: String) -> [String] {
        var s = text.replacingOccurrences(of: "<skipped>", with: "").replacingOccurrences(of: "-\n", with: "").replacingOccurrences(of: "\n", with: " ")
        if s.contains("&") {
            s = s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        }
        // sacrebleu pads the line with a space on each side before its rules run.
        let chars = Array((" " + s + " ").unicodeScalars)
        func isPunct(_ c: Unicode.Scalar) -> Bool {
            let v = c.value
            return (0x7B...0x7E).contains(v) || (0x5B...0x60).contains(v) || (0x20...0x26).contains(v) || (0x28...0x2B).contains(v)
                || (0x3A...0x40).contains(v) || v == 0x2F
        }
        func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { (0x30...0x39).contains($0.value) } ?? false }
        // The four rules of mteval-v13a, applied in order as sacrebleu applies its regexes.
        var pass1 = String.UnicodeScalarView()
        for c in chars {
            if isPunct(c) { pass1.append(" "); pass1.append(c); pass1.append(" ") } else { pass1.append(c) }
        }
        let a = Array(pass1)
        var pass2 = String.UnicodeScalarView()
        var i = 0
        // `([^0-9])([\.,])` → `\1 \2 `, then `([\.,])([^0-9])` → ` \1 \2`, then `([0-9])(-)` → `\1 \2 `.
        var s2: [Unicode.Scalar] = []
        while i < a.count {
            if i + 1 < a.count, !isDigit(a[i]), a[i + 1] == "." || a[i + 1] == "," {
                s2 += [a[i], " ", a[i + 1], " "]
                i += 2
            } else { s2.append(a[i]); i += 1 }
        }
        var s3: [Unicode.Scalar] = []
        i = 0
        while i < s2.count {
            if i + 1 < s2.count, s2[i] == "." || s2[i] == ",", !isDigit(s2[i + 1]) {
                s3 += [" ", s2[i], " ", s2[i + 1]]
                i += 2
            } else { s3.append(s2[i]); i += 1 }
        }
        i = 0
        while i < s3.count {
            if i + 1 < s3.count, isDigit(s3[i]), s3[i + 1] == "-" {
                pass2.append(s3[i]); pass2.append(" "); pass2.append("-"); pass2.append(" ")
                i += 2
            } else { pass2.append(s3[i]); i += 1 }
        }
        return String(pass2).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
    }

    static func ngrams(_ tokens: [String], _ n: Int) -> [String: Int] {
        var out: [String: Int] = [:]
        guard tokens.count >= n else { return out }
        for i in 0...(tokens.count - n) { out[tokens[i..<(i + n)].joined(separator: "\u{1}"), default: 0] += 1 }
        return out
    }

    /// Sentence BLEU (0…1) as sacrebleu's `sentence_bleu` computes it.
    public static func bleu(_ candidate: String, _ reference: String) -> Double {
        let hyp = tokens13a(candidate), ref = tokens13a(reference)
        var precisions = [Double](repeating: 0, count: 4)
        var smooth = 1.0
        var order = 4
        let counts = (1...4).map { n -> (total: Int, correct: Int) in
            let h = ngrams(hyp, n), r = ngrams(ref, n)
            return (h.values.reduce(0, +), h.reduce(0) { $0 + min($1.value, r[$1.key] ?? 0) })
        }
        // No n-gram in common at all: 0 (sacrebleu stops early here, before any smoothing).
        if counts.allSatisfy({ $0.correct == 0 }) { return 0 }
        for n in 1...4 {
            let (total, correct) = counts[n - 1]
            if total == 0 { break }
            order = n
            if correct == 0 {
                smooth *= 2
                precisions[n - 1] = 100 / (smooth * Double(total))
            } else {
                precisions[n - 1] = 100 * Double(correct) / Double(total)
            }
        }
        let sys = Double(hyp.count), refLen = Double(ref.count)
        guard sys > 0 else { return 0 }
        let bp = sys < refLen ? exp(1 - refLen / sys) : 1
        let logs = precisions[..<order].map { $0 > 0 ? log($0) : -9_999_999_999 }
        return bp * exp(logs.reduce(0, +) / Double(order)) / 100
    }

    // MARK: GLEU

    /// Sentence GLEU (0…1) as NLTK's `sentence_gleu` computes it: over 1- to 4-grams of whitespace
    /// tokens, the matched n-grams over the larger of the candidate's and the reference's counts.
    public static func gleu(_ candidate: String, _ reference: String) -> Double {
        let hyp = candidate.split(whereSeparator: \.isWhitespace).map(String.init), ref = reference.split(whereSeparator: \.isWhitespace).map(String.init)
        var matched = 0, all = 0
        for n in 1...4 {
            let h = ngrams(hyp, n), r = ngrams(ref, n)
            let tp = h.reduce(0) { $0 + min($1.value, r[$1.key] ?? 0) }
            matched += tp
            all += max(h.values.reduce(0, +), r.values.reduce(0, +))
        }
        return all == 0 ? 0 : Double(matched) / Double(all)
    }

    // MARK: ROUGE

    /// rouge_score's tokens: lowercased, every run of characters other than a–z and 0–9 a separator.
    static func rougeTokens(_ text: String) -> [String] {
        text.lowercased().unicodeScalars.split(whereSeparator: { !((0x61...0x7A).contains($0.value) || (0x30...0x39).contains($0.value)) })
            .map { String(String.UnicodeScalarView($0)) }
    }

    static func f1(_ overlap: Int, _ hyp: Int, _ ref: Int) -> Double {
        guard hyp > 0, ref > 0, overlap > 0 else { return 0 }
        let p = Double(overlap) / Double(hyp), r = Double(overlap) / Double(ref)
        return 2 * p * r / (p + r)
    }

    /// ROUGE-N F-measure.
    public static func rougeN(_ candidate: String, _ reference: String, n: Int) -> Double {
        let h = ngrams(rougeTokens(candidate), n), r = ngrams(rougeTokens(reference), n)
        let overlap = h.reduce(0) { $0 + min($1.value, r[$1.key] ?? 0) }
        return f1(overlap, h.values.reduce(0, +), r.values.reduce(0, +))
    }

    /// ROUGE-L F-measure: the longest common subsequence of tokens.
    public static func rougeL(_ candidate: String, _ reference: String) -> Double {
        let h = rougeTokens(candidate), r = rougeTokens(reference)
        guard !h.isEmpty, !r.isEmpty else { return 0 }
        var prev = [Int](repeating: 0, count: r.count + 1), cur = prev
        for i in 1...h.count {
            for j in 1...r.count { cur[j] = h[i - 1] == r[j - 1] ? prev[j - 1] + 1 : max(prev[j], cur[j - 1]) }
            swap(&prev, &cur)
        }
        return f1(prev[r.count], h.count, r.count)
    }
}
