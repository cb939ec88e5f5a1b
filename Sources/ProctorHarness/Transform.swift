import Foundation
import ProctorJSON
import ProctorRegex
import ProctorSupport

/// A pipeline applied to the output before validators see it (`transform` on a case, in
/// `defaults`, or on one validator): pick a JSON value, a regex group, strip wrappers, trim,
/// lowercase. Steps run in order; a step that cannot apply is an error of the case, with the reason.
public struct Transform: Sendable {
    /// One step, as written in the suite.
    public enum Step: Sendable {
        /// The value at a JSON Pointer of the output parsed as JSON (strings as text, others as JSON).
        case path(JSONPointer)
        /// The text matched by `group` (0: the whole match) of the first match.
        case regex(ECMARegex, group: Int)
        /// Everything before the first `{` or `[`.
        case stripPrefix
        /// Everything after the last `}` or `]`.
        case stripSuffix
        /// A Markdown code fence around the text (its content is kept).
        case stripFence
        /// `<think>…</think>` blocks (reasoning models), an unclosed one to the end.
        case stripThink
        case trim
        case lowercase

        var label: String {
            switch self {
            case .path(let p): "path \(p)"
            case .regex(let r, let g): "regex /\(r.pattern)/ group \(g)"
            case .stripPrefix: "strip prefix"
            case .stripSuffix: "strip suffix"
            case .stripFence: "strip fence"
            case .stripThink: "strip think"
            case .trim: "trim"
            case .lowercase: "lowercase"
            }
        }
    }

    /// The steps, in order.
    public let steps: [Step]

    /// No step: the output is checked as it is.
    public var isEmpty: Bool { steps.isEmpty }

    /// What the steps are, for reports: "strip think, path /answer".
    public var description: String { steps.map(\.label).joined(separator: ", ") }

    /// Applies every step; the error names the step that could not apply.
    public func apply(_ text: String) -> Result<String, TransformError> {
        var t = text
        for step in steps {
            switch step {
            case .path(let p):
                guard let v = try? JSONParser.parse(t) else { return .failure(TransformError("\(step.label): the text is not JSON")) }
                guard let found = p.resolve(in: v) else { return .failure(TransformError("\(step.label): no such value in the output")) }
                t = found.stringValue ?? JSONSerializer.string(found)
            case .regex(let r, let g):
                let m: [Range<Int>?]?
                do { m = try r.firstMatchGroups(in: t) } catch { return .failure(TransformError("\(step.label): \(error)")) }
                guard let m else { return .failure(TransformError("\(step.label): no match in the output")) }
                guard g < m.count, let range = m[g] else {
                    return .failure(TransformError("\(step.label): the match has no group \(g)"))
                }
                let scalars = Array(t.unicodeScalars)
                t = String(String.UnicodeScalarView(scalars[range]))
            case .stripPrefix:
                if let i = t.firstIndex(where: { $0 == "{" || $0 == "[" }) { t = String(t[i...]) }
            case .stripSuffix:
                if let i = t.lastIndex(where: { $0 == "}" || $0 == "]" }) { t = String(t[...i]) }
            case .stripFence:
                t = Self.unfenced(t)
            case .stripThink:
                t = Self.withoutThink(t)
            case .trim:
                t = t.trimmingCharacters(in: .whitespacesAndNewlines)
            case .lowercase:
                t = t.lowercased()
            }
        }
        return .success(t)
    }

    static func unfenced(_ t: String) -> String {
        guard let open = t.range(of: "```") else { return t }
        let afterOpen = t[open.upperBound...]
        let bodyStart = afterOpen.firstIndex(of: "\n").map { afterOpen.index(after: $0) } ?? afterOpen.endIndex
        let body = t[bodyStart...]
        guard let close = body.range(of: "```") else { return String(body) }
        var inner = String(body[..<close.lowerBound])
        if inner.hasSuffix("\n") { inner.removeLast() }
        return inner
    }

    static func withoutThink(_ t: String) -> String {
        var out = ""
        var rest = Substring(t)
        while let open = rest.range(of: "<think>") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "</think>") else { return out.trimmingCharacters(in: .whitespacesAndNewlines) }
            rest = rest[close.upperBound...]
        }
        out += rest
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Loading

    /// Reads `[{"path": …}, {"strip": "think"}, …]` (a single step object is a one-step pipeline).
    static func load(_ v: JSONValue?, _ ptr: String, _ src: SuiteSource) throws(SuiteError) -> Transform {
        guard let v else { return Transform(steps: []) }
        let list: [JSONValue]
        if case .array(let xs) = v { list = xs } else { list = [v] }
        var steps: [Step] = []
        for (i, item) in list.enumerated() {
            let p = ptr + (v.arrayValue == nil ? "" : "/\(i)")
            guard case .object(let o) = item, o.count >= 1 else {
                throw src.error(p, "a transform step is an object: {\"path\"}, {\"regex\", \"group\"}, {\"strip\"}, {\"trim\": true} or {\"lowercase\": true}")
            }
            let known = ["path", "regex", "group", "strip", "trim", "lowercase"]
            for (k, _) in o where !known.contains(k) {
                throw src.error(p + "/" + JSONPointer.escape(k), "unknown transform \"\(k)\"" + Suggestions.hint(for: k, among: known))
            }
            if let path = o["path"] {
                guard let s = path.stringValue, let jp = try? JSONPointer(s) else { throw src.error(p + "/path", "\"path\" must be a JSON Pointer such as \"/answer\"") }
                steps.append(.path(jp))
            } else if let pattern = o["regex"] {
                guard let s = pattern.stringValue else { throw src.error(p + "/regex", "\"regex\" must be a pattern string") }
                let r: ECMARegex
                do { r = try ECMARegex(s) } catch { throw src.error(p + "/regex", "\(error)") }
                var group = 0
                if let g = o["group"] {
                    guard let n = g.intValue, n >= 0 else { throw src.error(p + "/group", "\"group\" must be a group number (0 or more)") }
                    group = n
                }
                steps.append(.regex(r, group: group))
            } else if let strip = o["strip"] {
                switch strip.stringValue {
                case "prefix": steps.append(.stripPrefix)
                case "suffix": steps.append(.stripSuffix)
                case "fence": steps.append(.stripFence)
                case "think": steps.append(.stripThink)
                default: throw src.error(p + "/strip", "\"strip\" must be \"prefix\", \"suffix\", \"fence\" or \"think\", found \(strip)")
                }
            } else if let b = o["trim"] ?? o["lowercase"] {
                guard b.boolValue == true else { throw src.error(p, "write {\"trim\": true} or {\"lowercase\": true}") }
                steps.append(o["trim"] != nil ? .trim : .lowercase)
            } else {
                throw src.error(p, "a transform step needs \"path\", \"regex\", \"strip\", \"trim\" or \"lowercase\"")
            }
        }
        return Transform(steps: steps)
    }
}

/// Why a transform step could not apply.
public struct TransformError: Error, Sendable, CustomStringConvertible {
    /// The step and why it could not apply.
    public let message: String
    init(_ message: String) { self.message = message }
    /// The message alone, for printing.
    public var description: String { message }
}
