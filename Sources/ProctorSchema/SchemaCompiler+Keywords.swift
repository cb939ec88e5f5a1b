import ProctorJSON
import ProctorRegex

extension SchemaCompiler {
    /// Compiles the schema at `key` (memoised; cycles through `$ref` are fine).
    func compileNode(_ key: LocKey) throws(SchemaError) -> Int {
        if let i = nodeIndex[key] { return i }
        guard let v = value(at: key) else { throw fail(key, "reference points to nothing") }
        let inf = try infoFor(key)
        let idx = nodes.count
        nodes.append(nil)
        nodeIndex[key] = idx
        nodes[idx] = try buildNode(v, key, inf)
        return idx
    }

    func buildNode(_ v: JSONValue, _ key: LocKey, _ inf: LocInfo) throws(SchemaError) -> SchemaNode {
        switch v {
        case .bool(let b):
            return SchemaNode(boolean: b, resource: inf.resource, keywords: [], needsAnnotations: false)
        case .object(let o):
            let kws = try keywords(o, key, inf)
            let needs = kws.contains { if case .unevaluatedItems = $0 { return true }; if case .unevaluatedProperties = $0 { return true }; return false }
            return SchemaNode(boolean: nil, resource: inf.resource, keywords: kws, needsAnnotations: needs)
        default:
            throw fail(key, "a schema must be an object or a boolean, found \(v.typeName)")
        }
    }

    // MARK: - Keyword value helpers

    func nonNegativeInt(_ o: JSONObject, _ name: String, _ key: LocKey) throws(SchemaError) -> Int? {
        guard let v = o[name] else { return nil }
        guard case .number(let n) = v, n.isInteger, n.double >= 0 else {
            throw fail(key.appending(name), "\(name) must be a non-negative integer, found \(v)")
        }
        return n.double > Double(Int.max / 2) ? Int.max / 2 : Int(n.double)
    }

    func number(_ o: JSONObject, _ name: String, _ key: LocKey) throws(SchemaError) -> JSONNumber? {
        guard let v = o[name] else { return nil }
        guard case .number(let n) = v else { throw fail(key.appending(name), "\(name) must be a number, found \(v)") }
        return n
    }

    func schemaArray(_ o: JSONObject, _ name: String, _ key: LocKey) throws(SchemaError) -> [Int]? {
        guard let v = o[name] else { return nil }
        guard case .array(let xs) = v, !xs.isEmpty else { throw fail(key.appending(name), "\(name) must be a non-empty array of schemas") }
        var out: [Int] = []
        for i in xs.indices { out.append(try compileNode(key.appending(name, String(i)))) }
        return out
    }

    func schemaMap(_ o: JSONObject, _ name: String, _ key: LocKey) throws(SchemaError) -> [(String, Int)]? {
        guard let v = o[name] else { return nil }
        guard case .object(let m) = v else { throw fail(key.appending(name), "\(name) must be an object of schemas") }
        var out: [(String, Int)] = []
        for (k, _) in m.uniqueEntries { out.append((k, try compileNode(key.appending(name, k)))) }
        return out
    }

    func stringArray(_ v: JSONValue, _ key: LocKey) throws(SchemaError) -> [String] {
        guard case .array(let xs) = v else { throw fail(key, "must be an array of strings") }
        var out: [String] = []
        for x in xs {
            guard let s = x.stringValue else { throw fail(key, "must be an array of strings, found \(x)") }
            out.append(s)
        }
        return out
    }

    func pattern(_ source: JSONValue, _ key: LocKey) throws(SchemaError) -> SearchPattern {
        guard let s = source.stringValue else { throw fail(key, "pattern must be a string") }
        do {
            return SearchPattern(try ECMARegex(s, flags: [.unicode], stepLimit: options.regexStepLimit))
        } catch {
            throw fail(key, "\(error)")
        }
    }

    // MARK: - Keywords

    func keywords(_ o: JSONObject, _ key: LocKey, _ inf: LocInfo) throws(SchemaError) -> [Keyword] {
        var k: [Keyword] = []
        let draft = inf.draft
        func child(_ name: String) throws(SchemaError) -> Int? {
            guard o[name] != nil else { return nil }
            return try compileNode(key.appending(name))
        }

        if let r = o["$ref"] {
            guard let s = r.stringValue else { throw fail(key.appending("$ref"), "$ref must be a string") }
            do {
                k.append(.ref(try compileNode(try resolveRef(s, from: key, keyword: "$ref"))))
            } catch where defers(error) {
                unresolvedRefs.append(key.pointer + "/$ref: " + error.message)
                k.append(.unresolved(error.message))
            }
            if draft.isLegacy { return k }  // drafts 4 to 7: $ref overrides its siblings
        }
        if draft == .draft2019_09, let r = o["$recursiveRef"] {
            // 2019-09: "#" (usually) resolved statically, then dynamically to the outermost resource
            // with `$recursiveAnchor: true`, when the static target has one too.
            guard let s = r.stringValue else { throw fail(key.appending("$recursiveRef"), "$recursiveRef must be a string") }
            let target = try resolveRef(s, from: key, keyword: "$recursiveRef")
            let node = try compileNode(target)
            var anchor: String?
            if case .object(let t)? = value(at: target), t["$recursiveAnchor"] == .bool(true) { anchor = Self.recursiveAnchor }
            k.append(.dynamicRef(node, anchor: anchor))
        }
        if draft == .draft2020_12, let r = o["$dynamicRef"] {
            guard let s = r.stringValue else { throw fail(key.appending("$dynamicRef"), "$dynamicRef must be a string") }
            let target = try resolveRef(s, from: key, keyword: "$dynamicRef")
            let node = try compileNode(target)
            // Dynamic only when the fragment names a $dynamicAnchor of the initial target ("bookending").
            var anchor: String?
            let frag = URIReference(s).fragment ?? ""
            if !frag.isEmpty, !frag.hasPrefix("/"), case .object(let t)? = value(at: target), t["$dynamicAnchor"]?.stringValue == frag {
                anchor = frag
            }
            k.append(.dynamicRef(node, anchor: anchor))
        }

        let validation = inf.vocab.contains(.validation)
        let applicator = inf.vocab.contains(.applicator)

        if validation {
            if let t = o["type"] {
                var set: TypeSet = []
                var names: [String] = []
                let list: [JSONValue]
                if case .array(let xs) = t { list = xs } else { list = [t] }
                for x in list {
                    guard let n = x.stringValue, let ts = TypeSet(name: n) else {
                        throw fail(key.appending("type"), "type must be a type name or an array of them, found \(x)")
                    }
                    set.insert(ts)
                    names.append(n)
                }
                k.append(.type(set, names: names))
            }
            if let e = o["enum"] {
                guard case .array(let xs) = e else { throw fail(key.appending("enum"), "enum must be an array") }
                k.append(.enumeration(xs))
            }
            if draft.hasDraft6Keywords, let c = o["const"] { k.append(.const(c)) }
            if let m = try number(o, "multipleOf", key) {
                guard m.double > 0 else { throw fail(key.appending("multipleOf"), "multipleOf must be greater than 0") }
                k.append(.multipleOf(m))
            }
            if draft == .draft4 {
                // Draft 4: `exclusiveMaximum`/`exclusiveMinimum` are booleans that make the bound strict.
                func flag(_ name: String) throws(SchemaError) -> Bool {
                    guard let v = o[name] else { return false }
                    guard case .bool(let b) = v else { throw fail(key.appending(name), "\(name) must be a boolean in draft 4, found \(v)") }
                    return b
                }
                if let m = try number(o, "maximum", key) { k.append(.maximum(m, exclusive: try flag("exclusiveMaximum"))) }
                if let m = try number(o, "minimum", key) { k.append(.minimum(m, exclusive: try flag("exclusiveMinimum"))) }
            } else {
                if let m = try number(o, "maximum", key) { k.append(.maximum(m, exclusive: false)) }
                if let m = try number(o, "exclusiveMaximum", key) { k.append(.maximum(m, exclusive: true)) }
                if let m = try number(o, "minimum", key) { k.append(.minimum(m, exclusive: false)) }
                if let m = try number(o, "exclusiveMinimum", key) { k.append(.minimum(m, exclusive: true)) }
            }
            if let n = try nonNegativeInt(o, "maxLength", key) { k.append(.maxLength(n)) }
            if let n = try nonNegativeInt(o, "minLength", key) { k.append(.minLength(n)) }
            if let p = o["pattern"] { k.append(.pattern(try pattern(p, key.appending("pattern")))) }
            if let n = try nonNegativeInt(o, "maxItems", key) { k.append(.maxItems(n)) }
            if let n = try nonNegativeInt(o, "minItems", key) { k.append(.minItems(n)) }
            if let u = o["uniqueItems"] {
                guard case .bool(let b) = u else { throw fail(key.appending("uniqueItems"), "uniqueItems must be a boolean") }
                if b { k.append(.uniqueItems) }
            }
            if let n = try nonNegativeInt(o, "maxProperties", key) { k.append(.maxProperties(n)) }
            if let n = try nonNegativeInt(o, "minProperties", key) { k.append(.minProperties(n)) }
            if let r = o["required"] { k.append(.required(try stringArray(r, key.appending("required")))) }
            if draft.hasModernKeywords, let dr = o["dependentRequired"] {
                guard case .object(let m) = dr else { throw fail(key.appending("dependentRequired"), "dependentRequired must be an object") }
                var list: [(String, [String])] = []
                for (name, v) in m.uniqueEntries { list.append((name, try stringArray(v, key.appending("dependentRequired", name)))) }
                k.append(.dependentRequired(list, keyword: "dependentRequired"))
            }
        }
        if options.formatAssertion || inf.vocab.contains(.formatAssertion), let f = o["format"]?.stringValue {
            if FormatChecker.known.contains(f) {
                k.append(.format(f))
            } else if !unknownFormats.contains(key.pointer + "/format: " + f) {
                unknownFormats.append(key.pointer + "/format: " + f)
            }
        }

        if applicator {
            var propNames = NameTable([])
            if let props = try schemaMap(o, "properties", key) {
                var dict: [String: Int] = [:]
                for (n, i) in props { dict[n] = i }
                let order = props.map(\.0)
                propNames = NameTable(order.map { ($0, dict[$0]!) })
                k.append(.properties(propNames, order: order))
            }
            var pats: [SearchPattern] = []
            if let pp = o["patternProperties"] {
                guard case .object(let m) = pp else { throw fail(key.appending("patternProperties"), "patternProperties must be an object") }
                var list: [(SearchPattern, Int)] = []
                for (src, _) in m.uniqueEntries {
                    let p = try pattern(.string(src), key.appending("patternProperties", src))
                    pats.append(p)
                    list.append((p, try compileNode(key.appending("patternProperties", src))))
                }
                k.append(.patternProperties(list))
            }
            if let ap = try child("additionalProperties") { k.append(.additionalProperties(ap, known: propNames, patterns: pats)) }
            if draft.hasDraft6Keywords, let pn = try child("propertyNames") { k.append(.propertyNames(pn)) }
            if draft.isLegacy, case .object(let deps)? = o["dependencies"] {
                var req: [(String, [String])] = []
                var schemas: [(String, Int)] = []
                for (name, v) in deps.uniqueEntries {
                    if case .array = v { req.append((name, try stringArray(v, key.appending("dependencies", name)))) }
                    else { schemas.append((name, try compileNode(key.appending("dependencies", name)))) }
                }
                if !req.isEmpty { k.append(.dependentRequired(req, keyword: "dependencies")) }
                if !schemas.isEmpty { k.append(.dependentSchemas(schemas, keyword: "dependencies")) }
            }
            if draft.hasModernKeywords, let ds = try schemaMap(o, "dependentSchemas", key) { k.append(.dependentSchemas(ds, keyword: "dependentSchemas")) }

            if draft.tupleItems {
                if case .array(let xs)? = o["items"] {
                    var list: [Int] = []
                    for i in xs.indices { list.append(try compileNode(key.appending("items", String(i)))) }
                    k.append(.prefixItems(list))
                    if let ai = try child("additionalItems") { k.append(.items(ai, prefixCount: list.count, keyword: "additionalItems")) }
                } else if let it = try child("items") {
                    k.append(.items(it, prefixCount: 0, keyword: "items"))
                }
            } else {
                var prefixCount = 0
                if let pi = try schemaArray(o, "prefixItems", key) {
                    prefixCount = pi.count
                    k.append(.prefixItems(pi))
                }
                if let it = try child("items") { k.append(.items(it, prefixCount: prefixCount, keyword: "items")) }
            }
            if draft.hasDraft6Keywords, let c = try child("contains") {
                let minC = draft.isLegacy ? 1 : (try nonNegativeInt(o, "minContains", key) ?? 1)
                let maxC = draft.isLegacy ? nil : try nonNegativeInt(o, "maxContains", key)
                k.append(.contains(c, min: validation ? minC : 1, max: validation ? maxC : nil))
            }
            if let xs = try schemaArray(o, "allOf", key) { k.append(.allOf(xs)) }
            if let xs = try schemaArray(o, "anyOf", key) { k.append(.anyOf(xs)) }
            if let xs = try schemaArray(o, "oneOf", key) { k.append(.oneOf(xs)) }
            if let n = try child("not") { k.append(.not(n)) }
            if draft.hasConditionals, let i = try child("if") {
                k.append(.conditional(ifNode: i, then: try child("then"), else: try child("else")))
            } else if draft.hasConditionals {
                // `then`/`else` without `if` are ignored, but their identifiers stay reachable.
                _ = try child("then"); _ = try child("else")
            }
        }
        if draft.hasModernKeywords && inf.vocab.contains(.unevaluated) {
            if let u = try child("unevaluatedItems") { k.append(.unevaluatedItems(u)) }
            if let u = try child("unevaluatedProperties") { k.append(.unevaluatedProperties(u)) }
        }
        return k
    }
}
