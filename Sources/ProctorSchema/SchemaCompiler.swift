import ProctorJSON
import ProctorRegex

/// Which vocabularies a schema resource uses (from its metaschema's `$vocabulary`).
struct Vocabularies: OptionSet, Sendable {
    let rawValue: UInt8
    static let applicator = Vocabularies(rawValue: 1)
    static let validation = Vocabularies(rawValue: 2)
    static let unevaluated = Vocabularies(rawValue: 4)
    static let formatAssertion = Vocabularies(rawValue: 8)
    static let all: Vocabularies = [.applicator, .validation, .unevaluated]
}

/// A location in a loaded document: document URI + JSON Pointer.
struct LocKey: Hashable {
    let doc: String
    let pointer: String
    func appending(_ tokens: String...) -> LocKey {
        LocKey(doc: doc, pointer: pointer + tokens.map { "/" + JSONPointer.escape($0) }.joined())
    }
}

/// What scanning learned about a schema location.
struct LocInfo {
    let base: URIReference
    let draft: SchemaDraft
    let vocab: Vocabularies
    let resource: Int
}

/// Turns schema documents into `SchemaNode`s. Used once per `CompiledSchema.compile`, never shared.
final class SchemaCompiler {
    var registry: SchemaRegistry
    let options: SchemaOptions
    var docs: [String: JSONValue] = [:]
    var info: [LocKey: LocInfo] = [:]
    var uriIndex: [String: LocKey] = [:]
    var resources: [SchemaResource] = []
    var dynamicLocs: [[String: LocKey]] = []
    var nodes: [SchemaNode?] = []
    var nodeIndex: [LocKey: Int] = [:]

    init(registry: SchemaRegistry, options: SchemaOptions) {
        self.registry = registry
        self.options = options
    }

    func fail(_ key: LocKey, _ message: String) -> SchemaError {
        SchemaError(pointer: key.pointer, document: key.doc, message: message)
    }

    // MARK: - Documents and dialects

    func addDocument(_ value: JSONValue, uri: String, draft: SchemaDraft) throws(SchemaError) {
        let key = LocKey(doc: uri, pointer: "")
        docs[uri] = value
        let (d, vocab) = try dialect(of: value, defaultDraft: draft, at: key)
        resources.append(SchemaResource(uri: uri, dynamicAnchors: [:]))
        dynamicLocs.append([:])
        if uriIndex[uri] == nil { uriIndex[uri] = key }
        try scan(value, key, base: URIReference(uri), draft: d, vocab: vocab, resource: resources.count - 1, atRoot: true)
    }

    /// Loads the document at `uri` from the registry if it is not loaded yet; false when unknown.
    func ensureDocument(_ uri: String, hint: SchemaDraft) throws(SchemaError) -> Bool {
        if docs[uri] != nil || uriIndex[uri] != nil { return true }
        guard let entry = try registry.load(uri) else { return false }
        try addDocument(entry.value, uri: uri, draft: entry.draft ?? hint)
        return true
    }

    /// The dialect and vocabularies a schema object declares with `$schema`.
    func dialect(of value: JSONValue, defaultDraft: SchemaDraft, at key: LocKey) throws(SchemaError) -> (SchemaDraft, Vocabularies) {
        guard case .object(let o) = value, let s = o["$schema"] else { return (defaultDraft, .all) }
        guard let uri = s.stringValue else { throw fail(key.appending("$schema"), "$schema must be a string") }
        if let d = SchemaDraft(metaschemaURI: uri) { return (d, .all) }
        let norm = normalizeURI(uri)
        if norm.hasPrefix("https://json-schema.org/draft/2019-09/") { return (.draft2020_12, .all) }
        if norm.hasPrefix("http://json-schema.org/draft-0") { return (.draft7, .all) }
        guard let meta = try registry.load(norm) ?? (docs[norm].map { SchemaRegistry.Entry(value: $0, draft: nil) }) else {
            throw fail(key.appending("$schema"), "unknown $schema '\(uri)': not a supported dialect and not in the registry")
        }
        let (metaDraft, _) = try dialect(of: meta.value, defaultDraft: meta.draft ?? defaultDraft, at: LocKey(doc: norm, pointer: ""))
        guard case .object(let mo) = meta.value, case .object(let vocabs)? = mo["$vocabulary"] else { return (metaDraft, .all) }
        var v: Vocabularies = []
        for (name, required) in vocabs {
            switch name {
            case "https://json-schema.org/draft/2020-12/vocab/applicator": v.insert(.applicator)
            case "https://json-schema.org/draft/2020-12/vocab/validation": v.insert(.validation)
            case "https://json-schema.org/draft/2020-12/vocab/unevaluated": v.insert(.unevaluated)
            case "https://json-schema.org/draft/2020-12/vocab/format-assertion": v.insert(.formatAssertion)
            case "https://json-schema.org/draft/2020-12/vocab/core", "https://json-schema.org/draft/2020-12/vocab/meta-data",
                 "https://json-schema.org/draft/2020-12/vocab/format-annotation", "https://json-schema.org/draft/2020-12/vocab/content":
                break
            default:
                if required == .bool(true) {
                    throw fail(key.appending("$schema"), "metaschema '\(uri)' requires the unknown vocabulary '\(name)'")
                }
            }
        }
        return (metaDraft, v)
    }

    // MARK: - Scanning for identifiers

    func scan(_ value: JSONValue, _ key: LocKey, base: URIReference, draft: SchemaDraft, vocab: Vocabularies,
              resource: Int, atRoot: Bool) throws(SchemaError) {
        guard case .object(let o) = value else {
            if info[key] == nil { info[key] = LocInfo(base: base, draft: draft, vocab: vocab, resource: resource) }
            return
        }
        var base = base, draft = draft, vocab = vocab, resource = resource
        if !atRoot, o["$schema"] != nil, o["$id"] != nil {
            (draft, vocab) = try dialect(of: value, defaultDraft: draft, at: key)
        }
        let refOnly = draft == .draft7 && o["$ref"] != nil
        if !refOnly, let idValue = o["$id"] {
            guard let id = idValue.stringValue else { throw fail(key.appending("$id"), "$id must be a string") }
            if draft == .draft7 && id.hasPrefix("#") {
                register(base.withoutFragment.description + id, key)
            } else {
                let r = URIReference(id).resolved(against: base)
                let abs = r.withoutFragment.description
                if draft == .draft2020_12, let f = r.fragment, !f.isEmpty {
                    throw fail(key.appending("$id"), "$id '\(id)' must not contain a fragment; use $anchor")
                }
                if abs != resources[resource].uri {
                    resources.append(SchemaResource(uri: abs, dynamicAnchors: [:]))
                    dynamicLocs.append([:])
                    resource = resources.count - 1
                }
                register(abs, key)
                if let f = r.fragment, !f.isEmpty { register(abs + "#" + f, key) }
                base = r.withoutFragment
            }
        }
        if draft == .draft2020_12 {
            if let a = o["$anchor"] {
                guard let name = a.stringValue, isValidAnchor(name) else { throw fail(key.appending("$anchor"), "$anchor must be a plain name") }
                register(base.description + "#" + name, key)
            }
            if let a = o["$dynamicAnchor"] {
                guard let name = a.stringValue, isValidAnchor(name) else { throw fail(key.appending("$dynamicAnchor"), "$dynamicAnchor must be a plain name") }
                register(base.description + "#" + name, key)
                if dynamicLocs[resource][name] == nil { dynamicLocs[resource][name] = key }
            }
        }
        if info[key] == nil { info[key] = LocInfo(base: base, draft: draft, vocab: vocab, resource: resource) }
        if refOnly { return }
        for (tokens, child) in subschemas(of: o, draft: draft) {
            var k = key
            for t in tokens { k = k.appending(t) }
            try scan(child, k, base: base, draft: draft, vocab: vocab, resource: resource, atRoot: false)
        }
    }

    func register(_ uri: String, _ key: LocKey) {
        let u = normalizeURI(uri)
        if uriIndex[u] == nil { uriIndex[u] = key }
    }

    func isValidAnchor(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    static let singleKeys2020 = ["additionalProperties", "propertyNames", "items", "contains", "if", "then", "else", "not",
                                 "unevaluatedItems", "unevaluatedProperties", "contentSchema"]
    static let arrayKeys2020 = ["allOf", "anyOf", "oneOf", "prefixItems"]
    static let mapKeys2020 = ["properties", "patternProperties", "dependentSchemas", "$defs", "definitions"]
    static let singleKeys7 = ["additionalItems", "additionalProperties", "propertyNames", "contains", "if", "then", "else", "not"]
    static let arrayKeys7 = ["allOf", "anyOf", "oneOf"]
    static let mapKeys7 = ["properties", "patternProperties", "definitions", "dependencies"]

    /// The subschemas directly under a schema object, with their pointer tokens.
    func subschemas(of o: JSONObject, draft: SchemaDraft) -> [([String], JSONValue)] {
        var out: [([String], JSONValue)] = []
        let single = draft == .draft7 ? Self.singleKeys7 : Self.singleKeys2020
        let arrays = draft == .draft7 ? Self.arrayKeys7 : Self.arrayKeys2020
        let maps = draft == .draft7 ? Self.mapKeys7 : Self.mapKeys2020
        for k in single { if let v = o[k], isSchemaLike(v) { out.append(([k], v)) } }
        if draft == .draft7, case .array(let xs)? = o["items"] {
            for (i, x) in xs.enumerated() { out.append((["items", String(i)], x)) }
        } else if draft == .draft7, let v = o["items"], isSchemaLike(v) {
            out.append((["items"], v))
        }
        for k in arrays { if case .array(let xs)? = o[k] { for (i, x) in xs.enumerated() { out.append(([k, String(i)], x)) } } }
        for k in maps {
            if case .object(let m)? = o[k] {
                for (name, v) in m where isSchemaLike(v) { out.append(([k, name], v)) }
            }
        }
        return out
    }

    func isSchemaLike(_ v: JSONValue) -> Bool {
        switch v { case .object, .bool: return true; default: return false }
    }

    // MARK: - References

    func value(at key: LocKey) -> JSONValue? {
        guard let doc = docs[key.doc] else { return nil }
        guard let p = try? JSONPointer(key.pointer) else { return nil }
        return p.resolve(in: doc)
    }

    func infoFor(_ key: LocKey) throws(SchemaError) -> LocInfo {
        if let i = info[key] { return i }
        // A location reached by pointer that scanning did not visit: inherit from the nearest ancestor.
        var tokens = (try? JSONPointer(key.pointer).tokens) ?? []
        var anc: LocInfo?
        while anc == nil && !tokens.isEmpty {
            tokens.removeLast()
            anc = info[LocKey(doc: key.doc, pointer: JSONPointer(tokens: tokens).description)]
        }
        guard let a = anc, let v = value(at: key) else { throw fail(key, "reference points to nothing") }
        try scan(v, key, base: a.base, draft: a.draft, vocab: a.vocab, resource: a.resource, atRoot: false)
        return info[key]!
    }

    /// Resolves a `$ref`/`$dynamicRef` value to a location.
    func resolveRef(_ ref: String, from key: LocKey, keyword: String) throws(SchemaError) -> LocKey {
        let inf = try infoFor(key)
        let target = URIReference(ref).resolved(against: inf.base)
        let abs = target.withoutFragment.description
        let frag = percentDecode(target.fragment ?? "")
        if uriIndex[abs] == nil {
            _ = try ensureDocument(abs, hint: inf.draft)
        }
        guard let root = uriIndex[abs] else {
            throw fail(key.appending(keyword), "cannot resolve \(keyword) '\(ref)': no schema is registered at '\(abs)'")
        }
        if frag.isEmpty { return root }
        if frag.hasPrefix("/") {
            let k = LocKey(doc: root.doc, pointer: root.pointer + frag)
            guard value(at: k) != nil else {
                throw fail(key.appending(keyword), "cannot resolve \(keyword) '\(ref)': pointer '\(frag)' not found in '\(abs)'")
            }
            return k
        }
        guard let k = uriIndex[abs + "#" + frag] else {
            throw fail(key.appending(keyword), "cannot resolve \(keyword) '\(ref)': no anchor '\(frag)' in '\(abs)'")
        }
        return k
    }
}
