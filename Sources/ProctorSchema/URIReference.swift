/// A URI reference split per RFC 3986, with reference resolution against a base.
///
/// JSON Schema identifies schemas by URI (`$id`, `$ref`); resolution must follow RFC 3986 §5.2
/// exactly or relative references land on the wrong resource.
struct URIReference: Hashable, Sendable, CustomStringConvertible {
    var scheme: String?
    var authority: String?
    var path: String
    var query: String?
    var fragment: String?

    init(scheme: String? = nil, authority: String? = nil, path: String = "", query: String? = nil, fragment: String? = nil) {
        self.scheme = scheme
        self.authority = authority
        self.path = path
        self.query = query
        self.fragment = fragment
    }

    init(_ text: String) {
        var rest = Substring(text)
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
        if let colon = rest.firstIndex(of: ":") {
            let cand = rest[..<colon]
            if let f = cand.first, f.isLetter,
               cand.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }),
               !cand.contains("/") {
                scheme = cand.lowercased()
                rest = rest[rest.index(after: colon)...]
            }
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = String(rest[..<end])
            rest = rest[end...]
        }
        path = String(rest)
    }

    var description: String {
        var s = ""
        if let scheme { s += scheme + ":" }
        if let authority { s += "//" + authority }
        s += path
        if let query { s += "?" + query }
        if let fragment { s += "#" + fragment }
        return s
    }

    /// This URI without its fragment.
    var withoutFragment: URIReference {
        var c = self
        c.fragment = nil
        return c
    }

    var isAbsolute: Bool { scheme != nil }

    /// RFC 3986 §5.2.2 reference resolution.
    func resolved(against base: URIReference) -> URIReference {
        var t = URIReference()
        if scheme != nil {
            t.scheme = scheme; t.authority = authority; t.path = Self.removeDotSegments(path); t.query = query
        } else {
            if authority != nil {
                t.authority = authority; t.path = Self.removeDotSegments(path); t.query = query
            } else {
                if path.isEmpty {
                    t.path = base.path
                    t.query = query ?? base.query
                } else {
                    if path.hasPrefix("/") {
                        t.path = Self.removeDotSegments(path)
                    } else {
                        t.path = Self.removeDotSegments(Self.merge(base: base, path))
                    }
                    t.query = query
                }
                t.authority = base.authority
            }
            t.scheme = base.scheme
        }
        t.fragment = fragment
        return t
    }

    static func merge(base: URIReference, _ path: String) -> String {
        if base.authority != nil && base.path.isEmpty { return "/" + path }
        if let slash = base.path.lastIndex(of: "/") { return String(base.path[...slash]) + path }
        return path
    }

    static func removeDotSegments(_ input: String) -> String {
        guard input.contains(".") else { return input }
        var inp = Substring(input)
        var out: [Substring] = []
        var result = ""
        // Straightforward implementation of RFC 3986 §5.2.4.
        while !inp.isEmpty {
            if inp.hasPrefix("../") { inp = inp.dropFirst(3) }
            else if inp.hasPrefix("./") { inp = inp.dropFirst(2) }
            else if inp.hasPrefix("/./") { inp = inp.dropFirst(2) }
            else if inp == "/." { inp = "/" }
            else if inp.hasPrefix("/../") { inp = inp.dropFirst(3); if !out.isEmpty { out.removeLast() } }
            else if inp == "/.." { inp = "/"; if !out.isEmpty { out.removeLast() } }
            else if inp == "." || inp == ".." { inp = "" }
            else {
                var end = inp.index(after: inp.startIndex)
                if inp.first != "/" { end = inp.startIndex }
                let next = inp[end...].firstIndex(of: "/") ?? inp.endIndex
                out.append(inp[..<next])
                inp = inp[next...]
            }
        }
        for seg in out { result += seg }
        return result
    }
}

/// Percent-decodes a URI fragment (JSON Pointer fragments may escape characters such as `%25`).
func percentDecode(_ s: String) -> String {
    guard s.contains("%") else { return s }
    var bytes: [UInt8] = []
    var it = Array(s.utf8)[...]
    while let b = it.first {
        it = it.dropFirst()
        if b == UInt8(ascii: "%"), it.count >= 2,
           let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
            bytes.append(v)
            it = it.dropFirst(2)
        } else {
            bytes.append(b)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
