import ProctorJSON

/// A validator whose strings use the case's variables (`"value": "{{expected}}"`): kept as written
/// when the suite loads, and built once per case with every such string rendered by the prompt
/// template engine (same strictness: a missing variable is a load error naming case and variable;
/// `{{ "{{" }}` writes a literal `{{`).
///
/// Rendered are the validator's string values, nested ones too (`values`, an `equals` object,
/// child validators), except `type`, `graderPrompt` (a grader template filled at check time),
/// `transform`, and an inline `schema` object (only a schema *file name* is rendered). A string
/// that is exactly one `{{variable}}` takes the variable's value with its JSON type, so
/// `{"equals": "{{n}}"}` compares with the number when `n` is one.
struct ValidatorTemplate: Sendable {
    /// The validator's entry as written (environment variables already substituted).
    let object: JSONObject
    let pointer: String
    let suiteDirectory: String
    let source: SuiteSource
    let registry: ValidatorRegistry

    /// Keys whose values are never rendered.
    static let untouched: Set<String> = ["type", "graderPrompt", "transform"]

    /// Whether a validator entry uses variables anywhere it may.
    static func usesVariables(_ o: JSONObject) -> Bool {
        o.entries.contains { e in
            if untouched.contains(e.key) { return false }
            if e.key == "schema", e.value.stringValue == nil { return false }
            return usesVariables(e.value)
        }
    }

    static func usesVariables(_ v: JSONValue) -> Bool {
        switch v {
        case .string(let s): return s.contains("{{")
        case .array(let xs): return xs.contains(where: usesVariables)
        case .object(let o): return usesVariables(o)
        default: return false
        }
    }

    /// The validator built for one case: its strings rendered with `vars`.
    func instantiate(_ vars: JSONObject, caseId: String) throws(SuiteError) -> ConfiguredValidator {
        let rendered = try render(object, vars, caseId: caseId, at: pointer)
        return try registry.build(.object(rendered), pointer: pointer, suiteDirectory: suiteDirectory, source: source, templates: false)
    }

    func render(_ o: JSONObject, _ vars: JSONObject, caseId: String, at ptr: String) throws(SuiteError) -> JSONObject {
        var out: [JSONObject.Entry] = []
        out.reserveCapacity(o.count)
        for e in o.entries {
            let here = ptr + "/" + JSONPointer.escape(e.key)
            if Self.untouched.contains(e.key) || (e.key == "schema" && e.value.stringValue == nil) {
                out.append(e)
            } else {
                out.append((e.key, try render(e.value, vars, caseId: caseId, at: here)))
            }
        }
        return JSONObject(out)
    }

    func render(_ v: JSONValue, _ vars: JSONObject, caseId: String, at ptr: String) throws(SuiteError) -> JSONValue {
        switch v {
        case .string(let s) where s.contains("{{"):
            let t: Template
            do { t = try Template(s, directory: suiteDirectory) } catch { throw source.error(ptr, error.message) }
            if let missing = t.missingVariables(in: vars).first {
                throw source.error(ptr, "case '\(caseId)' does not define variable '\(missing)' used by this validator"
                                   + " (write {{ \"{{\" }} for a literal '{{')")
            }
            if let path = t.singleVariable, let value = Template.lookup(path, in: vars) { return value }
            return .string(t.render(vars))
        case .array(let xs):
            var out: [JSONValue] = []
            out.reserveCapacity(xs.count)
            for (i, x) in xs.enumerated() { out.append(try render(x, vars, caseId: caseId, at: ptr + "/\(i)")) }
            return .array(out)
        case .object(let o):
            return .object(try render(o, vars, caseId: caseId, at: ptr))
        default:
            return v
        }
    }
}

extension Array where Element == ConfiguredValidator {
    /// These validators for one case: templated ones built with the case's variables, the rest shared.
    func instantiated(_ vars: JSONObject, caseId: String) throws(SuiteError) -> [ConfiguredValidator] {
        guard contains(where: { $0.template != nil }) else { return self }
        var out: [ConfiguredValidator] = []
        out.reserveCapacity(count)
        for v in self { out.append(try v.template.map { t throws(SuiteError) in try t.instantiate(vars, caseId: caseId) } ?? v) }
        return out
    }
}
