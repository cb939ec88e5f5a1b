import ProctorJSON
import ProctorRegex
import ProctorSchema
import ProctorSupport

/// Why instances cannot be generated: an unsatisfiable schema, or a keyword the generator does not
/// cover, named by its JSON Pointer.
public struct GenerateError: Error, Sendable, CustomStringConvertible {
    /// JSON Pointer of the keyword in the schema ("" for the whole schema).
    public let pointer: String
    /// What is wrong, for a person.
    public let message: String
    /// An error at `pointer`.
    public init(pointer: String, _ message: String) { self.pointer = pointer; self.message = message }
    /// The pointer, then the message.
    public var description: String { pointer.isEmpty ? message : "\(pointer): \(message)" }
}

/// Valid instances of a JSON Schema in any dialect Proctor implements (drafts 4, 6, 7, 2019-09 and
/// 2020-12), for test data. The schema is bundled first (`SchemaBundle`: every reference local,
/// one dialect, unknown keywords dropped as the specification says), then instances are built
/// keyword by keyword, cycling through `anyOf`/`oneOf` branches, `enum` values, types and optional
/// properties by instance index so that a long enough run shows each, and checked by Proctor's
/// validator on the original schema before they are returned (an attempt it refuses is made again,
/// with new choices; a repeat of an earlier instance too, while new ones can be found).
public struct InstanceGenerator {
    /// The schema as given.
    public let schema: JSONValue
    /// The bundled schema the builder reads.
    let bundle: SchemaBundle
    let validator: CompiledSchema
    /// References to documents nobody serves, which instances avoid (with `deferUnresolvedRefs`).
    public var unresolvedRefs: [String] { bundle.unresolvedRefs }
    /// The files the schema's references were read from: inputs `--out` must not overwrite.
    public var filesRead: [String] { validator.filesRead }
    /// Attempts per instance before the schema is declared unsatisfiable here.
    public var attempts = 200

    /// A generator for `schema` (retrieved from `uri`; `registry` serves the documents its
    /// references name). `defaultDraft` is the dialect of a schema without `$schema`; formats are
    /// asserted, so a generated `date` is a real date.
    public init(schema: JSONValue, uri: String? = nil, registry: SchemaRegistry = SchemaRegistry(),
                defaultDraft: SchemaDraft = .draft2020_12, forcedDraft: SchemaDraft? = nil, deferUnresolvedRefs: Bool = false) throws(GenerateError) {
        self.schema = schema
        var options = SchemaOptions(defaultDraft: defaultDraft, formatAssertion: true)
        options.forcedDraft = forcedDraft
        options.deferUnresolvedRefs = deferUnresolvedRefs
        do {
            validator = try CompiledSchema.compile(schema, uri: uri, registry: registry, options: options)
            bundle = try SchemaBundle.bundle(schema, uri: uri, registry: registry, options: options)
        } catch {
            throw GenerateError(pointer: error.pointer, "the schema does not compile: \(error.message)")
        }
    }

    /// The formats the builder writes values of; any other `format` is an annotation and gets a plain string.
    static let formats: Set<String> = ["date", "date-time", "time", "duration", "email", "idn-email", "uri", "uri-reference", "iri",
                                       "iri-reference", "uri-template", "uuid", "ipv4", "ipv6", "hostname", "idn-hostname", "regex",
                                       "json-pointer", "relative-json-pointer"]

    /// `count` instances for `seed`; the same seed gives the same instances.
    public func generate(count: Int, seed: UInt64) throws(GenerateError) -> [JSONValue] {
        var rng = SplitMix(seed: seed)
        var out: [JSONValue] = []
        var seen = Set<JSONValue>()
        let cache = PatternCache()
        let root = bundle.document
        for i in 0..<count {
            var made: JSONValue? = nil
            var repeatSeen: JSONValue? = nil
            var repeats = 0
            var why: [String: Int] = [:]
            for attempt in 0..<attempts {
                var b = Builder(root: root, rng: rng, index: i &+ attempt &* 7919, patterns: cache)
                rng = SplitMix(seed: rng.next())
                let v: JSONValue
                do { v = try b.value(root, "", depth: 0) } catch {
                    why[bundle.origin(of: error.pointer) + ": " + error.message, default: 0] += 1
                    continue
                }
                guard validator.isValid(v) else {
                    if let e = validator.validate(v).errors.first { why["\(e.keywordLocation): \(e.message)", default: 0] += 1 }
                    continue
                }
                // A repeat is kept only when a few more attempts find nothing new.
                if seen.contains(v) {
                    repeatSeen = repeatSeen ?? v
                    repeats += 1
                    if repeats < 12 { continue }
                    break
                }
                made = v
                break
            }
            guard let value = made ?? repeatSeen else {
                let common = why.max { $0.value < $1.value }.map { "; most often \($0.key)" } ?? ""
                throw GenerateError(pointer: "", "no valid instance found in \(attempts) attempts (the schema may be unsatisfiable, or need values the generator does not try)\(common)")
            }
            seen.insert(value)
            out.append(value)
        }
        return out
    }
}

extension InstanceGenerator {
    /// Instances as `generate cases` writes them: one JSON value per line, or with `variable` suite
    /// cases `{"id": "STEM-i", "vars": {variable: instance}}`, STEM the schema file's name without `.schema.json`.
    public static func lines(_ instances: [JSONValue], asCases variable: String?, schemaPath: String) -> [String] {
        guard let variable else { return instances.map { JSONSerializer.string($0) } }
        let name = schemaPath.split(separator: "/").last.map(String.init) ?? schemaPath
        var stem = name
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { stem = String(name[..<dot]) }
        stem = stem.replacing(".schema", with: "")
        return instances.enumerated().map { i, v in
            JSONSerializer.string(["id": .string("\(stem)-\(i + 1)"), "vars": .object(JSONObject([(key: variable, value: v)]))])
        }
    }
}
