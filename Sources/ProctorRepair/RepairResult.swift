import ProctorJSON

/// One change the repair engine made, with where it made it.
public struct Repair: Sendable, Equatable, CustomStringConvertible {
    /// What a repair did; the raw value is the name reports and logs print.
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

    /// What the repair did.
    public let kind: Kind
    /// Byte offset in the input where the repair applies.
    public let offset: Int
    /// The text as written, where the repair read a value in another spelling or changed or dropped
    /// one (`0x1F`, `1_000`, `NaN`, `$5`, `\p`): so the log names what was there.
    public let original: String?

    /// Makes a record of a `kind` repair at byte `offset`, with the text as written when the repair changed or dropped some.
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

    /// The repair as one log line, e.g. `fixedNumber at byte 6 (was "0x1F")`, with ` [lossy]` appended when lossy.
    public var description: String {
        "\(kind.rawValue) at byte \(offset)" + (original.map { " (was \(JSONSerializer.quote($0)))" } ?? "") + (isLossy ? " [lossy]" : "")
    }
}

/// The outcome of `JSONRepair.repair`: the value, its JSON text, and what was changed.
public struct RepairResult: Sendable {
    /// The repaired document.
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
    /// Why nothing could be recovered, in words.
    public let message: String
    /// The message, as is.
    public var description: String { message }
}

extension Array where Element == Repair {
    /// Repairs grouped by label (kind, marked `truncation:` when `truncated` and `lossy:` when the
    /// repair changed or dropped what the text said), in order of first appearance: the label, how
    /// many, the distinct offsets, and the text as written where the repair names it.
    func groups(truncated: Bool) -> [(label: String, count: Int, offsets: [Int], originals: [String])] {
        var order: [String] = []
        var offsets: [String: [Int]] = [:]
        var originals: [String: [String]] = [:]
        for r in self {
            let label = (r.isLossy ? "lossy: " : "") + (truncated && r.isTruncation ? "truncation: " : "") + r.kind.rawValue
            if offsets[label] == nil { order.append(label) }
            offsets[label, default: []].append(r.offset)
            if let o = r.original { originals[label, default: []].append(o) }
        }
        return order.map { label in
            let all = offsets[label]!
            var unique: [Int] = []
            for o in all where !unique.contains(o) { unique.append(o) }
            return (label, all.count, unique, originals[label] ?? [])
        }
    }

    /// The repairs as reports list them, one line per kind: "closedObject ×2 at byte 68",
    /// "fixedNumber at byte 6 (was "0x1F")", "lossy: replacedNonFiniteNumber at byte 6 (was "NaN")";
    /// `in` names what was repaired when it is not the output itself ("tool call 'f' arguments: …").
    public func grouped(truncated: Bool, in context: String? = nil) -> [String] {
        groups(truncated: truncated).map { g in
            let lossy = g.label.hasPrefix("lossy: ")
            let label = lossy ? String(g.label.dropFirst(7)) : g.label
            return (lossy ? "lossy: " : "") + (context.map { $0 + ": " } ?? "") + label + (g.count > 1 ? " ×\(g.count)" : "")
                + " at byte\(g.offsets.count > 1 ? "s" : "") " + g.offsets.map(String.init).joined(separator: ", ")
                + (g.originals.isEmpty ? "" : " (was " + g.originals.prefix(5).map { JSONSerializer.quote(String($0.prefix(40))) }.joined(separator: ", ")
                   + (g.originals.count > 5 ? ", …" : "") + ")")
        }
    }

    /// The kinds alone: "closedArray, closedObject ×2".
    public var summary: String {
        groups(truncated: false).map { "\($0.label)\($0.count > 1 ? " ×\($0.count)" : "")" }.joined(separator: ", ")
    }
}
