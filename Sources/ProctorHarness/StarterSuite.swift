import Foundation
import ProctorSupport

/// `proctor init`: a small suite that runs offline on the built-in model and passes at once, as a
/// starting point to edit. Its files live here, beside the loader that must accept them (the tests
/// load what `write` produces), rather than in the command-line tool.
public enum StarterSuite {
    /// The files init writes, relative to the folder it is given.
    public static let suitePath = "suites/starter.jsonc", casesPath = "fixtures/starter-cases.csv"
    /// The JSON Schema the suite checks answers against.
    public static let schemaPath = "fixtures/schemas/person.schema.json"
    /// The model and its tokenizer, copied so the suite runs without Proctor's source tree.
    public static let modelPath = "fixtures/models/proctor-tiny.bin", tokenizerPath = "fixtures/models/proctor-tiny.tokenizer.bin"

    /// Why nothing (or not everything) was written.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        /// What is in the way, naming the path.
        public let description: String
    }

    /// Writes the suite, its cases, its schema and the given model files into `dir`; refuses before
    /// writing anything when one of them exists. Returns the paths written.
    public static func write(into dir: String, model: [UInt8], tokenizer: [UInt8]) throws(Refusal) -> [String] {
        let files: [(String, [UInt8])] = [
            (suitePath, Array(suite.utf8)), (casesPath, Array(cases.utf8)), (schemaPath, Array(schema.utf8)),
            (modelPath, model), (tokenizerPath, tokenizer),
        ]
        let existing = files.map(\.0).filter { FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent($0)) }
        guard existing.isEmpty else {
            throw Refusal(description: "\(dir) already has \(existing.joined(separator: ", ")); init writes nothing over existing files")
        }
        var written: [String] = []
        for (rel, bytes) in files {
            let full = (dir as NSString).appendingPathComponent(rel)
            let folder = (full as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw Refusal(description: "cannot make the folder \(folder): \(Folders.whyNotWritable(folder))")
            }
            guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
                throw Refusal(description: "cannot write \(full): \(Folders.whyNotWritable(folder))")
            }
            written.append(full)
        }
        return written
    }

    /// The suite file (JSONC, with comments a newcomer reads first).
    public static let suite = """
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

    /// The cases: one row per person, the columns are the case's variables.
    public static let cases = """
    id,input,name,age,city
    john,John Haddad is 60 years old and lives in Quito.,John Haddad,60,Quito
    paul,"Paul Garcia, aged 25, lives in Dublin.",Paul Garcia,25,Dublin
    maria,Maria Silva is 41 years old and lives in Lisbon.,Maria Silva,41,Lisbon
    lena,Lena Novak is 29 years old and lives in Prague.,Lena Novak,29,Prague

    """

    /// The schema every answer must match.
    public static let schema = """
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
