import Foundation
import ProctorJSON
import ProctorSchema
import ProctorSupport

/// JSON checks: `json` (parses; `extract`, `repair`) and `json-schema`.
enum JSONValidators {
    static let factories: [String: ValidatorFactory] = [
        "json": { c throws(SuiteError) in try JSONParses(c) },
        "json-schema": { c throws(SuiteError) in try SchemaValidator(c) },
        "json-match": { c throws(SuiteError) in try JSONMatch(c) },
    ]

    struct JSONParses: ImmediateValidator {
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["extract", "repair"])
            _ = try c.bool("extract")
            _ = try c.bool("repair")
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            if ctx.json != nil {
                return .pass(ctx.repairSummary.isEmpty ? "output is valid JSON" : "output is valid JSON after repair (\(ctx.repairSummary))")
            }
            return .fail("output is not valid JSON: \(ctx.jsonError ?? "no JSON found")")
        }
    }

    /// Validates the output (or the value at `path`) with a JSON Schema compiled once at load time.
    struct SchemaValidator: ImmediateValidator {
        let schema: CompiledSchema
        /// The schema as written (for `proctor optimize`, which spells it out in a prompt).
        let document: JSONValue

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["schema", "draft", "formatAssert"])
            var options = SchemaOptions()
            if let d = try c.string("draft") {
                guard let draft = SchemaDraft(option: d) else { throw c.error("draft", "\"draft\" must be \"2020-12\" or \"7\", found \"\(d)\"") }
                options.defaultDraft = draft
            }
            options.formatAssertion = try c.bool("formatAssert") ?? false
            (schema, document) = try Self.load(c, key: "schema", options: options)
        }

        /// The schema at `key` of the entry: written inline, or a file's path (read relative to the
        /// suite, and recorded, with the files its references read, as an input of the suite).
        static func load(_ c: ValidatorConfig, key: String, options: SchemaOptions = SchemaOptions()) throws(SuiteError) -> (CompiledSchema, JSONValue) {
            let spec = try c.required(key)
            let schema: CompiledSchema
            let document: JSONValue
            do {
                switch spec {
                case .string(let path):
                    let full = path.hasPrefix("/") ? path : URL(fileURLWithPath: c.suiteDirectory).appendingPathComponent(path).standardizedFileURL.path
                    guard let data = TextInput.read(full) else {
                        throw c.error(key, "schema file '\(path)' not found (looked for \(full))")
                    }
                    c.source.inputs.add(full)
                    let value: JSONValue
                    do { value = try JSONParser.parse([UInt8](data), options: .jsonc) } catch {
                        throw SuiteError(file: full, line: error.line, column: error.column, error.message)
                    }
                    document = value
                    do {
                        schema = try CompiledSchema.compile(value, uri: URL(fileURLWithPath: full).absoluteString, options: options)
                    } catch {
                        throw SuiteError(file: full, "\(error)")
                    }
                    // The files its references were read from are inputs too (no report may overwrite one).
                    for f in schema.filesRead { c.source.inputs.add(URL(fileURLWithPath: f).standardizedFileURL.path) }
                case .object, .bool:
                    document = spec
                    do { schema = try CompiledSchema.compile(spec, options: options) } catch {
                        throw c.error(key, "\(error)")
                    }
                default:
                    throw c.error(key, "\"\(key)\" must be a schema object or a path to a schema file")
                }
            }
            return (schema, document)
        }

        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            guard let v = s.value else { return .notJSON() }
            let r = schema.validate(v)
            if r.valid { return .pass("matches the schema") }
            // Errors name their place in the whole output, not in the value at `path`.
            let shown = r.errors.prefix(3).map { e in
                let at = s.path + e.instanceLocation
                return "\(at.isEmpty ? "(root)" : at): \(e.message)"
            }.joined(separator: "; ")
            let more = r.errors.count > 3 ? " (and \(r.errors.count - 3) more)" : ""
            return .fail("does not match the schema: \(shown)\(more)")
        }
    }

    /// `json-match` (OpenAI evals' JsonMatch): the output parses as JSON (whole, as written) and
    /// matches any of `values`: objects key by key (a missing key and null are the same), arrays
    /// element by element, other values by equality.
    struct JSONMatch: ImmediateValidator {
        let values: [JSONValue]
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["values"])
            guard case .array(let xs)? = c.object["values"], !xs.isEmpty else { throw c.error("values", "validator 'json-match' needs \"values\", a non-empty list of JSON values") }
            values = xs
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            guard let v = try? JSONParser.parse(s.text) else { return .fail("the output is not JSON") }
            return values.contains { Self.matches(v, $0) } ? .pass("matches an expected JSON value") : .fail("matches none of the \(values.count) expected JSON value\(values.count == 1 ? "" : "s")")
        }
        static func matches(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
            let a = a == .null ? nil : a, b = b == .null ? nil : b
            switch (a, b) {
            case (nil, nil): return true
            case (.object(let x)?, .object(let y)?):
                return Set(x.keys).union(y.keys).allSatisfy { matches(x[$0], y[$0]) }
            case (.array(let x)?, .array(let y)?):
                return x.count == y.count && zip(x, y).allSatisfy { matches($0, $1) }
            case (.number(let x)?, .number(let y)?): return x.double == y.double
            default: return a == b
            }
        }
    }
}

