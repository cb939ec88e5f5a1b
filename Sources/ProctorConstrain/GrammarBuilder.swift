import ProctorJSON
import ProctorRegex
import ProctorSchema

/// Turns a schema into grammar nodes: resolves `$ref`, flattens `allOf`, distributes siblings into
/// `anyOf`/`oneOf` branches, merges each conjunction keyword by keyword. Recursion through `$ref`
/// (or through a conjunction met again) reuses the node being built.
final class GrammarBuilder {
    let document: JSONValue
    let options: ConstraintOptions
    var nodes: [NodeDraft?] = []
    var strings: [StringRule] = []
    var tries: [ByteTrie] = []
    var memo: [JSONValue: Int] = [:]
    var expansions = 0

    init(document: JSONValue, options: ConstraintOptions) {
        self.document = document
        self.options = options
    }

    static let annotations: Set<String> = [
        "$schema", "$id", "$defs", "definitions", "title", "description", "$comment", "default", "examples", "deprecated",
        "readOnly", "writeOnly", "contentEncoding", "contentMediaType", "contentSchema", "$anchor", "$vocabulary",
    ]
    /// What a grammar here expresses (the bundle has already dropped keywords no dialect defines).
    static let covered: Set<String> = [
        "type", "enum", "const", "properties", "required", "additionalProperties", "items", "prefixItems", "additionalItems",
        "minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "allOf", "anyOf", "oneOf", "$ref", "uniqueItems", "not", "if", "then", "else", "dependentRequired",
        "dependentSchemas", "minProperties", "maxProperties", "multipleOf", "patternProperties", "propertyNames",
        "unevaluatedProperties", "unevaluatedItems", "$notLiterals",
    ]
    /// The internal keyword `not` of an `enum`/`const` becomes: values the output must not be.
    static let notLiterals = "$notLiterals"

    func fail(_ pointer: String, _ message: String) -> ConstraintError { ConstraintError(pointer: pointer, message) }

    /// The node for the conjunction of `members`.
    /// Nested compiles in progress: a schema that keeps expanding (a `$ref` with siblings that
    /// reaches itself) ends in an error, not a stack overflow.
    var nesting = 0
    static let maxNesting = 100
    /// The most grammar nodes one schema may compile to.
    static let maxNodes = 20_000

    func compile(_ members: [Member]) throws(ConstraintError) -> Int {
        let key: JSONValue = members.count == 1 ? members[0].schema : .array(members.map(\.schema))
        if let id = memo[key] { return id }
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Self.maxNesting else {
            throw fail(members.first?.pointer ?? "", "the schema nests (or expands through \"$ref\") deeper than \(Self.maxNesting) levels")
        }
        let id = nodes.count
        // Unions distribute over their siblings (and if/then/else is a union): a schema whose
        // choices multiply is refused where it grows past the budget, rather than compiled for minutes.
        guard id < Self.maxNodes else {
            throw fail(members.first?.pointer ?? "", "the schema's choices (anyOf, oneOf, if/then/else) multiply into more than \(Self.maxNodes) grammar nodes; constrained decoding takes smaller unions")
        }
        nodes.append(nil)
        memo[key] = id
        nodes[id] = try build(members, location: members.first?.pointer ?? "")
        return id
    }

    func build(_ raw: [Member], location: String) throws(ConstraintError) -> NodeDraft {
        // Expand: booleans, $ref, allOf.
        var members: [Member] = []
        var queue = raw
        var i = 0
        while i < queue.count {
            let m = queue[i]
            i += 1
            switch m.schema {
            case .bool(true): continue
            case .bool(false): return NodeDraft(location: m.pointer)  // allows nothing: shortest is "never"
            case .object(let given):
                let (o, derived) = try rewrite(given, m.pointer)
                queue.append(contentsOf: derived)
                for (k, _) in o where !Self.covered.contains(k) && !Self.annotations.contains(k) {
                    throw fail(m.pointer + "/" + JSONPointer.escape(k), "\"\(k)\" is not supported by constrained decoding (supported: \(Self.covered.sorted().joined(separator: ", ")))")
                }
                var rest = o
                if let ref = o["$ref"] {
                    guard case .string(let r) = ref else { throw fail(m.pointer + "/$ref", "\"$ref\" must be a string") }
                    expansions += 1
                    guard expansions < 10_000 else { throw fail(m.pointer + "/$ref", "\"$ref\" expands without end") }
                    let (target, ptr) = try resolve(r, at: m.pointer + "/$ref")
                    rest = JSONObject(o.entries.filter { $0.key != "$ref" })
                    if raw.count == 1 && i == 1 && queue.count == 1 && rest.entries.allSatisfy({ Self.annotations.contains($0.key) }) {
                        // A plain reference: the target's own node, so recursion closes on itself.
                        let id = try compile([Member(target, ptr)])
                        var n = NodeDraft(location: m.pointer)
                        n.alternatives = [Int32(id)]
                        return n
                    }
                    queue.append(Member(target, ptr))
                }
                if let all = o["allOf"] {
                    guard case .array(let xs) = all, !xs.isEmpty else { throw fail(m.pointer + "/allOf", "\"allOf\" must be a non-empty array") }
                    for (j, x) in xs.enumerated() { queue.append(Member(x, m.pointer + "/allOf/\(j)")) }
                    rest = JSONObject(rest.entries.filter { $0.key != "allOf" })
                }
                members.append(Member(.object(rest), m.pointer))
            default:
                throw fail(m.pointer, "a schema must be an object or a boolean, not \(m.schema.typeName)")
            }
        }
        // Distribute: the first anyOf/oneOf becomes a union of conjunctions.
        for (j, m) in members.enumerated() {
            guard let o = m.schema.objectValue else { continue }
            for word in ["anyOf", "oneOf"] {
                guard let alts = o[word] else { continue }
                guard case .array(let xs) = alts, !xs.isEmpty else { throw fail(m.pointer + "/" + word, "\"\(word)\" must be a non-empty array") }
                var others = members
                others[j] = Member(.object(JSONObject(o.entries.filter { $0.key != word })), m.pointer)
                var n = NodeDraft(location: m.pointer + "/" + word)
                n.exclusive = word == "oneOf"
                for (k, x) in xs.enumerated() {
                    n.alternatives.append(Int32(try compile(others + [Member(x, m.pointer + "/\(word)/\(k)")])))
                }
                return n
            }
        }
        return try basic(members, location: location)
    }

    /// Keywords a grammar takes in another form: `if`/`then`/`else` becomes a union (`if` and
    /// `then`, or the negation of `if` and `else`); `not` becomes what it rules out in its common
    /// forms; `dependentSchemas` of `required`/`properties` becomes `dependentRequired` and
    /// properties; `unevaluated*` stands for `additional*`/`items` where those are absent. Forms
    /// that stand for a subset of the instances are fine: every output is still valid.
    func rewrite(_ given: JSONObject, _ pointer: String) throws(ConstraintError) -> (JSONObject, [Member]) {
        var o = given
        var derived: [Member] = []
        if let cond = o["if"] {
            let thenS = o["then"] ?? true, elseS = o["else"] ?? true
            o = JSONObject(o.entries.filter { !["if", "then", "else"].contains($0.key) })
            var alts: [JSONValue] = [.object(JSONObject([("allOf", .array([cond, thenS]))]))]
            if let neg = negation(cond) { alts.append(.object(JSONObject([("allOf", .array([neg, elseS]))]))) }
            derived.append(Member(.object(JSONObject([("anyOf", .array(alts))])), pointer + "/if"))
        } else if o["then"] != nil || o["else"] != nil {
            o = JSONObject(o.entries.filter { $0.key != "then" && $0.key != "else" })
        }
        if let n = o["not"] {
            o = JSONObject(o.entries.filter { $0.key != "not" })
            guard let neg = negation(n) else {
                throw fail(pointer + "/not", "this \"not\" is not supported by constrained decoding (supported: not of required, enum, const, type, properties, and anyOf/allOf of those)")
            }
            derived.append(Member(neg, pointer + "/not"))
        }
        if case .object(let deps)? = o["dependentSchemas"] {
            o = JSONObject(o.entries.filter { $0.key != "dependentSchemas" })
            var required = o["dependentRequired"]?.objectValue ?? JSONObject()
            for (k, d) in deps {
                guard case .object(let ds) = d else { continue }
                for (word, v) in ds where !Self.annotations.contains(word) {
                    switch word {
                    case "required":
                        required[k] = .array((required[k]?.arrayValue ?? []) + (v.arrayValue ?? []))
                    case "properties":
                        // Applied whatever the key: a subset of the instances, all valid.
                        derived.append(Member(.object(JSONObject([("properties", v)])), pointer + "/dependentSchemas/" + JSONPointer.escape(k) + "/properties"))
                    default:
                        throw fail(pointer + "/dependentSchemas/" + JSONPointer.escape(k) + "/" + JSONPointer.escape(word),
                                   "\"\(word)\" in a dependent schema is not supported by constrained decoding (supported: required, properties)")
                    }
                }
            }
            if !required.isEmpty { o["dependentRequired"] = .object(required) }
        }
        if let u = o["unevaluatedProperties"] {
            o = JSONObject(o.entries.filter { $0.key != "unevaluatedProperties" })
            if o["additionalProperties"] == nil && o["patternProperties"] == nil { o["additionalProperties"] = u }
        }
        if let u = o["unevaluatedItems"] {
            o = JSONObject(o.entries.filter { $0.key != "unevaluatedItems" })
            if o["items"] == nil { o["items"] = u }
        }
        return (o, derived)
    }

    /// A schema whose instances all fail `s` (a subset of them where the exact negation is no
    /// grammar); nil for forms outside that.
    func negation(_ s: JSONValue, depth: Int = 0) -> JSONValue? {
        guard depth < 4 else { return nil }
        switch s {
        case .bool(let b): return .bool(!b)
        case .object(let o):
            let words = Set(o.keys).subtracting(Self.annotations)
            if words.isEmpty { return false }
            if words == ["required"], let names = o["required"]?.arrayValue?.compactMap(\.stringValue), let last = names.last {
                return .object(JSONObject([("properties", .object(JSONObject([(last, false)])))]))
            }
            if words == ["type"], let t = o["type"] {
                let named = Set(t.stringValue.map { [$0] } ?? (t.arrayValue ?? []).compactMap(\.stringValue))
                var rest = ["null", "boolean", "object", "array", "string", "integer", "number"].filter { !named.contains($0) }
                if named.contains("number") { rest.removeAll { $0 == "integer" } }
                if named.contains("integer") && !named.contains("number") { return nil }  // 1.5 would be "number, not integer"
                return rest.isEmpty ? false : .object(JSONObject([("type", .array(rest.map { .string($0) }))]))
            }
            if words == ["enum"] || words == ["const"] || words == ["enum", "const"] {
                var values = o["enum"]?.arrayValue ?? []
                if let c = o["const"] { values.append(c) }
                return .object(JSONObject([(Self.notLiterals, .array(values))]))
            }
            if words.isSubset(of: ["properties", "required"]), case .object(let props)? = o["properties"] {
                let required = Set((o["required"]?.arrayValue ?? []).compactMap(\.stringValue))
                // A property present with a value the subschema refuses.
                for (name, sub) in props {
                    guard let neg = negation(sub, depth: depth + 1) else { continue }
                    return .object(JSONObject([("required", .array([.string(name)])), ("properties", .object(JSONObject([(name, neg)])))]))
                }
                if let last = required.sorted().last { return .object(JSONObject([("properties", .object(JSONObject([(last, false)])))])) }
                return nil
            }
            if words == ["anyOf"] || words == ["oneOf"], let xs = o[words.first!]?.arrayValue {
                // not(A or B) = not A and not B (for oneOf a subset: none of the branches).
                var all: [JSONValue] = []
                for x in xs { guard let n = negation(x, depth: depth + 1) else { return nil }; all.append(n) }
                return .object(JSONObject([("allOf", .array(all))]))
            }
            if words == ["allOf"], let xs = o["allOf"]?.arrayValue {
                // not(A and B) = not A or not B: the first that has a form.
                for x in xs { if let n = negation(x, depth: depth + 1) { return n } }
                return nil
            }
            return nil
        default:
            return nil
        }
    }

    /// Resolves a local reference ("#", "#/$defs/x", "#/definitions/x", any JSON Pointer fragment).
    func resolve(_ ref: String, at pointer: String) throws(ConstraintError) -> (JSONValue, String) {
        guard ref.hasPrefix("#") else {
            throw fail(pointer, "\"$ref\": \"\(ref)\" is not a local reference; constrained decoding resolves \"#…\" JSON Pointers within the schema")
        }
        let frag = String(ref.dropFirst()).removingPercentEncodingLite
        guard frag.isEmpty || frag.hasPrefix("/") else {
            throw fail(pointer, "\"$ref\": \"\(ref)\" names an anchor; constrained decoding resolves JSON Pointers only")
        }
        var v = document
        for seg in frag.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let s = seg.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if case .object(let o) = v, let x = o[s] { v = x; continue }
            if case .array(let a) = v, let k = Int(s), k >= 0, k < a.count { v = a[k]; continue }
            throw fail(pointer, "\"$ref\": \"\(ref)\" points to nothing in the schema")
        }
        return (v, frag)
    }

    // MARK: - Basic nodes

    struct TypeMask: OptionSet {
        let rawValue: Int
        static let null = TypeMask(rawValue: 1), boolean = TypeMask(rawValue: 2), object = TypeMask(rawValue: 4)
        static let array = TypeMask(rawValue: 8), string = TypeMask(rawValue: 16), integer = TypeMask(rawValue: 32), number = TypeMask(rawValue: 64)
        static let all: TypeMask = [.null, .boolean, .object, .array, .string, .integer, .number]
    }

    func typeMask(_ v: JSONValue, _ pointer: String) throws(ConstraintError) -> TypeMask {
        func one(_ s: String) throws(ConstraintError) -> TypeMask {
            switch s {
            case "null": return .null
            case "boolean": return .boolean
            case "object": return .object
            case "array": return .array
            case "string": return .string
            case "integer": return .integer
            case "number": return [.number, .integer]
            default: throw fail(pointer, "unknown type \"\(s)\"")
            }
        }
        switch v {
        case .string(let s): return try one(s)
        case .array(let xs):
            var m: TypeMask = []
            for x in xs {
                guard case .string(let s) = x else { throw fail(pointer, "\"type\" entries must be strings") }
                m.formUnion(try one(s))
            }
            return m
        default: throw fail(pointer, "\"type\" must be a string or an array of strings")
        }
    }

    func nonNegativeInt(_ v: JSONValue, _ pointer: String) throws(ConstraintError) -> Int {
        guard let n = v.numberValue, n.isInteger, n.double >= 0, n.double < 1e9 else { throw fail(pointer, "must be a non-negative integer") }
        return Int(n.double)
    }

    func basic(_ members: [Member], location: String) throws(ConstraintError) -> NodeDraft {
        var node = NodeDraft(location: location)
        var types = TypeMask.all
        var literals: [JSONValue]? = nil
        var minLength = 0, maxLength: Int? = nil
        var patterns: [(String, String)] = []
        var lower: (JSONDecimal, Bool, String)? = nil, upper: (JSONDecimal, Bool, String)? = nil
        var minItems = 0, maxItems: Int? = nil
        var unique = false
        var excluded: [JSONValue] = []
        var multiples: [(JSONNumber, String)] = []
        for m in members {
            guard let o = m.schema.objectValue else { continue }
            let p = m.pointer
            if let t = o["type"] { types.formIntersection(try typeMask(t, p + "/type")) }
            var here: [JSONValue]? = nil
            if let e = o["enum"] {
                guard case .array(let xs) = e else { throw fail(p + "/enum", "\"enum\" must be an array") }
                here = xs
            }
            if let c = o["const"] { here = (here ?? [c]).filter { $0 == c } }
            if let here { literals = literals.map { l in l.filter { here.contains($0) } } ?? here }
            if let v = o["minLength"] { minLength = max(minLength, try nonNegativeInt(v, p + "/minLength")) }
            if let v = o["maxLength"] { let x = try nonNegativeInt(v, p + "/maxLength"); maxLength = min(maxLength ?? x, x) }
            if let v = o["pattern"] {
                guard case .string(let s) = v else { throw fail(p + "/pattern", "\"pattern\" must be a string") }
                patterns.append((s, p + "/pattern"))
            }
            // A format with a pattern here is written to it; any other is an annotation (as the
            // specification makes it by default, and the final check does not assert it).
            if case .string(let f)? = o["format"], let pat = Formats.pattern[f] { patterns.append((pat, p + "/format")) }
            if let xs = o[Self.notLiterals]?.arrayValue { excluded += xs }
            if let v = o["multipleOf"] {
                guard let n = v.numberValue, n.double > 0 else { throw fail(p + "/multipleOf", "\"multipleOf\" must be a number greater than 0") }
                multiples.append((n, p + "/multipleOf"))
            }
            func number(_ k: String) throws(ConstraintError) -> JSONDecimal? {
                guard let v = o[k] else { return nil }
                guard let n = v.numberValue else { throw fail(p + "/" + k, "\"\(k)\" must be a number") }
                return n.decimal
            }
            func tighten(_ cur: inout (JSONDecimal, Bool, String)?, _ d: JSONDecimal, exclusive: Bool, lowerBound: Bool, _ ptr: String) {
                guard let c = cur else { cur = (d, exclusive, ptr); return }
                let cmp = JSONDecimal.compare(d, c.0)
                if (lowerBound ? cmp > 0 : cmp < 0) || (cmp == 0 && exclusive) { cur = (d, exclusive, ptr) }
            }
            if let d = try number("minimum") { tighten(&lower, d, exclusive: false, lowerBound: true, p + "/minimum") }
            if let d = try number("exclusiveMinimum") { tighten(&lower, d, exclusive: true, lowerBound: true, p + "/exclusiveMinimum") }
            if let d = try number("maximum") { tighten(&upper, d, exclusive: false, lowerBound: false, p + "/maximum") }
            if let d = try number("exclusiveMaximum") { tighten(&upper, d, exclusive: true, lowerBound: false, p + "/exclusiveMaximum") }
            if let v = o["uniqueItems"] {
                guard case .bool(let u) = v else { throw fail(p + "/uniqueItems", "\"uniqueItems\" must be a boolean") }
                unique = unique || u
            }
            if let v = o["minItems"] { minItems = max(minItems, try nonNegativeInt(v, p + "/minItems")) }
            if let v = o["maxItems"] { let x = try nonNegativeInt(v, p + "/maxItems"); maxItems = min(maxItems ?? x, x) }
        }
        if literals == nil, let (step, ptr) = multiples.first, types.contains(.integer) {
            // multipleOf: the numbers as literals (the multiples within the bounds nearest zero, each
            // checked), beside a node for the other types the schema allows.
            let values = Self.multiples(of: step, lower: lower.map { ($0.0, $0.1) }, upper: upper.map { ($0.0, $0.1) }, integer: !types.contains(.number))
            guard !values.isEmpty else { throw fail(ptr, "no multiple of \(step) within the bounds that constrained decoding can write") }
            var alts = [Int32(try compile(members + [Member(.object(JSONObject([("enum", .array(values))])), ptr)]))]
            let others = ["null", "boolean", "object", "array", "string"].filter { name in
                switch name { case "null": return types.contains(.null); case "boolean": return types.contains(.boolean)
                case "object": return types.contains(.object); case "array": return types.contains(.array); default: return types.contains(.string) }
            }
            if !others.isEmpty {
                alts.append(Int32(try compile(members + [Member(.object(JSONObject([("type", .array(others.map { .string($0) }))])), ptr)])))
            }
            node.alternatives = alts
            return node
        }
        if let literals {
            let kept = try filterLiterals(literals, members: members, types: types).filter { !excluded.contains($0) }
            guard !kept.isEmpty else { return node }
            node.literalTrie = addTrie(kept.map { JSONSerializer.bytes($0) })
            return node
        }
        var words: [[UInt8]] = []
        if types.contains(.boolean) { words += ([true, false] as [Bool]).filter { !excluded.contains(.bool($0)) }.map { Array(($0 ? "true" : "false").utf8) } }
        if types.contains(.null) && !excluded.contains(.null) { words.append(Array("null".utf8)) }
        if !words.isEmpty { node.keywordTrie = addTrie(words) }
        if types.contains(.string) {
            let dfa = try automaton(patterns)
            if let rule = StringRule(minLength: minLength, maxLength: maxLength, dfa: dfa) {
                strings.append(rule)
                node.string = Int32(strings.count - 1)
            }
        }
        if types.contains(.integer) {
            node.number = NumberRule(integer: !types.contains(.number), lower: lower.map { ($0.0, $0.1) }, upper: upper.map { ($0.0, $0.1) })
            if node.number!.shortestCompletion([]) >= Grammar.never { node.number = nil }
        }
        if types.contains(.object) { node.object = try objectRule(members) }
        if types.contains(.array) {
            if let maxItems, maxItems < minItems { return node }
            node.array = try arrayRule(members, minItems: minItems, maxItems: maxItems, unique: unique)
        }
        return node
    }

    /// Multiples of `step` within the bounds, nearest zero first (at most 400), as numbers whose
    /// text is the exact decimal product.
    static func multiples(of step: JSONNumber, lower: (JSONDecimal, Bool)?, upper: (JSONDecimal, Bool)?, integer: Bool) -> [JSONValue] {
        let m = step.double
        guard m > 0, m.isFinite else { return [] }
        let lo = lower.map { JSONNumber(text: $0.0.text)?.double ?? -1e12 } ?? -1e12
        let hi = upper.map { JSONNumber(text: $0.0.text)?.double ?? 1e12 } ?? 1e12
        var kLo = max((lo / m).rounded(.up), -1e9), kHi = min((hi / m).rounded(.down), 1e9)
        if let l = lower, l.1, kLo * m <= lo { kLo += 1 }
        if let u = upper, u.1, kHi * m >= hi { kHi -= 1 }
        guard kLo <= kHi else { return [] }
        // Nearest zero first: 0, 1, -1, 2, … clipped to the range.
        var ks: [Int] = []
        let start = Int(max(kLo, min(kHi, 0)))
        ks.append(start)
        var d = 1
        while ks.count < 400 && (start - d >= Int(kLo) || start + d <= Int(kHi)) {
            if start + d <= Int(kHi) { ks.append(start + d) }
            if start - d >= Int(kLo) { ks.append(start - d) }
            d += 1
        }
        var out: [JSONValue] = []
        for k in ks {
            guard let v = step.decimal.times(k), let n = JSONNumber(text: v) else { continue }
            if integer && !n.isInteger { continue }
            // Binary floating point must read it as a multiple too (other validators divide).
            let q = n.double / m
            guard q == q.rounded() else { continue }
            out.append(.number(n))
        }
        return out
    }

    /// Enum values that satisfy the rest of the conjunction (checked by Proctor's validator).
    func filterLiterals(_ values: [JSONValue], members: [Member], types: TypeMask) throws(ConstraintError) -> [JSONValue] {
        var doc = JSONObject([("allOf", .array(members.map(\.schema)))])
        if let defs = document["$defs"] { doc["$defs"] = defs }
        if let defs = document["definitions"] { doc["definitions"] = defs }
        if let s = document["$schema"] { doc["$schema"] = s }
        let checker = try? CompiledSchema.compile(.object(doc))
        var out: [JSONValue] = []
        for v in values where !out.contains(v) {
            if let checker { if checker.isValid(v) { out.append(v) }; continue }
            let ok: Bool
            switch v {
            case .null: ok = types.contains(.null)
            case .bool: ok = types.contains(.boolean)
            case .string: ok = types.contains(.string)
            case .number(let n): ok = types.contains(.number) || (types.contains(.integer) && n.isInteger)
            case .array: ok = types.contains(.array)
            case .object: ok = types.contains(.object)
            }
            if ok { out.append(v) }
        }
        return out
    }

    func addTrie(_ strings: [[UInt8]]) -> Int32 {
        tries.append(ByteTrie(strings))
        return Int32(tries.count - 1)
    }

    /// Per key, the conjunction of what each member says about it: its `properties` entry and the
    /// `patternProperties` whose pattern matches it, else its `additionalProperties`, else anything.
    /// Keys beyond the declared ones come in classes: one per `patternProperties` pattern, and (under
    /// `propertyNames`) one for the extra keys; `minProperties`, `maxProperties` and
    /// `dependentRequired` bound which keys and how many.
    func objectRule(_ members: [Member]) throws(ConstraintError) -> ObjectRule {
        var order: [String] = []
        var required: Set<String> = []
        var minP = 0, maxP: Int? = nil
        var depends: [String: [String]] = [:]
        var patterns: [(source: String, schema: Member)] = []
        var names: [Member] = []
        var additionalGiven = false
        for m in members {
            guard let o = m.schema.objectValue else { continue }
            if let p = o["properties"] {
                guard case .object(let props) = p else { throw fail(m.pointer + "/properties", "\"properties\" must be an object") }
                for (k, _) in props where !order.contains(k) { order.append(k) }
            }
            if let r = o["required"] {
                guard case .array(let xs) = r else { throw fail(m.pointer + "/required", "\"required\" must be an array of strings") }
                for x in xs {
                    guard case .string(let s) = x else { throw fail(m.pointer + "/required", "\"required\" must be an array of strings") }
                    required.insert(s)
                }
            }
            if let v = o["minProperties"] { minP = max(minP, try nonNegativeInt(v, m.pointer + "/minProperties")) }
            if let v = o["maxProperties"] { let x = try nonNegativeInt(v, m.pointer + "/maxProperties"); maxP = min(maxP ?? x, x) }
            if case .object(let deps)? = o["dependentRequired"] {
                for (k, v) in deps { depends[k, default: []] += (v.arrayValue ?? []).compactMap(\.stringValue) }
            }
            if case .object(let pp)? = o["patternProperties"] {
                for (src, sub) in pp { patterns.append((src, Member(sub, m.pointer + "/patternProperties/" + JSONPointer.escape(src)))) }
            }
            if let n = o["propertyNames"] { names.append(Member(n, m.pointer + "/propertyNames")) }
            if o["additionalProperties"] != nil { additionalGiven = true }
        }
        for m in members { for x in m.schema["required"]?.arrayValue ?? [] { if let s = x.stringValue, !order.contains(s) { order.append(s) } } }
        // dependentRequired: every key it names is declared, and comes after the keys that bring it.
        for (k, deps) in depends.sorted(by: { $0.key < $1.key }) {
            for d in deps where !order.contains(d) { order.append(d) }
            if !order.contains(k) { order.append(k) }
            if let at = order.firstIndex(of: k) {
                for d in deps { if let di = order.firstIndex(of: d), di < at { order.remove(at: di); order.insert(d, at: order.firstIndex(of: k)! + 1) } }
            }
        }
        let compiledPatterns: [(ECMARegex?, Member, String)] = patterns.map { (try? ECMARegex($0.source), $0.schema, $0.source) }
        func schemaFor(_ key: String?) -> [Member] {
            var out: [Member] = []
            for m in members {
                guard let o = m.schema.objectValue else { continue }
                if let key, let v = o["properties"]?[key] {
                    out.append(Member(v, m.pointer + "/properties/" + JSONPointer.escape(key)))
                } else if let key, case .object(let pp)? = o["patternProperties"],
                          pp.keys.contains(where: { src in compiledPatterns.first { $0.2 == src }?.0.map { (try? $0.test(key)) == true } ?? false }) {
                    continue  // its pattern schemas are added below
                } else if let a = o["additionalProperties"] {
                    out.append(Member(a, m.pointer + "/additionalProperties"))
                }
            }
            if let key { for (re, sub, _) in compiledPatterns where re.map({ (try? $0.test(key)) == true }) ?? false { out.append(sub) } }
            return out
        }
        var values: [Int32] = []
        for k in order { values.append(Int32(try compile(schemaFor(k)))) }
        let nameRule = try keyRule(names)
        var classes: [(string: Int32, value: Int32)] = []
        for (re, sub, src) in compiledPatterns {
            guard re != nil else { throw fail(sub.pointer, "the pattern /\(src)/ is not one Proctor's regex engine reads") }
            let rule = try stringRule([(src, sub.pointer)] + nameRule.patterns, minLength: nameRule.minLength, maxLength: nameRule.maxLength, at: sub.pointer)
            guard let rule else { continue }
            classes.append((rule, Int32(try compile([sub]))))
        }
        var additional: Int32 = -1
        let addl = schemaFor(nil)
        let extrasAllowed = !addl.contains { $0.schema == .bool(false) } && (additionalGiven || patterns.isEmpty)
        if extrasAllowed {
            if names.isEmpty {
                additional = Int32(try compile(addl))
            } else if let rule = try stringRule(nameRule.patterns, minLength: nameRule.minLength, maxLength: nameRule.maxLength, at: names[0].pointer) {
                // Extra keys must match propertyNames: a class of their own.
                classes.append((rule, Int32(try compile(addl))))
            }
        }
        let keys = order.map { Array($0.utf8) }
        var dependents: [Int: [Int]] = [:]
        for (k, deps) in depends { if let ki = order.firstIndex(of: k) { dependents[ki] = deps.compactMap { order.firstIndex(of: $0) } } }
        return ObjectRule(keys: keys, keyJSON: order.map { Array(JSONSerializer.quote($0).utf8) }, values: values,
                          required: order.map { required.contains($0) }, additional: additional, keyTrie: addTrie(keys),
                          classes: classes, minProperties: minP, maxProperties: maxP, dependents: dependents)
    }

    /// A string rule for `patterns` (intersected) and lengths, as a new entry of `strings`; nil when nothing matches.
    func stringRule(_ patterns: [(String, String)], minLength: Int, maxLength: Int?, at pointer: String) throws(ConstraintError) -> Int32? {
        guard let rule = StringRule(minLength: minLength, maxLength: maxLength, dfa: try automaton(patterns)), rule.shortestFromStart < Grammar.never else { return nil }
        strings.append(rule)
        return Int32(strings.count - 1)
    }

    /// The intersection of the patterns' automata (nil: no pattern); a pattern with no automaton is
    /// an error at its pointer.
    func automaton(_ patterns: [(String, String)]) throws(ConstraintError) -> RegexDFA? {
        var dfa: RegexDFA? = nil
        for (pat, ptr) in patterns {
            do {
                let d = try RegexDFA(pattern: pat)
                dfa = try dfa.map { a throws(RegexDFAError) in try RegexDFA.intersection(a, d) } ?? d
            } catch {
                throw fail(ptr, error.message)
            }
        }
        return dfa
    }

    /// What `propertyNames` asks of a key, as patterns and lengths (`pattern`, `format`, `enum`,
    /// `const`, `minLength`, `maxLength`, through `$ref` and `allOf`).
    func keyRule(_ members: [Member]) throws(ConstraintError) -> (patterns: [(String, String)], minLength: Int, maxLength: Int?) {
        var patterns: [(String, String)] = []
        var minL = 0, maxL: Int? = nil
        var queue = members
        var i = 0
        while i < queue.count {
            let m = queue[i]
            i += 1
            guard i < 64 else { throw fail(m.pointer, "\"propertyNames\" nests too deep") }
            switch m.schema {
            case .bool(true): continue
            case .bool(false): patterns.append(("[^\\s\\S]", m.pointer))
            case .object(let o):
                for (k, v) in o where !Self.annotations.contains(k) {
                    let p = m.pointer + "/" + JSONPointer.escape(k)
                    switch k {
                    case "type": if v != "string" && v.arrayValue?.contains("string") != true { patterns.append(("[^\\s\\S]", p)) }
                    case "pattern": if let s = v.stringValue { patterns.append((s, p)) }
                    case "format": if let f = v.stringValue, let pat = Formats.pattern[f] { patterns.append((pat, p)) }
                    case "minLength": minL = max(minL, try nonNegativeInt(v, p))
                    case "maxLength": let x = try nonNegativeInt(v, p); maxL = min(maxL ?? x, x)
                    case "enum", "const":
                        let values = k == "const" ? [v] : (v.arrayValue ?? [])
                        let words = values.compactMap(\.stringValue).map(Self.regexLiteral)
                        patterns.append(("^(?:" + (words.isEmpty ? "[^\\s\\S]" : words.joined(separator: "|")) + ")$", p))
                    case "$ref":
                        guard let r = v.stringValue else { throw fail(p, "\"$ref\" must be a string") }
                        let (target, ptr) = try resolve(r, at: p)
                        queue.append(Member(target, ptr))
                    case "allOf":
                        for (j, x) in (v.arrayValue ?? []).enumerated() { queue.append(Member(x, p + "/\(j)")) }
                    default:
                        throw fail(p, "\"\(k)\" in propertyNames is not supported by constrained decoding (supported: pattern, format, enum, const, minLength, maxLength, $ref, allOf)")
                    }
                }
            default:
                throw fail(m.pointer, "a schema must be an object or a boolean")
            }
        }
        return (patterns, minL, maxL)
    }

    /// `s` as a regular expression that matches exactly it.
    static func regexLiteral(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if "\\^$.|?*+()[]{}".unicodeScalars.contains(c) { out += "\\" }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// Per position, the conjunction of each member's positional item, else its rest-items schema.
    func arrayRule(_ members: [Member], minItems: Int, maxItems: Int?, unique: Bool) throws(ConstraintError) -> ArrayRule {
        // Each member: (positional schemas, schema for the rest).
        var shapes: [([Member], Member?)] = []
        for m in members {
            guard let o = m.schema.objectValue else { continue }
            var prefix: [Member] = []
            var rest: Member? = nil
            if let p = o["prefixItems"] {
                guard case .array(let xs) = p else { throw fail(m.pointer + "/prefixItems", "\"prefixItems\" must be an array") }
                prefix = xs.enumerated().map { Member($1, m.pointer + "/prefixItems/\($0)") }
                if let i = o["items"] { rest = Member(i, m.pointer + "/items") }
            } else if let i = o["items"] {
                if case .array(let xs) = i {
                    prefix = xs.enumerated().map { Member($1, m.pointer + "/items/\($0)") }
                    if let a = o["additionalItems"] { rest = Member(a, m.pointer + "/additionalItems") }
                } else {
                    rest = Member(i, m.pointer + "/items")
                }
            }
            shapes.append((prefix, rest))
        }
        let n = shapes.map(\.0.count).max() ?? 0
        var prefix: [Int32] = []
        for i in 0..<n {
            let parts = shapes.compactMap { s in i < s.0.count ? s.0[i] : s.1 }
            if parts.contains(where: { $0.schema == .bool(false) }) { break }
            prefix.append(Int32(try compile(parts)))
        }
        var items: Int32 = -1
        if prefix.count == n {
            let parts = shapes.compactMap(\.1)
            if !parts.contains(where: { $0.schema == .bool(false) }) { items = Int32(try compile(parts)) }
        }
        return ArrayRule(prefix: prefix, items: items, minItems: minItems, maxItems: maxItems, unique: unique)
    }
}

extension String {
    /// `%XX` escapes decoded (JSON Pointer fragments in `$ref` are URI-encoded).
    var removingPercentEncodingLite: String {
        guard contains("%") else { return self }
        var out: [UInt8] = []
        let b = Array(utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x25, i + 2 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v); i += 3
            } else { out.append(b[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The covered formats, as patterns whose every match passes Proctor's format checker.
enum Formats {
    static let date = "[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    static let time = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
    static let octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    static let label = "[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?"
    static let host = label + "(?:\\." + label + "){0,3}"
    static let path = "(?:/[a-zA-Z0-9._~-]{0,12}){0,4}"
    static let pattern: [String: String] = [
        "hostname": "^" + host + "$",
        "ipv6": "^(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$",
        "uri": "^https?://" + host + "(?::[1-9][0-9]{0,3})?" + path + "(?:\\?[a-z0-9=&]{0,12})?$",
        "uri-reference": "^(?:https?://" + host + path + "|(?:\\.\\./|\\./)?[a-zA-Z0-9._~-]{1,12}(?:/[a-zA-Z0-9._~-]{1,12}){0,3}|/[a-zA-Z0-9._~-]{1,12}(?:/[a-zA-Z0-9._~-]{1,12}){0,3})(?:#[a-zA-Z0-9._~-]{0,12})?$",
        "duration": "^P(?:[1-9][0-9]{0,2}[DWMY]|T[1-9][0-9]{0,2}[HMS]|[1-9][0-9]{0,2}DT[1-9][0-9]{0,2}H)$",
        "date": "^" + date + "$",
        "time": "^" + time + "$",
        "date-time": "^" + date + "T" + time + "$",
        "uuid": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        "email": "^[a-z0-9]+(?:[._+-][a-z0-9]+){0,3}@" + label + "(?:\\." + label + "){0,3}\\.[a-z]{2,6}$",
        "ipv4": "^(?:" + octet + "\\.){3}" + octet + "$",
    ]
}
