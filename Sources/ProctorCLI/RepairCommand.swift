import Foundation
import ProctorJSON
import ProctorRepair

/// `proctor repair`: repair truncated or malformed JSON.
enum RepairCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "repair",
        summary: "Repair truncated or malformed JSON (model output cut at the token limit, fences, prose, ...).",
        usage: "proctor repair [FILE|-] [--pretty] [--explain] [--drop-partial-strings] | proctor repair --lines [FILE|-]",
        options: [
            OptionSpec("pretty", help: "Print the repaired JSON indented."),
            OptionSpec("explain", help: "List the repairs on stderr (kind and byte offset)."),
            OptionSpec("drop-partial-strings", help: "Drop a string cut by the end of the text instead of keeping its prefix."),
            OptionSpec("lines", help: "Batch mode: each input line is a JSON string literal holding one broken text; each output line is the repaired JSON text as a string literal, or null."),
        ],
        discussion: """
        EXIT CODES: 0 repaired or already valid, 1 nothing recoverable, 2 usage error or unreadable file.
        A newline at the very end of the input is not part of the text (editors and `echo` add one).

        With --lines, output line N always answers input line N: the repaired text as a JSON string,
        or null when nothing is recoverable. A line that is not a JSON string literal (or is blank)
        also gets null, and a message on stderr naming the line; the exit code is then 1, else 0.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count <= 1 else { throw CLIError.usage("give one FILE (or '-' for stdin)") }
        let path = args.positionals.first ?? "-"
        var bytes = try ValidateCommand.readInput(path, console: console)
        let options = JSONRepair.Options(dropPartialStrings: args.flag("drop-partial-strings"))
        if args.flag("lines") { return lines(bytes, options: options, console: console, path: path) }
        // The newline a file or `echo` ends with is not part of the model output.
        if bytes.last == 0x0A { bytes.removeLast(); if bytes.last == 0x0D { bytes.removeLast() } }
        let result: RepairResult
        do {
            result = try bytes.withUnsafeBufferPointer { buf throws(RepairError) in try JSONRepair.repair(bytes: buf, options: options) }
        } catch {
            console.err("error: \(path == "-" ? "stdin" : path): nothing recoverable: \(error)")
            return 1
        }
        console.out(args.flag("pretty") ? JSONSerializer.string(result.value, pretty: true) : result.text)
        if args.flag("explain") {
            if result.repairs.isEmpty { console.err("valid JSON: no repairs") }
            for r in result.repairs { console.err("\(r.kind.rawValue) at byte \(r.offset)\(r.isTruncation ? " (truncation)" : "")") }
        }
        return 0
    }

    /// One process for a whole log: every line a JSON string literal in, a string literal (or null) out.
    static func lines(_ bytes: [UInt8], options: JSONRepair.Options, console: Console, path: String) -> Int32 {
        // Written out every 1 MB: the same pages are reused (no page faults for a file-sized buffer).
        var out: [UInt8] = []
        let chunk = 1 << 20
        out.reserveCapacity(min(bytes.count + bytes.count / 4, chunk + (chunk >> 2)))
        var unreadable = 0
        var text: [UInt8] = []  // one line's decoded text, reused
        let name = path == "-" ? "stdin" : path
        bytes.withUnsafeBufferPointer { all in
            var start = 0, line = 0
            while start < all.count {
                line += 1
                var end = start
                while end < all.count && all[end] != 0x0A { end += 1 }
                var stop = end
                if stop > start && all[stop - 1] == 0x0D { stop -= 1 }
                let buf = UnsafeBufferPointer(rebasing: all[start..<stop])
                text.removeAll(keepingCapacity: true)
                if (try? JSONParser.decodeString(bytes: buf, into: &text)) != nil {
                    let repaired = text.withUnsafeBufferPointer { try? JSONRepair.repair(bytes: $0, options: options) }
                    if let r = repaired {
                        JSONSerializer.writeQuoted(r.value, into: &out)
                    } else {
                        out.append(contentsOf: "null".utf8)
                    }
                } else {
                    unreadable += 1
                    console.err("\(name):\(line): " + (buf.isEmpty ? "blank line" : "not a JSON string literal") + "; wrote null")
                    out.append(contentsOf: "null".utf8)
                }
                out.append(0x0A)
                if out.count >= chunk {
                    console.rawOut(bytes: out)
                    out.removeAll(keepingCapacity: true)
                }
                start = end + 1
            }
        }
        console.rawOut(bytes: out)
        return unreadable == 0 ? 0 : 1
    }
}
