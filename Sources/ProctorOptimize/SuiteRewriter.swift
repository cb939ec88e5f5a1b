import Foundation
import ProctorJSON

/// Writes a copy of a suite file with one more prompt version last in `prompts`, editing the
/// text so comments and formatting of the original stay as they were (JSON/JSONC: before the
/// array's closing bracket; YAML: after the block sequence's last item, as a JSON flow mapping).
public enum SuiteRewriter {
    /// Why the text could not be edited.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What the text lacked.
        public let description: String
    }

    /// The prompt version's object: id, description, then `template` (and `system`) or `messages`.
    public static func element(id: String, description: String, messages: [PromptMessage]) -> String {
        var pairs: [(String, JSONValue)] = [("id", .string(id)), ("description", .string(description))]
        if messages.count == 1 && messages[0].role == "user" {
            pairs.append(("template", .string(messages[0].text)))
        } else if messages.count == 2 && messages[0].role == "system" && messages[1].role == "user" {
            pairs += [("system", .string(messages[0].text)), ("template", .string(messages[1].text))]
        } else {
            pairs.append(("messages", .array(messages.map { ["role": .string($0.role), "content": .string($0.text)] })))
        }
        return "{ " + pairs.map { JSONSerializer.string(.string($0.0)) + ": " + JSONSerializer.string($0.1) }.joined(separator: ", ") + " }"
    }

    /// `text` (a suite file named `file`) with `element` appended to its prompts.
    public static func appendPrompt(_ element: String, to text: String, file: String) throws(Failure) -> String {
        let ext = (file as NSString).pathExtension.lowercased()
        return ext == "yaml" || ext == "yml" ? try yaml(element, text) : try jsonc(element, text)
    }

    static func jsonc(_ element: String, _ text: String) throws(Failure) -> String {
        let b = Array(text.utf8)
        var i = 0
        /// Skips whitespace and comments.
        func skip() {
            while i < b.count {
                if b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
                else if b[i] == UInt8(ascii: "/") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "/") { while i < b.count && b[i] != 0x0A { i += 1 } }
                else if b[i] == UInt8(ascii: "/") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "*") {
                    i += 2
                    while i + 1 < b.count && !(b[i] == UInt8(ascii: "*") && b[i + 1] == UInt8(ascii: "/")) { i += 1 }
                    i += 2
                } else { return }
            }
        }
        /// Moves past one string (at its opening quote).
        func string() {
            i += 1
            while i < b.count && b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
            i += 1
        }
        /// Moves past one value; returns the index of its last byte.
        func value() -> Int {
            if b[i] == UInt8(ascii: "\"") { string(); return i - 1 }
            if b[i] == UInt8(ascii: "{") || b[i] == UInt8(ascii: "[") {
                var depth = 0
                while i < b.count {
                    skip()
                    guard i < b.count else { break }
                    let c = b[i]
                    if c == UInt8(ascii: "\"") { string(); continue }
                    if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                    if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { depth -= 1; if depth == 0 { i += 1; return i - 1 } }
                    i += 1
                }
                return b.count - 1
            }
            while i < b.count && !",}] \t\r\n/".utf8.contains(b[i]) { i += 1 }
            return i - 1
        }
        skip()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { throw Failure(description: "the suite's top level is not an object") }
        i += 1
        while true {
            skip()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Failure(description: "found no \"prompts\" array at the suite's top level") }
            let keyStart = i
            string()
            let key = (try? JSONParser.parse(String(decoding: b[keyStart..<i], as: UTF8.self)))?.stringValue
            skip()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Failure(description: "the suite is not valid JSONC") }
            i += 1
            skip()
            guard i < b.count else { throw Failure(description: "the suite is not valid JSONC") }
            if key == "prompts" && b[i] == UInt8(ascii: "[") { break }
            _ = value()
            skip()
            if i < b.count && b[i] == UInt8(ascii: ",") { i += 1 }
        }
        // Inside "prompts": find the first element, the last element's end and the closing bracket.
        let open = i
        i += 1
        skip()
        let firstStart = i
        var lastEnd = open, trailingComma = false
        while i < b.count && b[i] != UInt8(ascii: "]") {
            lastEnd = value()
            skip()
            trailingComma = false
            if i < b.count && b[i] == UInt8(ascii: ",") { trailingComma = true; i += 1; skip() }
        }
        guard i < b.count else { throw Failure(description: "the \"prompts\" array is not closed") }
        let close = i
        func lineStart(_ at: Int) -> Int { var k = at; while k > 0 && b[k - 1] != 0x0A { k -= 1 }; return k }
        let multiLine = b[open..<firstStart].contains(0x0A)
        var out = b
        let closeLine = lineStart(close)
        if multiLine && b[closeLine..<close].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            let indent = Array(b[lineStart(firstStart)..<firstStart])
            out.insert(contentsOf: indent + Array(element.utf8) + (trailingComma ? [UInt8(ascii: ",")] : []) + [0x0A], at: closeLine)
            if !trailingComma { out.insert(UInt8(ascii: ","), at: lastEnd + 1) }
        } else {
            out.insert(contentsOf: Array(((trailingComma ? " " : ", ") + element).utf8), at: lastEnd + 1 + (trailingComma ? 1 : 0))
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func yaml(_ element: String, _ text: String) throws(Failure) -> String {
        var lines = text.components(separatedBy: "\n")
        func indent(_ l: String) -> Int { l.prefix { $0 == " " }.count }
        func blank(_ l: String) -> Bool { let t = l.trimmingCharacters(in: .whitespaces); return t.isEmpty || t.hasPrefix("#") }
        guard let key = lines.firstIndex(where: { $0.hasPrefix("prompts:") }) else { throw Failure(description: "found no top-level \"prompts:\" in the YAML suite") }
        let rest = lines[key].dropFirst("prompts:".count).trimmingCharacters(in: .whitespaces)
        guard rest.isEmpty || rest.hasPrefix("#") else {
            throw Failure(description: "\"prompts\" is written in flow style; --out edits only a block sequence (\"- id: …\" lines)")
        }
        guard let first = lines.indices.dropFirst(key + 1).first(where: { !blank(lines[$0]) }),
              lines[first].trimmingCharacters(in: .whitespaces).hasPrefix("-") else { throw Failure(description: "\"prompts:\" is not followed by \"- \" items") }
        let itemIndent = indent(lines[first])
        var last = first
        var k = first + 1
        while k < lines.count {
            let l = lines[k]
            if !blank(l) {
                let n = indent(l)
                if n < itemIndent || (n == itemIndent && !l.dropFirst(n).hasPrefix("-")) { break }
                last = k
            }
            k += 1
        }
        lines.insert(String(repeating: " ", count: itemIndent) + "- " + element, at: last + 1)
        return lines.joined(separator: "\n")
    }
}
