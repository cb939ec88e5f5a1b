// Character classes: ranges, ECMA class escapes and Unicode property escapes.

/// A predicate class such as `\d` or `\p{Letter}`.
enum ClassPredicate {
    case digit, word, space
    case category(Set<Unicode.GeneralCategory>)
    case binary(@Sendable (Unicode.Scalar.Properties) -> Bool)
    case anyScalar, ascii

    func contains(_ c: UInt32) -> Bool {
        switch self {
        case .digit: return c >= 0x30 && c <= 0x39
        case .word: return isWordChar(c)
        case .space: return isECMASpace(c)
        case .anyScalar: return true
        case .ascii: return c < 0x80
        case .category(let cats):
            guard let s = Unicode.Scalar(c) else { return cats.contains(.surrogate) }
            return cats.contains(s.properties.generalCategory)
        case .binary(let f):
            guard let s = Unicode.Scalar(c) else { return false }
            return f(s.properties)
        }
    }
}

@inline(__always) func isWordChar(_ c: UInt32) -> Bool {
    (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
}

func isECMASpace(_ c: UInt32) -> Bool {
    switch c {
    case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: return true
    default: return false
    }
}

@inline(__always) func isLineTerminator(_ c: UInt32) -> Bool {
    c == 0x0A || c == 0x0D || c == 0x2028 || c == 0x2029
}

/// A bracket class or a class escape, possibly negated.
struct CharClass {
    var ranges: [(UInt32, UInt32)] = []
    var predicates: [(ClassPredicate, negated: Bool)] = []
    var negated = false
    var ignoreCase = false

    func contains(_ c: UInt32) -> Bool {
        var hit = rawContains(c)
        if !hit && ignoreCase {
            for alt in caseVariants(c) where alt != c && rawContains(alt) { hit = true; break }
        }
        return hit != negated
    }

    private func rawContains(_ c: UInt32) -> Bool {
        for (lo, hi) in ranges where c >= lo && c <= hi { return true }
        for (p, neg) in predicates where p.contains(c) != neg { return true }
        return false
    }
}

/// Simple case variants of a scalar (for the `i` flag).
func caseVariants(_ c: UInt32) -> [UInt32] {
    if c < 0x80 {
        if c >= 0x41 && c <= 0x5A { return [c, c + 32] }
        if c >= 0x61 && c <= 0x7A { return [c, c - 32] }
        return [c]
    }
    guard let s = Unicode.Scalar(c) else { return [c] }
    var out: [UInt32] = [c]
    for m in [s.properties.lowercaseMapping, s.properties.uppercaseMapping] {
        let scalars = Array(m.unicodeScalars)
        if scalars.count == 1, !out.contains(scalars[0].value) { out.append(scalars[0].value) }
    }
    return out
}

/// Canonical form for case-insensitive comparison of single characters.
@inline(__always) func foldCase(_ c: UInt32) -> UInt32 {
    if c < 0x80 { return (c >= 0x41 && c <= 0x5A) ? c + 32 : c }
    guard let s = Unicode.Scalar(c) else { return c }
    let m = Array(s.properties.lowercaseMapping.unicodeScalars)
    return m.count == 1 ? m[0].value : c
}

// MARK: - Unicode property names

enum UnicodeProperty {
    static func predicate(named raw: String) -> ClassPredicate? {
        var name = raw
        if let eq = raw.firstIndex(of: "=") {
            let key = raw[..<eq]
            guard key == "General_Category" || key == "gc" else { return nil }
            name = String(raw[raw.index(after: eq)...])
        }
        if let cats = categories[name] { return .category(cats) }
        switch name {
        case "Any": return .anyScalar
        case "ASCII": return .ascii
        case "Alphabetic", "Alpha": return .binary { $0.isAlphabetic }
        case "White_Space", "space": return .binary { $0.isWhitespace }
        case "Uppercase", "Upper": return .binary { $0.isUppercase }
        case "Lowercase", "Lower": return .binary { $0.isLowercase }
        case "ASCII_Hex_Digit", "AHex": return .binary { $0.isASCIIHexDigit }
        case "Hex_Digit", "Hex": return .binary { $0.isHexDigit }
        case "Ideographic", "Ideo": return .binary { $0.isIdeographic }
        case "Emoji": return .binary { $0.isEmoji }
        case "Emoji_Presentation": return .binary { $0.isEmojiPresentation }
        case "Math": return .binary { $0.isMath }
        case "Dash": return .binary { $0.isDash }
        case "Diacritic", "Dia": return .binary { $0.isDiacritic }
        case "Noncharacter_Code_Point": return .binary { $0.isNoncharacterCodePoint }
        case "Assigned": return .binary { $0.generalCategory != .unassigned }
        default: return nil
        }
    }

    static let categories: [String: Set<Unicode.GeneralCategory>] = {
        let L: Set<Unicode.GeneralCategory> = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter]
        let M: Set<Unicode.GeneralCategory> = [.nonspacingMark, .spacingMark, .enclosingMark]
        let N: Set<Unicode.GeneralCategory> = [.decimalNumber, .letterNumber, .otherNumber]
        let P: Set<Unicode.GeneralCategory> = [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                                               .initialPunctuation, .finalPunctuation, .otherPunctuation]
        let S: Set<Unicode.GeneralCategory> = [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]
        let Z: Set<Unicode.GeneralCategory> = [.spaceSeparator, .lineSeparator, .paragraphSeparator]
        let C: Set<Unicode.GeneralCategory> = [.control, .format, .surrogate, .privateUse, .unassigned]
        var t: [String: Set<Unicode.GeneralCategory>] = [
            "L": L, "Letter": L, "LC": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter], "Cased_Letter": [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter],
            "M": M, "Mark": M, "Combining_Mark": M, "N": N, "Number": N, "P": P, "Punctuation": P, "punct": P,
            "S": S, "Symbol": S, "Z": Z, "Separator": Z, "C": C, "Other": C,
        ]
        let singles: [(String, String, Unicode.GeneralCategory)] = [
            ("Lu", "Uppercase_Letter", .uppercaseLetter), ("Ll", "Lowercase_Letter", .lowercaseLetter),
            ("Lt", "Titlecase_Letter", .titlecaseLetter), ("Lm", "Modifier_Letter", .modifierLetter),
            ("Lo", "Other_Letter", .otherLetter), ("Mn", "Nonspacing_Mark", .nonspacingMark),
            ("Mc", "Spacing_Mark", .spacingMark), ("Me", "Enclosing_Mark", .enclosingMark),
            ("Nd", "Decimal_Number", .decimalNumber), ("Nl", "Letter_Number", .letterNumber),
            ("No", "Other_Number", .otherNumber), ("Pc", "Connector_Punctuation", .connectorPunctuation),
            ("Pd", "Dash_Punctuation", .dashPunctuation), ("Ps", "Open_Punctuation", .openPunctuation),
            ("Pe", "Close_Punctuation", .closePunctuation), ("Pi", "Initial_Punctuation", .initialPunctuation),
            ("Pf", "Final_Punctuation", .finalPunctuation), ("Po", "Other_Punctuation", .otherPunctuation),
            ("Sm", "Math_Symbol", .mathSymbol), ("Sc", "Currency_Symbol", .currencySymbol),
            ("Sk", "Modifier_Symbol", .modifierSymbol), ("So", "Other_Symbol", .otherSymbol),
            ("Zs", "Space_Separator", .spaceSeparator), ("Zl", "Line_Separator", .lineSeparator),
            ("Zp", "Paragraph_Separator", .paragraphSeparator), ("Cc", "Control", .control),
            ("Cf", "Format", .format), ("Cs", "Surrogate", .surrogate), ("Co", "Private_Use", .privateUse),
            ("Cn", "Unassigned", .unassigned),
        ]
        for (short, long, cat) in singles { t[short] = [cat]; t[long] = [cat] }
        t["digit"] = [.decimalNumber]
        t["cntrl"] = [.control]
        return t
    }()
}
