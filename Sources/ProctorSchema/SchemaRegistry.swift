import Foundation
import ProctorJSON
import ProctorSupport

/// Where `$ref`s to other documents are found: documents added by URI, folders mapped to a base URI,
/// `file:` URIs, and the bundled metaschemas. Never the network.
public struct SchemaRegistry: Sendable {
    struct Entry: Sendable {
        let value: JSONValue
        let draft: SchemaDraft?
    }

    private var documents: [String: Entry] = [:]
    private var folders: [(base: String, directory: String, draft: SchemaDraft?)] = []

    public init() {}

    /// Registers a document under `uri`. `draft` is its dialect when it has no `$schema`.
    public mutating func add(_ document: JSONValue, uri: String, draft: SchemaDraft? = nil) {
        documents[normalizeURI(uri)] = Entry(value: document, draft: draft)
    }

    /// Serves `baseURI` + relative path from files under `directory`.
    public mutating func addFolder(baseURI: String, directory: String, draft: SchemaDraft? = nil) {
        var base = baseURI
        if !base.hasSuffix("/") { base += "/" }
        var dir = directory
        if !dir.hasSuffix("/") { dir += "/" }
        folders.append((base, dir, draft))
        folders.sort { $0.base.count > $1.base.count }
    }

    /// Finds the document at `uri` (no fragment); throws when a file exists but is not JSON.
    func load(_ uri: String) throws(SchemaError) -> Entry? {
        let key = normalizeURI(uri)
        if let e = documents[key] { return e }
        if let text = Metaschemas.all[key] {
            return Entry(value: try! JSONParser.parse(text), draft: nil)
        }
        for f in folders where key.hasPrefix(f.base) {
            let rel = String(key.dropFirst(f.base.count))
            if rel.contains("..") { continue }
            if let v = try readFile(f.directory + rel, uri: key) { return Entry(value: v, draft: f.draft) }
        }
        if key.hasPrefix("file://") {
            let path = String(key.dropFirst("file://".count))
            if let v = try readFile(path, uri: key) { return Entry(value: v, draft: nil) }
        }
        return nil
    }

    private func readFile(_ path: String, uri: String) throws(SchemaError) -> JSONValue? {
        guard let data = TextInput.read(path) else { return nil }
        do {
            return try JSONParser.parse([UInt8](data), options: .jsonc)
        } catch {
            throw SchemaError(pointer: "", document: uri, message: "\(path):\(error)")
        }
    }
}

/// Canonical text for a document URI: no empty fragment.
func normalizeURI(_ s: String) -> String {
    var u = s
    if u.hasSuffix("#") { u.removeLast() }
    return u
}
