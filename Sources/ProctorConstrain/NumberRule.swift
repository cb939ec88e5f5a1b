import ProctorJSON

/// A number's type and bounds, decided digit by digit: a prefix is allowed while some number that
/// starts with it lies within the bounds. Output numbers are `-?(0|[1-9][0-9]*)(\.[0-9]+)?` (no
/// exponent), integers without a fraction, so every bound check is exact decimal arithmetic.
final class NumberRule: Sendable {
    let integer: Bool
    /// (value, exclusive)
    let lower: (JSONDecimal, Bool)?
    let upper: (JSONDecimal, Bool)?
    /// Integer bounds, inclusive (integers only).
    let lowInt: JSONDecimal?
    let highInt: JSONDecimal?

    let bounded: Bool

    init(integer: Bool, lower: (JSONDecimal, Bool)?, upper: (JSONDecimal, Bool)?) {
        self.integer = integer
        self.lower = lower
        self.upper = upper
        bounded = lower != nil || upper != nil
        lowInt = lower.map { NumberRule.ceilInteger($0.0, exclusive: $0.1) }
        highInt = upper.map { NumberRule.floorInteger($0.0, exclusive: $0.1) }
    }

    // MARK: - Decimal helpers

    static func dec(_ s: String) -> JSONDecimal { JSONDecimal(numberText: s) }
    static func cmp(_ a: JSONDecimal, _ b: JSONDecimal) -> Int { JSONDecimal.compare(a, b) }

    /// The integer digits of |d| rounded toward zero, as text.
    static func truncatedText(_ d: JSONDecimal) -> String {
        let n = d.digits.count + d.exponent
        if d.isZero || n <= 0 { return "0" }
        var s = ""
        for i in 0..<n { s.append(Character(Unicode.Scalar(UInt8(i < d.digits.count ? d.digits[i] : 0) + 0x30))) }
        return s
    }

    /// Decimal digit text plus one ("199" → "200").
    static func increment(_ s: String) -> String {
        var b = Array(s.utf8)
        var i = b.count - 1
        while i >= 0 {
            if b[i] == 0x39 { b[i] = 0x30; i -= 1 } else { b[i] += 1; return String(decoding: b, as: UTF8.self) }
        }
        return "1" + String(decoding: b, as: UTF8.self)
    }

    static func ceilInteger(_ d: JSONDecimal, exclusive: Bool) -> JSONDecimal {
        let t = truncatedText(d)
        if d.isInteger { return exclusive ? (d.negative ? dec("-" + decrementPositive(t)) : dec(increment(t))) : d }
        return d.negative ? dec("-" + t) : dec(increment(t))
    }

    static func floorInteger(_ d: JSONDecimal, exclusive: Bool) -> JSONDecimal {
        neg(ceilInteger(neg(d), exclusive: exclusive))
    }

    /// The decimal as number text ("-12.05").
    static func text(_ d: JSONDecimal) -> String {
        if d.isZero { return "0" }
        var ds = String(decoding: d.digits.map { $0 + 0x30 }, as: UTF8.self)
        if d.exponent >= 0 {
            ds += String(repeating: "0", count: d.exponent)
        } else {
            let n = -d.exponent
            if ds.count <= n { ds = "0." + String(repeating: "0", count: n - ds.count) + ds } else { ds.insert(".", at: ds.index(ds.endIndex, offsetBy: -n)) }
        }
        return (d.negative ? "-" : "") + ds
    }

    /// n - 1 for a positive integer's text; "0" - 1 is handled by the callers' signs.
    static func decrementPositive(_ s: String) -> String {
        if s == "0" { return "-1" }
        var b = Array(s.utf8)
        var i = b.count - 1
        while i >= 0 {
            if b[i] == 0x30 { b[i] = 0x39; i -= 1 } else { b[i] -= 1; break }
        }
        while b.count > 1 && b[0] == 0x30 { b.removeFirst() }
        return String(decoding: b, as: UTF8.self)
    }

    // MARK: - Intervals

    /// Whether [lo, hi] (each end closed or open, nil for unbounded) meets the bounds.
    func meets(lo: JSONDecimal?, loClosed: Bool, hi: JSONDecimal?, hiClosed: Bool) -> Bool {
        var a = lo, aClosed = loClosed, b = hi, bClosed = hiClosed
        if let (l, ex) = lower {
            if a == nil || Self.cmp(l, a!) > 0 || (Self.cmp(l, a!) == 0 && ex) { a = l; aClosed = !ex }
        }
        if let (u, ex) = upper {
            if b == nil || Self.cmp(u, b!) < 0 || (Self.cmp(u, b!) == 0 && ex) { b = u; bClosed = !ex }
        }
        guard let a, let b else { return true }
        let c = Self.cmp(a, b)
        return c < 0 || (c == 0 && aClosed && bClosed)
    }

    /// Whether an integer in [lo, hi] (closed; nil unbounded) meets the integer bounds.
    func meetsInteger(lo: JSONDecimal?, hi: JSONDecimal?) -> Bool {
        var a = lo, b = hi
        if let l = lowInt, a == nil || Self.cmp(l, a!) > 0 { a = l }
        if let u = highInt, b == nil || Self.cmp(u, b!) < 0 { b = u }
        guard let a, let b else { return true }
        return Self.cmp(a, b) <= 0
    }

    /// Parsed number text: sign, integer digits, whether a point was written, fraction digits.
    struct Parts {
        var negative = false
        var int = ""
        var dot = false
        var frac = ""
        init(_ t: [UInt8]) {
            var i = 0
            if i < t.count && t[i] == 0x2D { negative = true; i += 1 }
            while i < t.count && t[i] != 0x2E { int.append(Character(Unicode.Scalar(t[i]))); i += 1 }
            if i < t.count { dot = true; i += 1 }
            while i < t.count { frac.append(Character(Unicode.Scalar(t[i]))); i += 1 }
        }
    }

    /// Some number starting with `t` lies within the bounds (t is a syntactically valid prefix).
    func feasible(_ t: [UInt8]) -> Bool {
        guard bounded else { return true }
        let p = Parts(t)
        let sign = p.negative ? "-" : ""
        if p.int.isEmpty {
            // "" or "-": any number of that sign (-0 is 0).
            if p.negative { return integer ? meetsInteger(lo: nil, hi: Self.dec("0")) : meets(lo: nil, loClosed: false, hi: Self.dec("0"), hiClosed: true) }
            return integer ? meetsInteger(lo: nil, hi: nil) : meets(lo: nil, loClosed: false, hi: nil, hiClosed: false)
        }
        if p.dot {
            // A fraction of zeros only is never written (the number would be an integer spelt
            // with a point, which `oneOf` integer/number branches could not tell apart), so the
            // interval's own left end is out when the fraction so far is all zeros.
            let zeros = !p.frac.contains { $0 != "0" }
            let a = Self.dec(p.int + "." + (p.frac.isEmpty ? "0" : p.frac))
            let bText = Self.increment(p.int + p.frac)
            let n = p.frac.count
            let bInt = String(bText.dropLast(n)), bFrac = String(bText.suffix(n))
            let b = Self.dec((bInt.isEmpty ? "0" : bInt) + (n > 0 ? "." + bFrac : ""))
            return p.negative ? meets(lo: Self.neg(b), loClosed: false, hi: Self.neg(a), hiClosed: !zeros)
                              : meets(lo: a, loClosed: !zeros, hi: b, hiClosed: false)
        }
        if p.int == "0" {
            if integer { return meetsInteger(lo: Self.dec("0"), hi: Self.dec("0")) }
            return p.negative ? meets(lo: Self.dec("-1"), loClosed: false, hi: Self.dec("0"), hiClosed: true)
                              : meets(lo: Self.dec("0"), loClosed: true, hi: Self.dec("1"), hiClosed: false)
        }
        // "D": the integer part is D followed by k more digits, for some k ≥ 0.
        let growthBound = p.negative ? lower?.0 : upper?.0
        let maxK = growthBound.map { max(0, $0.digits.count + $0.exponent - p.int.count + 1) } ?? 0
        var zeros = ""
        var k = 0
        while true {
            let a = Self.dec(sign + p.int + zeros), b = Self.dec(sign + Self.increment(p.int) + zeros)
            let ok: Bool
            if integer {
                let bMinus = Self.dec(sign + Self.decrementPositive(Self.increment(p.int) + zeros))
                ok = p.negative ? meetsInteger(lo: bMinus, hi: a) : meetsInteger(lo: a, hi: bMinus)
            } else {
                ok = p.negative ? meets(lo: b, loClosed: false, hi: a, hiClosed: true) : meets(lo: a, loClosed: true, hi: b, hiClosed: false)
            }
            if ok { return true }
            if growthBound == nil { return true }  // the intervals grow past any bound on the other side
            k += 1
            if k > maxK { return false }
            zeros += "0"
        }
    }

    static func neg(_ d: JSONDecimal) -> JSONDecimal {
        let t = text(d)
        return dec(t.hasPrefix("-") ? String(t.dropFirst()) : "-" + t)
    }

    /// `t` is a finished number within the bounds.
    func complete(_ t: [UInt8]) -> Bool {
        let p = Parts(t)
        guard !p.int.isEmpty, !(p.dot && !p.frac.contains { $0 != "0" }) else { return false }
        guard bounded else { return true }
        let v = Self.dec(String(decoding: t, as: UTF8.self))
        if integer { return meetsInteger(lo: v, hi: v) }
        return meets(lo: v, loClosed: true, hi: v, hiClosed: true)
    }

    /// Whether byte `b` may follow `t` syntactically.
    func syntaxAllows(_ t: [UInt8], _ b: UInt8) -> Bool {
        let p = Parts(t)
        switch b {
        case 0x2D: return t.isEmpty
        case 0x2E: return !integer && !p.int.isEmpty && !p.dot
        case 0x30...0x39:
            if p.dot { return true }
            return p.int != "0"
        default: return false
        }
    }

    /// Bytes still needed to finish `t` within the bounds: a fixed procedure (finish at once when a
    /// digit can, else the first feasible byte), so each step of it lowers the figure by one.
    func shortestCompletion(_ t: [UInt8]) -> Int {
        if complete(t) { return 0 }
        guard bounded else { return t.isEmpty || t == [0x2D] || t.last == 0x2E || t.last == 0x30 ? 1 : 0 }
        var cur = t
        for steps in 1...48 {
            guard feasible(cur) else { return Grammar.never }
            for d in UInt8(0x30)...0x39 where syntaxAllows(cur, d) && complete(cur + [d]) { return steps }
            var next: UInt8? = nil
            for b in Array(UInt8(0x30)...0x39) + [0x2E, 0x2D] where syntaxAllows(cur, b) && feasible(cur + [b]) { next = b; break }
            guard let next else { return Grammar.never }
            cur.append(next)
        }
        return Grammar.never
    }
}

/// Where a number's text stands, without its digits (unbounded numbers need nothing more).
struct NumSyntax: Sendable {
    var negative = false
    var intDigits: Int32 = 0
    var zeroInt = false
    var dot = false
    var fracNonZero = false

    /// The text so far is a finished number.
    var complete: Bool { intDigits > 0 && (!dot || fracNonZero) }

    /// Whether `b` may come next (integers have no fraction); the syntax after it.
    func adding(_ b: UInt8, integer: Bool) -> NumSyntax? {
        var n = self
        switch b {
        case 0x2D:
            guard !negative && intDigits == 0 else { return nil }
            n.negative = true
        case 0x2E:
            guard !integer && intDigits > 0 && !dot else { return nil }
            n.dot = true
        case 0x30...0x39:
            if dot {
                if b != 0x30 { n.fracNonZero = true }
            } else {
                guard !zeroInt else { return nil }
                if intDigits == 0 && b == 0x30 { n.zeroInt = true }
                n.intDigits += 1
            }
        default: return nil
        }
        return n
    }
}
