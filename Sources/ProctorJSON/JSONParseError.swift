/// Why a text is not acceptable JSON, and where.
///
/// `description` reads `3:17: expected ',' or '}' after object member`, the form editors and CI
/// annotators understand.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset into the input (0-based).
    public let offset: Int
    /// 1-based line.
    public let line: Int
    /// 1-based column, counted in Unicode code points.
    public let column: Int
    /// What was wrong and what was expected.
    public let message: String

    /// Makes an error at byte `offset`, with `line` and `column` already worked out by the caller.
    public init(offset: Int, line: Int, column: Int, message: String) {
        self.offset = offset
        self.line = line
        self.column = column
        self.message = message
    }

    /// The error as `line:column: message`.
    public var description: String { "\(line):\(column): \(message)" }

    /// Computes line and column for `offset` in `bytes`.
    static func locate(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int) -> (line: Int, column: Int) {
        var line = 1, column = 1
        let end = min(offset, bytes.count)
        var i = 0
        while i < end {
            let b = bytes[i]
            if b == 0x0A {
                line += 1; column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return (line, column)
    }
}
