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
    static let covered: Set<String> = [
        "type", "enum", "const", "properties", "required", "additionalProperties", "items", "prefixItems", "additionalItems",
        "minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "allOf", "anyOf", "oneOf", "$ref", "uniqueItems",
    ]

    func fail(_ pointer: String, _ message: String) -> ConstraintError { ConstraintError(pointer: pointer, message) }

    /// The node for the conjunction of `members`.
    /// Nested compiles in progress: a schema that keeps expanding (a `$ref` with siblings that
    /// reaches itself) ends in an error, not a stack overflow.
    var nesting = 0
    static let maxNesting = 100

    func compile(_ members: [Member]) throws(ConstraintError) -> Int {
        let key: JSONValue = members.count == 1 ? members[0].schema : .array(members.map(\.schema))
        if let id = memo[key] { return id }
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Self.maxNesting else {
            throw fail(members.first?.pointer ?? "", "the schema nests (or expands through \"$ref\") deeper than \(Self.maxNesting) levels")
        }
        let id = nodes.count
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
            case .object(let o):
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
            if let v = o["format"] {
                guard case .string(let f) = v else { throw fail(p + "/format", "\"format\" must be a string") }
                guard let pat = Formats.pattern[f] else {
                    throw fail(p + "/format", "format \"\(f)\" is not covered by constrained decoding (covered: \(Formats.pattern.keys.sorted().joined(separator: ", ")))")
                }
                patterns.append((pat, p + "/format"))
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
        if let literals {
            let kept = try filterLiterals(literals, members: members, types: types)
            guard !kept.isEmpty else { return node }
            node.literalTrie = addTrie(kept.map { JSONSerializer.bytes($0) })
            return node
        }
        var words: [[UInt8]] = []
        if types.contains(.boolean) { words += [Array("true".utf8), Array("false".utf8)] }
        if types.contains(.null) { words.append(Array("null".utf8)) }
        if !words.isEmpty { node.keywordTrie = addTrie(words) }
        if types.contains(.string) {
            var dfa: RegexDFA? = nil
            for (pat, ptr) in patterns {
                do {
                    let d = try RegexDFA(pattern: pat)
                    dfa = try dfa.map { a throws(RegexDFAError) in try RegexDFA.intersection(a, d) } ?? d
                } catch {
                    throw fail(ptr, error.message)
                }
            }
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

    /// Per key, the conjunction of what each member says about it: its `properties` entry, else its
    /// `additionalProperties`, else anything.
    func objectRule(_ members: [Member]) throws(ConstraintError) -> ObjectRule {
        var order: [String] = []
        var required: Set<String> = []
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
        }
        for m in members { for x in m.schema["required"]?.arrayValue ?? [] { if let s = x.stringValue, !order.contains(s) { order.append(s) } } }
        func schemaFor(_ key: String?) -> [Member] {
            var out: [Member] = []
            for m in members {
                guard let o = m.schema.objectValue else { continue }
                if let key, let v = o["properties"]?[key] {
                    out.append(Member(v, m.pointer + "/properties/" + JSONPointer.escape(key)))
                } else if let a = o["additionalProperties"] {
                    out.append(Member(a, m.pointer + "/additionalProperties"))
                }
            }
            return out
        }
        var values: [Int32] = []
        for k in order { values.append(Int32(try compile(schemaFor(k)))) }
        let addl = schemaFor(nil)
        let additional: Int32 = addl.contains { $0.schema == .bool(false) } ? -1 : Int32(try compile(addl))
        let keys = order.map { Array($0.utf8) }
        return ObjectRule(keys: keys, keyJSON: order.map { Array(JSONSerializer.quote($0).utf8) }, values: values,
                          required: order.map { required.contains($0) }, additional: additional, keyTrie: addTrie(keys))
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
    static let pattern: [String: String] = [
        "date": "^" + date + "$",
        "time": "^" + time + "$",
        "date-time": "^" + date + "T" + time + "$",
        "uuid": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        "email": "^[a-z0-9]+(?:[._+-][a-z0-9]+){0,3}@" + label + "(?:\\." + label + "){0,3}\\.[a-z]{2,6}$",
        "ipv4": "^(?:" + octet + "\\.){3}" + octet + "$",
    ]
}
