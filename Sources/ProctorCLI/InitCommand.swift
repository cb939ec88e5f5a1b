import Foundation
import ProctorJSON
import ProctorModel

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
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), !isDir.boolValue {
            throw CLIError.input("\(dir) is a file, not a folder: give init a folder to write the starter suite into (it is made when missing)")
        }
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
            let folder = (full as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw CLIError.input("cannot make the folder \(folder): \(OutputPaths.plainReason(folder))")
            }
            guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
                throw CLIError.input("cannot write \(full): \(OutputPaths.plainReason(folder))")
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
                // Checked before anything is copied: a suite that cannot load its model is no start.
                do {
                    let checkpoint = try Checkpoint(path: c)
                    do { _ = try Tokenizer(path: tok, vocabSize: checkpoint.config.vocabSize) } catch {
                        throw CLIError.input("\(tok) is not a tokenizer for \(c): \(error)")
                    }
                } catch let e as CLIError {
                    throw e
                } catch {
                    throw CLIError.input("\(c) is not a llama2.c checkpoint Proctor can run: \(error)")
                }
                return ([UInt8](m), [UInt8](t))
            }
            if given != nil {
                let missing = FileManager.default.fileExists(atPath: c) ? tok : c
                throw CLIError.input("\(missing) does not exist" + (missing == tok ? " (--model FILE needs its tokenizer beside it, named FILE.tokenizer.bin)" : ""))
            }
        }
        throw CLIError.input("cannot find the model (looked for \(candidates.joined(separator: ", ")) and its .tokenizer.bin); "
                             + "pass --model FILE (a llama2.c checkpoint with FILE's .tokenizer.bin beside it)")
    }

    static let suite = """
    // A starter suite: the built-in model (offline, no API key) extracts a person's name, age and
    // city as JSON. Two prompt versions run side by side; the cases come from a CSV file whose
    // columns are the case's variables, and every answer is checked against a JSON Schema and
    // against the row's expected values ({{name}}, {{age}}, {{city}}). Edit the prompts, add rows,
    // then run `proctor run`.
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
          // The row's own values: a wrong name, age or city fails the case.
          { "type": "equals", "path": "/name", "value": "{{name}}" },
          { "type": "equals", "path": "/age", "value": "{{age}}" },
          { "type": "equals", "path": "/city", "value": "{{city}}" },
        ],
      },
      "casesFrom": ["../\(casesPath)"],
    }

    """

    static let cases = """
    id,input,name,age,city
    john,John Haddad is 60 years old and lives in Quito.,John Haddad,60,Quito
    paul,"Paul Garcia, aged 25, lives in Dublin.",Paul Garcia,25,Dublin
    maria,Maria Silva is 41 years old and lives in Lisbon.,Maria Silva,41,Lisbon
    lena,Lena Novak is 29 years old and lives in Prague.,Lena Novak,29,Prague

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
