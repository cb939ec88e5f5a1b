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
    /// Asserted formats Proctor does not know ("POINTER: NAME"), reported, never failed.
    var unknownFormats: [String] = []
    /// References deferred under `deferUnresolvedRefs` ("POINTER: message").
    var unresolvedRefs: [String] = []
    /// Files other documents were read from while compiling (sibling files, registry folders).
    var filesRead: [String] = []

    /// Whether `error` is a reference to a document nobody serves, to be deferred under the options.
    func defers(_ error: SchemaError) -> Bool {
        options.deferUnresolvedRefs && error.message.contains("no schema is registered at")
    }

    init(registry: SchemaRegistry, options: SchemaOptions) {
        self.registry = registry
        self.options = options
    }

    func fail(_ key: LocKey, _ message: String) -> SchemaError {
        SchemaError(pointer: key.pointer, document: key.doc, message: message)
    }

    // MARK: - Documents and dialects

    func addDocument(_ value: JSONValue, uri: String, draft: SchemaDraft, forced: SchemaDraft? = nil) throws(SchemaError) {
        let key = LocKey(doc: uri, pointer: "")
        docs[uri] = value
        let d: SchemaDraft, vocab: Vocabularies
        if let forced { (d, vocab) = (forced, .all) } else { (d, vocab) = try dialect(of: value, defaultDraft: draft, at: key) }
        resources.append(SchemaResource(uri: uri, dynamicAnchors: [:]))
        dynamicLocs.append([:])
        if uriIndex[uri] == nil { uriIndex[uri] = key }
        try scan(value, key, base: URIReference(uri), draft: d, vocab: vocab, resource: resources.count - 1, atRoot: true)
    }

    /// Loads the document at `uri` from the registry if it is not loaded yet; false when unknown.
    func ensureDocument(_ uri: String, hint: SchemaDraft) throws(SchemaError) -> Bool {
        if docs[uri] != nil || uriIndex[uri] != nil { return true }
        guard let entry = try registry.load(uri) else { return false }
        if let path = entry.path { filesRead.append(path) }
        try addDocument(entry.value, uri: uri, draft: entry.draft ?? hint)
        return true
    }

    /// The dialect and vocabularies a schema object declares with `$schema`.
    func dialect(of value: JSONValue, defaultDraft: SchemaDraft, at key: LocKey) throws(SchemaError) -> (SchemaDraft, Vocabularies) {
        guard case .object(let o) = value, let s = o["$schema"] else { return (defaultDraft, .all) }
        guard let uri = s.stringValue else { throw fail(key.appending("$schema"), "$schema must be a string") }
        if let d = SchemaDraft(metaschemaURI: uri) { return (d, .all) }
        let norm = normalizeURI(uri)
        for d in SchemaDraft.allCases where norm == normalizeURI(d.metaschemaURI) || norm == normalizeURI(d.metaschemaURI).replacingOccurrences(of: "http://", with: "https://") {
            return (d, .all)
        }
        guard let meta = try registry.load(norm) ?? (docs[norm].map { SchemaRegistry.Entry(value: $0, draft: nil) }) else {
            throw fail(key.appending("$schema"), "unknown $schema '\(uri)': not a supported dialect and not in the registry")
        }
        let (metaDraft, _) = try dialect(of: meta.value, defaultDraft: meta.draft ?? defaultDraft, at: LocKey(doc: norm, pointer: ""))
        guard case .object(let mo) = meta.value, case .object(let vocabs)? = mo["$vocabulary"] else { return (metaDraft, .all) }
        var v: Vocabularies = []
        for (name, required) in vocabs {
            switch name {
            case "https://json-schema.org/draft/2020-12/vocab/applicator": v.insert(.applicator)
            case "https://json-schema.org/draft/2020-12/vocab/validation", "https://json-schema.org/draft/2019-09/vocab/validation": v.insert(.validation)
            case "https://json-schema.org/draft/2020-12/vocab/unevaluated": v.insert(.unevaluated)
            // 2019-09 keeps `unevaluated*` in its applicator vocabulary.
            case "https://json-schema.org/draft/2019-09/vocab/applicator": v.formUnion([.applicator, .unevaluated])
            case "https://json-schema.org/draft/2020-12/vocab/format-assertion": v.insert(.formatAssertion)
            case "https://json-schema.org/draft/2019-09/vocab/format": if required == .bool(true) { v.insert(.formatAssertion) }
            case "https://json-schema.org/draft/2020-12/vocab/core", "https://json-schema.org/draft/2020-12/vocab/meta-data",
                 "https://json-schema.org/draft/2020-12/vocab/format-annotation", "https://json-schema.org/draft/2020-12/vocab/content",
                 "https://json-schema.org/draft/2019-09/vocab/core", "https://json-schema.org/draft/2019-09/vocab/meta-data",
                 "https://json-schema.org/draft/2019-09/vocab/content":
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
        if !atRoot, o["$schema"] != nil, o[draft.idKeyword] != nil || o["$id"] != nil {
            (draft, vocab) = try dialect(of: value, defaultDraft: draft, at: key)
        }
        let idKey = draft.idKeyword
        let refOnly = draft.isLegacy && o["$ref"] != nil
        if !refOnly, let idValue = o[idKey] {
            // A draft-04 `id` that is not a string is an ordinary property name's schema, not an identifier.
            guard let id = idValue.stringValue else {
                if draft == .draft4 { return try scanChildren(o, key, base: base, draft: draft, vocab: vocab, resource: resource) }
                throw fail(key.appending(idKey), "\(idKey) must be a string")
            }
            if draft.isLegacy && id.hasPrefix("#") {
                register(base.withoutFragment.description + id, key)
            } else {
                let r = URIReference(id).resolved(against: base)
                let abs = r.withoutFragment.description
                if draft.hasModernKeywords, let f = r.fragment, !f.isEmpty {
                    throw fail(key.appending(idKey), "\(idKey) '\(id)' must not contain a fragment; use $anchor")
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
        if draft == .draft2019_09, o["$recursiveAnchor"] == .bool(true), dynamicLocs[resource][Self.recursiveAnchor] == nil {
            dynamicLocs[resource][Self.recursiveAnchor] = key
        }
        if draft.hasModernKeywords {
            if let a = o["$anchor"] {
                guard let name = a.stringValue, isValidAnchor(name) else { throw fail(key.appending("$anchor"), "$anchor must be a plain name") }
                register(base.description + "#" + name, key)
            }
            if draft == .draft2020_12, let a = o["$dynamicAnchor"] {
                guard let name = a.stringValue, isValidAnchor(name) else { throw fail(key.appending("$dynamicAnchor"), "$dynamicAnchor must be a plain name") }
                register(base.description + "#" + name, key)
                if dynamicLocs[resource][name] == nil { dynamicLocs[resource][name] = key }
            }
        }
        if info[key] == nil { info[key] = LocInfo(base: base, draft: draft, vocab: vocab, resource: resource) }
        if refOnly { return }
        try scanChildren(o, key, base: base, draft: draft, vocab: vocab, resource: resource)
    }

    /// The name 2019-09's `$recursiveAnchor: true` is registered under among a resource's dynamic
    /// anchors (not a valid anchor name, so it never meets a 2020-12 `$dynamicAnchor`).
    static let recursiveAnchor = "#recursive"

    func scanChildren(_ o: JSONObject, _ key: LocKey, base: URIReference, draft: SchemaDraft, vocab: Vocabularies, resource: Int) throws(SchemaError) {
        if info[key] == nil { info[key] = LocInfo(base: base, draft: draft, vocab: vocab, resource: resource) }
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

    /// Keywords whose value is one schema, an array of schemas, or an object of schemas, per dialect
    /// (`items` is listed apart: an array of schemas up to 2019-09).
    static func subschemaKeys(_ draft: SchemaDraft) -> (single: [String], arrays: [String], maps: [String]) {
        switch draft {
        case .draft2020_12:
            return (["additionalProperties", "propertyNames", "items", "contains", "if", "then", "else", "not",
                     "unevaluatedItems", "unevaluatedProperties", "contentSchema"],
                    ["allOf", "anyOf", "oneOf", "prefixItems"], ["properties", "patternProperties", "dependentSchemas", "$defs", "definitions"])
        case .draft2019_09:
            return (["additionalItems", "additionalProperties", "propertyNames", "contains", "if", "then", "else", "not",
                     "unevaluatedItems", "unevaluatedProperties", "contentSchema"],
                    ["allOf", "anyOf", "oneOf"], ["properties", "patternProperties", "dependentSchemas", "$defs", "definitions"])
        case .draft7:
            return (["additionalItems", "additionalProperties", "propertyNames", "contains", "if", "then", "else", "not"],
                    ["allOf", "anyOf", "oneOf"], ["properties", "patternProperties", "definitions", "dependencies"])
        case .draft6:
            return (["additionalItems", "additionalProperties", "propertyNames", "contains", "not"],
                    ["allOf", "anyOf", "oneOf"], ["properties", "patternProperties", "definitions", "dependencies"])
        case .draft4:
            return (["additionalItems", "additionalProperties", "not"],
                    ["allOf", "anyOf", "oneOf"], ["properties", "patternProperties", "definitions", "dependencies"])
        }
    }

    /// The subschemas directly under a schema object, with their pointer tokens.
    func subschemas(of o: JSONObject, draft: SchemaDraft) -> [([String], JSONValue)] {
        var out: [([String], JSONValue)] = []
        let (single, arrays, maps) = Self.subschemaKeys(draft)
        for k in single { if let v = o[k], isSchemaLike(v) { out.append(([k], v)) } }
        if draft.tupleItems, case .array(let xs)? = o["items"] {
            for (i, x) in xs.enumerated() { out.append((["items", String(i)], x)) }
        } else if draft.tupleItems, let v = o["items"], isSchemaLike(v) {
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
