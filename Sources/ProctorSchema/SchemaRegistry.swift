import Foundation
import ProctorJSON
import ProctorSupport

/// Where `$ref`s to other documents are found: documents added by URI, folders mapped to a base URI,
/// `file:` URIs, and the bundled metaschemas. Never the network.
public struct SchemaRegistry: Sendable {
    struct Entry: Sendable {
        let value: JSONValue
        let draft: SchemaDraft?
        /// The file it was read from (nil for documents held in memory and the bundled metaschemas).
        var path: String? = nil
    }

    private var documents: [String: Entry] = [:]
    private var folders: [(base: String, directory: String, draft: SchemaDraft?)] = []

    /// An empty registry: only the bundled metaschemas and `file:` URIs resolve until documents or folders are added.
    public init() {}

    /// Registers a document under `uri`. `draft` is its dialect when it has no `$schema`.
    public mutating func add(_ document: JSONValue, uri: String, draft: SchemaDraft? = nil) {
        documents[normalizeURI(uri)] = Entry(value: document, draft: draft)
    }

    /// A `BASE_URI=DIR` specification that cannot be used, with the reason.
    public struct SpecError: Error, Sendable, CustomStringConvertible {
        /// What is wrong with the specification, naming it.
        public let description: String
    }

    /// A registry serving each `BASE_URI=DIR` of `specs` (the `--registry` flag of `validate`,
    /// `generate cases` and `model generate`; a folder relative to `relativeTo` when given).
    public init(specs: [String], relativeTo folder: String? = nil) throws(SpecError) {
        self.init()
        for r in specs {
            guard let eq = r.firstIndex(of: "="), eq != r.startIndex else { throw SpecError(description: "--registry expects BASE_URI=DIR, got '\(r)'") }
            var dir = String(r[r.index(after: eq)...])
            if let folder, !dir.hasPrefix("/") { dir = (folder as NSString).appendingPathComponent(dir) }
            try addFolder(checking: String(r[..<eq]), directory: dir)
        }
    }

    /// Adds a folder after checking it exists (a missing one is a mistake worth naming, not an empty registry).
    public mutating func addFolder(checking baseURI: String, directory: String) throws(SpecError) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw SpecError(description: "registry folder '\(directory)' (for \(baseURI)) does not exist")
        }
        addFolder(baseURI: baseURI, directory: directory)
    }

    /// The `file://` URI a schema read from `path` has, so references relative to it find its sibling files.
    public static func fileURI(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.absoluteString
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
        if let text = Metaschemas.all[key] ?? Metaschemas.legacy[key] {
            return Entry(value: try! JSONParser.parse(text), draft: nil)
        }
        for f in folders where key.hasPrefix(f.base) {
            let rel = String(key.dropFirst(f.base.count))
            if rel.contains("..") { continue }
            if let v = try readFile(f.directory + rel, uri: key) { return Entry(value: v, draft: f.draft, path: f.directory + rel) }
            // SchemaStore's references sometimes leave out the extension ("grunt-task#/definitions/…").
            if !rel.hasSuffix(".json"), let v = try readFile(f.directory + rel + ".json", uri: key) { return Entry(value: v, draft: f.draft, path: f.directory + rel + ".json") }
        }
        if key.hasPrefix("file://") {
            // The URI spells spaces and non-ASCII characters as %XX; the file system wants them plain.
            let path = percentDecode(String(key.dropFirst("file://".count)))
            if let v = try readFile(path, uri: key) { return Entry(value: v, draft: nil, path: path) }
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
