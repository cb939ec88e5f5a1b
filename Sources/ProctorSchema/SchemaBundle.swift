import ProctorJSON

/// A schema as one self-contained document in one dialect, for the tools that read a schema's
/// keywords rather than evaluate it: `generate cases` and constrained decoding.
///
/// Every reference (local, to another file through the registry, to an `$anchor`, a draft-04 `id`,
/// `$recursiveRef` and `$dynamicRef`, which are resolved to their static target) becomes a local
/// `#/$defs/NAME`; the older dialects' spellings become 2020-12's (`items` arrays become
/// `prefixItems`, `dependencies` becomes `dependentRequired`/`dependentSchemas`, draft 4's boolean
/// `exclusiveMinimum` a number); keywords the dialect does not define, and annotations, are dropped,
/// as the specification says unknown keywords are. What was a `$ref` keeps its target's place in
/// `origins`, so an error about the bundle can name the original file and pointer.
public struct SchemaBundle: Sendable {
    /// The bundled schema: 2020-12, references only to `#/$defs/…` (and `#`).
    public let document: JSONValue
    /// For each `$defs` name the bundle made, where the schema came from ("URI#POINTER").
    public let origins: [String: String]
    /// References to documents nobody serves, under `SchemaOptions.deferUnresolvedRefs`: their
    /// schemas became `false`, so instances avoid them ("POINTER/$ref: why").
    public var unresolvedRefs: [String] = []

    /// The original place of a pointer into `document` ("" when it is the root's own).
    public func origin(of pointer: String) -> String {
        let parts = pointer.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[1] == "$defs", let o = origins[String(parts[2])] else { return pointer }
        return o + (parts.count > 3 ? "/" + parts[3] : "")
    }

    /// Bundles `schema` (retrieved from `uri`, with `registry` for other documents) in the dialect
    /// its `$schema` names, or `options.defaultDraft`.
    public static func bundle(_ schema: JSONValue, uri: String? = nil, registry: SchemaRegistry = SchemaRegistry(),
                              options: SchemaOptions = SchemaOptions()) throws(SchemaError) -> SchemaBundle {
        let c = SchemaCompiler(registry: registry, options: options)
        let docURI = normalizeURI(uri ?? "urn:proctor:schema:root")
        try c.addDocument(schema, uri: docURI, draft: options.defaultDraft, forced: options.forcedDraft)
        var b = Bundler(compiler: c)
        let root = try b.normalize(LocKey(doc: docURI, pointer: ""))
        var i = 0
        while i < b.pending.count {
            let key = b.pending[i]
            i += 1
            b.defs[b.names[key]!] = try b.normalize(key)
        }
        guard !b.defs.isEmpty else {
            var bundle = SchemaBundle(document: root, origins: [:])
            bundle.unresolvedRefs = c.unresolvedRefs
            return bundle
        }
        var defs = JSONObject()
        for key in b.pending { let n = b.names[key]!; defs[n] = b.defs[n]! }
        var top: JSONObject
        switch root {
        case .object(let o): top = o
        case .bool(true): top = JSONObject()
        default: top = JSONObject([("not", true)])
        }
        top["$defs"] = .object(defs)
        var origins: [String: String] = [:]
        for (k, n) in b.names { origins[n] = k.doc == docURI ? k.pointer : k.doc + "#" + k.pointer }
        var bundle = SchemaBundle(document: .object(top), origins: origins)
        bundle.unresolvedRefs = c.unresolvedRefs
        return bundle
    }
}

/// The walk behind `SchemaBundle.bundle`: each location normalised once; reference targets queued.
struct Bundler {
    let compiler: SchemaCompiler
    var names: [LocKey: String] = [:]
    var pending: [LocKey] = []
    var defs: [String: JSONValue] = [:]
    var used: Set<String> = []

    init(compiler: SchemaCompiler) { self.compiler = compiler }

    /// The `$defs` name for a reference target, queued for normalising the first time.
    mutating func name(for key: LocKey) -> String {
        if let n = names[key] { return n }
        var raw = key.pointer.split(separator: "/").last.map(String.init) ?? ""
        if raw.isEmpty { raw = key.doc.split(separator: "/").last.map(String.init) ?? "root" }
        var base = ""
        for u in raw.unicodeScalars.prefix(40) {
            let plain = u.properties.isAlphabetic || ("0"..."9").contains(u) || u == "-" || u == "_"
            base.unicodeScalars.append(plain ? u : "_")
        }
        var n = base.isEmpty ? "ref" : base
        var k = 2
        while used.contains(n) { n = "\(base)-\(k)"; k += 1 }
        used.insert(n)
        names[key] = n
        pending.append(key)
        return n
    }

    /// The local reference for `s`, or nil for a deferred one nobody serves (its schema is then `false`).
    mutating func ref(_ s: String, _ key: LocKey, _ keyword: String) throws(SchemaError) -> JSONValue? {
        let target: LocKey
        do { target = try compiler.resolveRef(s, from: key, keyword: keyword) } catch where compiler.defers(error) {
            compiler.unresolvedRefs.append(key.pointer + "/" + keyword + ": " + error.message)
            return nil
        }
        return .string("#/$defs/" + JSONPointer.escape(name(for: target)))
    }

    mutating func normalize(_ key: LocKey) throws(SchemaError) -> JSONValue {
        guard let v = compiler.value(at: key) else { throw compiler.fail(key, "reference points to nothing") }
        let inf = try compiler.infoFor(key)
        switch v {
        case .bool: return v
        case .object(let o): return try object(o, key, inf.draft)
        default: throw compiler.fail(key, "a schema must be an object or a boolean, found \(v.typeName)")
        }
    }

    mutating func child(_ key: LocKey, _ tokens: String...) throws(SchemaError) -> JSONValue {
        var k = key
        for t in tokens { k = k.appending(t) }
        return try normalize(k)
    }

    static let kept2020: Set<String> = [
        "type", "enum", "const", "multipleOf", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "maxLength", "minLength",
        "pattern", "format", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties",
        "required", "dependentRequired",
    ]

    mutating func object(_ o: JSONObject, _ key: LocKey, _ draft: SchemaDraft) throws(SchemaError) -> JSONValue {
        var out = JSONObject()
        var conjuncts: [JSONValue] = []
        if let r = o["$ref"]?.stringValue {
            guard let target = try ref(r, key, "$ref") else { return false }
            if draft.isLegacy { return .object(JSONObject([("$ref", target)])) }
            out["$ref"] = target
        }
        if draft == .draft2019_09, let r = o["$recursiveRef"]?.stringValue {
            guard let target = try ref(r, key, "$recursiveRef") else { return false }
            conjuncts.append(.object(JSONObject([("$ref", target)])))
        }
        if draft == .draft2020_12, let r = o["$dynamicRef"]?.stringValue {
            guard let target = try ref(r, key, "$dynamicRef") else { return false }
            conjuncts.append(.object(JSONObject([("$ref", target)])))
        }

        // Assertions that read the same in every dialect that has them.
        for (k, v) in o.uniqueEntries where Self.kept2020.contains(k) {
            switch k {
            case "const", "contains": if draft.hasDraft6Keywords { out[k] = v }
            case "exclusiveMaximum", "exclusiveMinimum": if draft != .draft4, v.numberValue != nil { out[k] = v }
            case "maxContains", "minContains", "dependentRequired": if draft.hasModernKeywords { out[k] = v }
            default: out[k] = v
            }
        }
        if draft == .draft4 {
            // Boolean exclusive bounds turn their bound strict.
            if o["exclusiveMaximum"] == .bool(true), let m = o["maximum"] { out["maximum"] = nil; out["exclusiveMaximum"] = m }
            if o["exclusiveMinimum"] == .bool(true), let m = o["minimum"] { out["minimum"] = nil; out["exclusiveMinimum"] = m }
        }
        // Subschemas.
        func map(_ name: String, into target: String? = nil) throws(SchemaError) {
            guard case .object(let m)? = o[name] else { return }
            var n = JSONObject()
            for (k, _) in m.uniqueEntries { n[k] = try child(key, name, k) }
            out[target ?? name] = .object(n)
        }
        func list(_ name: String) throws(SchemaError) {
            guard case .array(let xs)? = o[name] else { return }
            var n: [JSONValue] = []
            for i in xs.indices { n.append(try child(key, name, String(i))) }
            out[name] = .array(n)
        }
        func single(_ name: String, into target: String? = nil) throws(SchemaError) {
            guard let v = o[name], v.objectValue != nil || v.boolValue != nil else { return }
            out[target ?? name] = try child(key, name)
        }
        try map("properties")
        try map("patternProperties")
        try single("additionalProperties")
        if draft.hasDraft6Keywords { try single("propertyNames"); try single("contains") }
        try list("allOf")
        try list("anyOf")
        try list("oneOf")
        try single("not")
        if draft.hasConditionals, o["if"] != nil {
            try single("if")
            try single("then")
            try single("else")
        }
        if draft.hasModernKeywords {
            try map("dependentSchemas")
            try single("unevaluatedProperties")
            try single("unevaluatedItems")
        }
        if draft.isLegacy, case .object(let deps)? = o["dependencies"] {
            var req = JSONObject(), schemas = JSONObject()
            for (name, v) in deps.uniqueEntries {
                if case .array = v { req[name] = v } else { schemas[name] = try child(key, "dependencies", name) }
            }
            if !req.isEmpty { out["dependentRequired"] = .object(req) }
            if !schemas.isEmpty { out["dependentSchemas"] = .object(schemas) }
        }
        if draft.tupleItems {
            if case .array(let xs)? = o["items"] {
                var n: [JSONValue] = []
                for i in xs.indices { n.append(try child(key, "items", String(i))) }
                out["prefixItems"] = .array(n)
                try single("additionalItems", into: "items")
            } else {
                try single("items")
            }
        } else {
            try list("prefixItems")
            try single("items")
        }
        if !conjuncts.isEmpty {
            if case .array(let xs)? = out["allOf"] { conjuncts = xs + conjuncts }
            out["allOf"] = .array(conjuncts)
        }
        return .object(out)
    }
}
