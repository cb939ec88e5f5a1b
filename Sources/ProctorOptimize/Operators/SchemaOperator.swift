import Foundation
import ProctorHarness
import ProctorJSON

/// Makes the cases' JSON Schema explicit: required keys and their types, enums, bounds, written as
/// an instruction. Where the search cases check against different schemas and one variable decides
/// which (a `task` variable), one line per value says what each answer looks like.
public struct SchemaOperator: PromptOperator {
    /// `schema`, the name edits and reports give this operator.
    public let name = "schema"
    /// The operator (stateless).
    public init() {}

    /// One child with the schema instruction after the system message (else the user message); none without
    /// an instruction or once the lineage has it.
    public func propose(_ parent: Candidate, _ context: OperatorContext, seed: UInt64) -> [Proposal] {
        guard let text = context.schemaInstruction, !parent.has(name) else { return [] }
        let target = parent.messages.firstIndex { $0.role == "system" } ?? parent.userIndex
        guard let i = target else { return [] }
        return [Proposal(parent.replacing(i, with: FormatOperator.appending(TemplateText.literal(text), to: parent.messages[i].text)),
                         Edit(name, "the JSON Schema spelled out (keys, types, enums)"))]
    }

    /// The instruction for `cases`: nil when none of them has a root `json-schema` validator, or
    /// when they use several schemas and no variable tells which case gets which.
    public static func instruction(for cases: [TestCase]) -> String? {
        var groups: [(key: String, schema: JSONValue, cases: [TestCase])] = []
        for c in cases {
            guard let s = c.validators.first(where: { $0.type == "json-schema" && $0.path == nil && !$0.negate })?.schemaDocument else { continue }
            let key = JSONSerializer.string(s, options: .init(sortKeys: true))
            if let g = groups.firstIndex(where: { $0.key == key }) { groups[g].cases.append(c) } else { groups.append((key, s, [c])) }
        }
        if groups.isEmpty { return nil }
        if groups.count == 1 { return "Answer with " + SchemaDescriber.describe(groups[0].schema, root: groups[0].schema) + "." }
        // A variable whose value decides the schema: every group has its own values of it.
        // A value shared by two cases is needed, or a per-case id would "decide" anything.
        let names = cases[0].vars.keys.filter { k in cases.allSatisfy { $0.vars[k]?.stringValue != nil } }
            .map { k in (k, Set(cases.map { $0.vars[k]!.stringValue! }).count) }
            .filter { $0.1 < cases.count }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
        for v in names {
            var owner: [String: Int] = [:]
            var ok = true
            for (gi, g) in groups.enumerated() {
                for c in g.cases {
                    let value = c.vars[v]!.stringValue!
                    if let o = owner[value], o != gi { ok = false; break }
                    owner[value] = gi
                }
                if !ok { break }
            }
            guard ok else { continue }
            return groups.map { g in
                let values = Array(Set(g.cases.map { $0.vars[v]!.stringValue! })).sorted()
                return "When \(v) is " + values.map { "\"\($0)\"" }.joined(separator: " or ") + ", answer with "
                    + SchemaDescriber.describe(g.schema, root: g.schema) + "."
            }.joined(separator: "\n")
        }
        return nil
    }
}

/// A JSON Schema in words: "a JSON object with "name" (string), "age" (integer, at least 0)".
enum SchemaDescriber {
    static func describe(_ schema: JSONValue, root: JSONValue, depth: Int = 0) -> String {
        guard case .object(let o) = schema else { return schema.boolValue == false ? "nothing" : "any JSON value" }
        if let ref = o["$ref"]?.stringValue, ref.hasPrefix("#/"), depth < 4,
           let target = (try? JSONPointer(String(ref.dropFirst())))?.resolve(in: root) {
            return describe(target, root: root, depth: depth + 1)
        }
        if let c = o["const"] { return "exactly " + JSONSerializer.string(c) }
        if case .array(let e)? = o["enum"] { return "one of " + e.map { JSONSerializer.string($0) }.joined(separator: ", ") }
        for k in ["anyOf", "oneOf"] {
            if case .array(let bs)? = o[k], depth < 4 {
                return bs.map { describe($0, root: root, depth: depth + 1) }.joined(separator: ", or ")
            }
        }
        let types: [String]
        switch o["type"] {
        case .string(let t)?: types = [t]
        case .array(let ts)?: types = ts.compactMap(\.stringValue)
        default: types = o["properties"] != nil ? ["object"] : (o["items"] != nil ? ["array"] : [])
        }
        if types.isEmpty { return "any JSON value" }
        return types.map { t in typed(t, o, root: root, depth: depth) }.joined(separator: " or ")
    }

    static func typed(_ type: String, _ o: JSONObject, root: JSONValue, depth: Int) -> String {
        var facts: [String] = []
        func num(_ k: String) -> String? { o[k]?.numberValue.map { $0.text } }
        switch type {
        case "object":
            guard case .object(let props)? = o["properties"], !props.isEmpty else { return "a JSON object" }
            let required = Set((o["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            let keys = props.map { e -> String in
                var facts = depth < 3 ? [describe(e.value, root: root, depth: depth + 1)] : []
                if !required.contains(e.key) { facts.append("optional") }
                return "\"\(e.key)\"" + (facts.isEmpty ? "" : " (" + facts.joined(separator: ", ") + ")")
            }
            var s = (depth == 0 ? "a JSON object with " : "an object with ") + keys.joined(separator: ", ")
            if o["additionalProperties"]?.boolValue == false { s += ", and no other keys" }
            return s
        case "array":
            let items = o["items"].map { depth < 3 ? " of " + describe($0, root: root, depth: depth + 1) : "" } ?? ""
            if let n = num("minItems") { facts.append("at least \(n) items") }
            if let n = num("maxItems") { facts.append("at most \(n) items") }
            return (depth == 0 ? "a JSON array" : "an array") + items + (facts.isEmpty ? "" : " (" + facts.joined(separator: ", ") + ")")
        case "string":
            if let f = o["format"]?.stringValue { facts.append("format \(f)") }
            if let p = o["pattern"]?.stringValue { facts.append("matching \(p)") }
            if let n = num("minLength") { facts.append("at least \(n) characters") }
            if let n = num("maxLength") { facts.append("at most \(n) characters") }
            return "string" + (facts.isEmpty ? "" : ", " + facts.joined(separator: ", "))
        case "integer", "number":
            if let n = num("minimum") { facts.append("at least \(n)") }
            if let n = num("exclusiveMinimum") { facts.append("above \(n)") }
            if let n = num("maximum") { facts.append("at most \(n)") }
            if let n = num("exclusiveMaximum") { facts.append("below \(n)") }
            return type + (facts.isEmpty ? "" : ", " + facts.joined(separator: ", "))
        case "boolean": return "true or false"
        case "null": return "null"
        default: return type
        }
    }
}
