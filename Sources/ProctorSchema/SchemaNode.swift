import ProctorJSON
import ProctorRegex

/// JSON types as a bit set, for the `type` keyword.
struct TypeSet: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = TypeSet(rawValue: 1)
    static let boolean = TypeSet(rawValue: 2)
    static let object = TypeSet(rawValue: 4)
    static let array = TypeSet(rawValue: 8)
    static let number = TypeSet(rawValue: 16)
    static let string = TypeSet(rawValue: 32)
    static let integer = TypeSet(rawValue: 64)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init?(name: String) {
        switch name {
        case "null": self = .null
        case "boolean": self = .boolean
        case "object": self = .object
        case "array": self = .array
        case "number": self = .number
        case "string": self = .string
        case "integer": self = .integer
        default: return nil
        }
    }

    func matches(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return contains(.null)
        case .bool: return contains(.boolean)
        case .object: return contains(.object)
        case .array: return contains(.array)
        case .string: return contains(.string)
        case .number(let n): return contains(.number) || (contains(.integer) && n.isInteger)
        }
    }
}

/// Property names and the node each one leads to. A schema names few properties, so lookups
/// compare bytes along a short list (no hashing, and JSON's code-point equality); past 16 names a
/// dictionary answers.
struct NameTable: Sendable {
    let names: [String]
    let nodes: [Int]
    let index: [String: Int]?

    /// The table of `entries` (the last of a repeated name wins).
    init(_ entries: [(String, Int)]) {
        names = entries.map(\.0)
        nodes = entries.map(\.1)
        index = entries.count > 16 ? Dictionary(entries, uniquingKeysWith: { _, b in b }) : nil
    }

    /// The node for `name`, or nil when the table does not name it.
    func lookup(_ name: String) -> Int? {
        if let index { return index[name] }
        var i = names.count - 1
        while i >= 0 {
            if sameBytes(names[i], name) { return nodes[i] }
            i -= 1
        }
        return nil
    }

    /// Whether the table names `name`.
    func contains(_ name: String) -> Bool { lookup(name) != nil }
}

/// One compiled keyword. Child schemas are node indices into `CompiledSchema.nodeInfo`. Indirect: a
/// copy of a keyword is then one retain of its box, not a copy of every payload field (measured).
indirect enum Keyword: Sendable {
    case type(TypeSet, names: [String])
    case enumeration([JSONValue])
    case const(JSONValue)
    case multipleOf(JSONNumber)
    case maximum(JSONNumber, exclusive: Bool)
    case minimum(JSONNumber, exclusive: Bool)
    case maxLength(Int)
    case minLength(Int)
    case pattern(SearchPattern)
    case format(String)
    case maxItems(Int)
    case minItems(Int)
    case uniqueItems
    case maxProperties(Int)
    case minProperties(Int)
    case required([String])
    case dependentRequired([(String, [String])], keyword: String)
    case properties(NameTable, order: [String])
    case patternProperties([(SearchPattern, Int)])
    /// `additionalProperties`, with the names and patterns of its siblings that exempt a key.
    case additionalProperties(Int, known: NameTable, patterns: [SearchPattern])
    case propertyNames(Int)
    case dependentSchemas([(String, Int)], keyword: String)
    case prefixItems([Int])
    /// 2020-12 `items` (applies after `prefixCount` items) or draft-07 `items` as one schema (`prefixCount` 0).
    case items(Int, prefixCount: Int, keyword: String)
    case contains(Int, min: Int, max: Int?)
    case allOf([Int])
    case anyOf([Int])
    case oneOf([Int])
    case not(Int)
    case conditional(ifNode: Int, then: Int?, else: Int?)
    case ref(Int)
    case dynamicRef(Int, anchor: String?)
    case unevaluatedProperties(Int)
    case unevaluatedItems(Int)
    /// A `$ref` to a document nobody serves (`SchemaOptions.deferUnresolvedRefs`): fails when reached.
    case unresolved(String)

    var name: String {
        switch self {
        case .type: return "type"
        case .enumeration: return "enum"
        case .const: return "const"
        case .multipleOf: return "multipleOf"
        case .maximum(_, let ex): return ex ? "exclusiveMaximum" : "maximum"
        case .minimum(_, let ex): return ex ? "exclusiveMinimum" : "minimum"
        case .maxLength: return "maxLength"
        case .minLength: return "minLength"
        case .pattern: return "pattern"
        case .format: return "format"
        case .maxItems: return "maxItems"
        case .minItems: return "minItems"
        case .uniqueItems: return "uniqueItems"
        case .maxProperties: return "maxProperties"
        case .minProperties: return "minProperties"
        case .required: return "required"
        case .dependentRequired(_, let k): return k
        case .properties: return "properties"
        case .patternProperties: return "patternProperties"
        case .additionalProperties: return "additionalProperties"
        case .propertyNames: return "propertyNames"
        case .dependentSchemas(_, let k): return k
        case .prefixItems: return "prefixItems"
        case .items(_, _, let k): return k
        case .contains: return "contains"
        case .allOf: return "allOf"
        case .anyOf: return "anyOf"
        case .oneOf: return "oneOf"
        case .not: return "not"
        case .conditional: return "if"
        case .ref: return "$ref"
        case .dynamicRef: return "$dynamicRef"
        case .unevaluatedProperties: return "unevaluatedProperties"
        case .unevaluatedItems: return "unevaluatedItems"
        case .unresolved: return "$ref"
        }
    }
}

/// A compiled schema object or boolean schema.
struct SchemaNode: Sendable {
    /// `true`/`false` for boolean schemas; nil for objects.
    var boolean: Bool?
    /// The schema resource (nearest `$id`) this node belongs to, for the dynamic scope.
    var resource: Int
    var keywords: [Keyword]
    /// Has `unevaluatedProperties`/`unevaluatedItems`: its in-place children must report annotations.
    var needsAnnotations: Bool
}

/// What the evaluator reads of a node, with no reference-counted field.
struct NodeInfo {
    let boolean: Bool?
    let resource: Int
    /// The node's keywords in `CompiledSchema.keywords`.
    let keywords: Range<Int>
    let needsAnnotations: Bool
}

/// A schema resource: its URI and the `$dynamicAnchor`s it declares.
struct SchemaResource: Sendable {
    let uri: String
    var dynamicAnchors: [String: Int]
}
