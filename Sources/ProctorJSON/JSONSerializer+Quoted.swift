extension JSONSerializer {
    /// Appends `value`'s compact JSON text as a JSON string literal, in one pass: the same bytes as
    /// `writeString(bytes: bytes(value))`, without the intermediate text. `repair --lines` writes
    /// every repaired value this way.
    public static func writeQuoted(_ value: JSONValue, into out: inout [UInt8]) {
        out.append(0x22)
        quotedValue(value, &out)
        out.append(0x22)
    }

    static func quotedValue(_ value: JSONValue, _ out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.text.utf8)
        case .string(let s): quotedString(s, &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                quotedValue(item, &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let obj):
            out.append(UInt8(ascii: "{"))
            for (i, e) in obj.entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                quotedString(e.key, &out)
                out.append(UInt8(ascii: ":"))
                quotedValue(e.value, &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A string literal inside a string literal: `\"…\"`, its content escaped twice (`"` becomes
    /// `\\\"`, a newline `\\n`), runs that need neither copied in bulk.
    static func quotedString(_ s: String, _ out: inout [UInt8]) {
        out.append(0x5C); out.append(0x22)
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            for i in 0..<bytes.count where needsEscape(bytes[i]) {
                let b = bytes[i]
                if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                let e = shortEscape(b)
                switch e {
                case 0x22: out.append(contentsOf: [0x5C, 0x5C, 0x5C, 0x22])            // \\\"
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C, 0x5C, 0x5C])            // \\\\
                case 0: out.append(contentsOf: [0x5C, 0x5C, UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]])
                default: out.append(contentsOf: [0x5C, 0x5C, e])                       // \\n and the like
                }
                runStart = i + 1
            }
            if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])) }
        }
        out.append(0x5C); out.append(0x22)
    }
}
