#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A JSON document held in memory.
///
/// Objects keep their members in source order (reports and round trips stay readable), numbers keep
/// their source text (big integers and long decimals survive), and equality follows JSON Schema:
/// numbers compare by value (`1.0 == 1`) and objects ignore member order.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON Schema type name of this value ("integer" is reported as "number" here; see `isInteger`).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The text when this is a string; `nil` otherwise.
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    /// The flag when this is a boolean; `nil` otherwise.
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    /// The number, with its source text, when this is a number; `nil` otherwise.
    public var numberValue: JSONNumber? { if case .number(let n) = self { return n }; return nil }
    /// The nearest `Double` when this is a number; `nil` otherwise.
    public var doubleValue: Double? { if case .number(let n) = self { return n.double }; return nil }
    /// The elements when this is an array; `nil` otherwise.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    /// The members when this is an object; `nil` otherwise.
    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }
    /// True only for JSON `null`; an absent value (`nil`) is not null.
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// An integer value when this is a number with no fractional part that fits in `Int`.
    public var intValue: Int? {
        guard case .number(let n) = self else { return nil }
        return n.intValue
    }

    /// Member lookup for objects; `nil` for other values or absent keys.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// Element lookup for arrays; `nil` for other values or out-of-range indices.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// The `nil` literal makes JSON `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A Boolean literal makes a JSON boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal makes a JSON number.
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    /// A floating-point literal makes a JSON number; integral values print without a fraction.
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    /// A string literal makes a JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal makes a JSON array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal makes a JSON object whose members keep the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String { JSONSerializer.string(self) }
}

// MARK: - Equality

extension JSONValue {
    /// Strings compare by code points (JSON semantics), not by Swift's canonical equivalence:
    /// `"é"` and `"e\u{301}"` are different JSON strings.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return sameBytes(x, y)
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }

    /// Hashes consistently with `==`: numbers by value and objects regardless of member order.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(1); hasher.combine(b)
        case .number(let n): hasher.combine(2); hasher.combine(n)
        case .string(let s): hasher.combine(3); hasher.combine(s)
        case .array(let a): hasher.combine(4); hasher.combine(a)
        case .object(let o): hasher.combine(5); hasher.combine(o)
        }
    }
}

/// Whether two strings hold the same UTF-8 bytes: JSON equality is by code point, not by Swift's
/// canonical equivalence. One length check and a memory compare for native strings.
@inline(__always) public func sameBytes(_ a: String, _ b: String) -> Bool {
    let au = a.utf8, bu = b.utf8
    let n = au.count
    guard n == bu.count else { return false }
    if n == 0 { return true }
    if let r = au.withContiguousStorageIfAvailable({ pa in
        bu.withContiguousStorageIfAvailable { pb in memcmp(pa.baseAddress!, pb.baseAddress!, n) == 0 }
    }), let same = r { return same }
    return au.elementsEqual(bu)
}
