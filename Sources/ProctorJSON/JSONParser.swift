/// Parses JSON text from UTF-8 bytes.
///
/// Two modes: `.strict` is RFC 8259 exactly (model outputs must be real JSON); `.jsonc` also accepts
/// `//` and `/* */` comments and trailing commas, as editors do for settings files (suites).
/// Nesting is bounded (`maxDepth`), so hostile input gets an error instead of a stack overflow.
public struct JSONParser {
    public enum Mode: Sendable { case strict, jsonc }

    public struct Options: Sendable {
        public var mode: Mode
        public var maxDepth: Int
        public init(mode: Mode = .strict, maxDepth: Int = 1000) {
            self.mode = mode
            self.maxDepth = maxDepth
        }
        public static let strict = Options()
        public static let jsonc = Options(mode: .jsonc)
    }

    /// Parses a whole document from a string.
    public static func parse(_ text: String, options: Options = .strict) throws(JSONParseError) -> JSONValue {
        var copy = text
        let result: Result<JSONValue, JSONParseError> = copy.withUTF8 { buf in
            Result { () throws(JSONParseError) -> JSONValue in try parse(bytes: buf, options: options) }
        }
        return try result.get()
    }

    /// Parses a whole document from bytes.
    public static func parse(_ bytes: [UInt8], options: Options = .strict) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buf in
            Result { () throws(JSONParseError) -> JSONValue in try parse(bytes: buf, options: options) }
        }
        return try result.get()
    }

    /// Parses a whole document from a byte buffer (the fast path every other entry point uses).
    public static func parse(bytes: UnsafeBufferPointer<UInt8>, options: Options = .strict) throws(JSONParseError) -> JSONValue {
        var p = _ByteParser(bytes: bytes, options: options)
        return try p.parseDocument()
    }

    /// Parses the first JSON value at the start of `bytes` (after whitespace) and returns it with the
    /// offset just past it; trailing content is left to the caller (used for JSON inside prose).
    public static func parsePrefix(bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0,
                                   options: Options = .strict) throws(JSONParseError) -> (value: JSONValue, end: Int) {
        var p = _ByteParser(bytes: bytes, options: options)
        p.pos = start
        try p.skipWhitespace()
        let v = try p.parseValue()
        return (v, p.pos)
    }
}
