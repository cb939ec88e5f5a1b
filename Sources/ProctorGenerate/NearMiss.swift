import ProctorJSON
import ProctorSchema

/// An instance that breaks exactly one keyword of the schema: test data for validators.
public struct NearMiss: Sendable, Equatable {
    /// The near miss itself.
    public let instance: JSONValue
    /// JSON Pointer of the one keyword it violates, as the validator's keyword location.
    public let violates: String

    /// The line `generate cases --invalid` writes: `{"instance", "violates"}`.
    public var jsonLine: String { JSONSerializer.string(["instance": instance, "violates": .string(violates)]) }
}

extension InstanceGenerator {
    /// A keyword that can be broken, where it sits in the schema and where its value sits in an instance.
    struct Target {
        let pointer: String
        let keyword: String
        let value: JSONValue
        /// Instance path of the value the keyword applies to (object keys and array indices).
        let path: [PathStep]
    }

    enum PathStep: Equatable { case key(String), index(Int) }

    static let breakable: Set<String> = [
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "format",
        "enum", "const", "type", "required", "additionalProperties", "minItems", "maxItems", "uniqueItems", "maxProperties",
        "oneOf", "anyOf",
    ]

    /// Keywords reachable without a choice (no anyOf/oneOf/not/if, no $ref), with their instance paths.
    static func targets(_ s: JSONValue, _ ptr: String, _ path: [PathStep], into out: inout [Target]) {
        guard case .object(let o) = s else { return }
        for (k, v) in o where breakable.contains(k) {
            if k == "additionalProperties" && v != .bool(false) { continue }
            if k == "uniqueItems" && v != .bool(true) { continue }
            out.append(Target(pointer: ptr + "/" + k, keyword: k, value: v, path: path))
        }
        if case .object(let props)? = o["properties"] {
            for (name, sub) in props { targets(sub, ptr + "/properties/" + JSONPointer.escape(name), path + [.key(name)], into: &out) }
        }
        if case .array(let xs)? = o["prefixItems"] {
            for (i, sub) in xs.enumerated() { targets(sub, ptr + "/prefixItems/\(i)", path + [.index(i)], into: &out) }
        } else if let items = o["items"], items.objectValue != nil, o["prefixItems"] == nil {
            targets(items, ptr + "/items", path + [.index(0)], into: &out)
        }
        if case .array(let xs)? = o["allOf"] {
            for (i, sub) in xs.enumerated() { targets(sub, ptr + "/allOf/\(i)", path, into: &out) }
        }
    }

    /// Near misses: for every breakable keyword, up to `perKeyword` instances whose only validation
    /// error is that keyword (checked by Proctor's validator, which lists every error).
    public func nearMisses(seed: UInt64, perKeyword: Int = 1) throws(GenerateError) -> [NearMiss] {
        var list: [Target] = []
        Self.targets(bundle.document, "", [], into: &list)
        // Keyword locations are the bundle's (the pointers `targets` gives), so the near misses are
        // checked against the bundle; every one is an instance of the original schema's negation too.
        let validator: CompiledSchema
        do { validator = try CompiledSchema.compile(bundle.document, options: SchemaOptions(formatAssertion: true)) } catch {
            throw GenerateError(pointer: error.pointer, "the bundled schema does not compile: \(error.message)")
        }
        let pool = try generate(count: 24, seed: seed)
        var out: [NearMiss] = []
        for t in list {
            var found = 0
            outer: for base in pool {
                guard Self.get(base, t.path) != nil else { continue }
                for candidate in Self.breaking(t, base, pool: pool) {
                    guard let broken = Self.set(base, t.path, candidate) else { continue }
                    let r = validator.validate(broken)
                    guard !r.valid, r.errors.allSatisfy({ $0.keywordLocation == t.pointer }) else { continue }
                    guard !self.validator.isValid(broken) else { continue }
                    out.append(NearMiss(instance: broken, violates: t.pointer))
                    found += 1
                    if found >= perKeyword { break outer }
                    continue outer
                }
            }
        }
        if out.isEmpty {
            let kinds = Set(list.map(\.keyword)).sorted()
            throw GenerateError(pointer: "", kinds.isEmpty
                ? "no keyword to break: near misses break one of \(Self.breakable.sorted().joined(separator: ", ")) outside a choice, and this schema has none"
                : "no near miss found: every change tried to \(kinds.joined(separator: ", ")) also broke another keyword")
        }
        return out
    }

    static func get(_ v: JSONValue, _ path: [PathStep]) -> JSONValue? {
        var cur = v
        for step in path {
            switch (step, cur) {
            case (.key(let k), .object(let o)): guard let x = o[k] else { return nil }; cur = x
            case (.index(let i), .array(let a)): guard i < a.count else { return nil }; cur = a[i]
            default: return nil
            }
        }
        return cur
    }

    static func set(_ v: JSONValue, _ path: [PathStep], _ new: JSONValue?) -> JSONValue? {
        guard let step = path.first else { return new }
        switch (step, v) {
        case (.key(let k), .object(var o)):
            guard let child = o[k] else { return nil }
            o[k] = set(child, Array(path.dropFirst()), new) ?? .null
            return .object(o)
        case (.index(let i), .array(var a)):
            guard i < a.count, let x = set(a[i], Array(path.dropFirst()), new) else { return nil }
            a[i] = x
            return .array(a)
        default: return nil
        }
    }

    /// Replacement values for the keyword's target that break it (tried in order).
    static func breaking(_ t: Target, _ base: JSONValue, pool: [JSONValue]) -> [JSONValue] {
        guard let cur = get(base, t.path) else { return [] }
        let n = t.value.numberValue
        switch t.keyword {
        case "minimum":
            guard let n else { return [] }
            return [.number(JSONNumber(n.double - 1)), .number(JSONNumber(n.double - 0.5))]
        case "exclusiveMinimum", "exclusiveMaximum":
            guard let n else { return [] }
            return [.number(n)]
        case "maximum":
            guard let n else { return [] }
            return [.number(JSONNumber(n.double + 1)), .number(JSONNumber(n.double + 0.5))]
        case "multipleOf":
            guard let n, let c = cur.doubleValue else { return [] }
            return [.number(JSONNumber(c + n.double / 2)), .number(JSONNumber(c + 1)), .number(JSONNumber(c + n.double * 1.5))]
        case "minLength":
            guard let n = n?.intValue, n > 0, let s = cur.stringValue else { return [] }
            return [.string(String(s.prefix(n - 1))), .string(String(repeating: "a", count: n - 1))]
        case "maxLength":
            guard let n = n?.intValue, let s = cur.stringValue else { return [] }
            return [.string(s + String(repeating: "a", count: max(1, n + 1 - s.count))), .string(String(repeating: "a", count: n + 1))]
        case "pattern":
            return ["", "!", "~~~~", "0", "A", "zz-top", " "].map { .string($0) }
        case "format":
            return ["not a \(t.value.stringValue ?? "value")", "", "::"].map { .string($0) }
        case "enum":
            let values = t.value.arrayValue ?? []
            let candidates: [JSONValue] = ["~not-listed~", 987_654, .bool(true), .null, 0.5, "", [], [:]]
            return candidates.filter { !values.contains($0) }
        case "const":
            let c = t.value
            return ([.string((c.stringValue ?? "") + "x"), .number(JSONNumber((c.doubleValue ?? 0) + 1)), .bool(!(c.boolValue ?? false)), .null] as [JSONValue]).filter { $0 != c }
        case "type":
            let names = t.value.stringValue.map { [$0] } ?? (t.value.arrayValue ?? []).compactMap(\.stringValue)
            let all: [(String, JSONValue)] = [("string", "x"), ("integer", 7), ("number", 0.5), ("boolean", true), ("null", .null), ("array", []), ("object", [:])]
            return all.filter { pair in !names.contains(pair.0) && !(pair.0 == "integer" && names.contains("number")) && !(pair.0 == "number" && names.contains("integer") && false) }.map(\.1)
        case "required":
            guard case .object(let o) = cur else { return [] }
            var out: [JSONValue] = []
            for r in t.value.arrayValue ?? [] {
                guard let k = r.stringValue, o[k] != nil else { continue }
                out.append(.object(JSONObject(o.entries.filter { $0.key != k })))
            }
            return out
        case "additionalProperties":
            guard case .object(var o) = cur else { return [] }
            o["zz_extra"] = 1
            return [.object(o)]
        case "minItems":
            guard let n = n?.intValue, n > 0, case .array(let a) = cur else { return [] }
            return [.array(Array(a.prefix(n - 1)))]
        case "maxItems":
            guard let n = n?.intValue, case .array(let a) = cur, let last = a.last else { return [] }
            // Distinct items seen at this place in other instances first (uniqueItems may hold too).
            var more = a
            for other in pool { for x in get(other, t.path)?.arrayValue ?? [] where !more.contains(x) && more.count <= n { more.append(x) } }
            var out: [JSONValue] = []
            if more.count > n { out.append(.array(more)) }
            out.append(.array(a + Array(repeating: last, count: max(1, n + 1 - a.count))))
            return out
        case "uniqueItems":
            guard case .array(let a) = cur, let first = a.first else { return [] }
            return [.array(a + [first])]
        case "oneOf", "anyOf":
            // A value no branch accepts (or, for oneOf, one two branches accept), found among plain values
            // of every type and this place's values in other instances.
            var out: [JSONValue] = [.null, .bool(true), 0, 1, 0.5, "", "x", [], [:]]
            for other in pool { if let x = get(other, t.path), x != cur { out.append(x) } }
            return out
        case "maxProperties":
            guard let n = n?.intValue, case .object(var o) = cur else { return [] }
            var i = 0
            while o.count <= n { o["zz\(i)"] = .null; i += 1 }
            return [.object(o)]
        default:
            return []
        }
    }
}
