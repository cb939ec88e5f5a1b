/// Escapes text for XML 1.0 attributes and element content.
///
/// Characters XML 1.0 forbids (C0 controls other than tab/newline/return, U+FFFE, U+FFFF) are shown
/// as `\u{…}` so model output can never make the report ill-formed; `]]>` cannot end a CDATA
/// section because none is used.
enum XMLText {
    /// Appends `s` escaped to `x` (`&`, `<`, `>`; in attributes also `"`, newline and tab as
    /// references; carriage return always), working on UTF-8 bytes: runs that need no escaping are
    /// copied whole.
    static func append(_ s: String, attribute: Bool, to x: inout [UInt8]) {
        // Read native strings in place (no copy, no retain); make others contiguous first.
        if s.utf8.withContiguousStorageIfAvailable({ append(bytes: $0, attribute: attribute, to: &x) }) != nil { return }
        var s = s
        s.withUTF8 { append(bytes: $0, attribute: attribute, to: &x) }
    }

    static func append(bytes b: UnsafeBufferPointer<UInt8>, attribute: Bool, to x: inout [UInt8]) {
        do {
            var run = 0, i = 0
            func flush(_ upTo: Int) { if upTo > run { x.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<upTo])) } }
            func replace(_ width: Int, _ r: String) { flush(i); x += r.utf8; i += width; run = i }
            while i < b.count {
                let c = b[i]
                if c >= 0x20 && c < 0x7F {
                    switch c {
                    case UInt8(ascii: "&"): replace(1, "&amp;")
                    case UInt8(ascii: "<"): replace(1, "&lt;")
                    case UInt8(ascii: ">"): replace(1, "&gt;")
                    case UInt8(ascii: "\""): if attribute { replace(1, "&quot;") } else { i += 1 }
                    default: i += 1
                    }
                } else if c < 0x80 {
                    switch c {
                    case 0x0A: if attribute { replace(1, "&#10;") } else { i += 1 }
                    case 0x0D: replace(1, "&#13;")
                    case 0x09: if attribute { replace(1, "&#9;") } else { i += 1 }
                    default: replace(1, "\\u{\(String(c, radix: 16))}")  // C0 controls and DEL
                    }
                } else if c == 0xC2, i + 1 < b.count, b[i + 1] >= 0x80, b[i + 1] <= 0x9F, b[i + 1] != 0x85 {
                    replace(2, "\\u{\(String(b[i + 1], radix: 16))}")  // C1 controls but NEL
                } else if c == 0xEF, i + 2 < b.count, b[i + 1] == 0xBF, b[i + 2] == 0xBE || b[i + 2] == 0xBF {
                    replace(3, b[i + 2] == 0xBE ? "\\u{fffe}" : "\\u{ffff}")
                } else {
                    i += 1
                }
            }
            flush(b.count)
        }
    }
}
