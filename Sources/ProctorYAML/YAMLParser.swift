import ProctorJSON
import ProctorSupport

/// Reads the YAML that configuration files are written in (YAML 1.2, core schema) into a
/// `JSONValue`, with a locator that gives the line and column of every value, like the JSON parser.
///
/// Covered: block mappings and sequences, flow `{}` and `[]`, plain, single- and double-quoted
/// scalars (escapes, line folding), literal `|` and folded `>` block scalars with chomping and
/// indentation indicators, comments, a `---` document start, anchors, aliases and merge keys
/// (`<<`), the core schema's null/bool/int/float, and the `!!str`/`!!int`/`!!float`/`!!bool`/`!!null`
/// tags. Not covered, each a clear error with its position: other tags, complex keys (`?`), a second
/// document, `%TAG` directives (`%YAML 1.x` is read). Duplicate keys are errors; alias expansion and nesting depth are bounded.
public enum YAMLParser {
    /// Nesting deeper than this is an error (hostile input must not overflow small task stacks).
    public static let maxDepth = 200
    /// Values that aliases may copy in all, counted in nodes: no "billion laughs".
    public static let maxAliasNodes = 100_000

    /// Parses YAML text (a leading byte-order mark is ignored).
    public static func parse(_ text: String) throws(YAMLError) -> JSONValue {
        try parseLocated(Array(text.utf8)).value
    }

    /// Parses YAML bytes and returns the value with a locator of its JSON Pointers.
    public static func parseLocated(_ bytes: [UInt8]) throws(YAMLError) -> (value: JSONValue, locator: JSONLocator) {
        let data = TextInput.strippingBOM(bytes)
        var p = _YAMLReader(data)
        let v = try p.document()
        return (v, JSONLocator(bytes: data, offsets: p.offsets))
    }
}

/// Why YAML text could not be read, with its 1-based line and column.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    /// 1-based line of the problem.
    public let line: Int
    /// 1-based column (in code points).
    public let column: Int
    /// What is wrong, in words.
    public let message: String

    /// An error at `line`:`column`.
    public init(line: Int, column: Int, _ message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// The error as `line:column: message`.
    public var description: String { "\(line):\(column): \(message)" }
}
