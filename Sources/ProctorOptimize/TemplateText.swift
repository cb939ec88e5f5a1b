import Foundation

/// Text-level helpers for templates: where the `{{…}}` placeholders are, and how to write literal
/// text (a demonstration, a schema description) that the template language leaves alone.
enum TemplateText {
    /// One `{{ name }}` or `{{ name | json }}` placeholder: its range and the variable's root name.
    struct Placeholder {
        let range: Range<String.Index>
        let name: String
    }

    /// The variable placeholders of `text`, in order (includes and quoted literals skipped).
    static func placeholders(_ text: String) -> [Placeholder] {
        var out: [Placeholder] = []
        var rest = text.startIndex
        while let open = text[rest...].range(of: "{{"), let close = text[open.upperBound...].range(of: "}}") {
            let inner = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = close.upperBound
            if inner.hasPrefix(">") || inner.hasPrefix("\"") || inner.isEmpty { continue }
            let name = inner.split(separator: "|")[0].trimmingCharacters(in: .whitespaces).split(separator: ".")[0]
            out.append(Placeholder(range: open.lowerBound..<close.upperBound, name: String(name)))
        }
        return out
    }

    /// The variables `messages` use, in order of first use.
    static func variables(_ messages: [PromptMessage]) -> [String] {
        var seen: [String] = []
        for m in messages { for p in placeholders(m.text) where !seen.contains(p.name) { seen.append(p.name) } }
        return seen
    }

    /// `s` as template text that renders to exactly `s`.
    static func literal(_ s: String) -> String { s.replacingOccurrences(of: "{{", with: "{{ \"{{\" }}") }
}

extension String {
    /// The string without leading and trailing whitespace and newlines.
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
