import Foundation
import ProctorJSON

/// `proctor init [DIR]`: a small suite that runs offline on the built-in model and passes at once,
/// as a starting point to edit.
enum InitCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "init",
        summary: "Write a starter suite (built-in model, two prompt versions, a JSON Schema, CSV cases).",
        usage: "proctor init [DIR] [--model FILE]",
        options: [
            OptionSpec("model", value: "FILE", help: "The checkpoint to copy (its tokenizer is FILE with .tokenizer.bin); default: Proctor's own proctor-tiny."),
        ],
        discussion: """
        DIR (default: the current folder) gets suites/starter.jsonc, fixtures/starter-cases.csv,
        fixtures/schemas/person.schema.json and fixtures/models/ (a copy of the model, about 3.5 MB).
        Existing files are never overwritten: init stops and names them.
        """)

    /// The files init writes, relative to DIR.
    static let suitePath = "suites/starter.jsonc", casesPath = "fixtures/starter-cases.csv"
    static let schemaPath = "fixtures/schemas/person.schema.json"
    static let modelPath = "fixtures/models/proctor-tiny.bin", tokenizerPath = "fixtures/models/proctor-tiny.tokenizer.bin"

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count <= 1 else { throw CLIError.usage("give at most one DIR") }
        let dir = args.positionals.first ?? "."
        let (model, tokenizer) = try findModel(args.value("model"), console)
        let files: [(String, [UInt8])] = [
            (suitePath, Array(suite.utf8)), (casesPath, Array(cases.utf8)), (schemaPath, Array(schema.utf8)),
            (modelPath, model), (tokenizerPath, tokenizer),
        ]
        let existing = files.map(\.0).filter { FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent($0)) }
        guard existing.isEmpty else {
            throw CLIError.input("\(dir) already has \(existing.joined(separator: ", ")); init writes nothing over existing files")
        }
        for (rel, bytes) in files {
            let full = (dir as NSString).appendingPathComponent(rel)
            do {
                try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(bytes).write(to: URL(fileURLWithPath: full))
            } catch {
                throw CLIError.input("cannot write \(full): \(error.localizedDescription)")
            }
            console.out("wrote \(full)")
        }
        let cd = dir == "." ? "" : "cd \(dir) && "
        console.out("""

        Next:
          \(cd)proctor run suites                                   # run it offline; reports in reports/
          \(cd)proctor diff reports/results.json --prompts v1,v2     # what the second prompt version changed
          \(cd)proctor run suites --html reports/run.html            # the run as a page to share
        """)
        return 0
    }

    /// The model to copy: `--model`, else Proctor's own, looked for beside the executable (a release
    /// binary shipped with `proctor-tiny.bin`, or a build in the repository) and in the source tree
    /// it was built from.
    static func findModel(_ given: String?, _ console: Console) throws(CLIError) -> ([UInt8], [UInt8]) {
        var candidates: [String] = []
        if let given {
            candidates = [given]
        } else {
            let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            let fromExe = exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let exeDir = exe.deletingLastPathComponent()
            // A release binary with the model beside it, a binary in a checkout, the source tree.
            candidates = [exeDir.appendingPathComponent("proctor-tiny.bin").path, exeDir.appendingPathComponent(modelPath).path]
                + [fromExe, fromSource].map { $0.appendingPathComponent(modelPath).path }
        }
        for c in candidates {
            let tok = c.hasSuffix(".bin") ? String(c.dropLast(4)) + ".tokenizer.bin" : c + ".tokenizer.bin"
            if let m = FileManager.default.contents(atPath: c), let t = FileManager.default.contents(atPath: tok) {
                return ([UInt8](m), [UInt8](t))
            }
        }
        throw CLIError.input("cannot find the model (looked for \(candidates.joined(separator: ", ")) and its .tokenizer.bin); "
                             + "pass --model FILE (a llama2.c checkpoint with FILE's .tokenizer.bin beside it)")
    }

    static let suite = """
    // A starter suite: the built-in model (offline, no API key) extracts a person's name, age and
    // city as JSON. Two prompt versions run side by side; the cases come from a CSV file and every
    // answer is checked against a JSON Schema. Edit the prompts, add cases, then run `proctor run`.
    {
      "suite": "starter",
      "description": "Extract a person as JSON with the built-in model",
      "backends": [
        { "id": "tiny", "type": "builtin", "model": "../\(modelPath)", "tokenizer": "../\(tokenizerPath)" },
      ],
      "options": { "maxTokens": 64, "temperature": 0, "stop": ["\\n"] },
      "prompts": [
        // The format the model was trained on.
        { "id": "v1", "template": "Task: extract\\nInput: {{input}}\\nJSON:" },
        // The same request with a system message.
        { "id": "v2", "system": "Answer with JSON only.", "template": "Task: extract\\nInput: {{input}}\\nJSON:" },
      ],
      "defaults": {
        "validators": [
          { "type": "json" },
          { "type": "json-schema", "schema": "../\(schemaPath)" },
        ],
      },
      "casesFrom": ["../\(casesPath)"],
    }

    """

    static let cases = """
    id,input
    john,John Haddad is 60 years old and lives in Quito.
    paul,"Paul Garcia, aged 25, lives in Dublin."
    ada,Ada Lovelace is 36 years old and lives in London.

    """

    static let schema = """
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "type": "object",
      "properties": {
        "name": { "type": "string", "minLength": 1 },
        "age": { "type": "integer", "minimum": 0 },
        "city": { "type": "string", "minLength": 1 }
      },
      "required": ["name", "age", "city"]
    }

    """
}
