import ProctorJSON

/// The YAML reader behind `YAMLParser`: recursive descent over the bytes, with block structure
/// decided by the column where each node starts.
struct _YAMLReader {
    let b: [UInt8]
    var pos = 0
    /// JSON Pointer → byte offset of the key (mapping entries) or value (sequence items, the root).
    var offsets: [String: Int] = [:]
    var path: [String] = []
    var anchors: [String: JSONValue] = [:]
    var aliasBudget = YAMLParser.maxAliasNodes
    var depth = 0

    init(_ bytes: [UInt8]) { b = bytes }

    // MARK: - Positions and errors

    var atEnd: Bool { pos >= b.count }
    func peek(_ k: Int = 0) -> UInt8? { pos + k < b.count ? b[pos + k] : nil }

    /// Byte column of `p` (indentation is spaces, so bytes are columns there).
    func column(_ p: Int) -> Int {
        var i = p
        while i > 0 && b[i - 1] != 0x0A { i -= 1 }
        return p - i
    }

    func error(_ message: String, at p: Int? = nil) -> YAMLError {
        let at = min(p ?? pos, b.count)
        var line = 1, start = 0
        for i in 0..<at where b[i] == 0x0A { line += 1; start = i + 1 }
        let col = b[start..<at].filter { $0 & 0xC0 != 0x80 }.count + 1
        return YAMLError(line: line, column: col, message)
    }

    var pointer: String { path.map { "/" + JSONPointer.escape($0) }.joined() }

    mutating func record(_ p: Int) { if offsets[pointer] == nil { offsets[pointer] = p } }

    static func isSpace(_ c: UInt8?) -> Bool { c == 0x20 || c == 0x09 }
    static func isBreak(_ c: UInt8?) -> Bool { c == nil || c == 0x0A || c == 0x0D }
    static func isBlank(_ c: UInt8?) -> Bool { isSpace(c) || isBreak(c) }

    // MARK: - Skipping

    mutating func skipSpaces() { while Self.isSpace(peek()) { pos += 1 } }

    /// Skips spaces, comments and line breaks to the next content; a tab in indentation is an error.
    mutating func skipToContent() throws(YAMLError) {
        while !atEnd {
            let c = b[pos]
            if c == 0x20 { pos += 1; continue }
            if c == 0x09 {
                // Tabs may separate tokens, never indent.
                if column(pos) == 0 || b[(pos - column(pos))..<pos].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    var q = pos
                    while q < b.count && Self.isSpace(b[q]) { q += 1 }
                    if q < b.count && !Self.isBreak(b[q]) && b[q] != UInt8(ascii: "#") { throw error("tabs cannot indent YAML; use spaces") }
                }
                pos += 1
                continue
            }
            if c == 0x0A || c == 0x0D { pos += 1; continue }
            if c == UInt8(ascii: "#") { while !Self.isBreak(peek()) { pos += 1 }; continue }
            return
        }
    }

    /// True when only spaces and maybe a comment remain on this line.
    func restOfLineEmpty() -> Bool {
        var q = pos
        while q < b.count && Self.isSpace(b[q]) { q += 1 }
        return q >= b.count || Self.isBreak(b[q]) || (b[q] == UInt8(ascii: "#") && (q == pos && (pos == 0 || Self.isBlank(b[pos - 1])) || q > pos))
    }

    func startsWith(_ s: String, at p: Int? = nil) -> Bool {
        let q = p ?? pos
        let u = Array(s.utf8)
        return q + u.count <= b.count && b[q..<(q + u.count)].elementsEqual(u)
    }

    /// `---` or `...` at the start of a line, followed by a blank.
    func atDocumentMarker() -> Bool {
        column(pos) == 0 && (startsWith("---") || startsWith("...")) && Self.isBlank(peek(3))
    }

    // MARK: - Document

    mutating func document() throws(YAMLError) -> JSONValue {
        try skipToContent()
        // `%YAML 1.x` says which YAML this is (Proctor reads 1.2, which 1.1 documents of JSON-like
        // data read the same as); it must be followed by `---`. Tag shorthands (`%TAG`) are not supported.
        var directives = false
        while peek() == UInt8(ascii: "%") && column(pos) == 0 {
            if startsWith("%YAML") && Self.isBlank(peek(5)) {
                pos += 5
                while let c = peek(), Self.isSpace(c) { pos += 1 }
                let start = pos
                while let c = peek(), !Self.isBlank(c) { pos += 1 }
                let version = String(decoding: b[start..<pos], as: UTF8.self)
                guard version.hasPrefix("1."), version.count > 2, version.dropFirst(2).allSatisfy(\.isNumber) else {
                    pos = start
                    throw error("YAML version '\(version)' is not supported (Proctor reads YAML 1.x)")
                }
                guard restOfLineEmpty() else { throw error("unexpected text after the %YAML directive") }
                directives = true
                try skipToContent()
            } else {
                throw error(startsWith("%TAG") ? "YAML %TAG directives are not supported" : "unknown YAML directive (Proctor reads %YAML only)")
            }
        }
        if directives && !(atDocumentMarker() && startsWith("---")) { throw error("a YAML directive must be followed by '---'") }
        if atDocumentMarker() && startsWith("---") { pos += 3 }
        try skipToContent()
        if atEnd || atDocumentMarker() {
            if startsWith("---") && !atEnd { throw error("a second YAML document is not supported; Proctor reads the first only") }
            return .null
        }
        record(pos)
        let v = try blockNode(parentIndent: -1, allowMapping: true)
        try skipToContent()
        if !atEnd {
            if atDocumentMarker() && startsWith("...") {
                pos += 3
                try skipToContent()
                if atEnd { return v }
            }
            if atDocumentMarker() && startsWith("---") { throw error("a second YAML document is not supported; Proctor reads the first only") }
            throw error("unexpected content after the document (is it indented wrongly?)")
        }
        return v
    }

    // MARK: - Block nodes

    /// A node starting at the current position; `parentIndent` is the indentation of the
    /// collection it belongs to (-1 at the root).
    mutating func blockNode(parentIndent: Int, allowMapping: Bool) throws(YAMLError) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        if depth > YAMLParser.maxDepth { throw error("nesting deeper than \(YAMLParser.maxDepth) levels") }
        let start = pos
        // Properties: an anchor and/or a tag before the content.
        var anchor: String?
        var tag: String?
        while let c = peek(), c == UInt8(ascii: "&") || c == UInt8(ascii: "!") {
            if c == UInt8(ascii: "&") {
                pos += 1
                anchor = readName()
                if anchor!.isEmpty { throw error("an anchor needs a name after '&'") }
            } else {
                tag = try readTag()
            }
            skipSpaces()
        }
        if (anchor != nil || tag != nil) && restOfLineEmpty() {
            // The content is on the next lines.
            try skipToContent()
            let value: JSONValue
            if atEnd || column(pos) <= parentIndent && !(column(pos) == parentIndent && isSequenceItem()) || atDocumentMarker() {
                value = .null
            } else {
                value = try blockContent(parentIndent: parentIndent, allowMapping: true, tag: tag)
            }
            if let anchor { anchors[anchor] = value }
            return value
        }
        if anchor != nil || tag != nil, allowMapping, mappingKeyAhead() {
            // `&a key: value` anchors the key, which JSON cannot keep: not supported.
            throw error("anchors and tags on mapping keys are not supported", at: start)
        }
        let value = try blockContent(parentIndent: parentIndent, allowMapping: allowMapping, tag: tag)
        if let anchor { anchors[anchor] = value }
        return value
    }

    /// The node itself, after its properties.
    mutating func blockContent(parentIndent: Int, allowMapping: Bool, tag: String?) throws(YAMLError) -> JSONValue {
        guard let c = peek() else { return .null }
        let col = column(pos)
        if c == UInt8(ascii: "*") { return try alias() }
        if c == UInt8(ascii: "-") && Self.isBlank(peek(1)) {
            // After `key:` on the same line a list cannot start; it goes on the next lines.
            guard allowMapping else { throw error("a list cannot start on the line of its key; put its items on the next lines") }
            return try blockSequence(indent: col)
        }
        if c == UInt8(ascii: "?") && Self.isBlank(peek(1)) { throw error("complex mapping keys ('? ') are not supported") }
        if c == UInt8(ascii: "|") || c == UInt8(ascii: ">") { return try tagged(.string(try blockScalar(parentIndent: parentIndent)), tag, quoted: true) }
        if allowMapping, mappingKeyAhead() { return try blockMapping(indent: col) }
        if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
            let v = try flowNode()
            skipSpaces()
            if !restOfLineEmpty() { throw error("unexpected text after a flow collection") }
            return try tagged(v, tag, quoted: true)
        }
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
            let s = try quoted(flow: false)
            skipSpaces()
            if !restOfLineEmpty() {
                if peek() == UInt8(ascii: ":") { throw error("mapping values are not allowed here (a key must start its own line)") }
                throw error("unexpected text after a quoted string")
            }
            return try tagged(.string(s), tag, quoted: true)
        }
        if [UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: "@"), UInt8(ascii: "`")].contains(c) {
            throw error("a plain value cannot start with '\(Character(Unicode.Scalar(c)))'; quote it")
        }
        let text = try plainBlockScalar(parentIndent: parentIndent)
        if !allowMapping, text.contains(": ") { throw error("mapping values are not allowed here (a key must start its own line)") }
        return try tagged(resolve(text), tag, quoted: false, raw: text)
    }

    /// Whether the current line holds `key:` (a plain or quoted key followed by `:` and a blank).
    func mappingKeyAhead() -> Bool {
        var q = pos
        guard q < b.count else { return false }
        if b[q] == UInt8(ascii: "\"") || b[q] == UInt8(ascii: "'") {
            let quote = b[q]
            q += 1
            while q < b.count && !Self.isBreak(b[q]) {
                if b[q] == quote {
                    if quote == UInt8(ascii: "'") && q + 1 < b.count && b[q + 1] == quote { q += 2; continue }
                    break
                }
                if quote == UInt8(ascii: "\"") && b[q] == UInt8(ascii: "\\") { q += 1 }
                q += 1
            }
            guard q < b.count, b[q] == quote else { return false }
            q += 1
            while q < b.count && Self.isSpace(b[q]) { q += 1 }
            return q < b.count && b[q] == UInt8(ascii: ":") && Self.isBlank(q + 1 < b.count ? b[q + 1] : nil)
        }
        if b[q] == UInt8(ascii: "[") || b[q] == UInt8(ascii: "{") { return false }
        while q < b.count && !Self.isBreak(b[q]) {
            if b[q] == UInt8(ascii: "#") && q > pos && Self.isSpace(b[q - 1]) { return false }
            if b[q] == UInt8(ascii: ":") && Self.isBlank(q + 1 < b.count ? b[q + 1] : nil) { return true }
            q += 1
        }
        return false
    }

    func isSequenceItem() -> Bool { peek() == UInt8(ascii: "-") && Self.isBlank(peek(1)) }

    mutating func blockSequence(indent: Int) throws(YAMLError) -> JSONValue {
        var items: [JSONValue] = []
        while true {
            let itemStart = pos
            pos += 1 // '-'
            path.append(String(items.count))
            skipSpaces()
            // The item's place is its content when it starts on the dash's line, else the dash.
            record(restOfLineEmpty() ? itemStart : pos)
            let item: JSONValue
            if restOfLineEmpty() {
                try skipToContent()
                item = !atEnd && column(pos) > indent && !atDocumentMarker() ? try blockNode(parentIndent: indent, allowMapping: true) : .null
            } else {
                item = try blockNode(parentIndent: indent, allowMapping: true)
            }
            path.removeLast()
            items.append(item)
            try skipToContent()
            if atEnd || atDocumentMarker() { break }
            let c = column(pos)
            if c < indent { break }
            if c > indent { throw error("this line is indented more than the list item before it") }
            if !isSequenceItem() { break }
        }
        return .array(items)
    }

    mutating func blockMapping(indent: Int) throws(YAMLError) -> JSONValue {
        var entries = JSONObject()
        var explicit = Set<String>()
        var merged: [JSONObject] = []
        while true {
            let keyStart = pos
            if peek() == UInt8(ascii: "&") || peek() == UInt8(ascii: "!") { throw error("anchors and tags on mapping keys are not supported") }
            if peek() == UInt8(ascii: "?") && Self.isBlank(peek(1)) { throw error("complex mapping keys ('? ') are not supported") }
            let isMerge: Bool
            let key: String
            if peek() == UInt8(ascii: "\"") || peek() == UInt8(ascii: "'") {
                key = try quoted(flow: false)
                isMerge = false
            } else {
                var q = pos
                while q < b.count && !(b[q] == UInt8(ascii: ":") && Self.isBlank(q + 1 < b.count ? b[q + 1] : nil)) { q += 1 }
                var end = q
                while end > pos && Self.isSpace(b[end - 1]) { end -= 1 }
                key = String(decoding: b[pos..<end], as: UTF8.self)
                pos = q
                isMerge = key == "<<"
            }
            skipSpaces()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after the key '\(key)'") }
            pos += 1
            path.append(key)
            record(keyStart)
            let value = try mappingValue(indent: indent)
            path.removeLast()
            if isMerge {
                switch value {
                case .object(let o): merged.append(o)
                case .array(let xs):
                    for x in xs {
                        guard case .object(let o) = x else { throw error("a merge key '<<' takes a mapping or a list of mappings", at: keyStart) }
                        merged.append(o)
                    }
                default: throw error("a merge key '<<' takes a mapping or a list of mappings", at: keyStart)
                }
            } else {
                if !explicit.insert(key).inserted { throw error("duplicate key '\(key)'", at: keyStart) }
                entries[key] = value
            }
            try skipToContent()
            if atEnd || atDocumentMarker() { break }
            let c = column(pos)
            if c < indent { break }
            if c > indent { throw error("this line is indented more than the key before it") }
            if isSequenceItem() { throw error("a list item cannot stand at the indentation of the keys of a mapping") }
        }
        // Merge keys: explicit keys win, then the merged mappings in the order given.
        for m in merged {
            for (k, v) in m where entries[k] == nil { entries[k] = v }
        }
        return .object(entries)
    }

    /// The value after `key:`.
    mutating func mappingValue(indent: Int) throws(YAMLError) -> JSONValue {
        skipSpaces()
        if restOfLineEmpty() {
            try skipToContent()
            if atEnd || atDocumentMarker() { return .null }
            let c = column(pos)
            if c > indent { return try blockNode(parentIndent: indent, allowMapping: true) }
            if c == indent && isSequenceItem() { return try blockSequence(indent: c) }
            return .null
        }
        return try blockNode(parentIndent: indent, allowMapping: false)
    }

    // MARK: - Scalars

    /// A plain scalar in block context, folded over more-indented continuation lines.
    mutating func plainBlockScalar(parentIndent: Int) throws(YAMLError) -> String {
        var text = readPlainLine()
        while true {
            let save = pos
            var breaks = 0
            // Look past the line break at the next line.
            guard Self.isBreak(peek()), !atEnd else { break }
            while !atEnd && Self.isBreak(peek()) {
                if b[pos] == 0x0A { breaks += 1 }
                pos += 1
                while Self.isSpace(peek()) { pos += 1 }
            }
            if atEnd || column(pos) <= parentIndent || peek() == UInt8(ascii: "#") || atDocumentMarker() {
                pos = save
                break
            }
            let line = readPlainLine()
            if line.isEmpty { pos = save; break }
            text += breaks > 1 ? String(repeating: "\n", count: breaks - 1) : " "
            text += line
        }
        return text
    }

    /// The rest of a plain scalar's line: up to a comment or the end of the line, trimmed.
    mutating func readPlainLine() -> String {
        let start = pos
        var end = pos
        while !atEnd && !Self.isBreak(peek()) {
            if b[pos] == UInt8(ascii: "#") && pos > start && Self.isSpace(b[pos - 1]) { break }
            pos += 1
            if !Self.isSpace(b[pos - 1]) { end = pos }
        }
        // Leave a trailing comment to skipToContent.
        return String(decoding: b[start..<end], as: UTF8.self)
    }

    /// A single- or double-quoted scalar (flow or block context), with YAML's line folding.
    mutating func quoted(flow: Bool) throws(YAMLError) -> String {
        let open = pos
        let q = b[pos]
        pos += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated \(q == UInt8(ascii: "'") ? "single" : "double")-quoted string", at: open) }
            if c == q {
                if q == UInt8(ascii: "'") && peek(1) == q { out.append(q); pos += 2; continue }
                pos += 1
                break
            }
            if c == UInt8(ascii: "\\") && q == UInt8(ascii: "\"") {
                pos += 1
                guard let e = peek() else { throw error("unterminated double-quoted string", at: open) }
                if Self.isBreak(e) {
                    // An escaped line break joins the lines with nothing between.
                    if e == 0x0D && peek(1) == 0x0A { pos += 1 }
                    pos += 1
                    while Self.isSpace(peek()) { pos += 1 }
                    continue
                }
                pos += 1
                try escape(e, into: &out)
                continue
            }
            if Self.isBreak(c) {
                // Folding: trailing spaces go, one break is a space, more breaks stay as n-1 breaks.
                while let l = out.last, l == 0x20 || l == 0x09 { out.removeLast() }
                var breaks = 0
                while !atEnd && (Self.isBreak(peek()) || Self.isSpace(peek())) {
                    if b[pos] == 0x0A { breaks += 1 }
                    pos += 1
                }
                if breaks <= 1 { out.append(0x20) } else { out += [UInt8](repeating: 0x0A, count: breaks - 1) }
                continue
            }
            out.append(c)
            pos += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func escape(_ e: UInt8, into out: inout [UInt8]) throws(YAMLError) {
        func scalar(_ v: UInt32) throws(YAMLError) {
            guard let u = Unicode.Scalar(v) else { throw error("\\u escape for an invalid code point") }
            out += Array(String(Character(u)).utf8)
        }
        func hex(_ n: Int) throws(YAMLError) -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<n {
                guard let c = peek(), let d = Character(Unicode.Scalar(c)).hexDigitValue else { throw error("expected \(n) hex digits in an escape") }
                v = v * 16 + UInt32(d)
                pos += 1
            }
            return v
        }
        switch e {
        case UInt8(ascii: "0"): out.append(0)
        case UInt8(ascii: "a"): out.append(7)
        case UInt8(ascii: "b"): out.append(8)
        case UInt8(ascii: "t"), 0x09: out.append(9)
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "v"): out.append(11)
        case UInt8(ascii: "f"): out.append(12)
        case UInt8(ascii: "r"): out.append(13)
        case UInt8(ascii: "e"): out.append(27)
        case 0x20, UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "\\"): out.append(e)
        case UInt8(ascii: "N"): try scalar(0x85)
        case UInt8(ascii: "_"): try scalar(0xA0)
        case UInt8(ascii: "L"): try scalar(0x2028)
        case UInt8(ascii: "P"): try scalar(0x2029)
        case UInt8(ascii: "x"): try scalar(try hex(2))
        case UInt8(ascii: "u"): try scalar(try hex(4))
        case UInt8(ascii: "U"): try scalar(try hex(8))
        default: throw error("unknown escape '\\\(Character(Unicode.Scalar(e)))' in a double-quoted string", at: pos - 2)
        }
    }

    /// `|` or `>` with optional chomping (`-`, `+`) and indentation (1–9) indicators.
    mutating func blockScalar(parentIndent: Int) throws(YAMLError) -> String {
        let folded = b[pos] == UInt8(ascii: ">")
        pos += 1
        var chomp: UInt8 = 0 // 0 clip, '-' strip, '+' keep
        var explicitIndent: Int?
        for _ in 0..<2 {
            if let c = peek(), c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { chomp = c; pos += 1 }
            if let c = peek(), c >= UInt8(ascii: "1") && c <= UInt8(ascii: "9") { explicitIndent = Int(c - UInt8(ascii: "0")); pos += 1 }
        }
        skipSpaces()
        if peek() == UInt8(ascii: "#") { while !Self.isBreak(peek()) { pos += 1 } }
        guard Self.isBreak(peek()) else { throw error("only a comment may follow a block scalar indicator on its line") }
        if !atEnd { if b[pos] == 0x0D && peek(1) == 0x0A { pos += 1 }; pos += 1 }
        let base = max(parentIndent, 0)
        // The content's indentation: given, or that of the first non-empty line.
        var indent = explicitIndent.map { base + $0 }
        if indent == nil {
            var q = pos, maxEmpty = 0
            while q < b.count {
                var s = q
                while s < b.count && b[s] == 0x20 { s += 1 }
                if s < b.count && !Self.isBreak(b[s]) { indent = s - q; break }
                maxEmpty = max(maxEmpty, s - q)
                if s >= b.count { break }
                q = s + (b[s] == 0x0D && s + 1 < b.count && b[s + 1] == 0x0A ? 2 : 1)
            }
            if let i = indent, i < maxEmpty { throw error("a leading empty line of a block scalar is indented more than its text") }
        }
        var lines: [String] = []
        if let ind = indent, ind > parentIndent {
            while !atEnd {
                var s = pos
                while s < b.count && b[s] == 0x20 && s - pos < ind { s += 1 }
                let lineEnd = { () -> Int in var e = s; while e < b.count && !Self.isBreak(b[e]) { e += 1 }; return e }()
                let blankLine = b[pos..<lineEnd].allSatisfy { $0 == 0x20 }
                if s - pos < ind && !blankLine { break }
                if atDocumentMarker() { break }
                lines.append(blankLine ? "" : String(decoding: b[s..<lineEnd], as: UTF8.self))
                pos = lineEnd
                if pos < b.count { if b[pos] == 0x0D && pos + 1 < b.count && b[pos + 1] == 0x0A { pos += 1 }; pos += 1 }
            }
        }
        // Trailing empty lines belong to chomping, not to the text.
        var trailing = 0
        while let l = lines.last, l.isEmpty { lines.removeLast(); trailing += 1 }
        var body: String
        if folded {
            body = ""
            var pending = 0, first = true, prevMore = false
            for line in lines {
                if line.isEmpty { pending += 1; continue }
                let more = line.first == " " || line.first == "\t"
                if first {
                    body += String(repeating: "\n", count: pending)
                } else if pending == 0 {
                    body += more || prevMore ? "\n" : " "
                } else {
                    body += String(repeating: "\n", count: pending + (more || prevMore ? 1 : 0))
                }
                body += line
                pending = 0
                first = false
                prevMore = more
            }
        } else {
            body = lines.joined(separator: "\n")
        }
        switch chomp {
        case UInt8(ascii: "-"): return body
        case UInt8(ascii: "+"): return lines.isEmpty ? String(repeating: "\n", count: trailing) : body + "\n" + String(repeating: "\n", count: trailing)
        default: return lines.isEmpty ? "" : body + "\n"
        }
    }

    // MARK: - Flow collections

    mutating func skipFlowSpace() throws(YAMLError) {
        while !atEnd {
            let c = b[pos]
            if Self.isBlank(c) { pos += 1; continue }
            if c == UInt8(ascii: "#") && (pos == 0 || Self.isBlank(b[pos - 1])) { while !Self.isBreak(peek()) { pos += 1 }; continue }
            return
        }
    }

    mutating func flowNode() throws(YAMLError) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        if depth > YAMLParser.maxDepth { throw error("nesting deeper than \(YAMLParser.maxDepth) levels") }
        try skipFlowSpace()
        var anchor: String?
        var tag: String?
        while let c = peek(), c == UInt8(ascii: "&") || c == UInt8(ascii: "!") {
            if c == UInt8(ascii: "&") { pos += 1; anchor = readName() } else { tag = try readTag() }
            try skipFlowSpace()
        }
        guard let c = peek() else { throw error("unexpected end of input in a flow collection") }
        let v: JSONValue
        switch c {
        case UInt8(ascii: "["): v = try tagged(try flowSequence(), tag, quoted: true)
        case UInt8(ascii: "{"): v = try tagged(try flowMapping(), tag, quoted: true)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): v = try tagged(.string(try quoted(flow: true)), tag, quoted: true)
        case UInt8(ascii: "*"): v = try alias()
        default:
            let text = try plainFlowScalar()
            v = try tagged(resolve(text), tag, quoted: false, raw: text)
        }
        if let anchor { anchors[anchor] = v }
        return v
    }

    static let flowIndicators: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}")]

    mutating func plainFlowScalar() throws(YAMLError) -> String {
        var out = ""
        var line: [UInt8] = []
        while !atEnd {
            let c = b[pos]
            if Self.flowIndicators.contains(c) { break }
            if c == UInt8(ascii: ":") && (Self.isBlank(peek(1)) || Self.flowIndicators.contains(peek(1) ?? 0)) { break }
            if c == UInt8(ascii: "#") && (line.isEmpty || Self.isSpace(line.last)) { break }
            if Self.isBreak(c) {
                let t = String(decoding: line, as: UTF8.self).trimmingSpaces
                if !t.isEmpty { out += (out.isEmpty ? "" : " ") + t }
                line = []
                pos += 1
                while Self.isSpace(peek()) { pos += 1 }
                continue
            }
            line.append(c)
            pos += 1
        }
        let t = String(decoding: line, as: UTF8.self).trimmingSpaces
        if !t.isEmpty { out += (out.isEmpty ? "" : " ") + t }
        if out.isEmpty { throw error("expected a value") }
        return out
    }

    mutating func flowSequence() throws(YAMLError) -> JSONValue {
        pos += 1
        var items: [JSONValue] = []
        while true {
            try skipFlowSpace()
            guard let c = peek() else { throw error("unterminated flow sequence: expected ']'") }
            if c == UInt8(ascii: "]") { pos += 1; break }
            path.append(String(items.count))
            record(pos)
            var item = try flowNode()
            try skipFlowSpace()
            if peek() == UInt8(ascii: ":") {
                // `[a: 1]`: a single-pair mapping.
                pos += 1
                try skipFlowSpace()
                let value: JSONValue = peek() == UInt8(ascii: ",") || peek() == UInt8(ascii: "]") ? .null : try flowNode()
                item = .object(JSONObject([(key: try keyText(item), value: value)]))
                try skipFlowSpace()
            }
            path.removeLast()
            items.append(item)
            if atEnd { throw error("unterminated flow sequence: expected ']'") }
            if peek() == UInt8(ascii: ",") { pos += 1; continue }
            if peek() == UInt8(ascii: "]") { pos += 1; break }
            throw error("expected ',' or ']' in a flow sequence")
        }
        return .array(items)
    }

    mutating func flowMapping() throws(YAMLError) -> JSONValue {
        pos += 1
        var entries = JSONObject()
        var seen = Set<String>()
        while true {
            try skipFlowSpace()
            guard let c = peek() else { throw error("unterminated flow mapping: expected '}'") }
            if c == UInt8(ascii: "}") { pos += 1; break }
            if c == UInt8(ascii: "?") && Self.isBlank(peek(1)) { throw error("complex mapping keys ('? ') are not supported") }
            let keyStart = pos
            let key = try keyText(try flowNode())
            try skipFlowSpace()
            var value: JSONValue = .null
            path.append(key)
            record(keyStart)
            if peek() == UInt8(ascii: ":") {
                pos += 1
                try skipFlowSpace()
                if peek() != UInt8(ascii: ",") && peek() != UInt8(ascii: "}") { value = try flowNode() }
            }
            path.removeLast()
            if key == "<<", case .object(let m) = value {
                for (k, v) in m where entries[k] == nil { entries[k] = v }
            } else {
                if !seen.insert(key).inserted { throw error("duplicate key '\(key)'", at: keyStart) }
                entries[key] = value
            }
            try skipFlowSpace()
            if atEnd { throw error("unterminated flow mapping: expected '}'") }
            if peek() == UInt8(ascii: ",") { pos += 1; continue }
            if peek() == UInt8(ascii: "}") { pos += 1; break }
            throw error("expected ',' or '}' in a flow mapping")
        }
        return .object(entries)
    }

    /// A key must be a scalar; JSON keys are strings, so numbers and booleans keep their text.
    func keyText(_ v: JSONValue) throws(YAMLError) -> String {
        switch v {
        case .string(let s): return s
        case .number(let n): return n.text
        case .bool(let x): return x ? "true" : "false"
        case .null: return "null"
        default: throw error("a mapping key must be a plain or quoted scalar, not a collection")
        }
    }

    // MARK: - Anchors, aliases, tags

    mutating func readName() -> String {
        let start = pos
        while let c = peek(), !Self.isBlank(c), !Self.flowIndicators.contains(c) { pos += 1 }
        return String(decoding: b[start..<pos], as: UTF8.self)
    }

    mutating func alias() throws(YAMLError) -> JSONValue {
        let at = pos
        pos += 1
        let name = readName()
        guard let v = anchors[name] else { throw error("unknown alias '*\(name)' (anchors must come before their aliases)", at: at) }
        aliasBudget -= Self.nodes(v)
        if aliasBudget < 0 { throw error("aliases expand to more than \(YAMLParser.maxAliasNodes) values", at: at) }
        return v
    }

    static func nodes(_ v: JSONValue) -> Int {
        switch v {
        case .array(let xs): return 1 + xs.reduce(0) { $0 + nodes($1) }
        case .object(let o): return 1 + o.reduce(0) { $0 + nodes($1.value) }
        default: return 1
        }
    }

    mutating func readTag() throws(YAMLError) -> String {
        let at = pos
        let name = readName()
        let known = ["!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq"]
        guard known.contains(name) else { throw error("the tag \(name) is not supported (only the core schema's \(known.joined(separator: ", ")))", at: at) }
        return name
    }

    /// A value with its tag applied (`!!str 12` is the string "12").
    func tagged(_ v: JSONValue, _ tag: String?, quoted: Bool, raw: String? = nil) throws(YAMLError) -> JSONValue {
        guard let tag else { return v }
        let text: String? = raw ?? v.stringValue
        switch tag {
        case "!!str": return .string(text ?? JSONSerializer.string(v))
        case "!!int", "!!float":
            if case .number = v { return v }
            if let t = text, case .number(let n) = resolve(t) { return .number(n) }
            throw error("\(tag) needs a number")
        case "!!bool":
            if case .bool = v { return v }
            throw error("!!bool needs true or false")
        case "!!null":
            return .null
        case "!!map":
            if case .object = v { return v }
            throw error("!!map needs a mapping")
        default:
            if case .array = v { return v }
            throw error("!!seq needs a sequence")
        }
    }

    // MARK: - Core schema

    /// Plain scalars as the YAML 1.2 core schema resolves them.
    func resolve(_ t: String) -> JSONValue {
        switch t {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        let u = Array(t.utf8)
        if u.count > 2 && u[0] == UInt8(ascii: "0") && (u[1] == UInt8(ascii: "x") || u[1] == UInt8(ascii: "o")) {
            let radix = u[1] == UInt8(ascii: "x") ? 16 : 8
            if let v = Int(String(decoding: u[2...], as: UTF8.self), radix: radix) { return .number(JSONNumber(v)) }
            return .string(t)
        }
        if Self.isDecimal(u), let n = JSONNumber(text: Self.jsonNumberText(t)) { return .number(n) }
        return .string(t)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isDecimal(_ u: [UInt8]) -> Bool {
        var i = 0
        func digits() -> Int { let s = i; while i < u.count && u[i] >= 0x30 && u[i] <= 0x39 { i += 1 }; return i - s }
        if i < u.count && (u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+")) { i += 1 }
        let whole = digits()
        var frac = 0
        if i < u.count && u[i] == UInt8(ascii: ".") { i += 1; frac = digits() }
        if whole == 0 && frac == 0 { return false }
        if i < u.count && (u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E")) {
            i += 1
            if i < u.count && (u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+")) { i += 1 }
            if digits() == 0 { return false }
        }
        return i == u.count
    }

    /// The same number in JSON's stricter spelling (`+1` → `1`, `.5` → `0.5`, `1.` → `1.0`, `007` → `7`).
    static func jsonNumberText(_ t: String) -> String {
        var s = t
        var sign = ""
        if s.hasPrefix("+") { s.removeFirst() } else if s.hasPrefix("-") { s.removeFirst(); sign = "-" }
        var mantissa = s, exp = ""
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) { mantissa = String(s[..<e]); exp = String(s[e...]) }
        var whole = mantissa, frac: String?
        if let dot = mantissa.firstIndex(of: ".") { whole = String(mantissa[..<dot]); frac = String(mantissa[mantissa.index(after: dot)...]) }
        while whole.count > 1 && whole.hasPrefix("0") { whole.removeFirst() }
        if whole.isEmpty { whole = "0" }
        var out = sign + whole
        if let f = frac { out += "." + (f.isEmpty ? "0" : f) }
        return out + exp
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
