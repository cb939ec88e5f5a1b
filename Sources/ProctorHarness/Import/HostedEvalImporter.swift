import Foundation
import ProctorJSON
import ProctorSchema
import ProctorSupport

/// `proctor import openai-evals CONFIG.json --data ITEMS.jsonl`: a hosted OpenAI eval (its
/// `testing_criteria`, `data_source_config.item_schema` and, when given, the run's `data_source`
/// with its prompt template and model) as a Proctor suite with one case per item. Templates
/// (`{{item.x}}`, `{{sample.output_text}}`, `{{sample.output_json.x}}`) are filled from each item on
/// import; each criterion becomes a check whose `metric` is the criterion's name.
enum HostedEvalImporter {
    typealias Failure = PromptfooImporter.ImportError
    typealias Note = PromptfooImporter.Note

    /// Where the items came from, for notes: a file and line, or a pointer in the configuration.
    struct Item {
        let value: JSONObject
        let place: String
        /// 1-based, counting every item given (so ids stay put when an item is left out).
        var number = 0
    }

    /// What a template reads from the sample: the output text, or a JSON Pointer into its JSON.
    enum SampleRef: Equatable {
        case text, json(String)
        var path: String? { if case .json(let p) = self { return p }; return nil }
    }

    /// A template filled from one item; sample references are left for the check.
    struct Filled {
        /// The literal pieces and sample references, in order.
        var parts: [Piece] = []
        enum Piece { case text(String), sample(SampleRef) }
        var refs: [SampleRef] { parts.compactMap { if case .sample(let r) = $0 { return r }; return nil } }
        /// The only thing in the template, when it is exactly one sample reference.
        var onlySample: SampleRef? { parts.count == 1 ? refs.first : nil }
        var literal: String? { refs.isEmpty ? parts.map { if case .text(let t) = $0 { return t }; return "" }.joined() : nil }
    }

    struct TemplateError: Error { let message: String }

    /// Fills `{{item.a.b}}` from the item and records `{{sample.output_text}}` / `{{sample.output_json.x}}`.
    static func fill(_ template: String, _ item: JSONObject) throws(TemplateError) -> Filled {
        var out = Filled(), text = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            text += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { text += rest[open.lowerBound...]; rest = ""; break }
            let ref = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            let path = ref.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            switch path.first {
            case "item":
                guard let v = lookup(item, path.dropFirst()) else { throw TemplateError(message: "the item has no \(ref.dropFirst(5).isEmpty ? "value" : "'\(ref.dropFirst(5))'") for {{\(ref)}}") }
                text += rendered(v)
            case "sample" where path.count >= 2 && path[1] == "output_text" && path.count == 2:
                if !text.isEmpty { out.parts.append(.text(text)); text = "" }
                out.parts.append(.sample(.text))
            case "sample" where path.count >= 2 && path[1] == "output_json":
                if !text.isEmpty { out.parts.append(.text(text)); text = "" }
                out.parts.append(.sample(.json(path.dropFirst(2).map { "/" + JSONPointer.escape($0) }.joined())))
            default:
                throw TemplateError(message: "{{\(ref)}} is not something Proctor can fill (item.…, sample.output_text, sample.output_json.…)")
            }
        }
        text += rest
        if !text.isEmpty || out.parts.isEmpty { out.parts.append(.text(text)) }
        return out
    }

    /// The value at `keys` (object keys, or list indices from 0) in the item; nil when absent.
    static func lookup(_ item: JSONObject, _ keys: some Sequence<String>) -> JSONValue? {
        var v = JSONValue.object(item)
        for k in keys {
            if case .object(let o) = v, let x = o[k] { v = x; continue }
            if case .array = v, let i = Int(k), let x = v[i] { v = x; continue }
            return nil
        }
        return v
    }

    /// A value as text in a filled template: strings as they are; numbers as Python prints the
    /// parsed value (`10.50` → `10.5`, `1e2` → `100.0`); other values as compact JSON.
    static func rendered(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .number(let n):
            let t = n.text
            guard t.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let d = Double(t), d.isFinite else { return t }
            return d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : "\(d)"
        default: return JSONSerializer.string(v)
        }
    }

    /// `base` is the eval's pointer in the file (`/data/2` in a saved list of evals).
    static func convert(path: String, config: JSONObject, locator: JSONLocator, base: String = "", dataFile: String?, outPath: String, backendsFile: String?, home: String?) throws(Failure) -> PromptfooImporter.Result {
        let at = { (ptr: String) -> String in let (l, c) = locator.position(of: base + ptr); return "\(path):\(l):\(c)" }
        // METEOR needs WordNet where the suite runs; without it here, such a criterion is reported.
        let meteor = WordNet.find(home: home) != nil
        var notes: [Note] = [], unmapped: [Note] = [], files = [path]
        guard case .array(let criteria)? = config["testing_criteria"], !criteria.isEmpty else {
            throw Failure(message: "\(at("/testing_criteria")): testing_criteria must be a non-empty list of graders")
        }
        let dataSource = config["data_source"]?.objectValue
        // The items: --data, or the run's inline file_content.
        var items: [Item] = []
        var samplePlace: String?   // the first item that came with a pre-generated sample
        if let dataFile {
            if dataSource?["source"]?["content"] != nil {
                notes.append(Note(location: at("/data_source/source/content"), message: "the configuration's inline items are not used: --data \(dataFile) gives the items"))
            }
            guard let d = TextInput.read(dataFile) else {
                throw Failure(message: "\(dataFile): cannot read the --data items (\(FileManager.default.fileExists(atPath: dataFile) ? "not readable" : "no such file"))")
            }
            files.append(dataFile)
            let lines: [JSONLines.Record]
            do { lines = try JSONLines.parse(d) } catch { throw Failure(message: "\(dataFile):\(error)") }
            for l in lines {
                guard case .object(var o) = l.value else { throw Failure(message: "\(dataFile):\(l.line):1: an item is a JSON object (or {\"item\": {…}})") }
                if case .object(let inner)? = o["item"], o.keys.allSatisfy({ $0 == "item" || $0 == "sample" }) {
                    if o["sample"] != nil && samplePlace == nil { samplePlace = "\(dataFile):\(l.line):1" }
                    o = inner
                }
                items.append(Item(value: o, place: "\(dataFile):\(l.line):1"))
            }
        } else if case .array(let content)? = dataSource?["source"]?["content"] {
            for (i, x) in content.enumerated() {
                guard case .object(let o) = x["item"] ?? x else { throw Failure(message: "\(at("/data_source/source/content/\(i)")): an item is a JSON object") }
                if x["item"] != nil && x["sample"] != nil && samplePlace == nil { samplePlace = at("/data_source/source/content/\(i)/sample") }
                items.append(Item(value: o, place: at("/data_source/source/content/\(i)")))
            }
        } else {
            let id = dataSource?["source"]?["id"]?.stringValue ?? dataSource?["source"]?["file_id"]?.stringValue
            throw Failure(message: "\(path): the items are not in the configuration\(id.map { " (they were in file \($0))" } ?? ""); give them with --data ITEMS.jsonl")
        }
        guard !items.isEmpty else { throw Failure(message: "\(dataFile ?? path): no items") }
        for i in items.indices { items[i].number = i + 1 }
        // item_schema: every item is checked on import. An eval as the API returned it holds the
        // whole row's `schema` instead, the item's under properties/item.
        let schemaPointer = config["data_source_config"]?["item_schema"] != nil ? "/data_source_config/item_schema" : "/data_source_config/schema/properties/item"
        let itemSchema: JSONValue? = config["data_source_config"]?["item_schema"]
            ?? config["data_source_config"]?["schema"]?["properties"]?["item"].map { _ in ["$ref": "urn:proctor:eval-row#/properties/item"] }
        if let schema = itemSchema {
            let compiled: CompiledSchema
            // The row schema is compiled whole, so references from the item's part to the rest
            // (`#/$defs/…` at its top) resolve.
            var registry = SchemaRegistry()
            if let row = config["data_source_config"]?["schema"] { registry.add(row, uri: "urn:proctor:eval-row") }
            do { compiled = try CompiledSchema.compile(schema, registry: registry) } catch {
                throw Failure(message: "\(at(schemaPointer)): the item schema is not one Proctor can compile: \(error)")
            }
            items = items.filter { item in
                let r = compiled.validate(.object(item.value))
                if r.valid { return true }
                unmapped.append(Note(location: item.place, message: "the item does not match data_source_config.\(schemaPointer.hasSuffix("item_schema") ? "item_schema" : "schema's properties/item"), so it is not a case: "
                                     + r.errors.prefix(3).map(\.description).joined(separator: "; ")))
                return false
            }
        }
        // The prompt: the run's input_messages, else each item's `input`.
        let input = dataSource?["input_messages"]
        if input == nil {
            notes.append(Note(location: at(""), message: "no data_source.input_messages: each item's \"input\" (a string or a message list) is the prompt"))
        }
        if let place = samplePlace ?? items.first(where: { $0.value["sample"] != nil })?.place {
            notes.append(Note(location: place, message: "items' \"sample\" (pre-generated outputs) is not graded as it is: Proctor generates each output on the suite's backend"))
        }
        if let kind = config["data_source_config"]?["type"]?.stringValue, kind == "logs" || kind == "stored_completions" {
            notes.append(Note(location: at("/data_source_config/type"), message: "a \(kind) data source is not read: Proctor generates each output for the items given, on the suite's backend"))
        }
        var graders: [String: String] = [:]   // model → grader id
        var embeddings = false
        var cases: [JSONValue] = []
        // Criteria names are the reports' metrics: a repeated name gets a number, as OpenAI reports each criterion apart.
        var names: [String] = []
        for (i, c) in criteria.enumerated() {
            var name = c["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "\(c["type"]?.stringValue ?? "criterion") \(i + 1)"
            if names.contains(name) {
                var k = 2
                while names.contains("\(name) (\(k))") { k += 1 }
                notes.append(Note(location: at("/testing_criteria/\(i)/name"), message: "a second criterion is named '\(name)': its checks are reported as '\(name) (\(k))'"))
                name = "\(name) (\(k))"
            }
            names.append(name)
        }
        itemLoop: for item in items {
            let n = item.number - 1
            let messages: [JSONValue]
            do { messages = try prompt(input, item.value, at: at) } catch {
                unmapped.append(Note(location: item.place, message: "item \(n + 1): \(error.message)")); continue
            }
            var validators: [JSONValue] = []
            for (i, c) in criteria.enumerated() {
                let ptr = "/testing_criteria/\(i)"
                var ctx = Context(item: item.value, at: at, meteor: meteor, graders: graders, embeddings: embeddings)
                do {
                    var v = try check(c, ptr: ptr, &ctx)
                    if case .object(var o) = v { o["metric"] = .string(names[i]); v = .object(o) }
                    validators.append(v)
                    graders = ctx.graders
                    embeddings = ctx.embeddings
                    if item.number == items[0].number { notes += ctx.notes }
                } catch {
                    // A criterion that cannot be imported is reported once, where it is; one that fails
                    // for this item alone, at the item.
                    if error.perItem { unmapped.append(Note(location: item.place, message: "item \(n + 1): \(error.message); the case is left out")); continue itemLoop }
                    if item.number == items[0].number {
                        unmapped.append(Note(location: at(error.pointer ?? ptr), message: "criterion '\(names[i])' is not imported: \(error.message)"))
                    }
                }
            }
            guard !validators.isEmpty else { continue }
            let id = item.value["id"].flatMap { $0.stringValue ?? ($0.intValue.map(String.init)) } ?? "item-\(n + 1)"
            cases.append(["id": .string(cases.contains { $0["id"]?.stringValue == id } ? "item-\(n + 1)" : id),
                          "vars": ["input": .array(messages), "item": .object(item.value)], "validators": .array(validators)])
        }
        guard !cases.isEmpty else {
            let criteriaLeft = unmapped.filter { $0.message.hasPrefix("criterion '") }
            let why = criteriaLeft.count == criteria.count
                ? "no criterion could be imported (first: \(criteriaLeft[0]))"
                : "every item was left out (\(unmapped.count - criteriaLeft.count) of \(items.count); first: \(unmapped.first { !$0.message.hasPrefix("criterion '") }.map(\.description) ?? "?"))"
            throw Failure(message: "\(path): nothing to import: " + why
                          + (samplePlace != nil && input == nil ? "; the items' samples are not graded as they are (Proctor generates outputs: give data_source.input_messages)" : ""))
        }
        var backends: [JSONValue]
        if let backendsFile {
            backends = try PromptfooImporter.backends(backendsFile)
            files.append(backendsFile)
        } else {
            let model = dataSource?["model"]?.stringValue
            backends = [["id": "openai", "type": "openai", "model": .string(model ?? "gpt-4o-mini")]]
            notes.append(Note(location: at(model == nil ? "" : "/data_source/model"), message: "the suite runs on an openai backend for \(model ?? "gpt-4o-mini")\(model == nil ? " (the configuration names no model)" : ""); give --backends FILE for others"))
        }
        var suite: [JSONObject.Entry] = [("suite", .string(URL(fileURLWithPath: outPath).deletingPathExtension().lastPathComponent))]
        suite.append(("description", .string(config["name"]?.stringValue ?? "OpenAI hosted eval")))
        suite.append(("backends", .array(backends)))
        var graderList: [JSONValue] = graders.sorted { $0.value < $1.value }.map { ["id": .string($0.value), "type": "openai", "model": .string($0.key)] }
        if embeddings { graderList.append(["id": "embeddings", "type": "openai", "model": "text-embedding-3-large"]) }
        if !graderList.isEmpty { suite.append(("graders", .array(graderList))) }
        suite.append(("prompts", [["id": "eval", "messages": [["fromVariable": "input"]]]]))
        var options: [JSONObject.Entry] = []
        if case .object(let sp)? = dataSource?["sampling_params"] {
            for (k, v) in sp {
                switch k {
                case "temperature": options.append(("temperature", v))
                case "top_p": options.append(("topP", v))
                case "seed": options.append(("seed", v))
                case "max_completion_tokens", "max_completions_tokens", "max_tokens": options.append(("maxTokens", v))
                default: unmapped.append(Note(location: at("/data_source/sampling_params/" + JSONPointer.escape(k)), message: "sampling parameter \"\(k)\" has no Proctor equivalent"))
                }
            }
        }
        if !options.isEmpty { suite.append(("options", .object(JSONObject(options)))) }
        suite.append(("cases", .array(cases)))
        var result = PromptfooImporter.Result(suite: .object(JSONObject(suite)), unmapped: unmapped, decisions: notes, filesRead: files)
        result.source = "OpenAI evals"
        return result
    }

    /// The case's messages: the template filled from the item, or a message list the item holds.
    static func prompt(_ input: JSONValue?, _ item: JSONObject, at: (String) -> String) throws(TemplateError) -> [JSONValue] {
        var raw: [JSONValue]
        var fromTemplate = false
        switch input?["type"]?.stringValue {
        case nil where input == nil:
            guard let v = item["input"] else { throw TemplateError(message: "the item has no \"input\", and the configuration gives no data_source.input_messages") }
            raw = v.stringValue.map { [["role": "user", "content": .string($0)]] } ?? v.arrayValue ?? []
        case "template"?:
            raw = input?["template"]?.arrayValue ?? []
            fromTemplate = true
        case "item_reference"?:
            let ref = (input?["item_reference"]?.stringValue ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "{} "))
            guard ref.hasPrefix("item.") else { throw TemplateError(message: "item_reference must name an item field (item.…)") }
            let v = lookup(item, ref.split(separator: ".").dropFirst().map(String.init))
            raw = v?.stringValue.map { [["role": "user", "content": .string($0)]] } ?? v?.arrayValue ?? []
            guard !raw.isEmpty else { throw TemplateError(message: "the item has no message list at '\(ref)' (input_messages.item_reference)") }
        case let t:
            throw TemplateError(message: "input_messages of type \(t ?? "?") is not one Proctor imports (template, item_reference)")
        }
        guard !raw.isEmpty else { throw TemplateError(message: "the prompt has no messages") }
        return try raw.map { (m: JSONValue) throws(TemplateError) -> JSONValue in
            guard let role = m["role"]?.stringValue else { throw TemplateError(message: "a prompt message has no role") }
            if let k = m.objectValue?.keys.first(where: { !["role", "content", "type"].contains($0) }) {
                throw TemplateError(message: "a \(role) message's \"\(k)\" has no Proctor equivalent (prompt messages carry a role and text)")
            }
            var text = try content(m["content"])
            if fromTemplate {
                let f = try fill(text, item)
                guard let lit = f.literal else { throw TemplateError(message: "the prompt template reads the sample, which does not exist before the model answers") }
                text = lit
            }
            return ["role": .string(role == "developer" ? "system" : role), "content": .string(text)]
        }
    }

    /// A message's text: a string, an input_text / output_text part, or a list of them.
    static func content(_ v: JSONValue?) throws(TemplateError) -> String {
        if let s = v?.stringValue { return s }
        if let t = v?["text"]?.stringValue, ["input_text", "output_text", nil].contains(v?["type"]?.stringValue) { return t }
        if case .array(let parts)? = v {
            var out = ""
            for p in parts { out += try content(p) }
            return out
        }
        throw TemplateError(message: "a message's content is \(v?["type"]?.stringValue.map { "a part of type \($0)" } ?? "not text"): only text imports")
    }

    /// What one criterion needs while it is mapped for an item.
    struct Context {
        let item: JSONObject
        let at: (String) -> String
        /// Whether WordNet is installed, so a meteor criterion imports.
        let meteor: Bool
        var graders: [String: String]
        var embeddings: Bool
        var notes: [Note] = []
        /// Inside a multi grader only the checks' numbers count: their own thresholds do not.
        var inMulti = false

        /// The grader backend id for a model, declared once for the suite.
        mutating func grader(_ model: String) -> String {
            if let id = graders[model] { return id }
            let id = "grader" + (graders.isEmpty ? "" : "-\(graders.count + 1)")
            graders[model] = id
            return id
        }
    }

    /// Why a criterion does not import: for the configuration (`perItem` false) or one item.
    struct CriterionError: Error {
        let message: String
        var pointer: String?
        var perItem = false
    }

    /// One criterion as a Proctor check for the context's item.
    static func check(_ c: JSONValue, ptr: String, _ ctx: inout Context) throws(CriterionError) -> JSONValue {
        guard case .object(let o) = c, let type = o["type"]?.stringValue else { throw CriterionError(message: "a testing criterion needs a \"type\"", pointer: ptr) }
        // A key that would change the verdict and has no Proctor equivalent is reported, never dropped.
        let known: Set<String> = ["type", "name", "id", "input", "reference", "operation", "evaluation_metric", "pass_threshold", "model", "labels",
                                  "passing_labels", "range", "sampling_params", "source", "image_tag", "graders", "calculate_output"]
        if let k = o.keys.first(where: { !known.contains($0) }) {
            throw CriterionError(message: "\(type) has \"\(k)\", which Proctor does not know how to honour", pointer: ptr + "/" + JSONPointer.escape(k))
        }
        func filled(_ key: String) throws(CriterionError) -> Filled {
            guard let s = o[key]?.stringValue else { throw CriterionError(message: "\(type) needs \"\(key)\" (a template string)", pointer: ptr) }
            do { return try fill(s, ctx.item) } catch { throw CriterionError(message: "\(key): \(error.message)", pointer: ptr + "/" + key, perItem: error.message.hasPrefix("the item")) }
        }
        func threshold(_ fallback: Double?, _ why: String) throws(CriterionError) -> Double {
            if let t = o["pass_threshold"] {
                guard let d = t.doubleValue else { throw CriterionError(message: "pass_threshold must be a number", pointer: ptr + "/pass_threshold") }
                return d
            }
            if ctx.inMulti { return fallback ?? 0 }
            guard let fallback else { throw CriterionError(message: "\(type) needs pass_threshold", pointer: ptr) }
            ctx.notes.append(Note(location: ctx.at(ptr), message: "no pass_threshold: \(why)"))
            return fallback
        }
        func subject(_ f: Filled, _ key: String) throws(CriterionError) -> SampleRef {
            guard let r = f.onlySample else {
                throw CriterionError(message: "\(key) must be exactly {{sample.output_text}} or {{sample.output_json.…}} for Proctor to check the output", pointer: ptr + "/" + key)
            }
            return r
        }
        func withPath(_ v: JSONValue, _ r: SampleRef) -> JSONValue {
            guard case .object(var o) = v, let p = r.path else { return v }
            o["path"] = .string(p)
            return .object(o)
        }
        switch type {
        case "string_check":
            let op = o["operation"]?.stringValue ?? ""
            guard ["eq", "ne", "like", "ilike"].contains(op) else { throw CriterionError(message: "string_check operation '\(op)' is not eq, ne, like or ilike", pointer: ptr + "/operation") }
            var input = try filled("input"), reference = try filled("reference")
            // eq and ne are symmetric: the sample may be on either side.
            if input.onlySample == nil, reference.onlySample != nil, op == "eq" || op == "ne" { swap(&input, &reference) }
            let r = try subject(input, "input")
            guard let value = reference.literal else { throw CriterionError(message: "reference reads the sample too: Proctor compares the output with a fixed text", pointer: ptr + "/reference") }
            let v: JSONValue = switch op {
            case "eq": ["type": "equals", "value": .string(OpenAIEvalsImporter.literal(value)), "normalize": false]
            case "ne": ["type": "equals", "value": .string(OpenAIEvalsImporter.literal(value)), "normalize": false, "negate": true]
            case "like": ["type": "contains", "value": .string(OpenAIEvalsImporter.literal(value)), "normalize": false]
            default: ["type": "icontains", "value": .string(OpenAIEvalsImporter.literal(value)), "normalize": false]
            }
            return withPath(v, r)
        case "text_similarity":
            let metric = o["evaluation_metric"]?.stringValue ?? ""
            let r = try subject(try filled("input"), "input")
            guard let reference = try filled("reference").literal else { throw CriterionError(message: "reference reads the sample too", pointer: ptr + "/reference") }
            let t = try threshold(nil, "")
            var measures = ["bleu": "bleu", "gleu": "gleu", "fuzzy_match": "fuzzy", "rouge_1": "rouge1", "rouge_2": "rouge2", "rouge_3": "rouge3", "rouge_4": "rouge4", "rouge_5": "rouge5", "rouge_l": "rougeL"]
            if ctx.meteor { measures["meteor"] = "meteor" }
            if metric == "cosine" {
                ctx.embeddings = true
                return withPath(["type": "similar", "embedding": "embeddings", "value": .string(OpenAIEvalsImporter.literal(reference)), "threshold": .number(JSONNumber(t))], r)
            }
            guard let m = measures[metric] else {
                throw CriterionError(message: metric == "meteor"
                    ? "evaluation_metric meteor is not imported: Proctor computes METEOR with WordNet 3.0's synonyms, and WordNet is not installed here (apt install wordnet-base, then import again)"
                    : "evaluation_metric '\(metric)' is not one OpenAI defines (\(Set(measures.keys).union(["cosine", "meteor"]).sorted().joined(separator: ", ")))", pointer: ptr + "/evaluation_metric")
            }
            guard (0...1).contains(t) else { throw CriterionError(message: "pass_threshold must be between 0 and 1 for \(metric)", pointer: ptr + "/pass_threshold") }
            return withPath(["type": "text-similarity", "measure": .string(m), "reference": .string(OpenAIEvalsImporter.literal(reference)), "threshold": .number(JSONNumber(t))], r)
        case "label_model", "score_model":
            guard let model = o["model"]?.stringValue else { throw CriterionError(message: "\(type) needs \"model\"", pointer: ptr) }
            guard case .array(let msgs)? = o["input"], !msgs.isEmpty else { throw CriterionError(message: "\(type) needs \"input\", a list of messages", pointer: ptr + "/input") }
            var blocks: [String] = [], ref: SampleRef?
            for (k, m) in msgs.enumerated() {
                let text: String
                do { text = try content(m["content"]) } catch { throw CriterionError(message: error.message, pointer: ptr + "/input/\(k)") }
                let f: Filled
                do { f = try fill(text, ctx.item) } catch { throw CriterionError(message: "input \(k): \(error.message)", pointer: ptr + "/input/\(k)", perItem: error.message.hasPrefix("the item")) }
                var b = ""
                for p in f.parts {
                    switch p {
                    case .text(let t): b += OpenAIEvalsImporter.literal(t)
                    case .sample(let r):
                        guard ref == nil || ref == r else { throw CriterionError(message: "the grader's messages read two different parts of the sample; Proctor gives a grader one", pointer: ptr + "/input/\(k)") }
                        ref = r
                        b += "{{output}}"
                    }
                }
                let role = m["role"]?.stringValue ?? "user"
                blocks.append(msgs.count == 1 ? b : "[\(role == "developer" ? "system" : role)]\n" + b)
            }
            guard let r = ref else { throw CriterionError(message: "the grader's messages never read the sample ({{sample.output_text}})", pointer: ptr + "/input") }
            if ctx.graders[model] == nil {
                ctx.notes.append(Note(location: ctx.at(ptr), message: "\(type) grades with grader '\(ctx.grader(model))' (openai \(model)) at temperature 0, its messages joined into one prompt and answered as JSON"))
            }
            let grader = ctx.grader(model)
            if o["sampling_params"] != nil { ctx.notes.append(Note(location: ctx.at(ptr + "/sampling_params"), message: "sampling_params are not used: graders run at temperature 0 and seed 0")) }
            let prompt = blocks.joined(separator: "\n\n")
            if type == "label_model" {
                let labels = o["labels"]?.arrayValue?.compactMap(\.stringValue) ?? [], passing = o["passing_labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
                guard !labels.isEmpty, !passing.isEmpty, passing.allSatisfy(labels.contains) else {
                    throw CriterionError(message: "label_model needs labels and passing_labels (a subset of labels)", pointer: ptr + "/passing_labels")
                }
                return withPath(["type": "classifier", "grader": .string(grader), "labels": .array(labels.map { .string(OpenAIEvalsImporter.literal($0)) }),
                                 "expected": .array(passing.map { .string(OpenAIEvalsImporter.literal($0)) }),
                                 "graderPrompt": .string(prompt + "\n\nAnswer with one JSON object and nothing else: {\"reason\": \"<your reasoning>\", \"label\": \"<one of: {{labels}}>\"}")], r)
            }
            let range = o["range"]?.arrayValue?.compactMap(\.doubleValue) ?? [0, 1]
            guard range.count == 2, range[0] < range[1] else { throw CriterionError(message: "range must be two numbers [low, high] with low < high", pointer: ptr + "/range") }
            let t = try threshold((range[0] + range[1]) / 2, "it passes at the middle of its range, \(JSONNumber((range[0] + range[1]) / 2).text)")
            guard (range[0]...range[1]).contains(t) else { throw CriterionError(message: "pass_threshold \(JSONNumber(t).text) is outside the range [\(JSONNumber(range[0]).text), \(JSONNumber(range[1]).text)]", pointer: ptr + "/pass_threshold") }
            let (lo, hi) = (JSONNumber(range[0]).text, JSONNumber(range[1]).text)
            return withPath(["type": "rubric", "grader": .string(grader), "rubric": .string(OpenAIEvalsImporter.literal(o["name"]?.stringValue ?? "score")),
                             "range": [.number(JSONNumber(range[0])), .number(JSONNumber(range[1]))], "threshold": .number(JSONNumber(t)),
                             "graderPrompt": .string(prompt + "\n\nAnswer with one JSON object and nothing else: {\"reason\": \"<your reasoning>\", \"score\": <a number from \(lo) to \(hi)>}")], r)
        case "python":
            guard let source = o["source"]?.stringValue, source.contains("def grade") else { throw CriterionError(message: "python needs \"source\" defining grade(sample, item)", pointer: ptr + "/source") }
            let t = try threshold(0.5, "it passes when grade() returns 0.5 or more")
            if o["image_tag"] != nil { ctx.notes.append(Note(location: ctx.at(ptr + "/image_tag"), message: "image_tag is not used: the grader runs on this machine's python3")) }
            return ["type": "command", "argv": [.string("python3"), "-c", .string(OpenAIEvalsImporter.literal(pythonRunner)), .string(OpenAIEvalsImporter.literal(source))],
                    "stdin": "json", "threshold": .number(JSONNumber(t)), "timeoutSeconds": 60]
        case "multi":
            guard case .object(let subs)? = o["graders"], !subs.isEmpty else { throw CriterionError(message: "multi needs \"graders\", an object of named graders", pointer: ptr + "/graders") }
            guard let formula = o["calculate_output"]?.stringValue else { throw CriterionError(message: "multi needs calculate_output", pointer: ptr) }
            if subs.hasDuplicateKeys { throw CriterionError(message: "graders names a grader twice", pointer: ptr + "/graders") }
            do { _ = try FormulaValidator.Expression.parse(formula, names: Set(subs.keys)) } catch {
                throw CriterionError(message: "calculate_output: \(error.message)", pointer: ptr + "/calculate_output")
            }
            var named: [JSONObject.Entry] = []
            let outer = ctx.inMulti
            ctx.inMulti = true
            defer { ctx.inMulti = outer }
            for (name, g) in subs {
                var v = try check(g, ptr: ptr + "/graders/" + JSONPointer.escape(name), &ctx)
                if case .object(var x) = v { x["metric"] = nil; v = .object(x) }
                named.append((name, v))
            }
            ctx.inMulti = outer
            let t = try threshold(1, "it passes when calculate_output reaches 1")
            return ["type": "formula", "validators": .object(JSONObject(named)), "formula": .string(formula), "threshold": .number(JSONNumber(t))]
        default:
            throw CriterionError(message: "testing criterion type '\(type)' is not one Proctor imports (string_check, text_similarity, label_model, score_model, python, multi)", pointer: ptr + "/type")
        }
    }

    /// Runs a python grader's `grade(sample, item)`: argv[1] the source; on stdin the output and the
    /// case's variables (the item is `item`); prints the score. What the grader prints goes to stderr.
    static let pythonRunner = """
    import contextlib, json, sys
    data = json.load(sys.stdin)
    item, text = data["vars"]["item"], data["output"]
    try:
        output_json = json.loads(text)
    except ValueError:
        output_json = None
    sample = {"output_text": text, "output_json": output_json, "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
    scope = {}
    with contextlib.redirect_stdout(sys.stderr):
        exec(compile(sys.argv[1], "<python grader>", "exec"), scope)
        score = float(scope["grade"](sample, item))
    print(score)
    """
}
