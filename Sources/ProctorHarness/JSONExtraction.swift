import ProctorJSON

/// Finds JSON inside prose or a Markdown fence: the first complete top-level object or array.
public enum JSONExtraction {
    /// The value and a note on where it was found.
    public static func firstValue(in text: String) -> (value: JSONValue, how: String)? {
        let bytes = Array(text.utf8)
        // A ``` fence first: its content is what the model meant as the answer.
        if let fenced = fencedBlock(bytes), let v = try? JSONParser.parse(Array(bytes[fenced])) {
            return (v, "extracted JSON from a code fence")
        }
        return bytes.withUnsafeBufferPointer { buf -> (JSONValue, String)? in
            var i = 0
            while i < buf.count {
                let b = buf[i]
                if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                    if let (v, _) = try? JSONParser.parsePrefix(bytes: buf, from: i) {
                        return (v, "extracted JSON found at byte \(i) inside surrounding text")
                    }
                }
                i += 1
            }
            return nil
        }
    }

    /// The byte range inside the first ``` fence (an optional language tag line skipped).
    static func fencedBlock(_ b: [UInt8]) -> Range<Int>? {
        let tick = UInt8(ascii: "`")
        var i = 0
        while i + 2 < b.count {
            if b[i] == tick && b[i + 1] == tick && b[i + 2] == tick {
                var start = i + 3
                while start < b.count && b[start] != 0x0A { start += 1 }
                start += 1
                var j = start
                while j + 2 < b.count {
                    if b[j] == tick && b[j + 1] == tick && b[j + 2] == tick { return start..<j }
                    j += 1
                }
                return nil
            }
            i += 1
        }
        return nil
    }
}
