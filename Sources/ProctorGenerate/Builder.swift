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

    /// Past this depth the builder heads for the shortest instance: required properties only,
    /// the fewest items, and `anyOf`/`oneOf` branches that do not recurse, so recursive schemas end.
    static let shallowDepth = 6
    /// Nesting no instance goes beyond.
    static let maxDepth = 24
    /// The nesting of the value being built (set by `value`), read by the choices above.
    var depth = 0
    var shallow: Bool { depth >= Self.shallowDepth }

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
                    var k = pick(xs.count, ptr + "/" + word)
                    if shallow, Self.recurses(xs[k]), let flat = xs.indices.first(where: { !Self.recurses(xs[$0]) }) { k = flat }
                    try flatten(xs[k], ptr + "/\(word)/\(k)", &parts, depth + 1)
                    if word == "oneOf" && xs.count > 1 {
                        // Exactly one branch: leave out the optional properties the other branches require.
                        var others: [JSONValue] = []
                        for (j, x) in xs.enumerated() where j != k {
                            var b = x
                            for _ in 0..<3 { if let r = b.objectValue?["$ref"]?.stringValue, let t = try? resolve(r, ptr) { b = t } else { break } }
                            if let req = b.objectValue?["required"] { others.append(.object(JSONObject([("required", req)]))) }
                        }
                        if !others.isEmpty { parts.append(JSONObject([("not", .object(JSONObject([("anyOf", .array(others))])))])) }
                    }
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

    /// Whether a branch leads through a reference (which may come back here): avoided when shallow.
    static func recurses(_ s: JSONValue) -> Bool {
        guard case .object(let o) = s else { return false }
        if o["$ref"] != nil { return true }
        for k in ["properties", "items", "prefixItems", "allOf", "anyOf", "oneOf", "additionalProperties", "patternProperties"] {
            if let v = o[k], JSONSerializer.string(v).contains("\"$ref\"") { return true }
        }
        return false
    }

    mutating func value(_ s: JSONValue, _ ptr: String, depth: Int) throws(GenerateError) -> JSONValue {
        guard depth < Self.maxDepth else { throw fail(ptr, "the schema nests deeper than \(Self.maxDepth) levels here") }
        self.depth = depth
        var parts: [JSONObject] = []
        try flatten(s, ptr, &parts, 0)
        return try value(parts: parts, ptr, depth: depth)
    }

    /// What `not` subschemas rule out, in the forms schemas use: literals, types and sets of properties.
    struct Exclusions {
        var literals: [JSONValue] = []
        var types: Set<String> = []
        var keys: Set<String> = []
    }

    static func exclusions(_ parts: [JSONObject]) -> Exclusions {
        var x = Exclusions()
        func add(_ n: JSONValue) {
            guard case .object(let o) = n else { return }
            if let e = o["enum"]?.arrayValue { x.literals += e }
            if let c = o["const"] { x.literals.append(c) }
            if let t = o["type"] { x.types.formUnion(t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue)) }
            for r in o["required"]?.arrayValue ?? [] { if let k = r.stringValue { x.keys.insert(k) } }
            for word in ["anyOf", "oneOf"] { for b in o[word]?.arrayValue ?? [] { add(b) } }
        }
        for p in parts { if let n = p["not"] { add(n) } }
        return x
    }

    mutating func value(parts: [JSONObject], _ ptr: String, depth: Int) throws(GenerateError) -> JSONValue {
        let outer = self.depth
        self.depth = depth
        defer { self.depth = outer }
        let excluded = Self.exclusions(parts)
        var literals: [JSONValue]? = nil
        for p in parts {
            var here: [JSONValue]? = p["enum"]?.arrayValue
            if let c = p["const"] { here = (here ?? [c]).filter { $0 == c } }
            if let here { literals = literals.map { l in l.filter { here.contains($0) } } ?? here }
        }
        if let l = literals, !excluded.literals.isEmpty {
            let kept = l.filter { !excluded.literals.contains($0) }
            if !kept.isEmpty { literals = kept }
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
            if !keys.isDisjoint(with: ["properties", "required", "additionalProperties", "patternProperties", "minProperties", "maxProperties",
                                       "dependentRequired", "dependentSchemas", "propertyNames", "unevaluatedProperties"]) { hinted.append("object") }
            if !keys.isDisjoint(with: ["items", "prefixItems", "contains", "minItems", "maxItems", "uniqueItems", "unevaluatedItems"]) { hinted.append("array") }
            if !keys.isDisjoint(with: ["minLength", "maxLength", "pattern", "format"]) { hinted.append("string") }
            if !keys.isDisjoint(with: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]) { hinted.append("number") }
            if !hinted.isEmpty { types = hinted }
        }
        if !excluded.types.isEmpty {
            let kept = types.filter { !excluded.types.contains($0) && !($0 == "integer" && excluded.types.contains("number")) }
            if !kept.isEmpty { types = kept }
        }
        guard !types.isEmpty else { throw fail(ptr + "/type", "the types allowed here have nothing in common") }
        switch types[pick(types.count, ptr + "/type")] {
        case "null": return .null
        case "boolean": return .bool(pick(2, ptr + "/bool") == 0)
        case "object": return try object(parts, ptr, depth, forbidden: excluded.keys)
        case "array": return try array(parts, ptr, depth)
        case "string": return try string(parts, ptr)
        case "integer": return try number(parts, ptr, integer: true)
        default: return try number(parts, ptr, integer: rng.chance(0.3))
        }
    }

    // MARK: - Objects

    mutating func object(_ given: [JSONObject], _ ptr: String, _ depth: Int, forbidden: Set<String>) throws(GenerateError) -> JSONValue {
        // dependentSchemas of required keys hold for every instance: their keywords join the parts.
        var parts = given
        var applied = Set<String>()
        var grew = true
        while grew {
            grew = false
            let req = Set(parts.flatMap { ($0["required"]?.arrayValue ?? []).compactMap(\.stringValue) })
            for p in parts {
                for (k, v) in p["dependentSchemas"]?.objectValue ?? JSONObject() where req.contains(k) && !applied.contains(k) {
                    applied.insert(k)
                    try flatten(v, ptr + "/dependentSchemas/" + JSONPointer.escape(k), &parts, 0)
                    grew = true
                }
            }
        }
        var declared: [String] = []
        var declaredSet = Set<String>()
        var required: Set<String> = []
        var minP = 0, maxP = Int.max
        var deps: [String: [String]] = [:]
        var patterns: [(String, JSONValue)] = []
        var extrasAllowed = true
        var names: [JSONValue] = []
        for p in parts {
            for (k, _) in p["properties"]?.objectValue ?? JSONObject() where declaredSet.insert(k).inserted { declared.append(k) }
            for r in p["required"]?.arrayValue ?? [] { if let s = r.stringValue { required.insert(s) } }
            if let n = p["minProperties"]?.intValue { minP = max(minP, n) }
            if let n = p["maxProperties"]?.intValue { maxP = min(maxP, n) }
            for (k, v) in p["dependentRequired"]?.objectValue ?? JSONObject() { deps[k, default: []] += (v.arrayValue ?? []).compactMap(\.stringValue) }
            for (pat, v) in p["patternProperties"]?.objectValue ?? JSONObject() { patterns.append((pat, v)) }
            if p["additionalProperties"] == .bool(false) || (p["unevaluatedProperties"] == .bool(false) && p["additionalProperties"] == nil) { extrasAllowed = false }
            if let n = p["propertyNames"] { names.append(n) }
        }
        var keys: [String] = declared.filter { required.contains($0) }
        var keySet = Set(keys)
        for r in required.sorted() where keySet.insert(r).inserted { keys.append(r) }
        // Optional properties: about half of a few, about six of many (an instance of a schema with
        // hundreds of settings stays readable), none when heading for the shortest instance, never
        // one a `not` rules out; one whose dependent schema would join, less often.
        let dependents = Set(parts.flatMap { ($0["dependentSchemas"]?.objectValue ?? JSONObject()).keys })
        let optional = declared.filter { !keySet.contains($0) && !forbidden.contains($0) }
        for k in optional where keys.count < maxP && !(shallow && keys.count >= minP) {
            if dependents.contains(k) && !applied.contains(k) { if pick(3, ptr + "/dependentSchemas/" + k) != 0 { continue } }
            let chosen = optional.count <= 12 ? pick(2, ptr + "/properties/" + k) == 0 : rng.int(optional.count) < 6
            if chosen { keys.append(k); keySet.insert(k) }
        }
        for k in keys where dependents.contains(k) && !applied.contains(k) {
            applied.insert(k)
            for p in parts { if let v = p["dependentSchemas"]?[k] { try flatten(v, ptr + "/dependentSchemas/" + JSONPointer.escape(k), &parts, 0) } }
        }
        for p in parts.dropFirst(given.count) {
            for r in p["required"]?.arrayValue ?? [] { if let s = r.stringValue, keySet.insert(s).inserted { keys.append(s) } }
            for (k, _) in p["properties"]?.objectValue ?? JSONObject() where declaredSet.insert(k).inserted { declared.append(k) }
        }
        // dependentRequired: a present key brings its dependents.
        var i = 0
        while i < keys.count {
            for d in deps[keys[i]] ?? [] where keySet.insert(d).inserted { keys.append(d) }
            i += 1
        }
        // Extra keys: from patternProperties, or free names where additionalProperties allows them.
        var extra = 0
        while keys.count < minP || (!shallow && keys.count < maxP && extra == 0 && pick(3, ptr + "/extra") == 2) {
            extra += 1
            if !patterns.isEmpty, let dfa = try? self.patterns.dfa([patterns[rng.int(patterns.count)].0]), let name = Builder.sample(dfa, minLength: 1, maxLength: 12, rng: &rng),
               !keySet.contains(name) {
                keys.append(name)
                keySet.insert(name)
            } else if extrasAllowed {
                // propertyNames: an extra key is a string of that schema.
                var name = "x\(rng.int(1000))"
                if !names.isEmpty, case .string(let s) = try value(.object(JSONObject([("allOf", .array(names)), ("type", "string")])), ptr + "/propertyNames", depth: depth + 1) {
                    name = s
                }
                if keySet.insert(name).inserted { keys.append(name) }
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
                else if let u = p["unevaluatedProperties"], !declaredSet.contains(k) { try flatten(u, ptr + "/unevaluatedProperties", &sub, 0) }
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
            if p["items"] == nil, p["unevaluatedItems"] == .bool(false) { maxI = min(maxI, p["prefixItems"]?.arrayValue?.count ?? 0) }
            if let c = p["contains"] { containsParts.append(c) }
            if let n = p["minContains"]?.intValue { minC = n }
            if let n = p["maxContains"]?.intValue { maxC = min(maxC, n) }
        }
        // Each `contains` (several, under allOf) gets positions of its own.
        if !containsParts.isEmpty { minI = max(minI, max(minC, 1) * containsParts.count) }
        guard minI <= maxI else { throw fail(ptr + "/minItems", "minItems exceeds maxItems") }
        let upper = shallow ? minI : min(maxI, max(minI, prefixCount) + 3)
        let n = minI + rng.int(max(1, upper - minI + 1))
        // Positions that take each contains schema.
        var containAt: [Int: Int] = [:]
        if !containsParts.isEmpty {
            let want = min(max(minC, 1), maxC)
            var free = Array(0..<n)
            for c in containsParts.indices {
                for _ in 0..<want where !free.isEmpty { containAt[free.remove(at: rng.int(free.count))] = c }
            }
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
                } else if let u = p["unevaluatedItems"] {
                    try flatten(u, ptr + "/unevaluatedItems", &sub, 0)
                }
            }
            if let c = containAt[i] { try flatten(containsParts[c], ptr + "/contains", &sub, 0) }
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
        // A format Proctor knows is written; an unknown one is an annotation (the pattern, or any string, decides).
        if let format, InstanceGenerator.formats.contains(format), patterns.isEmpty || pick(2, ptr + "/format") == 0 {
            let v = formatted(format)
            if v.count >= minL && v.count <= maxL { return .string(v) }
        }
        if !patterns.isEmpty {
            let exact: Result<RegexDFA, RegexDFAError>
            do { exact = .success(try self.patterns.dfa(patterns)) } catch { exact = .failure(error) }
            switch exact {
            case .success(let dfa):
                guard let s = Builder.sample(dfa, minLength: minL, maxLength: min(maxL, minL + 40), rng: &rng) else {
                    throw fail(ptr + "/pattern", "no string of the allowed length matches")
                }
                return .string(s)
            case .failure(let e):
                // Look-arounds have no automaton: sample the pattern without them and keep a string the
                // real pattern accepts.
                guard let (dfa, checks) = self.patterns.relaxed(patterns) else {
                    throw fail(ptr + "/pattern", "the pattern cannot be generated from: \(e.message)")
                }
                for _ in 0..<40 {
                    if let s = Builder.sample(dfa, minLength: minL, maxLength: min(maxL, minL + 40), rng: &rng),
                       checks.allSatisfy({ (try? $0.test(s)) == true }) {
                        return .string(s)
                    }
                }
                throw fail(ptr + "/pattern", "no sampled string matches the pattern with its look-arounds")
            }
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
        case "uri", "iri": return "https://example.com/item/\(rng.int(10000))"
        case "uri-reference", "iri-reference": return ["/items/\(rng.int(1000))", "https://example.org/p\(rng.int(100))", "#frag\(rng.int(10))"][rng.int(3)]
        case "uri-template": return "https://example.com/{id}/item\(rng.int(100))"
        case "idn-email": return "user\(rng.int(1000))@example.com"
        case "idn-hostname": return "host\(rng.int(1000)).example.org"
        case "duration": return ["P\(1 + rng.int(30))D", "PT\(1 + rng.int(59))M", "P1Y2M\(rng.int(28))DT3H"][rng.int(3)]
        case "regex": return ["^[a-z]+$", "\\d{\(1 + rng.int(5))}", "(ab|cd)*"][rng.int(3)]
        case "json-pointer": return ["", "/a", "/items/\(rng.int(10))", "/a~1b"][rng.int(4)]
        case "relative-json-pointer": return ["0", "1/a", "\(rng.int(3))#"][rng.int(3)]
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
            // A k whose product binary floating point also reads as a multiple (Python jsonschema
            // divides): 0.3 is not a multiple of 0.1 there, 0.5 is.
            for _ in 0..<32 {
                let k = Int(kLo) + rng.int(Int(min(kHi - kLo, 1000)) + 1)
                let v = Builder.times(m, k)
                let q = v.double / md
                if q == q.rounded() { return .number(v) }
            }
            if kLo <= 0 && kHi >= 0 { return .number(JSONNumber(0)) }
            return .number(Builder.times(m, Int(kLo)))
        }
        if integer {
            var a = lo.rounded(.up), b = hi.rounded(.down)
            if loEx && a <= lo { a += 1 }
            if hiEx && b >= hi { b -= 1 }
            guard a <= b else { throw fail(ptr + "/minimum", "no integer within the bounds") }
            // Integers exactly representable in a double (what every validator reads alike).
            let limit = 9_007_199_254_740_991.0
            a = max(a, -limit); b = min(b, limit)
            guard a <= b else { throw fail(ptr + "/minimum", "no integer within the bounds a double holds exactly") }
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
        for x in d.digits {
            let (t, o1) = digits.multipliedReportingOverflow(by: 10)
            let (u, o2) = t.addingReportingOverflow(Int(x))
            if o1 || o2 { return JSONNumber(0) }
            digits = u
        }
        let (product, overflow) = digits.multipliedReportingOverflow(by: k)
        if overflow { return JSONNumber(0) }
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
    var relaxedMap: [[String]: (RegexDFA, [ECMARegex])?] = [:]

    /// An automaton for the patterns with their look-around groups removed (a superset of what they
    /// match), and the patterns themselves to check samples with; nil when even that has no automaton.
    func relaxed(_ patterns: [String]) -> (RegexDFA, [ECMARegex])? {
        if let r = relaxedMap[patterns] { return r }
        var result: (RegexDFA, [ECMARegex])?
        if let checks = try? patterns.map({ try ECMARegex($0) }), let d = try? dfa(patterns.map(Self.withoutLookarounds)) {
            result = (d, checks)
        }
        relaxedMap[patterns] = result
        return result
    }

    /// `p` with every `(?=…)`, `(?!…)`, `(?<=…)` and `(?<!…)` group removed.
    static func withoutLookarounds(_ p: String) -> String {
        let c = Array(p)
        var out: [Character] = []
        var i = 0
        while i < c.count {
            if c[i] == "\\", i + 1 < c.count { out += [c[i], c[i + 1]]; i += 2; continue }
            if c[i] == "[" {
                // A class is copied whole (a parenthesis inside it is a character).
                var j = i + 1
                if j < c.count && c[j] == "^" { j += 1 }
                if j < c.count && c[j] == "]" { j += 1 }
                while j < c.count && c[j] != "]" { j += c[j] == "\\" ? 2 : 1 }
                out += c[i..<min(j + 1, c.count)]
                i = j + 1
                continue
            }
            let look = c[i] == "(" && i + 2 < c.count && c[i + 1] == "?"
                && (c[i + 2] == "=" || c[i + 2] == "!" || (c[i + 2] == "<" && i + 3 < c.count && (c[i + 3] == "=" || c[i + 3] == "!")))
            if look {
                var depth = 0, j = i
                while j < c.count {
                    if c[j] == "\\" { j += 2; continue }
                    if c[j] == "(" { depth += 1 } else if c[j] == ")" { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                i = j + 1
                continue
            }
            out.append(c[i])
            i += 1
        }
        return String(out)
    }
    func dfa(_ patterns: [String]) throws(RegexDFAError) -> RegexDFA {
        if let d = map[patterns] { return d }
        var d = try RegexDFA(pattern: patterns[0])
        for p in patterns.dropFirst() { d = try RegexDFA.intersection(d, try RegexDFA(pattern: p)) }
        map[patterns] = d
        return d
    }
}
