import ProctorCommandLine
import ProctorSchema

/// The schema flags of `generate cases` and `model generate --schema` (loading lives in `SchemaFile`).
enum SchemaInput {
    static func load(_ path: String, _ args: ParsedArguments) throws(CLIError) -> SchemaFile {
        do { return try SchemaFile.load(path, registrySpecs: args.all("registry"), draftOption: args.value("draft")) } catch {
            throw error.isUsage ? CLIError.usage(error.description) : CLIError.input(error.description)
        }
    }

    /// The options shared by the schema flags.
    static let options = [
        OptionSpec("registry", value: "BASE_URI=DIR", repeatable: true, help: "Serve $refs under BASE_URI from files in DIR (as validate does)."),
        OptionSpec("draft", value: "DRAFT", help: "The schema's dialect whatever $schema says: 2020-12, 2019-09, 7, 6 or 4."),
    ]
}
