/// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Used for `casesFrom` CSV files.
enum CSVReader {
    struct Row {
        let line: Int
        let fields: [String]
        /// The 1-based column (in characters) where each field starts on its line.
        var columns: [Int] = []
    }

    struct ParseError: Error {
        let line: Int
        let message: String
    }

    static func parse(_ text: String) throws(ParseError) -> [Row] {
        var rows: [Row] = []
        var field = ""
        var fields: [String] = []
        var inQuotes = false
        var line = 1
        var rowLine = 1
        var chars = Array(text.unicodeScalars)[...]
        var sawAny = false
        var column = 1, fieldColumn = 1
        var columns: [Int] = []
        while let c = chars.first {
            chars = chars.dropFirst()
            defer { column = c == "\n" ? 1 : column + 1 }
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars = chars.dropFirst() } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                if !field.isEmpty { throw ParseError(line: line, message: "a quote inside an unquoted field") }
                inQuotes = true; sawAny = true
            case ",":
                fields.append(field); field = ""; sawAny = true
                columns.append(fieldColumn); fieldColumn = column + 1
            case "\r":
                break
            case "\n":
                if sawAny || !field.isEmpty {
                    fields.append(field); columns.append(fieldColumn)
                    rows.append(Row(line: rowLine, fields: fields, columns: columns))
                }
                fields = []; field = ""; sawAny = false; columns = []; fieldColumn = 1
                line += 1
                rowLine = line
            default:
                field.unicodeScalars.append(c); sawAny = true
            }
        }
        if inQuotes { throw ParseError(line: rowLine, message: "unterminated quoted field") }
        if sawAny || !field.isEmpty { fields.append(field); columns.append(fieldColumn); rows.append(Row(line: rowLine, fields: fields, columns: columns)) }
        return rows
    }
}
