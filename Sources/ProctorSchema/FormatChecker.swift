import ProctorJSON
import ProctorRegex

/// `format` assertions. Each check returns nil when valid (or not a string), else a reason ("" for none).
enum FormatChecker {
    /// The formats Proctor asserts (every format the 2020-12 specification lists); others are annotations.
    static let known: Set<String> = ["date-time", "date", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4",
                                     "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uuid", "regex", "json-pointer",
                                     "relative-json-pointer", "uri-template"]

    static func check(_ format: String, _ v: JSONValue) -> String? {
        guard case .string(let s) = v else { return nil }
        let ok: Bool
        switch format {
        case "date-time": ok = isDateTime(s)
        case "date": ok = isDate(s)
        case "time": ok = isTime(s)
        case "duration": ok = isDuration(s)
        case "email": ok = isEmail(s, idn: false)
        case "idn-email": ok = isEmail(s, idn: true)
        case "hostname": ok = isHostname(s, idn: false)
        case "idn-hostname": ok = isHostname(s, idn: true)
        case "ipv4": ok = isIPv4(s)
        case "ipv6": ok = isIPv6(s)
        case "uri": ok = isURI(s, reference: false, iri: false)
        case "uri-reference": ok = isURI(s, reference: true, iri: false)
        case "iri": ok = isURI(s, reference: false, iri: true)
        case "iri-reference": ok = isURI(s, reference: true, iri: true)
        case "uuid": ok = isUUID(s)
        case "regex": ok = (try? ECMARegex(s)) != nil
        case "json-pointer": ok = (try? JSONPointer(s)) != nil
        case "relative-json-pointer": ok = isRelativePointer(s)
        case "uri-template": ok = isURITemplate(s)
        default: return nil  // unknown formats are annotations only
        }
        return ok ? nil : ""
    }

    // MARK: - Helpers

    static func digits(_ u: [UInt8], _ from: Int, _ count: Int) -> Int? {
        guard from + count <= u.count else { return nil }
        var v = 0
        for i in from..<(from + count) {
            let d = u[i] &- 0x30
            guard d < 10 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(_ m: Int, _ y: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // MARK: - Dates and times (RFC 3339)

    static func isDate(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 10, u[4] == 0x2D, u[7] == 0x2D,
              let y = digits(u, 0, 4), let m = digits(u, 5, 2), let d = digits(u, 8, 2) else { return false }
        return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(m, y)
    }

    static func isTime(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count >= 9, u[2] == 0x3A, u[5] == 0x3A,
              let h = digits(u, 0, 2), let mi = digits(u, 3, 2), let sec = digits(u, 6, 2) else { return false }
        var i = 8
        if i < u.count && u[i] == 0x2E {
            i += 1
            let start = i
            while i < u.count && u[i] &- 0x30 < 10 { i += 1 }
            if i == start { return false }
        }
        guard i < u.count else { return false }
        var offH = 0, offM = 0, sign = 0
        if u[i] == 0x5A || u[i] == 0x7A {  // Z z
            i += 1
        } else if u[i] == 0x2B || u[i] == 0x2D {
            sign = u[i] == 0x2B ? 1 : -1
            guard i + 6 == u.count, u[i + 3] == 0x3A, let oh = digits(u, i + 1, 2), let om = digits(u, i + 4, 2),
                  oh <= 23, om <= 59 else { return false }
            offH = oh; offM = om
            i += 6
        } else {
            return false
        }
        guard i == u.count, h <= 23, mi <= 59, sec <= 60 else { return false }
        if sec == 60 {
            // A leap second is only valid at 23:59:60 UTC.
            var total = h * 60 + mi - sign * (offH * 60 + offM)
            total = ((total % 1440) + 1440) % 1440
            return total == 23 * 60 + 59
        }
        return true
    }

    static func isDateTime(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count > 11, u[10] == 0x54 || u[10] == 0x74 else { return false }
        return isDate(String(decoding: u[0..<10], as: UTF8.self)) && isTime(String(decoding: u[11...], as: UTF8.self))
    }

    static func isDuration(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.first == UInt8(ascii: "P"), u.count > 1 else { return false }
        var i = 1
        var inTime = false
        var sawAny = false, sawTimeElem = false, sawWeek = false, sawOther = false
        var order = 0  // enforce Y M D then H M S ordering
        while i < u.count {
            if u[i] == UInt8(ascii: "T") {
                if inTime { return false }
                inTime = true; order = 0; i += 1
                continue
            }
            let start = i
            while i < u.count && u[i] &- 0x30 < 10 { i += 1 }
            guard i > start, i < u.count else { return false }
            let unit = u[i]
            i += 1
            let rank: Int
            if inTime {
                switch unit {
                case UInt8(ascii: "H"): rank = 1
                case UInt8(ascii: "M"): rank = 2
                case UInt8(ascii: "S"): rank = 3
                default: return false
                }
                sawTimeElem = true
            } else {
                switch unit {
                case UInt8(ascii: "Y"): rank = 1
                case UInt8(ascii: "M"): rank = 2
                case UInt8(ascii: "W"): rank = 3; sawWeek = true
                case UInt8(ascii: "D"): rank = 4
                default: return false
                }
            }
            if unit != UInt8(ascii: "W") { sawOther = true }
            if rank <= order { return false }
            order = rank
            sawAny = true
        }
        if inTime && !sawTimeElem { return false }
        if sawWeek && sawOther { return false }
        return sawAny
    }

    // MARK: - Network names

    static func isHostname(_ s: String, idn: Bool) -> Bool {
        if s.isEmpty || s.utf8.count > 253 { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        for l in labels {
            let lu = Array(l.utf8)
            guard !lu.isEmpty, lu.count <= 63, lu.first != 0x2D, lu.last != 0x2D else { return false }
            if lu.count >= 4 && lu[2] == 0x2D && lu[3] == 0x2D && !l.lowercased().hasPrefix("xn--") { return false }
            for scalar in l.unicodeScalars {
                let c = scalar.value
                let ascii = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D
                if ascii { continue }
                if !idn || c < 0x80 { return false }
                if !(scalar.properties.isAlphabetic || scalar.properties.generalCategory == .decimalNumber
                     || scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .spacingMark) { return false }
            }
        }
        return true
    }

    static func isEmail(_ s: String, idn: Bool) -> Bool {
        guard let at = s.lastIndex(of: "@") else { return false }
        let local = s[..<at], domain = s[s.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty else { return false }
        if local.hasPrefix("\"") {
            guard local.count >= 2, local.hasSuffix("\"") else { return false }
        } else {
            if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") { return false }
            let allowed = "!#$%&'*+-/=?^_`{|}~."
            for c in local.unicodeScalars {
                let ok = (c.value < 0x80 && (c.properties.isAlphabetic || ("0"..."9").contains(c) || allowed.unicodeScalars.contains(c)))
                    || (idn && c.value >= 0x80)
                if !ok { return false }
            }
        }
        if domain.hasPrefix("[") {
            guard domain.hasSuffix("]") else { return false }
            let inner = domain.dropFirst().dropLast()
            if inner.hasPrefix("IPv6:") { return isIPv6(String(inner.dropFirst(5))) }
            return isIPv4(String(inner))
        }
        return isHostname(String(domain), idn: idn)
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.utf8.allSatisfy({ $0 &- 0x30 < 10 }) else { return false }
            if p.count > 1 && p.hasPrefix("0") { return false }
            guard let v = Int(p), v <= 255 else { return false }
        }
        return true
    }

    static func isIPv6(_ s: String) -> Bool {
        guard !s.isEmpty, s.unicodeScalars.allSatisfy({ $0.isASCII }) else { return false }
        var text = Substring(s)
        var groupsNeeded = 8
        // Trailing dotted IPv4.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(String(text[text.index(after: lastColon)...])) else { return false }
            text = text[...lastColon]
            if text.hasSuffix("::") { } else { text = text.dropLast() }
            groupsNeeded = 6
        }
        let doubles = text.components(separatedByDoubleColon: ())
        if doubles.count > 2 { return false }
        func groups(_ t: Substring) -> [Substring]? {
            if t.isEmpty { return [] }
            let gs = t.split(separator: ":", omittingEmptySubsequences: false)
            for g in gs {
                guard !g.isEmpty, g.count <= 4, g.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }) else { return nil }
            }
            return gs
        }
        if doubles.count == 2 {
            guard let a = groups(doubles[0]), let b = groups(doubles[1]) else { return false }
            return a.count + b.count < groupsNeeded
        }
        guard let g = groups(text) else { return false }
        return g.count == groupsNeeded
    }

    // MARK: - URIs

    static func isURI(_ s: String, reference: Bool, iri: Bool) -> Bool {
        if s.isEmpty { return reference }
        var hasScheme = false
        if let colon = s.firstIndex(of: ":") {
            let scheme = s[..<colon]
            if let f = scheme.first, f.isASCII, f.isLetter,
               scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }) {
                hasScheme = true
            }
        }
        if !hasScheme && !reference { return false }
        let allowedASCII = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%".unicodeScalars.map(\.value))
        let u = Array(s.unicodeScalars)
        var i = 0
        while i < u.count {
            let c = u[i].value
            if c == 0x25 {  // %
                guard i + 2 < u.count, u[i + 1].properties.isASCIIHexDigit, u[i + 2].properties.isASCIIHexDigit else { return false }
                i += 3
                continue
            }
            if c >= 0x80 { if !iri { return false } } else if !allowedASCII.contains(c) { return false }
            i += 1
        }
        // Authority checks: brackets only around an IP literal, port digits only.
        let afterScheme = hasScheme ? String(s[s.index(after: s.firstIndex(of: ":")!)...]) : s
        if afterScheme.hasPrefix("//") {
            let rest = afterScheme.dropFirst(2)
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
            var authority = rest[..<end]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { return false }
                let port = authority[authority.index(after: close)...]
                if !port.isEmpty && !(port.hasPrefix(":") && port.dropFirst().allSatisfy(\.isNumber)) { return false }
            } else {
                if authority.contains("[") || authority.contains("]") { return false }
                if let c = authority.lastIndex(of: ":") {
                    if !authority[authority.index(after: c)...].allSatisfy({ $0.isASCII && $0.isNumber }) { return false }
                }
            }
        } else if !hasScheme {
            // A relative reference's first segment must not contain ':' (it would read as a scheme).
            let first = s.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            if first.contains(":") { return false }
        }
        let fragmentStart = s.firstIndex(of: "#")
        if let f = fragmentStart, s[s.index(after: f)...].contains("#") { return false }
        let pre = fragmentStart.map { s[..<$0] } ?? s[...]
        if pre.contains("[") || pre.contains("]") {
            // Only allowed inside the authority's IP literal.
            if !(afterScheme.hasPrefix("//")) { return false }
        }
        return true
    }

    static func isUUID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 { if c != 0x2D { return false } } else if !Unicode.Scalar(c).properties.isASCIIHexDigit { return false }
        }
        return true
    }

    static func isRelativePointer(_ s: String) -> Bool {
        let digitsPart = s.prefix { $0.isASCII && $0.isNumber }
        guard !digitsPart.isEmpty else { return false }
        if digitsPart.count > 1 && digitsPart.hasPrefix("0") { return false }
        let rest = s.dropFirst(digitsPart.count)
        if rest == "#" { return true }
        return (try? JSONPointer(String(rest))) != nil
    }

    static func isURITemplate(_ s: String) -> Bool {
        var open = false
        for c in s {
            if c == "{" { if open { return false }; open = true } else if c == "}" { if !open { return false }; open = false }
        }
        return !open
    }
}

extension Substring {
    /// Splits on "::".
    func components(separatedByDoubleColon: ()) -> [Substring] {
        var parts: [Substring] = []
        var start = startIndex
        var i = startIndex
        while i < endIndex {
            let n = index(after: i)
            if self[i] == ":" && n < endIndex && self[n] == ":" {
                parts.append(self[start..<i])
                i = index(after: n)
                start = i
            } else {
                i = n
            }
        }
        parts.append(self[start..<endIndex])
        return parts
    }
}
