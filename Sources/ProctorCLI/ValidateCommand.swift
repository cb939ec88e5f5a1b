import Foundation
import ProctorCommandLine
import ProctorJSON
import ProctorSchema
import ProctorSupport
import ProctorYAML

/// `proctor validate`: check JSON files or JSON Lines against a JSON Schema.
enum ValidateCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "validate",
        summary: "Validate JSON documents (or JSON Lines) against a JSON Schema.",
        usage: "proctor validate --schema SCHEMA.json [--draft 2020-12|2019-09|7|6|4] [--format-assert] [--registry BASE_URI=DIR]... [--jsonl] FILE...",
        options: [
            OptionSpec("schema", short: "s", value: "FILE", help: "The schema file (JSON or JSONC)."),
            OptionSpec("draft", value: "DRAFT", help: "The dialect, whatever $schema says: 2020-12, 2019-09, 7, 6 or 4 (default: $schema's, else 2020-12)."),
            OptionSpec("format-assert", help: "Treat 'format' as an assertion (date-time, email, uri, ...)."),
            OptionSpec("registry", value: "BASE_URI=DIR", repeatable: true, help: "Serve remote $refs under BASE_URI from files in DIR."),
            OptionSpec("jsonl", help: "Each line of each file is one instance; print one JSON result per line."),
        ],
        discussion: """
        FILE may be '-' for standard input; a .yaml or .yml FILE is read as YAML 1.2 (core schema).
        Without --jsonl a readable report is printed per file.
        With --jsonl each result is one line: {"line": N, "valid": bool, "errors": [{"instanceLocation", "keywordLocation", "message"}]}
        ("file" is added when several files are given).

        EXIT CODES: 0 all valid, 1 any invalid, 2 usage error, unreadable file or bad schema.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard let schemaPath = args.value("schema") else { throw CLIError.usage("missing --schema SCHEMA.json") }
        guard !args.positionals.isEmpty else { throw CLIError.usage("give at least one FILE to validate (or '-' for stdin)") }
        var options = SchemaOptions()
        if let d = args.value("draft") {
            guard let draft = SchemaDraft(option: d) else { throw CLIError.usage("--draft must be 2020-12, 2019-09, 7, 6 or 4, got '\(d)'") }
            options.defaultDraft = draft
            options.forcedDraft = draft
        }
        options.deferUnresolvedRefs = true
        options.formatAssertion = args.flag("format-assert")
        let registry: SchemaRegistry
        do { registry = try SchemaRegistry(specs: args.all("registry")) } catch { throw CLIError.input(error.description) }
        let schemaBytes = try readInput(schemaPath, console: console)
        let schemaValue: JSONValue
        do { schemaValue = try JSONParser.parse(schemaBytes, options: .jsonc) } catch { throw CLIError.input("\(schemaPath):\(error)") }
        let schema: CompiledSchema
        do {
            let uri = schemaPath == "-" ? nil : SchemaRegistry.fileURI(schemaPath)
            schema = try CompiledSchema.compile(schemaValue, uri: uri, registry: registry, options: options)
        } catch { throw CLIError.input("\(schemaPath): \(error)") }

        for r in schema.unresolvedRefs { console.err("note: \(schemaPath)#\(r); an instance that reaches it is invalid (pass --registry BASE_URI=DIR to serve it)") }
        for f in schema.unknownFormats { console.err("note: \(schemaPath)#\(f): an unknown format, not asserted (an annotation)") }
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
                    let v = try instance(bytes, file: file)
                    let r = schema.validate(v)
                    if r.valid {
                        console.out("\(file): valid")
                    } else {
                        anyInvalid = true
                        console.out("\(file): invalid (\(r.errors.count) error\(r.errors.count == 1 ? "" : "s"))")
                        for e in r.errors { console.out("  \(e)    [\(e.keywordLocation)]") }
                    }
                } catch let e as YAMLError {
                    anyInvalid = true
                    console.out("\(file): not valid YAML: \(file):\(e)")
                } catch {
                    anyInvalid = true
                    console.out("\(file): not valid JSON: \(file):\(error)")
                }
            }
        }
        return anyInvalid ? 1 : 0
    }

    /// The instance in `bytes`: YAML (1.2 core schema, Proctor's reader) for a `.yaml`/`.yml` file, else JSON.
    static func instance(_ bytes: [UInt8], file: String) throws -> JSONValue {
        let ext = (file as NSString).pathExtension.lowercased()
        if ext == "yaml" || ext == "yml" { return try YAMLParser.parse(String(decoding: bytes, as: UTF8.self)) }
        return try JSONParser.parse(bytes)
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
