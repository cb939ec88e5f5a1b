import ProctorJSON

/// One change the repair engine made, with where it made it.
public struct Repair: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        // Truncation (the text ended early).
        case closedString, closedArray, closedObject
        case droppedIncompleteMember, droppedIncompleteElement
        case droppedPartialEscape, droppedPartialCharacter, droppedPartialString
        case completedLiteral, truncatedNumber
        // Malformation.
        case strippedFence, extractedFromProse, droppedTrailingText
        case removedTrailingComma, removedExtraComma, removedComment
        case convertedSingleQuotes, quotedKey, quotedValue, convertedPythonLiteral, replacedNonFiniteNumber
        case insertedComma, insertedColon, insertedClosingBracket, removedStrayCloser
        case escapedControlCharacter, escapedInnerQuote, fixedEscape, replacedLoneSurrogate, fixedNumber
        case droppedMemberWithoutValue, removedInvalidCharacter, replacedInvalidUTF8
    }

    public let kind: Kind
    /// Byte offset in the input where the repair applies.
    public let offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// True for repairs that complete a text cut short (as opposed to fixing a mistake).
    public var isTruncation: Bool {
        switch kind {
        case .closedString, .closedArray, .closedObject, .droppedIncompleteMember, .droppedIncompleteElement,
             .droppedPartialEscape, .droppedPartialCharacter, .droppedPartialString, .completedLiteral, .truncatedNumber:
            return true
        default:
            return false
        }
    }

    public var description: String { "\(kind.rawValue)@\(offset)" }
}

/// The outcome of `JSONRepair.repair`: the value, its JSON text, and what was changed.
public struct RepairResult: Sendable {
    public let value: JSONValue
    /// Compact JSON text of `value` (serialised on demand).
    public var text: String { JSONSerializer.string(value) }
    /// Empty when the input was already valid JSON.
    public let repairs: [Repair]
    /// True when the input ended inside the JSON (truncation repairs were needed).
    public var wasTruncated: Bool { repairs.contains(where: \.isTruncation) }
}

/// Nothing could be recovered (empty input, prose without JSON, nesting past the limit).
public struct RepairError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
