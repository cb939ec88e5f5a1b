import ProctorJSON

/// Why a schema cannot constrain decoding, or why constrained decoding could not finish: names the
/// keyword by its JSON Pointer in the schema, so an unsupported or unsatisfiable keyword is found at once.
public struct ConstraintError: Error, Sendable, CustomStringConvertible {
    /// JSON Pointer of the keyword in the schema ("" for the whole schema or for a decoding failure).
    public let pointer: String
    /// What is wrong, for a person.
    public let message: String

    /// An error at `pointer`.
    public init(pointer: String, _ message: String) {
        self.pointer = pointer
        self.message = message
    }

    /// The pointer, then the message.
    public var description: String { pointer.isEmpty ? message : "\(pointer): \(message)" }
}

/// How the output may be laid out.
public struct ConstraintOptions: Sendable, Equatable {
    /// Allow whitespace between tokens (pretty output); compact JSON when false.
    public var allowWhitespace: Bool
    /// Allow properties in any order; otherwise they come in the order of the schema's `properties`.
    public var anyOrder: Bool
    /// The deepest nesting of objects and arrays the output may have (bounds recursive schemas).
    public var maxDepth: Int

    /// Compact, in schema order, 16 levels deep unless told otherwise.
    public init(allowWhitespace: Bool = false, anyOrder: Bool = false, maxDepth: Int = 16) {
        self.allowWhitespace = allowWhitespace
        self.anyOrder = anyOrder
        self.maxDepth = maxDepth
    }
}
