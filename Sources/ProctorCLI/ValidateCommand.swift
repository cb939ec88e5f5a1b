import Foundation
import ProctorCommandLine
import ProctorJSON
import ProctorSchema
import ProctorSupport

/// `proctor validate`: check JSON files or JSON Lines against a JSON Schema.
enum ValidateCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "validate",
        summary: "Validate JSON documents (or JSON Lines) against a JSON Schema.",
        usage: "proctor validate --schema SCHEMA.json [--draft 2020-12|7] [--format-assert] [--registry BASE_URI=DIR]... [--jsonl] FILE...",
        options: [
            OptionSpec("schema", short: "s", value: "FILE", help: "The schema file (JSON or JSONC)."),
            OptionSpec("draft", value: "DRAFT", help: "Dialect when the schema has no $schema: 2020-12 (default) or 7."),
            OptionSpec("format-assert", help: "Treat 'format' as an assertion (date-time, email, uri, ...)."),
            OptionSpec("registry", value: "BASE_URI=DIR", repeatable: true, help: "Serve remote $refs under BASE_URI from files in DIR."),
            OptionSpec("jsonl", help: "Each line of each file is one instance; print one JSON result per line."),
        ],
        discussion: """
        FILE may be '-' for standard input. Without --jsonl a readable report is printed per file.
        With --jsonl each result is one line: {"line": N, "valid": bool, "errors": [{"instanceLocation", "keywordLocation", "message"}]}
        ("file" is added when several files are given).

        EXIT CODES: 0 all valid, 1 any invalid, 2 usage error, unreadable file or bad schema.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard let schemaPath = args.value("schema") else { throw CLIError.usage("missing --schema SCHEMA.json") }
        guard !args.positionals.isEmpty else { throw CLIError.usage("give at least one FILE to validate (or '-' for stdin)") }
        var options = SchemaOptions()
        if let d = args.value("draft") {
            guard let draft = SchemaDraft(option: d) else { throw CLIError.usage("--draft must be 2020-12 or 7, got '\(d)'") }
            options.defaultDraft = draft
        }
        options.formatAssertion = args.flag("format-assert")
        var registry = SchemaRegistry()
        for r in args.all("registry") {
            guard let eq = r.firstIndex(of: "="), eq != r.startIndex else { throw CLIError.usage("--registry expects BASE_URI=DIR, got '\(r)'") }
            let dir = String(r[r.index(after: eq)...])
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw CLIError.input("--registry folder '\(dir)' does not exist")
            }
            registry.addFolder(baseURI: String(r[..<eq]), directory: dir)
        }
        let schemaBytes = try readInput(schemaPath, console: console)
        let schemaValue: JSONValue
        do { schemaValue = try JSONParser.parse(schemaBytes, options: .jsonc) } catch {
            throw CLIError.input("\(schemaPath):\(error)")
        }
        let schema: CompiledSchema
        do {
            let uri = schemaPath == "-" ? nil : URL(fileURLWithPath: schemaPath).standardizedFileURL.absoluteString
            schema = try CompiledSchema.compile(schemaValue, uri: uri, registry: registry, options: options)
        } catch {
            throw CLIError.input("\(schemaPath): \(error)")
        }

        var anyInvalid = false
        let many = args.positionals.count > 1
        for file in args.positionals {
            let bytes = try readInput(file, console: console)
            if args.flag("jsonl") {
                let valid = SchemaLines.validate(bytes, schema: schema, file: many ? file : nil,
                                                 split: .everyCore,
                                                 write: { console.rawOut(bytes: $0) })
                if !valid { anyInvalid = true }
            } else {
                do {
                    let v = try JSONParser.parse(bytes)
                    let r = schema.validate(v)
                    if r.valid {
                        console.out("\(file): valid")
                    } else {
                        anyInvalid = true
                        console.out("\(file): invalid (\(r.errors.count) error\(r.errors.count == 1 ? "" : "s"))")
                        for e in r.errors { console.out("  \(e)    [\(e.keywordLocation)]") }
                    }
                } catch {
                    anyInvalid = true
                    console.out("\(file): not valid JSON: \(file):\(error)")
                }
            }
        }
        return anyInvalid ? 1 : 0
    }

    /// Reads a file or stdin (`-`); an unreadable file is an input error (exit 2) naming it.
    static func readInput(_ path: String, console: Console) throws(CLIError) -> [UInt8] {
        if path == "-" { return TextInput.strippingBOM(console.readStdin()) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw CLIError.input("\(path): no such file") }
        guard !isDir.boolValue else { throw CLIError.input("\(path): is a folder, expected a file") }
        guard let d = TextInput.read(path) else { throw CLIError.input("\(path): cannot be read") }
        return d
    }
}
