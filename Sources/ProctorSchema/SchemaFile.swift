import Foundation
import ProctorJSON

/// A schema file as the command line reads it (JSONC, its `file://` URI so relative references find
/// sibling files, a registry for other documents, a chosen dialect), loaded in one place so every
/// command that takes a schema agrees on what it means.
public struct SchemaFile: Sendable {
    /// The path as given.
    public let path: String
    /// The parsed document.
    public let value: JSONValue
    /// The document's `file://` URI, the base for its relative references.
    public let uri: String
    /// Documents served for cross-file references (`--registry BASE_URI=DIR`).
    public let registry: SchemaRegistry
    /// The dialect chosen with `--draft`, or nil to follow `$schema`.
    public let draft: SchemaDraft?

    /// Why a schema file could not be loaded: `usage` for a bad option, otherwise the file or registry.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        /// The message, naming the file or option.
        public let description: String
        /// True when the mistake is in an option's spelling rather than in a file.
        public let isUsage: Bool
    }

    /// Reads `path` with the `--registry` specifications and `--draft` option a user gave.
    public static func load(_ path: String, registrySpecs: [String], draftOption: String?) throws(LoadError) -> SchemaFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(description: "\(path): cannot read the schema", isUsage: false) }
        let value: JSONValue
        do { value = try JSONParser.parse(String(decoding: data, as: UTF8.self), options: .jsonc) } catch { throw LoadError(description: "\(path): \(error)", isUsage: false) }
        let registry: SchemaRegistry
        do { registry = try SchemaRegistry(specs: registrySpecs) } catch { throw LoadError(description: error.description, isUsage: false) }
        var draft: SchemaDraft?
        if let d = draftOption {
            guard let parsed = SchemaDraft(option: d) else { throw LoadError(description: "--draft must be 2020-12, 2019-09, 7, 6 or 4, got '\(d)'", isUsage: true) }
            draft = parsed
        }
        return SchemaFile(path: path, value: value, uri: SchemaRegistry.fileURI(path), registry: registry, draft: draft)
    }
}
