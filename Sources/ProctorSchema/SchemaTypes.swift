import ProctorJSON

/// The JSON Schema dialects Proctor implements, chosen by `$schema` (or `--draft` for a schema
/// without one): real-world schemas are written in all five.
public enum SchemaDraft: String, Sendable, CaseIterable {
    case draft2020_12 = "2020-12"
    case draft2019_09 = "2019-09"
    case draft7 = "7"
    case draft6 = "6"
    case draft4 = "4"

    /// The dialect named by a `$schema` URI, if it is one of ours.
    public init?(metaschemaURI: String) {
        var u = metaschemaURI
        if u.hasSuffix("#") { u.removeLast() }
        if u.hasPrefix("http://") { u = "https://" + u.dropFirst(7) }
        switch u {
        case "https://json-schema.org/draft/2020-12/schema": self = .draft2020_12
        case "https://json-schema.org/draft/2019-09/schema": self = .draft2019_09
        case "https://json-schema.org/draft-07/schema": self = .draft7
        case "https://json-schema.org/draft-06/schema": self = .draft6
        case "https://json-schema.org/draft-04/schema": self = .draft4
        default: return nil
        }
    }

    /// Parses `--draft` values: `2020-12`, `2019-09`, `7`, `draft7`, `draft-07`, `6`, `4`.
    public init?(option: String) {
        switch option.lowercased() {
        case "2020-12", "draft2020-12", "draft-2020-12", "2020": self = .draft2020_12
        case "2019-09", "draft2019-09", "draft-2019-09", "2019": self = .draft2019_09
        case "7", "07", "draft7", "draft-07", "draft-7": self = .draft7
        case "6", "06", "draft6", "draft-06", "draft-6": self = .draft6
        case "4", "04", "draft4", "draft-04", "draft-4": self = .draft4
        default: return nil
        }
    }

    /// The dialect's metaschema URI, as `$schema` names it.
    public var metaschemaURI: String {
        switch self {
        case .draft2020_12: return "https://json-schema.org/draft/2020-12/schema"
        case .draft2019_09: return "https://json-schema.org/draft/2019-09/schema"
        case .draft7: return "http://json-schema.org/draft-07/schema"
        case .draft6: return "http://json-schema.org/draft-06/schema"
        case .draft4: return "http://json-schema.org/draft-04/schema"
        }
    }

    /// Drafts 4 to 7: `$ref` replaces its siblings, `dependencies`, `items` arrays with `additionalItems`.
    var isLegacy: Bool { self == .draft4 || self == .draft6 || self == .draft7 }
    /// The identifier keyword: `id` in draft 4, `$id` after.
    var idKeyword: String { self == .draft4 ? "id" : "$id" }
    /// `items` as an array means tuples (with `additionalItems`) up to 2019-09; 2020-12 has `prefixItems`.
    var tupleItems: Bool { self != .draft2020_12 }
    /// `const`, `contains`, `propertyNames`, boolean schemas and numeric `exclusiveMinimum`: from draft 6.
    var hasDraft6Keywords: Bool { self != .draft4 }
    /// `if`/`then`/`else`: from draft 7.
    var hasConditionals: Bool { self != .draft4 && self != .draft6 }
    /// `$anchor`, `$defs`, `dependentRequired`/`dependentSchemas`, `minContains`/`maxContains`,
    /// `unevaluated*`: from 2019-09.
    var hasModernKeywords: Bool { !isLegacy }
}

/// Options for compiling a schema.
public struct SchemaOptions: Sendable {
    /// Dialect for schemas without `$schema`.
    public var defaultDraft: SchemaDraft
    /// A `$ref` to a document nobody serves fails only the instances that reach it (and is listed in
    /// `unresolvedRefs`), instead of refusing the schema: `validate`, `generate cases` and
    /// `model generate` take real-world schemas whose unused corners point at documents not at hand.
    public var deferUnresolvedRefs = false
    /// The dialect of the root schema whatever its `$schema` says (`--draft`), or nil to follow `$schema`.
    public var forcedDraft: SchemaDraft? = nil
    /// Treat `format` as an assertion (date-time, email, …) instead of an annotation.
    public var formatAssertion: Bool
    /// Backtracking budget for each `pattern` match.
    public var regexStepLimit: Int

    /// Options with the given default dialect, `format` assertion and `pattern` budget; `deferUnresolvedRefs` starts off and `forcedDraft` nil.
    public init(defaultDraft: SchemaDraft = .draft2020_12, formatAssertion: Bool = false, regexStepLimit: Int = 1_000_000) {
        self.defaultDraft = defaultDraft
        self.formatAssertion = formatAssertion
        self.regexStepLimit = regexStepLimit
    }
}

/// A schema that cannot be compiled: bad keyword value, unresolvable `$ref`, unknown `$schema`.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    /// JSON Pointer to the bad keyword inside its document.
    public let pointer: String
    /// The document the pointer is in.
    public let document: String
    /// What is wrong with the keyword's value, in a sentence.
    public let message: String

    /// `invalid schema at POINTER: MESSAGE`, with `schema root` for an empty pointer; the document is not named.
    public var description: String {
        let where_ = pointer.isEmpty ? "schema root" : pointer
        return "invalid schema at \(where_): \(message)"
    }
}

/// One failed check on an instance.
public struct ValidationError: Sendable, Equatable, CustomStringConvertible {
    /// A location as pointer text, or as the tokens it is made of (joined only when read: most
    /// errors inside `anyOf`/`oneOf` branches are never shown, so their pointers are never built).
    enum Location: Sendable {
        case text(String)
        case tokens([String])

        var text: String {
            switch self {
            case .text(let t): return t
            case .tokens(let ts):
                var out = ""
                for t in ts { out += "/"; out += JSONPointer.escape(t) }
                return out
            }
        }
    }

    let instance: Location
    let keywordPath: Location
    /// JSON Pointer into the instance.
    public var instanceLocation: String { instance.text }
    /// The path of keywords taken through the schema, `$ref`s included.
    public var keywordLocation: String { keywordPath.text }
    /// The keyword that failed (last component of `keywordLocation`).
    public let keyword: String
    /// A sentence a person understands.
    public let message: String

    /// An error at locations already written as pointer text, for callers that build their own; the evaluator builds its errors from path tokens instead.
    public init(instanceLocation: String, keywordLocation: String, keyword: String, message: String) {
        instance = .text(instanceLocation)
        keywordPath = .text(keywordLocation)
        self.keyword = keyword
        self.message = message
    }

    init(instanceTokens: [String], keywordTokens: [String], keyword: String, message: String) {
        instance = .tokens(instanceTokens)
        keywordPath = .tokens(keywordTokens)
        self.keyword = keyword
        self.message = message
    }

    /// Errors are equal when their locations, keyword and message are, whether a location is held as text or as tokens.
    public static func == (a: ValidationError, b: ValidationError) -> Bool {
        a.instanceLocation == b.instanceLocation && a.keywordLocation == b.keywordLocation && a.keyword == b.keyword && a.message == b.message
    }

    /// One line: the instance location (`(root)` when empty), a colon and the message.
    public var description: String {
        "\(instanceLocation.isEmpty ? "(root)" : instanceLocation): \(message)"
    }

    /// The error as a JSON object for reports: `instanceLocation`, `keywordLocation` and `message` (the keyword is left out).
    public var json: JSONValue {
        ["instanceLocation": .string(instanceLocation), "keywordLocation": .string(keywordLocation), "message": .string(message)]
    }
}

/// The outcome of validating one instance.
public struct ValidationResult: Sendable {
    /// Whether the instance satisfies the schema.
    public let valid: Bool
    /// Every failed check when the instance is invalid; empty when it is valid.
    public let errors: [ValidationError]
}
