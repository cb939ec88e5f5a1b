import Foundation
import ProctorCommandLine
import ProctorJSON
import ProctorRepair
import ProctorSupport

/// `proctor repair`: repair truncated or malformed JSON.
enum RepairCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "repair",
        summary: "Repair truncated or malformed JSON (model output cut at the token limit, fences, prose, ...).",
        usage: "proctor repair [FILE|-] [--pretty] [--explain] [--drop-partial-strings] | proctor repair --lines [FILE|-]",
        options: [
            OptionSpec("pretty", help: "Print the repaired JSON indented."),
            OptionSpec("explain", help: "List the repairs on stderr (kind, byte offset, the text as written, and lossy ones marked)."),
            OptionSpec("drop-partial-strings", help: "Drop a string cut by the end of the text instead of keeping its prefix."),
            OptionSpec("lines", help: "Batch mode: each input line is a JSON string literal holding one broken text; each output line is the repaired JSON text as a string literal, or null."),
        ],
        discussion: """
        EXIT CODES: 0 repaired or already valid, 1 nothing recoverable, 2 usage error or unreadable file.
        A newline at the very end of the input is not part of the text (editors and `echo` add one).
        A lossy repair (a value changed or dropped: NaN made null, a number cut by the end of the
        text, a key without a value) is always named on stderr, with the text as written.

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
        bytes = TextInput.droppingFinalNewline(bytes)
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
            for r in result.repairs { console.err(explain(r)) }
        } else if result.isLossy {
            // Said even without --explain: the output does not say all the input said.
            for r in result.repairs where r.isLossy { console.err("lossy repair: " + explain(r)) }
        }
        return 0
    }

    /// One repair as `--explain` lists it: "fixedNumber at byte 6 (was "0x1F")", lossy ones marked.
    static func explain(_ r: Repair) -> String {
        "\(r.kind.rawValue) at byte \(r.offset)" + (r.original.map { " (was \(JSONSerializer.quote($0)))" } ?? "")
            + (r.isTruncation ? " (truncation)" : "") + (r.isLossy ? " [lossy]" : "")
    }

    /// One process for a whole log: every line a JSON string literal in, a string literal (or
    /// null) out, repaired on every core and written a piece at a time.
    static func lines(_ bytes: [UInt8], options: JSONRepair.Options, console: Console, path: String) -> Int32 {
        var unreadable = 0
        let name = path == "-" ? "stdin" : path
        let lossy = RepairLines.repair(bytes, options: options, split: .everyCore,
                           write: { console.rawOut(bytes: $0) },
                           unreadable: { u in
                               unreadable += 1
                               console.err("\(name):\(u.line): " + (u.blank ? "blank line" : "not a JSON string literal") + "; wrote null")
                           })
        if let first = lossy.first {
            console.err("warning: \(lossy.count) line\(lossy.count == 1 ? "" : "s") needed a lossy repair (a value changed or dropped); "
                        + "the first is \(name):\(first.line): \(first.repairs)")
        }
        return unreadable == 0 ? 0 : 1
    }
}
