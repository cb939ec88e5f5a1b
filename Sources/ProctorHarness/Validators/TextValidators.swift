import ProctorJSON
import ProctorRegex

/// Text checks: equals, contains, icontains, contains-any, contains-all, starts-with, ends-with,
/// one-of, regex, length, similar.
enum TextValidators {
    static let factories: [String: ValidatorFactory] = [
        "equals": { c throws(SuiteError) in try Equals(c) },
        "contains": { c throws(SuiteError) in try Contains(c, caseInsensitive: false) },
        "icontains": { c throws(SuiteError) in try Contains(c, caseInsensitive: true) },
        "contains-any": { c throws(SuiteError) in try ContainsSet(c, all: false) },
        "contains-all": { c throws(SuiteError) in try ContainsSet(c, all: true) },
        "starts-with": { c throws(SuiteError) in try Affix(c, prefix: true) },
        "ends-with": { c throws(SuiteError) in try Affix(c, prefix: false) },
        "one-of": { c throws(SuiteError) in try OneOf(c) },
        "regex": { c throws(SuiteError) in try RegexValidator(c) },
        "length": { c throws(SuiteError) in try Length(c) },
        "similar": { c throws(SuiteError) in try Similar(c) },
    ]

    static func quote(_ s: String, limit: Int = 80) -> String {
        let q = JSONSerializer.quote(s)
        return q.count <= limit ? q : String(q.prefix(limit - 1)) + "…\""
    }

    static func text(_ c: ValidatorConfig, _ key: String) throws(SuiteError) -> String {
        guard let s = try c.string(key) else { throw c.error(nil, "validator '\(c.type)' needs \"\(key)\" (a string)") }
        return s
    }

    /// Exact match: text against a string `value`, JSON value against a non-string `value` (1 == 1.0).
    struct Equals: Validator {
        let value: JSONValue
        let trim: Bool
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["value", "trim"])
            value = try c.required("value")
            trim = try c.bool("trim") ?? false
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            if case .string(let want) = value {
                let got = trim ? s.text.trimmingWhitespace : s.text
                let w = trim ? want.trimmingWhitespace : want
                return got.utf8.elementsEqual(w.utf8) ? .pass("equals \(quote(w))") : .fail("expected \(quote(w)), got \(quote(got))")
            }
            guard let v = s.value else { return .fail("expected the JSON value \(JSONSerializer.string(value)), but the output is not JSON") }
            return v == value ? .pass("equals \(JSONSerializer.string(value))")
                : .fail("expected \(JSONSerializer.string(value)), got \(quote(JSONSerializer.string(v)))")
        }
    }

    struct Contains: Validator {
        let needle: String
        let caseInsensitive: Bool
        init(_ c: ValidatorConfig, caseInsensitive: Bool) throws(SuiteError) {
            try c.allowKeys(["value"])
            needle = try text(c, "value")
            self.caseInsensitive = caseInsensitive
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let hit = caseInsensitive ? s.text.lowercased().contains(needle.lowercased()) : s.text.contains(needle)
            return hit ? .pass("contains \(quote(needle))") : .fail("does not contain \(quote(needle))")
        }
    }

    struct ContainsSet: Validator {
        let values: [String]
        let all: Bool
        init(_ c: ValidatorConfig, all: Bool) throws(SuiteError) {
            try c.allowKeys(["values"])
            values = try c.strings("values")
            self.all = all
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let found = values.filter { s.text.contains($0) }
            if all {
                let missing = values.filter { !s.text.contains($0) }
                return missing.isEmpty ? .pass("contains all \(values.count) values")
                    : CheckResult(pass: false, score: Double(found.count) / Double(values.count),
                                  message: "missing " + missing.map { quote($0) }.joined(separator: ", "))
            }
            return found.isEmpty ? .fail("contains none of " + values.map { quote($0) }.joined(separator: ", "))
                : .pass("contains \(quote(found[0]))")
        }
    }

    struct Affix: Validator {
        let value: String
        let prefix: Bool
        init(_ c: ValidatorConfig, prefix: Bool) throws(SuiteError) {
            try c.allowKeys(["value"])
            value = try text(c, "value")
            self.prefix = prefix
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let ok = prefix ? s.text.hasPrefix(value) : s.text.hasSuffix(value)
            let word = prefix ? "starts" : "ends"
            return ok ? .pass("\(word) with \(quote(value))") : .fail("does not \(prefix ? "start" : "end") with \(quote(value))")
        }
    }

    struct OneOf: Validator {
        let values: [String]
        let trim: Bool
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["values", "trim"])
            values = try c.strings("values")
            trim = try c.bool("trim") ?? true
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let t = trim ? s.text.trimmingWhitespace : s.text
            return values.contains(where: { $0.utf8.elementsEqual(t.utf8) }) ? .pass("is \(quote(t))")
                : .fail("\(quote(t)) is not one of " + values.map { quote($0) }.joined(separator: ", "))
        }
    }

    struct RegexValidator: Validator {
        let regex: ECMARegex
        let full: Bool
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["pattern", "flags", "full", "stepLimit"])
            let pattern = try text(c, "pattern")
            var flags: ECMARegex.Flags = [.unicode]
            if let f = try c.string("flags") {
                do { flags.formUnion(try ECMARegex.Flags(letters: f)) } catch { throw c.error("flags", "\(error.message)") }
            }
            do {
                regex = try ECMARegex(pattern, flags: flags, stepLimit: Int(try c.number("stepLimit") ?? 1_000_000))
            } catch {
                throw c.error("pattern", "\(error)")
            }
            full = try c.bool("full") ?? false
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            do {
                let ok = full ? try regex.wholeMatch(s.text) : try regex.test(s.text)
                let what = full ? "fully matches" : "matches"
                return ok ? .pass("\(what) /\(regex.pattern)/") : .fail("does not \(full ? "fully " : "")match /\(regex.pattern)/")
            } catch {
                return .fail("\(error)")
            }
        }
    }

    struct Length: Validator {
        let min: Int?
        let max: Int?
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["min", "max"])
            min = try c.number("min").map { Int($0) }
            max = try c.number("max").map { Int($0) }
            if min == nil && max == nil { throw c.error(nil, "validator 'length' needs \"min\" and/or \"max\"") }
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let n = s.text.count
            if let min, n < min { return .fail("length \(n) is below the minimum \(min)") }
            if let max, n > max { return .fail("length \(n) is above the maximum \(max)") }
            return .pass("length \(n) is within bounds")
        }
    }

    /// Normalised Levenshtein similarity (1 − distance / longer length) against `value`.
    struct Similar: Validator {
        let value: String
        let threshold: Double
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["value", "threshold"])
            value = try text(c, "value")
            threshold = try c.number("threshold") ?? 0.8
            guard threshold >= 0 && threshold <= 1 else { throw c.error("threshold", "\"threshold\" must be between 0 and 1") }
        }
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            let sim = similarity(s.text, value)
            let shown = (sim * 1000).rounded() / 1000
            return CheckResult(pass: sim >= threshold, score: sim,
                               message: "similarity \(shown) \(sim >= threshold ? "≥" : "<") threshold \(threshold)")
        }
    }

    static func similarity(_ a: String, _ b: String) -> Double {
        let longer = max(a.unicodeScalars.count, b.unicodeScalars.count)
        if longer == 0 { return 1 }
        return 1 - Double(Suggestions.editDistance(a, b)) / Double(longer)
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
