/// A JSON number that keeps its source text.
///
/// `double` serves arithmetic; `text` serves round trips and exact decimal comparison, so that
/// `12345678901234567890` and `0.1` are never silently rounded when compared or printed.
public struct JSONNumber: Sendable, CustomStringConvertible {
    /// The number as JSON text (source text when parsed).
    public let text: String
    /// The nearest `Double` (may be ±infinity for out-of-range exponents).
    public let double: Double

    /// Wraps number text already known to be valid JSON number syntax (the parser's path).
    @usableFromInline init(validText: String, double: Double) {
        self.text = validText
        self.double = double
    }

    /// Parses JSON number text; `nil` when `text` is not a JSON number.
    public init?(text: String) {
        guard let v = try? JSONParser.parse(text), case .number(let n) = v else { return nil }
        self = n
    }

    /// Wraps text the caller guarantees is JSON number syntax (a parser's fast path; no check is made).
    public init(trustedText text: String) {
        var negative = false
        var mantissa: UInt64 = 0
        var digits = 0
        var plain = true
        for b in text.utf8 {
            if b == UInt8(ascii: "-") { negative = true; continue }
            guard b >= 0x30 && b <= 0x39, digits < 18 else { plain = false; break }
            mantissa = mantissa * 10 + UInt64(b - 0x30)
            digits += 1
        }
        let d = plain ? (negative ? -Double(mantissa) : Double(mantissa)) : (Double(text) ?? (negative ? -.infinity : .infinity))
        self.init(validText: text, double: d)
    }

    /// A number from an `Int`, written in decimal.
    public init(_ value: Int) {
        text = String(value)
        double = Double(value)
    }

    /// A number from a `Double`; non-finite values have no JSON form and become 0.
    public init(_ value: Double) {
        guard value.isFinite else { self.init(0); return }
        if value == value.rounded(), abs(value) < 1e15 {
            self.init(validText: String(Int(value)), double: value)
        } else {
            self.init(validText: "\(value)", double: value)
        }
    }

    /// The number's JSON text, as parsed or as written.
    public var description: String { text }

    /// True when the value has no fractional part (`1.0` and `1e2` are integers, as in JSON Schema).
    public var isInteger: Bool {
        if isPlainInteger { return true }
        return decimal.isInteger
    }

    /// The value as `Int` when it is an integer in range.
    public var intValue: Int? {
        if isPlainInteger, let i = Int(text) { return i }
        guard isInteger, double.magnitude < 9.2e18 else { return nil }
        return Int(double)
    }

    /// Text of the form `-?[0-9]{1,15}`: exactly representable, no decimal work needed.
    @inlinable var isPlainInteger: Bool {
        let u = text.utf8
        if u.count > 16 { return false }
        var first = true
        for b in u {
            if first && b == UInt8(ascii: "-") { first = false; continue }
            first = false
            if b < 0x30 || b > 0x39 { return false }
        }
        return u.count <= 15 || (u.count == 16 && u.first == UInt8(ascii: "-"))
    }

    /// The exact decimal value.
    public var decimal: JSONDecimal { JSONDecimal(numberText: text) }

    /// Orders two numbers by exact value.
    public static func compare(_ a: JSONNumber, _ b: JSONNumber) -> Int {
        if a.double < b.double { return -1 }
        if a.double > b.double { return 1 }
        if a.isPlainInteger && b.isPlainInteger { return 0 }
        return JSONDecimal.compare(a.decimal, b.decimal)
    }

    /// True when `self` is an exact integer multiple of `divisor` (decimal arithmetic, no float error).
    public func isMultiple(of divisor: JSONNumber) -> Bool {
        JSONDecimal.isMultiple(decimal, of: divisor.decimal) ?? {
            let q = double / divisor.double
            return q.isFinite ? q == q.rounded() : false
        }()
    }
}

extension JSONNumber: Hashable, Comparable {
    /// Equal when the exact values are equal, whatever the spelling (`1.0 == 1`, `1e2 == 100`).
    public static func == (a: JSONNumber, b: JSONNumber) -> Bool { compare(a, b) == 0 }
    /// Orders by exact value, not by the rounded `Double`.
    public static func < (a: JSONNumber, b: JSONNumber) -> Bool { compare(a, b) < 0 }
    /// Equal values have equal doubles (rounding is monotonic), so hashing the double is consistent.
    public func hash(into hasher: inout Hasher) { hasher.combine(double == 0 ? 0 : double) }
}

/// An exact decimal: `digits × 10^exponent`, digits without leading or trailing zeros (zero has none).
public struct JSONDecimal: Sendable, Equatable {
    /// True for values below zero; zero is never negative.
    public var negative: Bool
    /// ASCII digit values 0...9, most significant first.
    public var digits: [UInt8]
    /// The power of ten that scales `digits`.
    public var exponent: Int

    /// True when the value is zero (zero has no digits).
    public var isZero: Bool { digits.isEmpty }
    /// True when the value has no fractional part.
    public var isInteger: Bool { isZero || exponent >= 0 }

    /// Reads JSON number text (assumed valid).
    public init(numberText: String) {
        var neg = false
        var ds: [UInt8] = []
        var exp = 0
        var seenPoint = false
        var expPart = false
        var expNeg = false
        var expVal = 0
        for b in numberText.utf8 {
            switch b {
            case UInt8(ascii: "-"):
                if expPart { expNeg = true } else { neg = true }
            case UInt8(ascii: "+"): break
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): expPart = true
            default:
                let d = b &- 0x30
                if expPart {
                    if expVal < 1_000_000_000_000 { expVal = expVal * 10 + Int(d) }
                } else {
                    if ds.isEmpty && d == 0 {
                        if seenPoint { exp -= 1 }
                    } else {
                        ds.append(d)
                        if seenPoint { exp -= 1 }
                    }
                }
            }
        }
        exp += expNeg ? -expVal : expVal
        while let last = ds.last, last == 0 { ds.removeLast(); exp += 1 }
        negative = neg && !ds.isEmpty
        digits = ds
        exponent = ds.isEmpty ? 0 : exp
    }

    /// The value as JSON number text (digits and a power of ten), e.g. `1.25`, `-3e7`.
    public var text: String {
        if isZero { return "0" }
        var body = String(decoding: digits.map { $0 + 0x30 }, as: UTF8.self)
        if exponent > 0 { body += exponent <= 20 ? String(repeating: "0", count: exponent) : "e\(exponent)" }
        else if exponent < 0 {
            let places = -exponent
            if body.count <= places { body = "0." + String(repeating: "0", count: places - body.count) + body }
            else { body.insert(".", at: body.index(body.endIndex, offsetBy: -places)) }
        }
        return (negative ? "-" : "") + body
    }

    /// The value times `k`, exactly, as JSON number text (nil when the digits overflow 64 bits).
    public func times(_ k: Int) -> String? {
        if k == 0 || isZero { return "0" }
        var m: Int = 0
        for d in digits {
            let (a, o1) = m.multipliedReportingOverflow(by: 10)
            let (b, o2) = a.addingReportingOverflow(Int(d))
            if o1 || o2 { return nil }
            m = b
        }
        let (p, o) = m.multipliedReportingOverflow(by: k)
        if o { return nil }
        return JSONDecimal(numberText: "\(negative ? -p : p)e\(exponent)").text
    }

    static func compareMagnitude(_ a: JSONDecimal, _ b: JSONDecimal) -> Int {
        if a.isZero || b.isZero { return a.isZero ? (b.isZero ? 0 : -1) : 1 }
        let ma = a.digits.count + a.exponent, mb = b.digits.count + b.exponent
        if ma != mb { return ma < mb ? -1 : 1 }
        let n = min(a.digits.count, b.digits.count)
        for i in 0..<n where a.digits[i] != b.digits[i] { return a.digits[i] < b.digits[i] ? -1 : 1 }
        if a.digits.count == b.digits.count { return 0 }
        return a.digits.count < b.digits.count ? -1 : 1
    }

    /// Orders two decimals by value: -1, 0 or 1.
    public static func compare(_ a: JSONDecimal, _ b: JSONDecimal) -> Int {
        if a.negative != b.negative { return a.negative ? -1 : 1 }
        let m = compareMagnitude(a, b)
        return a.negative ? -m : m
    }

    /// Exact divisibility, or `nil` when the divisor is too long for 64-bit modular arithmetic.
    public static func isMultiple(_ a: JSONDecimal, of b: JSONDecimal) -> Bool? {
        if b.isZero { return false }
        if a.isZero { return true }
        let k = a.exponent - b.exponent
        // Digits carry no trailing zeros, so a negative shift can never divide evenly.
        if k < 0 { return false }
        guard b.digits.count <= 18 else { return nil }
        var m: UInt64 = 0
        for d in b.digits { m = m * 10 + UInt64(d) }
        var r: UInt64 = 0
        for d in a.digits { r = (r * 10 + UInt64(d)) % m }
        // r * 10^k mod m by square-and-multiply.
        var base: UInt64 = 10 % m
        var e = k
        var p: UInt64 = 1 % m
        while e > 0 {
            if e & 1 == 1 { p = mulmod(p, base, m) }
            base = mulmod(base, base, m)
            e >>= 1
        }
        return mulmod(r, p, m) == 0
    }

    private static func mulmod(_ x: UInt64, _ y: UInt64, _ m: UInt64) -> UInt64 {
        let full = x.multipliedFullWidth(by: y)
        return m.dividingFullWidth((high: full.high, low: full.low)).remainder
    }
}
