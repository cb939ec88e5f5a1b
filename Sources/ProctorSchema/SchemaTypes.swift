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
    /// JSON Pointer into the instance.
    public let instanceLocation: String
    /// The path of keywords taken through the schema, `$ref`s included.
    public let keywordLocation: String
    /// The keyword that failed (last component of `keywordLocation`).
    public let keyword: String
    /// A sentence a person understands.
    public let message: String

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
