/// Parses JSON text from UTF-8 bytes.
///
/// Two modes: `.strict` is RFC 8259 exactly (model outputs must be real JSON); `.jsonc` also accepts
/// `//` and `/* */` comments and trailing commas, as editors do for settings files (suites).
/// Nesting is bounded (`maxDepth`), so hostile input gets an error instead of a stack overflow.
public struct JSONParser {
    /// Which grammar to accept: RFC 8259 JSON only, or JSON with comments and trailing commas.
    public enum Mode: Sendable { case strict, jsonc }

    /// Parser settings: the grammar and the nesting limit.
    public struct Options: Sendable {
        /// The grammar to accept.
        public var mode: Mode
        /// The deepest nesting of arrays and objects accepted before the parse fails with an error.
        public var maxDepth: Int
        /// Makes settings; the defaults are strict JSON nested at most 1000 levels deep.
        public init(mode: Mode = .strict, maxDepth: Int = 1000) {
            self.mode = mode
            self.maxDepth = maxDepth
        }
        /// Strict RFC 8259 JSON with the default depth limit.
        public static let strict = Options()
        /// JSON with comments and trailing commas, for hand-written files such as suites.
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

    /// Decodes a document that is one JSON string literal, appending its UTF-8 bytes to `out`; the
    /// same checks and errors as `parse` (strict by default), without making a String.
    public static func decodeString(bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], options: Options = .strict) throws(JSONParseError) {
        var p = _ByteParser(bytes: bytes, options: options)
        try p.parseStringDocument(into: &out)
    }

    /// The document, or nil when it is not valid; cheaper than `parse` on invalid input because no
    /// error message is built.
    public static func parseIfValid(bytes: UnsafeBufferPointer<UInt8>, options: Options = .strict) -> JSONValue? {
        var p = _ByteParser(bytes: bytes, options: options)
        p.quiet = true
        return try? p.parseDocument()
    }

    /// Parses a document and remembers where each value starts, so that later checks (unknown keys,
    /// bad values in a suite file) can report `line:column`.
    public static func parseLocated(_ bytes: [UInt8], options: Options = .jsonc) throws(JSONParseError) -> (value: JSONValue, locator: JSONLocator) {
        let result: Result<(JSONValue, [String: Int]), JSONParseError> = bytes.withUnsafeBufferPointer { buf in
            Result { () throws(JSONParseError) -> (JSONValue, [String: Int]) in
                var p = _ByteParser(bytes: buf, options: options)
                p.locations = [:]
                let v = try p.parseDocument()
                return (v, p.locations!)
            }
        }
        let (v, locs) = try result.get()
        return (v, JSONLocator(bytes: bytes, offsets: locs))
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

/// Maps JSON Pointers of a parsed document to source positions.
public struct JSONLocator: Sendable {
    let offsets: [String: Int]
    let lineStarts: [Int]
    let bytes: [UInt8]

    /// A locator over `bytes` from the byte offset where each pointer's member or value starts
    /// (other readers, such as the YAML one, build theirs this way).
    public init(bytes: [UInt8], offsets: [String: Int]) {
        self.bytes = bytes
        self.offsets = offsets
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 0x0A { starts.append(i + 1) }
        lineStarts = starts
    }

    /// 1-based line and column (in code points) of the member or value at `pointer`, or of its nearest
    /// recorded ancestor.
    public func position(of pointer: String) -> (line: Int, column: Int) {
        var p = pointer
        while offsets[p] == nil && !p.isEmpty {
            if let slash = p.lastIndex(of: "/") { p = String(p[..<slash]) } else { p = "" }
        }
        let off = offsets[p] ?? 0
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= off { lo = mid } else { hi = mid - 1 }
        }
        var col = 1
        var i = lineStarts[lo]
        while i < off { if bytes[i] & 0xC0 != 0x80 { col += 1 }; i += 1 }
        return (lo + 1, col)
    }
}
