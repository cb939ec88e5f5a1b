import ProctorJSON

/// The JSON Schema dialects Proctor implements.
public enum SchemaDraft: String, Sendable, CaseIterable {
    case draft2020_12 = "2020-12"
    case draft7 = "7"

    /// The dialect named by a `$schema` URI, if it is one of ours.
    public init?(metaschemaURI: String) {
        var u = metaschemaURI
        if u.hasSuffix("#") { u.removeLast() }
        switch u {
        case "https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft/2020-12/schema": self = .draft2020_12
        case "http://json-schema.org/draft-07/schema", "https://json-schema.org/draft-07/schema": self = .draft7
        default: return nil
        }
    }

    /// Parses `--draft` values: `2020-12`, `7`, `draft7`, `draft-07`.
    public init?(option: String) {
        switch option.lowercased() {
        case "2020-12", "draft2020-12", "draft-2020-12", "2020": self = .draft2020_12
        case "7", "07", "draft7", "draft-07", "draft-7": self = .draft7
        default: return nil
        }
    }

    var metaschemaURI: String {
        switch self {
        case .draft2020_12: return "https://json-schema.org/draft/2020-12/schema"
        case .draft7: return "http://json-schema.org/draft-07/schema"
        }
    }
}

/// Options for compiling a schema.
public struct SchemaOptions: Sendable {
    /// Dialect for schemas without `$schema`.
    public var defaultDraft: SchemaDraft
    /// Treat `format` as an assertion (date-time, email, …) instead of an annotation.
    public var formatAssertion: Bool
    /// Backtracking budget for each `pattern` match.
    public var regexStepLimit: Int

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
    public let message: String

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

    public static func == (a: ValidationError, b: ValidationError) -> Bool {
        a.instanceLocation == b.instanceLocation && a.keywordLocation == b.keywordLocation && a.keyword == b.keyword && a.message == b.message
    }

    public var description: String {
        "\(instanceLocation.isEmpty ? "(root)" : instanceLocation): \(message)"
    }

    public var json: JSONValue {
        ["instanceLocation": .string(instanceLocation), "keywordLocation": .string(keywordLocation), "message": .string(message)]
    }
}

/// The outcome of validating one instance.
public struct ValidationResult: Sendable {
    public let valid: Bool
    public let errors: [ValidationError]
}
