import Foundation
import ProctorJSON
import ProctorSupport

/// A prompt template: `{{name}}`, `{{order.id}}`, `{{name | json}}`, `{{> path}}` includes, and
/// `{{ "{{" }}` for a literal `{{`.
///
/// Parsed once at load time; rendering never invents an empty string for a missing variable
/// (`missingVariables` is checked for every case before anything runs).
public struct Template: Sendable, Hashable {
    enum Segment: Sendable, Hashable {
        case text(String)
        case variable(path: [String], json: Bool, source: String)
        case include(Template)
    }

    let segments: [Segment]
    /// The template text as written (for fingerprints).
    public let source: String
    /// The files its `{{> file}}` includes read, nested ones too (absolute paths).
    public private(set) var includedFiles: [String] = []

    /// Why a template does not parse: an unclosed `{{`, a bad variable name or filter, or an include that
    /// cannot be read.
    public struct ParseError: Error, CustomStringConvertible {
        /// What is wrong, quoting the offending tag.
        public let message: String
        /// The message alone, for printing.
        public var description: String { message }
    }

    /// Parses `text`; includes are read relative to `directory`.
    public init(_ text: String, directory: String, depth: Int = 0) throws(ParseError) {
        source = text
        var segs: [Segment] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { segs.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ParseError(message: "unclosed '{{' in template")
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            if inner.hasPrefix(">") {
                let path = inner.dropFirst().trimmingCharacters(in: .whitespaces)
                guard depth < 8 else { throw ParseError(message: "includes nested deeper than 8 (a cycle?) at '{{> \(path)}}'") }
                let full = path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).path
                guard let data = TextInput.read(full) else {
                    throw ParseError(message: "included file '\(path)' not found (looked for \(full))")
                }
                let sub = try Template(String(decoding: data, as: UTF8.self), directory: (full as NSString).deletingLastPathComponent, depth: depth + 1)
                segs.append(.include(sub))
                includedFiles.append(URL(fileURLWithPath: full).standardizedFileURL.path)
                includedFiles += sub.includedFiles
                continue
            }
            // `{{ "{{" }}`: a quoted string writes itself, the way to get a literal `{{`.
            if inner.count >= 2, inner.hasPrefix("\""), inner.hasSuffix("\""), case .string(let literal)? = try? JSONParser.parse(inner) {
                segs.append(.text(literal))
                continue
            }
            var name = inner
            var json = false
            if let bar = inner.firstIndex(of: "|") {
                name = inner[..<bar].trimmingCharacters(in: .whitespaces)
                let filter = inner[inner.index(after: bar)...].trimmingCharacters(in: .whitespaces)
                guard filter == "json" else {
                    throw ParseError(message: "unknown template filter '\(filter)' in '{{\(inner)}}'" + Suggestions.hint(for: filter, among: ["json"]))
                }
                json = true
            }
            guard !name.isEmpty, !name.contains(" ") else { throw ParseError(message: "bad variable name in '{{\(inner)}}'") }
            segs.append(.variable(path: name.split(separator: ".", omittingEmptySubsequences: false).map(String.init), json: json, source: name))
        }
        if !rest.isEmpty { segs.append(.text(String(rest))) }
        segments = segs
    }

    /// Looks up a dotted path in the variables (numeric components index arrays).
    static func lookup(_ path: [String], in vars: JSONObject) -> JSONValue? {
        guard let first = path.first, var cur = vars[first] else { return nil }
        for comp in path.dropFirst() {
            switch cur {
            case .object(let o): guard let v = o[comp] else { return nil }; cur = v
            case .array(let a): guard let i = Int(comp), i >= 0, i < a.count else { return nil }; cur = a[i]
            default: return nil
            }
        }
        return cur
    }

    /// The variable path when the template is exactly one `{{variable}}` and nothing else (no
    /// filter, no text around it); nil otherwise.
    public var singleVariable: [String]? {
        guard segments.count == 1, case .variable(let path, let json, _) = segments[0], !json else { return nil }
        return path
    }

    /// Every variable path the template uses, includes too, in order.
    public var variablePaths: [[String]] {
        segments.flatMap { s -> [[String]] in
            switch s {
            case .text: return []
            case .variable(let path, _, _): return [path]
            case .include(let t): return t.variablePaths
            }
        }
    }

    /// Variables the template uses that `vars` does not define.
    public func missingVariables(in vars: JSONObject) -> [String] {
        var out: [String] = []
        for s in segments {
            switch s {
            case .text: break
            case .variable(let path, _, let src): if Self.lookup(path, in: vars) == nil { out.append(src) }
            case .include(let t): out += t.missingVariables(in: vars)
            }
        }
        return out
    }

    /// Renders with `vars`; strings are inserted as they are, other values as JSON (or all as JSON with `| json`).
    public func render(_ vars: JSONObject) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        render(vars, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Renders into UTF-8 bytes: one buffer for the whole message, not a string grown per piece.
    func render(_ vars: JSONObject, into out: inout [UInt8]) {
        for s in segments {
            switch s {
            case .text(let t): out.append(contentsOf: t.utf8)
            case .variable(let path, let json, _):
                guard let v = Self.lookup(path, in: vars) else { continue }
                switch v {
                case .string(let str) where !json: out.append(contentsOf: str.utf8)
                case .number(let n): out.append(contentsOf: n.text.utf8)
                default: JSONSerializer.write(v, into: &out)
                }
            case .include(let t): t.render(vars, into: &out)
            }
        }
    }
}
