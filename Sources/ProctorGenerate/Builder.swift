import ProctorJSON
import ProctorRegex
import ProctorSupport

/// Builds one candidate instance: the schema is flattened (references followed, `allOf` merged,
/// one `anyOf`/`oneOf` branch and one `if` path chosen), then a value of one allowed type is made
/// from the merged keywords. Choices cycle with the instance index, so a run covers them.
struct Builder {
    let root: JSONValue
    var rng: SplitMix
    let index: Int
    /// Compiled patterns, shared by every attempt of one run.
    let patterns: PatternCache

    static let maxDepth = 10

    /// A choice among n at `ptr`: round robin by instance index, offset per location.
    mutating func pick(_ n: Int, _ ptr: String) -> Int {
        guard n > 1 else { return 0 }
        if index < 64 {
            var h: UInt64 = 1469598103934665603
            for b in ptr.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
            return (index + Int(h % 97)) % n
        }
        return rng.int(n)
    }

    func fail(_ ptr: String, _ m: String) -> GenerateError { GenerateError(pointer: ptr, m) }

    func resolve(_ ref: String, _ ptr: String) throws(GenerateError) -> JSONValue {
        var v = root
        for seg in ref.dropFirst().split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let s = String(seg).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if case .object(let o) = v, let x = o[s] { v = x; continue }
            if case .array(let a) = v, let k = Int(s), k >= 0, k < a.count { v = a[k]; continue }
            throw fail(ptr, "\"$ref\": \"\(ref)\" points to nothing")
        }
        return v
    }

    /// The objects whose keywords all hold for the value (after choices), innermost last.
    mutating func flatten(_ s: JSONValue, _ ptr: String, _ parts: inout [JSONObject], _ depth: Int) throws(GenerateError) {
        guard depth < 40 else { throw fail(ptr, "references nest too deep") }
        switch s {
        case .bool(true): return
        case .bool(false): throw fail(ptr, "false allows nothing")
        case .object(let o):
            if let r = o["$ref"]?.stringValue { try flatten(try resolve(r, ptr), ptr + "/$ref", &parts, depth + 1) }
            if case .array(let xs)? = o["allOf"] { for (i, x) in xs.enumerated() { try flatten(x, ptr + "/allOf/\(i)", &parts, depth + 1) } }
            for word in ["anyOf", "oneOf"] {
                if case .array(let xs)? = o[word], !xs.isEmpty {
                    let k = pick(xs.count, ptr + "/" + word)
                    try flatten(xs[k], ptr + "/\(word)/\(k)", &parts, depth + 1)
                }
            }
            if let cond = o["if"] {
                if pick(2, ptr + "/if") == 0 {
                    try flatten(cond, ptr + "/if", &parts, depth + 1)
                    if let t = o["then"] { try flatten(t, ptr + "/then", &parts, depth + 1) }
                } else if let e = o["else"] {
                    try flatten(e, ptr + "/else", &parts, depth + 1)
                }
            }
            parts.append(o)
        default:
            throw fail(ptr, "a schema must be an object or a boolean")
        }
    }

    mutating func value(_ s: JSONValue, _ ptr: String, depth: Int) throws(GenerateError) -> JSONValue {
        guard depth < Self.maxDepth else { throw fail(ptr, "the schema nests deeper than \(Self.maxDepth) levels here") }
        var parts: [JSONObject] = []
        try flatten(s, ptr, &parts, 0)
        return try value(parts: parts, ptr, depth: depth)
    }

    mutating func value(parts: [JSONObject], _ ptr: String, depth: Int) throws(GenerateError) -> JSONValue {
        var literals: [JSONValue]? = nil
        for p in parts {
            var here: [JSONValue]? = p["enum"]?.arrayValue
            if let c = p["const"] { here = (here ?? [c]).filter { $0 == c } }
            if let here { literals = literals.map { l in l.filter { here.contains($0) } } ?? here }
        }
        if let literals {
            guard !literals.isEmpty else { throw fail(ptr, "enum/const allow nothing together") }
            return literals[pick(literals.count, ptr + "/enum")]
        }
        var types: [String] = ["null", "boolean", "object", "array", "string", "integer", "number"]
        var typed = false
        for p in parts {
            guard let t = p["type"] else { continue }
            typed = true
            let names = t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue)
            types = types.filter { names.contains($0) || ($0 == "integer" && names.contains("number")) }
        }
        if !typed {
            // Keywords hint at the intended type.
            let keys = Set(parts.flatMap(\.keys))
            var hinted: [String] = []
            if !keys.isDisjoint(with: ["properties", "required", "additionalProperties", "patternProperties", "minProperties", "maxProperties", "dependentRequired"]) { hinted.append("object") }
            if !keys.isDisjoint(with: ["items", "prefixItems", "contains", "minItems", "maxItems", "uniqueItems"]) { hinted.append("array") }
            if !keys.isDisjoint(with: ["minLength", "maxLength", "pattern", "format"]) { hinted.append("string") }
            if !keys.isDisjoint(with: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]) { hinted.append("number") }
            if !hinted.isEmpty { types = hinted }
        }
        guard !types.isEmpty else { throw fail(ptr + "/type", "the types allowed here have nothing in common") }
        switch types[pick(types.count, ptr + "/type")] {
        case "null": return .null
        case "boolean": return .bool(pick(2, ptr + "/bool") == 0)
        case "object": return try object(parts, ptr, depth)
        case "array": return try array(parts, ptr, depth)
        case "string": return try string(parts, ptr)
        case "integer": return try number(parts, ptr, integer: true)
        default: return try number(parts, ptr, integer: rng.chance(0.3))
        }
    }

    // MARK: - Objects

    mutating func object(_ parts: [JSONObject], _ ptr: String, _ depth: Int) throws(GenerateError) -> JSONValue {
        var declared: [String] = []
        var required: Set<String> = []
        var minP = 0, maxP = Int.max
        var deps: [String: [String]] = [:]
        var patterns: [(String, JSONValue)] = []
        var extrasAllowed = true
        var names: [JSONValue] = []
        for p in parts {
            for (k, _) in p["properties"]?.objectValue ?? JSONObject() where !declared.contains(k) { declared.append(k) }
            for r in p["required"]?.arrayValue ?? [] { if let s = r.stringValue { required.insert(s) } }
            if let n = p["minProperties"]?.intValue { minP = max(minP, n) }
            if let n = p["maxProperties"]?.intValue { maxP = min(maxP, n) }
            for (k, v) in p["dependentRequired"]?.objectValue ?? JSONObject() { deps[k, default: []] += (v.arrayValue ?? []).compactMap(\.stringValue) }
            for (pat, v) in p["patternProperties"]?.objectValue ?? JSONObject() { patterns.append((pat, v)) }
            if p["additionalProperties"] == .bool(false) { extrasAllowed = false }
            if let n = p["propertyNames"] { names.append(n) }
        }
        var keys: [String] = declared.filter { required.contains($0) }
        for r in required.sorted() where !keys.contains(r) { keys.append(r) }
        for k in declared where !keys.contains(k) && keys.count < maxP {
            if pick(2, ptr + "/properties/" + k) == 0 { keys.append(k) }
        }
        // dependentRequired: a present key brings its dependents.
        var i = 0
        while i < keys.count {
            for d in deps[keys[i]] ?? [] where !keys.contains(d) { keys.append(d) }
            i += 1
        }
        // Extra keys: from patternProperties, or free names where additionalProperties allows them.
        var extra = 0
        while keys.count < minP || (keys.count < maxP && extra == 0 && pick(3, ptr + "/extra") == 2) {
            extra += 1
            if !patterns.isEmpty, let dfa = try? self.patterns.dfa([patterns[rng.int(patterns.count)].0]), let name = Builder.sample(dfa, minLength: 1, maxLength: 12, rng: &rng),
               !keys.contains(name) {
                keys.append(name)
            } else if extrasAllowed {
                // propertyNames: an extra key is a string of that schema.
                var name = "x\(rng.int(1000))"
                if !names.isEmpty, case .string(let s) = try value(.object(JSONObject([("allOf", .array(names)), ("type", "string")])), ptr + "/propertyNames", depth: depth + 1) {
                    name = s
                }
                if !keys.contains(name) { keys.append(name) }
            } else if keys.count < minP {
                throw fail(ptr + "/minProperties", "cannot add more properties here")
            } else { break }
            if extra > 20 { break }
        }
        var out = JSONObject()
        for k in keys {
            var sub: [JSONObject] = []
            for p in parts {
                let esc = JSONPointer.escape(k)
                if let v = p["properties"]?[k] { try flatten(v, ptr + "/properties/" + esc, &sub, 0); continue }
                var any = false
                for (pat, v) in p["patternProperties"]?.objectValue ?? JSONObject() {
                    if let re = try? ECMARegex(pat), (try? re.test(k)) == true { any = true; try flatten(v, ptr + "/patternProperties/" + JSONPointer.escape(pat), &sub, 0) }
                }
                if any { continue }
                if let a = p["additionalProperties"] { try flatten(a, ptr + "/additionalProperties", &sub, 0) }
            }
            out[k] = try value(parts: sub, ptr + "/properties/" + JSONPointer.escape(k), depth: depth + 1)
        }
        return .object(out)
    }

    // MARK: - Arrays

    mutating func array(_ parts: [JSONObject], _ ptr: String, _ depth: Int) throws(GenerateError) -> JSONValue {
        var minI = 0, maxI = Int.max
        var unique = false
        var prefixCount = 0
        var containsParts: [JSONValue] = []
        var minC = 1, maxC = Int.max
        for p in parts {
            if let n = p["minItems"]?.intValue { minI = max(minI, n) }
            if let n = p["maxItems"]?.intValue { maxI = min(maxI, n) }
            if p["uniqueItems"] == .bool(true) { unique = true }
            let prefix = p["prefixItems"]?.arrayValue ?? p["items"]?.arrayValue
            if let prefix {
                prefixCount = max(prefixCount, prefix.count)
                let rest = p["prefixItems"] != nil ? p["items"] : p["additionalItems"]
                if rest == .bool(false) { maxI = min(maxI, prefix.count) }
            } else if p["items"] == .bool(false) { maxI = min(maxI, 0) }
            if let c = p["contains"] { containsParts.append(c) }
            if let n = p["minContains"]?.intValue { minC = n }
            if let n = p["maxContains"]?.intValue { maxC = min(maxC, n) }
        }
        if !containsParts.isEmpty { minI = max(minI, minC) }
        guard minI <= maxI else { throw fail(ptr + "/minItems", "minItems exceeds maxItems") }
        let upper = min(maxI, max(minI, prefixCount) + 3)
        let n = minI + rng.int(max(1, upper - minI + 1))
        // Positions that take the contains schema.
        var containAt: Set<Int> = []
        if !containsParts.isEmpty {
            let want = min(max(minC, 1), n)
            var tries = 0
            while containAt.count < min(want, maxC) && tries < 100 { containAt.insert(rng.int(n)); tries += 1 }
        }
        var items: [JSONValue] = []
        for i in 0..<n {
            var sub: [JSONObject] = []
            for p in parts {
                let prefix = p["prefixItems"]?.arrayValue ?? p["items"]?.arrayValue
                if let prefix {
                    if i < prefix.count { try flatten(prefix[i], ptr + "/prefixItems/\(i)", &sub, 0) } else if let rest = p["prefixItems"] != nil ? p["items"] : p["additionalItems"] { try flatten(rest, ptr + "/items", &sub, 0) }
                } else if let it = p["items"] {
                    try flatten(it, ptr + "/items", &sub, 0)
                }
            }
            if containAt.contains(i) { for c in containsParts { try flatten(c, ptr + "/contains", &sub, 0) } }
            var v = try value(parts: sub, ptr + "/items", depth: depth + 1)
            var tries = 0
            while unique && items.contains(v) && tries < 20 {
                var b2 = Builder(root: root, rng: SplitMix(seed: rng.next()), index: index + 1000 + tries, patterns: patterns)
                v = try b2.value(parts: sub, ptr + "/items", depth: depth + 1)
                tries += 1
            }
            items.append(v)
        }
        return .array(items)
    }

    // MARK: - Strings

    mutating func string(_ parts: [JSONObject], _ ptr: String) throws(GenerateError) -> JSONValue {
        var minL = 0, maxL = Int.max
        var patterns: [String] = []
        var format: String? = nil
        for p in parts {
            if let n = p["minLength"]?.intValue { minL = max(minL, n) }
            if let n = p["maxLength"]?.intValue { maxL = min(maxL, n) }
            if let s = p["pattern"]?.stringValue { patterns.append(s) }
            if let f = p["format"]?.stringValue { format = f }
        }
        guard minL <= maxL else { throw fail(ptr + "/minLength", "minLength exceeds maxLength") }
        if let format { return .string(formatted(format)) }
        if !patterns.isEmpty {
            let dfa: RegexDFA
            do { dfa = try self.patterns.dfa(patterns) } catch {
                throw fail(ptr + "/pattern", "the pattern cannot be generated from: \(error.message)")
            }
            guard let s = Builder.sample(dfa, minLength: minL, maxLength: min(maxL, minL + 40), rng: &rng) else {
                throw fail(ptr + "/pattern", "no string of the allowed length matches")
            }
            return .string(s)
        }
        let len = minL + rng.int(max(1, min(maxL, minL + 8) - minL + 1))
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return .string(String((0..<len).map { _ in letters[rng.int(letters.count)] }))
    }

    /// A random string the automaton accepts, of length within bounds: a walk that, once long
    /// enough, heads for acceptance along shortest paths.
    static func sample(_ dfa: RegexDFA, minLength: Int, maxLength: Int, rng: inout SplitMix) -> String? {
        guard dfa.start >= 0 else { return nil }
        // Distance (in characters) from each state to acceptance.
        var dist = [Int](repeating: Int.max, count: dfa.stateCount)
        for s in 0..<dfa.stateCount where dfa.accepting[s] { dist[s] = 0 }
        var changed = true
        while changed {
            changed = false
            for s in 0..<dfa.stateCount {
                for i in 0..<dfa.intervalCount {
                    let t = dfa.step(s, interval: i)
                    if t >= 0, dist[t] < Int.max, dist[t] + 1 < dist[s] { dist[s] = dist[t] + 1; changed = true }
                }
            }
        }
        let target = minLength + rng.int(max(1, min(maxLength, minLength + 10) - minLength + 1))
        var s = dfa.start
        var out = ""
        var n = 0
        while n < maxLength + 1 {
            if dfa.accepting[s] && n >= target { return out }
            var options: [Int] = []
            for i in 0..<dfa.intervalCount {
                let t = dfa.step(s, interval: i)
                guard t >= 0 else { continue }
                if n >= target && dist[t] >= dist[s] { continue }
                if n + 1 + dist[t] > maxLength { continue }
                options.append(i)
            }
            guard !options.isEmpty else { return dfa.accepting[s] && n >= minLength ? out : nil }
            // Prefer intervals with printable ASCII.
            let printable = options.filter { dfa.intervalStarts[$0] <= 0x7E && dfa.intervalEnd($0) >= 0x21 }
            let i = (printable.isEmpty ? options : printable)[rng.int((printable.isEmpty ? options : printable).count)]
            var lo = dfa.intervalStarts[i], hi = dfa.intervalEnd(i)
            if lo <= 0x7E && hi >= 0x21 { lo = max(lo, 0x21); hi = min(hi, 0x7E) }
            var c = lo + UInt32(rng.int(Int(min(hi - lo, 1000)) + 1))
            if (0xD800...0xDFFF).contains(c) { c = 0xE000 }
            guard let u = Unicode.Scalar(c) else { return nil }
            out.unicodeScalars.append(u)
            s = dfa.step(s, interval: i)
            n += 1
        }
        return nil
    }

    mutating func formatted(_ f: String) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let hex = Array("0123456789abcdef")
        func hx(_ n: Int) -> String { String((0..<n).map { _ in hex[rng.int(16)] }) }
        let date = "\(1970 + rng.int(80))-\(two(1 + rng.int(12)))-\(two(1 + rng.int(28)))"
        let time = "\(two(rng.int(24))):\(two(rng.int(60))):\(two(rng.int(60)))Z"
        switch f {
        case "date": return date
        case "time": return time
        case "date-time": return date + "T" + time
        case "email": return "user\(rng.int(1000))@example.com"
        case "uri": return "https://example.com/item/\(rng.int(10000))"
        case "uuid": return "\(hx(8))-\(hx(4))-4\(hx(3))-\(["8", "9", "a", "b"][rng.int(4)])\(hx(3))-\(hx(12))"
        case "ipv4": return (0..<4).map { _ in String(rng.int(256)) }.joined(separator: ".")
        case "ipv6": return "2001:db8:\(hx(4)):\(hx(4))::\(hx(3))"
        default: return "host\(rng.int(1000)).example.com"
        }
    }

    // MARK: - Numbers

    mutating func number(_ parts: [JSONObject], _ ptr: String, integer: Bool) throws(GenerateError) -> JSONValue {
        var lo = -Double.infinity, hi = Double.infinity
        var loEx = false, hiEx = false
        var multiple: JSONNumber? = nil
        for p in parts {
            if let v = p["minimum"]?.doubleValue, v >= lo { lo = v; loEx = false }
            if let v = p["exclusiveMinimum"]?.doubleValue, v >= lo { lo = v; loEx = true }
            if let v = p["maximum"]?.doubleValue, v <= hi { hi = v; hiEx = false }
            if let v = p["exclusiveMaximum"]?.doubleValue, v <= hi { hi = v; hiEx = true }
            if let m = p["multipleOf"]?.numberValue { multiple = m }
        }
        // Unbounded sides: a window of 2,000 beside the other bound (or around 0).
        switch (lo.isFinite, hi.isFinite) {
        case (false, false): lo = -1000; hi = 1000
        case (true, false): hi = lo + 2000
        case (false, true): lo = hi - 2000
        default: break
        }
        if let m = multiple {
            // value = m × k for an integer k in range, written exactly from m's decimal text.
            let md = m.double
            guard md > 0 else { throw fail(ptr + "/multipleOf", "multipleOf must be positive") }
            var kLo = (lo / md).rounded(.up), kHi = (hi / md).rounded(.down)
            if loEx && kLo * md <= lo { kLo += 1 }
            if hiEx && kHi * md >= hi { kHi -= 1 }
            guard kLo <= kHi, abs(kLo) < 1e12, abs(kHi) < 1e12 else { throw fail(ptr + "/multipleOf", "no multiple within the bounds") }
            let k = Int(kLo) + rng.int(Int(min(kHi - kLo, 1000)) + 1)
            return .number(Builder.times(m, k))
        }
        if integer {
            var a = lo.rounded(.up), b = hi.rounded(.down)
            if loEx && a <= lo { a += 1 }
            if hiEx && b >= hi { b -= 1 }
            guard a <= b else { throw fail(ptr + "/minimum", "no integer within the bounds") }
            return .number(JSONNumber(Int(a) + rng.int(Int(min(b - a, 100_000)) + 1)))
        }
        let span = hi - lo
        var v = lo + Double(rng.int(1_000_000)) / 1_000_000 * span
        v = (v * 100).rounded() / 100
        if (loEx && v <= lo) || v < lo { v = lo + span / 2 }
        if (hiEx && v >= hi) || v > hi { v = lo + span / 2 }
        return .number(JSONNumber(v))
    }

    /// m × k, exactly, as number text.
    static func times(_ m: JSONNumber, _ k: Int) -> JSONNumber {
        let d = m.decimal
        var digits = 0
        for x in d.digits { digits = digits * 10 + Int(x) }
        let product = digits * k
        var text = String(abs(product))
        if d.exponent >= 0 {
            if product != 0 { text += String(repeating: "0", count: d.exponent) }
        } else {
            let places = -d.exponent
            if text.count <= places { text = String(repeating: "0", count: places - text.count + 1) + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -places))
        }
        return JSONNumber(text: (product < 0 ? "-" : "") + text) ?? JSONNumber(0)
    }
}

/// Pattern automata by pattern list, built once per run (one run is one thread; not shared).
final class PatternCache {
    var map: [[String]: RegexDFA] = [:]
    func dfa(_ patterns: [String]) throws(RegexDFAError) -> RegexDFA {
        if let d = map[patterns] { return d }
        var d = try RegexDFA(pattern: patterns[0])
        for p in patterns.dropFirst() { d = try RegexDFA.intersection(d, try RegexDFA(pattern: p)) }
        map[patterns] = d
        return d
    }
}
