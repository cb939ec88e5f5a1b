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

/// Valid instances of a JSON Schema (2020-12 or draft-07), for test data: built keyword by keyword
/// from the schema, cycling through `anyOf`/`oneOf` branches, `enum` values, types and optional
/// properties by instance index so that a long enough run shows each, and checked by Proctor's
/// validator before they are returned (an attempt it refuses is made again, with new choices).
public struct InstanceGenerator {
    /// The schema instances are made for.
    public let schema: JSONValue
    let validator: CompiledSchema
    /// Attempts per instance before the schema is declared unsatisfiable here.
    public var attempts = 200

    /// `defaultDraft` is the dialect of a schema without `$schema`; formats are asserted, so a
    /// generated `date` is a real date.
    public init(schema: JSONValue, defaultDraft: SchemaDraft = .draft2020_12) throws(GenerateError) {
        self.schema = schema
        do { validator = try CompiledSchema.compile(schema, options: SchemaOptions(defaultDraft: defaultDraft, formatAssertion: true)) } catch { throw GenerateError(pointer: error.pointer, "the schema does not compile: \(error.message)") }
        // Keywords outside the generator's coverage are refused up front, wherever they are.
        try Self.checkCoverage(schema, "")
    }

    static let covered: Set<String> = [
        "type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties", "items", "prefixItems",
        "additionalItems", "contains", "minContains", "maxContains", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength",
        "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "allOf", "anyOf", "oneOf",
        "not", "if", "then", "else", "$ref", "$defs", "definitions", "dependentRequired", "minProperties", "maxProperties", "propertyNames",
        "$schema", "$id", "title", "description", "$comment", "default", "examples", "deprecated", "readOnly", "writeOnly",
        "contentEncoding", "contentMediaType", "$anchor",
    ]
    static let formats: Set<String> = ["date", "date-time", "time", "email", "uri", "uuid", "ipv4", "ipv6", "hostname"]

    static func checkCoverage(_ s: JSONValue, _ ptr: String) throws(GenerateError) {
        guard case .object(let o) = s else { return }
        for (k, v) in o {
            let p = ptr + "/" + JSONPointer.escape(k)
            guard covered.contains(k) else { throw GenerateError(pointer: p, "\"\(k)\" is not covered by the instance generator") }
            if k == "format", let f = v.stringValue, !formats.contains(f) {
                throw GenerateError(pointer: p, "format \"\(f)\" is not covered (covered: \(formats.sorted().joined(separator: ", ")))")
            }
            if k == "$ref", let r = v.stringValue, !r.hasPrefix("#") { throw GenerateError(pointer: p, "\"$ref\": \"\(r)\" is not a local reference") }
            switch k {
            case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas":
                if case .object(let m) = v { for (name, sub) in m { try checkCoverage(sub, p + "/" + JSONPointer.escape(name)) } }
            case "allOf", "anyOf", "oneOf", "prefixItems":
                if case .array(let xs) = v { for (i, x) in xs.enumerated() { try checkCoverage(x, p + "/\(i)") } }
            case "items":
                if case .array(let xs) = v { for (i, x) in xs.enumerated() { try checkCoverage(x, p + "/\(i)") } } else { try checkCoverage(v, p) }
            case "additionalProperties", "additionalItems", "contains", "not", "if", "then", "else", "propertyNames":
                try checkCoverage(v, p)
            default: break
            }
        }
    }

    /// `count` instances for `seed`; the same seed gives the same instances.
    public func generate(count: Int, seed: UInt64) throws(GenerateError) -> [JSONValue] {
        var rng = SplitMix(seed: seed)
        var out: [JSONValue] = []
        let cache = PatternCache()
        for i in 0..<count {
            var made: JSONValue? = nil
            for attempt in 0..<attempts {
                var b = Builder(root: schema, rng: rng, index: i &+ attempt &* 7919, patterns: cache)
                rng = SplitMix(seed: rng.next())
                guard let v = try? b.value(schema, "", depth: 0) else { continue }
                if validator.isValid(v) { made = v; break }
            }
            guard let made else {
                throw GenerateError(pointer: "", "no valid instance found in \(attempts) attempts (the schema may be unsatisfiable, or need values the generator does not try)")
            }
            out.append(made)
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
