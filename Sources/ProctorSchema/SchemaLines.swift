import ProctorJSON

/// Validation of JSON Lines, one result line per instance line (what `proctor validate --jsonl`
/// prints), on every core.
public enum SchemaLines {
    /// Validates every non-blank line of `bytes` against `schema` and hands the result lines to
    /// `write` in input order, a piece at a time; true when every line was JSON and valid.
    ///
    /// Each result is `{"file"?, "line", "valid", "errors": [{instanceLocation, keywordLocation,
    /// message}]}` on one line; `file` is written when it is given. A line that is not JSON is
    /// invalid, with the parse error as its one error.
    public static func validate(_ bytes: [UInt8], schema: CompiledSchema, file: String? = nil, split: JSONLines.Split,
                                write: ([UInt8]) -> Void) -> Bool {
        var allValid = true
        JSONLines.transformInOrder(bytes, split: split, transform: { range, firstLine in
            piece(bytes, range, firstLine, schema: schema, file: file)
        }, consume: { out in
            if !out.valid { allValid = false }
            write(out.lines)
        })
        return allValid
    }

    /// The result lines of the instance lines in `range`, and whether all of them were valid.
    static func piece(_ bytes: [UInt8], _ range: Range<Int>, _ firstLine: Int, schema: CompiledSchema, file: String?)
        -> (lines: [UInt8], valid: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(range.count / 4 + 64)
        var valid = true
        JSONLines.forEachLine(bytes, in: range, firstLine: firstLine) { line, buf in
            var obj: [(String, JSONValue)] = []
            if let file { obj.append(("file", .string(file))) }
            obj.append(("line", .number(JSONNumber(line))))
            do {
                let r = schema.validate(try JSONParser.parse(bytes: buf))
                if !r.valid { valid = false }
                obj.append(("valid", .bool(r.valid)))
                obj.append(("errors", .array(r.errors.map(\.json))))
            } catch {
                valid = false
                obj.append(("valid", false))
                obj.append(("errors", [["instanceLocation": "", "keywordLocation": "", "message": .string("not valid JSON: \(error)")]]))
            }
            JSONSerializer.write(.object(JSONObject(obj.map { (key: $0.0, value: $0.1) })), into: &out)
            out.append(0x0A)
            return true
        }
        return (out, valid)
    }
}
