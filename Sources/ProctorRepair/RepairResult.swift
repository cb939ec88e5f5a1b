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
    /// The text as written, where the repair read a value in another spelling or changed or dropped
    /// one (`0x1F`, `1_000`, `NaN`, `$5`, `\p`): so the log names what was there.
    public let original: String?

    public init(_ kind: Kind, at offset: Int, original: String? = nil) {
        self.kind = kind
        self.offset = offset
        self.original = original
    }

    /// Kinds that change or drop something the text said, so the repaired value may differ from
    /// what was meant (a number cut by the end of the text, `NaN` made `null`, a key without a
    /// value, a character that could not be kept). Faithful readings (`0x1F` is 31) are not lossy.
    public static let lossyKinds: Set<Kind> = [.truncatedNumber, .replacedNonFiniteNumber, .droppedMemberWithoutValue,
                                               .removedInvalidCharacter, .replacedInvalidUTF8, .replacedLoneSurrogate]

    /// This repair may have changed what the text meant (see `lossyKinds`).
    public var isLossy: Bool { Self.lossyKinds.contains(kind) }

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

    public var description: String {
        "\(kind.rawValue) at byte \(offset)" + (original.map { " (was \(JSONSerializer.quote($0)))" } ?? "") + (isLossy ? " [lossy]" : "")
    }
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
    /// True when some repair changed or dropped what the text said (`Repair.isLossy`).
    public var isLossy: Bool { repairs.contains(where: \.isLossy) }
}

/// Nothing could be recovered (empty input, prose without JSON, nesting past the limit).
public struct RepairError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
