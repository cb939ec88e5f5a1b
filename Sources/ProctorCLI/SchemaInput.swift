import Foundation
import ProctorCommandLine
import ProctorJSON
import ProctorSchema

/// A schema file as `generate cases` and `model generate --schema` read it: JSONC, its `file://`
/// URI (so relative references find sibling files), `--registry BASE_URI=DIR` for other documents
/// and `--draft` to choose the dialect whatever `$schema` says.
struct SchemaInput {
    let path: String
    let value: JSONValue
    let uri: String
    let registry: SchemaRegistry
    let draft: SchemaDraft?

    static func load(_ path: String, _ args: ParsedArguments) throws(CLIError) -> SchemaInput {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.input("\(path): cannot read the schema") }
        let value: JSONValue
        do { value = try JSONParser.parse(String(decoding: data, as: UTF8.self), options: .jsonc) } catch { throw CLIError.input("\(path): \(error)") }
        let registry: SchemaRegistry
        do { registry = try SchemaRegistry(specs: args.all("registry")) } catch { throw CLIError.input(error.description) }
        var draft: SchemaDraft?
        if let d = args.value("draft") {
            guard let parsed = SchemaDraft(option: d) else { throw CLIError.usage("--draft must be 2020-12, 2019-09, 7, 6 or 4, got '\(d)'") }
            draft = parsed
        }
        return SchemaInput(path: path, value: value, uri: SchemaRegistry.fileURI(path), registry: registry, draft: draft)
    }

    /// The options shared by the schema flags.
    static let options = [
        OptionSpec("registry", value: "BASE_URI=DIR", repeatable: true, help: "Serve $refs under BASE_URI from files in DIR (as validate does)."),
        OptionSpec("draft", value: "DRAFT", help: "The schema's dialect whatever $schema says: 2020-12, 2019-09, 7, 6 or 4."),
    ]
}
