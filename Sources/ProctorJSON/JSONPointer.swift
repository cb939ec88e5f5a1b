/// An RFC 6901 JSON Pointer such as `/items/2/price`.
///
/// Used for validator `path`s, schema error locations and `$ref` fragments.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// Unescaped reference tokens.
    public var tokens: [String]

    /// Makes a pointer from already-unescaped `tokens`; no tokens is the empty pointer, which designates the whole document.
    public init(tokens: [String] = []) { self.tokens = tokens }

    /// Parses pointer text; throws when it is not empty and does not start with `/`, or has a bad `~` escape.
    public init(_ text: String) throws(JSONPointerError) {
        if text.isEmpty { tokens = []; return }
        guard text.hasPrefix("/") else { throw JSONPointerError(pointer: text, message: "a JSON Pointer must be empty or start with '/'") }
        var result: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var tok = ""
            var it = raw.makeIterator()
            while let c = it.next() {
                if c == "~" {
                    switch it.next() {
                    case "0": tok.append("~")
                    case "1": tok.append("/")
                    default: throw JSONPointerError(pointer: text, message: "'~' must be followed by '0' or '1'")
                    }
                } else {
                    tok.append(c)
                }
            }
            result.append(tok)
        }
        tokens = result
    }

    /// The pointer text, with `~` and `/` in tokens escaped as `~0` and `~1`; empty for the whole document.
    public var description: String {
        tokens.map { "/" + Self.escape($0) }.joined()
    }

    /// Escapes one reference token for pointer text: `~` becomes `~0` and `/` becomes `~1`.
    public static func escape(_ token: String) -> String {
        // Bytes, not Characters: no grapheme breaking on the hot path of every error location.
        guard token.utf8.contains(where: { $0 == 0x7E || $0 == 0x2F }) else { return token }
        return token.replacingOccurrences("~", "~0").replacingOccurrences("/", "~1")
    }

    /// A pointer one level deeper, at member `token`.
    public func appending(_ token: String) -> JSONPointer { JSONPointer(tokens: tokens + [token]) }
    /// A pointer one level deeper, at array element `index`.
    public func appending(_ index: Int) -> JSONPointer { appending(String(index)) }

    /// The value this pointer designates inside `root`, or `nil` when a token does not match.
    public func resolve(in root: JSONValue) -> JSONValue? {
        var cur = root
        for t in tokens {
            switch cur {
            case .object(let o):
                guard let v = o[t] else { return nil }
                cur = v
            case .array(let a):
                guard let i = Self.arrayIndex(t), i < a.count else { return nil }
                cur = a[i]
            default:
                return nil
            }
        }
        return cur
    }

    /// A token that is a valid array index per RFC 6901 (no leading zeros, no sign).
    public static func arrayIndex(_ t: String) -> Int? {
        guard !t.isEmpty, t.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if t.utf8.count > 1 && t.utf8.first == 0x30 { return nil }
        return Int(t)
    }
}

/// Pointer text that is not a valid RFC 6901 JSON Pointer.
public struct JSONPointerError: Error, Sendable, CustomStringConvertible {
    /// The rejected pointer text, as given.
    public let pointer: String
    /// What is wrong with the pointer text.
    public let message: String
    /// One line naming the pointer and the problem.
    public var description: String { "invalid JSON Pointer '\(pointer)': \(message)" }
}

extension String {
    /// Plain substring replacement without Foundation.
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        let t = Array(target.utf8)
        let u = self.utf8
        var i = u.startIndex
        while i != u.endIndex {
            var j = i
            var k = 0
            while k < t.count, j != u.endIndex, u[j] == t[k] { j = u.index(after: j); k += 1 }
            if k == t.count { return i..<j }
            i = u.index(after: i)
        }
        return nil
    }
}
