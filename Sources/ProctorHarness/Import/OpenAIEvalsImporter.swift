import Foundation
import ProctorJSON
import ProctorSupport
import ProctorYAML

/// `proctor import openai-evals`: an eval of the open-source openai/evals registry
/// (`registry/evals/NAME.yaml`, samples in `registry/data/…`, model-graded specs in
/// `registry/modelgraded/`) as a Proctor suite scored as openai/evals scores it: Match (the
/// completion starts with an ideal answer), Includes (contains one, `ignore_case`), FuzzyMatch
/// (normalised containment, token F1 as the score), JsonMatch, and ModelBasedClassify (the spec's
/// prompt and choices on the `classifier` grader). Every sample is a case whose prompt is its input
/// (a message list, or one user message), at temperature 0 as the evals run.
public enum OpenAIEvalsImporter {
    /// Converts the eval `evalId` (or the only one) of the registry YAML at `path`, or the hosted
    /// eval configuration (JSON with `testing_criteria`) at `path` with its items from `dataFile`.
    /// `environment` is the command's (its `HOME` locates WordNet for METEOR).
    public static func convert(path: String, evalId: String?, dataFile: String? = nil, outPath: String, backendsFile: String?, environment: [String: String] = [:]) throws(PromptfooImporter.ImportError) -> PromptfooImporter.Result {
        typealias Failure = PromptfooImporter.ImportError
        guard let bytes = TextInput.read(path) else { throw Failure(message: "\(path): cannot read the registry file") }
        let parsed: (value: JSONValue, locator: JSONLocator)
        if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") {
            do { parsed = try JSONParser.parseLocated(bytes) } catch { throw Failure(message: "\(path):\(error.line):\(error.column): \(error.message)") }
        } else {
            do { parsed = try YAMLParser.parseLocated(bytes) } catch { throw Failure(message: "\(path):\(error)") }
        }
        // A saved list of evals (`GET /v1/evals`: {"object": "list", "data": [eval, …]}): the one
        // --eval names (by id or name), or the only one.
        if case .object(let top) = parsed.value, top["testing_criteria"] == nil, case .array(let listed)? = top["data"],
           listed.contains(where: { $0["testing_criteria"] != nil }) {
            let evals = listed.indices.filter { listed[$0]["testing_criteria"] != nil }
            let label = { (i: Int) -> String in listed[i]["id"]?.stringValue ?? listed[i]["name"]?.stringValue ?? "#\(i)" }
            guard let k = evalId.map({ id in evals.first { listed[$0]["id"]?.stringValue == id || listed[$0]["name"]?.stringValue == id } }) ?? (evals.count == 1 ? evals[0] : nil),
                  case .object(let config) = listed[k] else {
                throw Failure(message: "\(path): a list of \(evals.count) evals (\(evals.map(label).joined(separator: ", "))); " + (evalId.map { "none is '\($0)'" } ?? "choose one with --eval ID (its id or name)"))
            }
            return try HostedEvalImporter.convert(path: path, config: config, locator: parsed.locator, base: "/data/\(k)", dataFile: dataFile, outPath: outPath,
                                                  backendsFile: backendsFile, home: environment["HOME"])
        }
        if case .object(let config) = parsed.value, config["testing_criteria"] != nil {
            if evalId != nil { throw Failure(message: "\(path): --eval chooses an eval of a registry file; this is a hosted eval configuration (testing_criteria)") }
            return try HostedEvalImporter.convert(path: path, config: config, locator: parsed.locator, dataFile: dataFile, outPath: outPath, backendsFile: backendsFile, home: environment["HOME"])
        }
        if let dataFile { throw Failure(message: "\(path): --data \(dataFile) gives the items of a hosted eval configuration (JSON with testing_criteria); a registry eval reads its samples from the registry") }
        guard case .object(let entries) = parsed.value else { throw Failure(message: "\(path): a registry file is a YAML mapping of evals") }
        let at = { (ptr: String) -> String in let (l, c) = parsed.locator.position(of: ptr); return "\(path):\(l):\(c)" }
        // The registry root: the folder above holding evals/ and data/.
        var root = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
        while !(FileManager.default.fileExists(atPath: root.appendingPathComponent("data").path) && FileManager.default.fileExists(atPath: root.appendingPathComponent("evals").path)) {
            guard root.path != "/" else { throw Failure(message: "\(path): no registry folder (holding evals/ and data/) above this file") }
            root = root.deletingLastPathComponent()
        }
        // The eval: named, or the only top-level one; an alias entry (`id: X`) is followed.
        let bases = entries.keys.filter { entries[$0]?["id"] != nil || entries[$0]?.stringValue != nil }
        guard let name = evalId ?? (bases.count == 1 ? bases[0] : nil) else {
            throw Failure(message: "\(path): holds \(bases.count) evals (\(bases.joined(separator: ", "))); choose one with --eval ID")
        }
        guard var entryName = entries[name] != nil ? name : nil else { throw Failure(message: "\(path): no eval '\(name)' (it has \(entries.keys.joined(separator: ", ")))") }
        var description = entries[entryName]?["description"]?.stringValue
        // Aliases, followed as openai/evals does: an entry with `id` and no class, or a bare string naming another.
        var hops = 0
        while entries[entryName]?["class"] == nil, let target = entries[entryName]?["id"]?.stringValue ?? entries[entryName]?.stringValue {
            hops += 1
            guard entries[target] != nil, hops <= 16 else {
                throw Failure(message: "\(at("/" + JSONPointer.escape(entryName))): the alias names '\(target)', which this file does not define" + (hops > 16 ? " (or the aliases loop)" : ""))
            }
            entryName = target
            description = description ?? entries[target]?["description"]?.stringValue
        }
        let ptr = "/" + JSONPointer.escape(entryName)
        guard let cls = entries[entryName]?["class"]?.stringValue else { throw Failure(message: "\(at(ptr)): eval '\(entryName)' has no class") }
        let args = entries[entryName]?["args"]?.objectValue ?? JSONObject()
        var notes: [PromptfooImporter.Note] = [], unmapped: [PromptfooImporter.Note] = []
        var files = [path]
        func load(_ rel: String, _ key: String) throws(Failure) -> [(JSONValue, Int)] {
            let full = root.appendingPathComponent("data").appendingPathComponent(rel).path
            guard let d = TextInput.read(full) else { throw Failure(message: "\(at(ptr + "/args/" + key)): \(key) '\(rel)' not found (looked for \(full))") }
            files.append(full)
            do { return try JSONLines.parse(d).map { ($0.value, $0.line) } } catch { throw Failure(message: "\(full):\(error)") }
        }
        guard let samplesRel = args["samples_jsonl"]?.stringValue else { throw Failure(message: "\(at(ptr + "/args")): no samples_jsonl") }
        let samples = try load(samplesRel, "samples_jsonl")
        var fewShot: [ChatTurn] = []
        if let fs = args["few_shot_jsonl"]?.stringValue, let n = args["num_few_shot"]?.intValue, n > 0 {
            do {
                for (v, _) in try load(fs, "few_shot_jsonl").prefix(n) { fewShot += ChatTurn.list(v["sample"]) ?? [] }
            } catch {
                unmapped.append(.init(location: at(ptr + "/args/few_shot_jsonl"), message: "few_shot_jsonl '\(fs)' cannot be read from \(root.appendingPathComponent("data").path): the cases have no few-shot examples"))
            }
        }
        let kind = String(cls.split(separator: ":").last ?? "")
        var spec: JSONObject?
        var specArgs = JSONObject()
        if kind == "ModelBasedClassify" {
            guard let specName = args["modelgraded_spec"]?.stringValue else { throw Failure(message: "\(at(ptr + "/args")): ModelBasedClassify needs modelgraded_spec") }
            spec = try Self.spec(specName, root: root, files: &files)
            guard let s = spec else { throw Failure(message: "\(at(ptr + "/args/modelgraded_spec")): no spec '\(specName)' in \(root.appendingPathComponent("modelgraded").path)") }
            if s["choice_scores"] == nil || (s["choice_scores"]?.objectValue == nil && s["choice_scores"]?.stringValue != "from_strings") {
                notes.append(.init(location: at(ptr + "/args/modelgraded_spec"), message: "spec '\(specName)' gives no choice_scores: openai/evals reports how often each choice was picked, "
                                   + "so each case passes when the grader picks one of the choices, and the choice is in its result"))
            }
            if let t = args["eval_type"]?.stringValue ?? s["eval_type"]?.stringValue, !["cot_classify", "classify_cot", "classify"].contains(t) {
                unmapped.append(.init(location: at(ptr + "/args/eval_type"), message: "eval_type '\(t)' is not one openai/evals defines (cot_classify, classify_cot, classify); the grader answers as JSON either way"))
            }
            // Fields the spec's prompt takes from the eval's args rather than the sample.
            if case .object(let extra)? = args["modelgraded_spec_args"] { specArgs = extra }
        } else if !["Match", "Includes", "FuzzyMatch", "JsonMatch"].contains(kind) {
            throw Failure(message: "\(at(ptr + "/class")): class \(cls) has no Proctor equivalent (Match, Includes, FuzzyMatch, JsonMatch and ModelBasedClassify import)")
        }
        let ignoreCase = args["ignore_case"]?.boolValue ?? false
        var cases: [JSONValue] = []
        for (i, (s, line)) in samples.enumerated() {
            let place = root.appendingPathComponent("data").appendingPathComponent(samplesRel).path + ":\(line):1"
            guard let turns = ChatTurn.list(s["input"]) ?? s["input"]?.stringValue.map({ [ChatTurn(role: "user", content: $0)] }) else {
                unmapped.append(.init(location: place, message: "sample \(i + 1) has no input (a string or a message list)")); continue
            }
            let messages = fewShot.isEmpty ? turns : Array(turns.dropLast()) + fewShot + [turns.last!]
            if let n = messages.compactMap(\.droppedName).first {
                unmapped.append(.init(location: place, message: "sample \(i + 1): a message's name '\(n)' has no Proctor equivalent (messages carry a role and content); the message is kept without it"))
            }
            let ideals: [JSONValue] = s["ideal"].map { $0.arrayValue ?? [$0] } ?? []
            let validator: JSONValue
            switch kind {
            case "Match", "Includes", "FuzzyMatch":
                let texts = ideals.compactMap(\.stringValue)
                guard !texts.isEmpty, texts.count == ideals.count else { unmapped.append(.init(location: place, message: "sample \(i + 1): ideal must be a string or a list of strings")); continue }
                let lits = texts.map { JSONValue.string(Self.literal($0)) }
                if kind == "Match" { validator = ["type": "starts-with", "values": .array(lits), "normalize": false] }
                else if kind == "FuzzyMatch" { validator = ["type": "fuzzy-match", "values": .array(lits)] }
                else if ignoreCase { validator = ["type": "any", "validators": .array(lits.map { ["type": "icontains", "value": $0, "normalize": false] })] }
                else { validator = ["type": "contains-any", "values": .array(lits), "normalize": false] }
            case "JsonMatch":
                let parsedIdeals = ideals.compactMap { $0.stringValue.flatMap { try? JSONParser.parse($0) } }
                guard !parsedIdeals.isEmpty, parsedIdeals.count == ideals.count else { unmapped.append(.init(location: place, message: "sample \(i + 1): ideal must be JSON text (or a list of it)")); continue }
                validator = ["type": "json-match", "values": .array(parsedIdeals.map(Self.literalJSON))]
            default:
                switch Self.classifier(spec!, sample: s, extra: specArgs, ideals: ideals) {
                case .failure(let missing): unmapped.append(.init(location: place, message: "sample \(i + 1): the spec's prompt uses {\(missing.field)}, which neither the sample nor modelgraded_spec_args gives")); continue
                case .success(let v): validator = v
                }
            }
            cases.append(["id": .string("sample-\(i + 1)"), "vars": ["input": .array(messages.map(\.json))], "validators": [validator]])
        }
        guard !cases.isEmpty else { throw Failure(message: "\(at(ptr)): no sample could be imported" + (unmapped.last.map { " (\($0.message))" } ?? "")) }
        var backends: [JSONValue] = [["id": "openai", "type": "openai", "model": "gpt-4o-mini"]]
        if let backendsFile {
            backends = try PromptfooImporter.backends(backendsFile)
            files.append(backendsFile)
        } else {
            notes.append(.init(location: at(ptr), message: "the suite runs on an openai backend for gpt-4o-mini; give --backends FILE for others"))
        }
        var suite: [JSONObject.Entry] = [("suite", .string(URL(fileURLWithPath: outPath).deletingPathExtension().lastPathComponent))]
        suite.append(("description", .string(description ?? "openai/evals \(entryName) (\(kind))")))
        suite.append(("backends", .array(backends)))
        if kind == "ModelBasedClassify" {
            suite.append(("graders", [["id": "grader", "type": "openai", "model": "gpt-4o-mini"]]))
            notes.append(.init(location: at(ptr), message: "model-graded checks use a grader backend \"grader\" (openai gpt-4o-mini); the grader answers as JSON ({label, reason}) instead of the spec's free-text format"))
        }
        suite.append(("prompts", [["id": "sample", "messages": [["fromVariable": "input"]]]]))
        // Match, FuzzyMatch and JsonMatch ask for temperature 0; Includes and the model-graded
        // completions leave it to the API's default.
        var options: [JSONObject.Entry] = ["Match", "FuzzyMatch", "JsonMatch"].contains(kind) ? [("temperature", 0)] : []
        if let m = args["max_tokens"]?.intValue { options.append(("maxTokens", .number(JSONNumber(m)))) }
        if !options.isEmpty { suite.append(("options", .object(JSONObject(options)))) }
        if kind == "ModelBasedClassify" { suite.append(("defaults", ["grader": "grader"])) }
        suite.append(("cases", .array(cases)))
        for (k, _) in args where !["samples_jsonl", "few_shot_jsonl", "num_few_shot", "ignore_case", "modelgraded_spec", "modelgraded_spec_args", "eval_type", "max_tokens"].contains(k) {
            unmapped.append(.init(location: at(ptr + "/args/" + JSONPointer.escape(k)), message: "argument \"\(k)\" has no Proctor equivalent"))
        }
        var result = PromptfooImporter.Result(suite: .object(JSONObject(suite)), unmapped: unmapped, decisions: notes, filesRead: files)
        result.source = "OpenAI evals"
        return result
    }

    /// One message of a chat-format input.
    struct ChatTurn {
        let role: String, content: String
        /// A `name` the message had that no role expresses (reported: Proctor's messages carry none).
        var droppedName: String?
        var json: JSONValue { ["role": .string(role), "content": .string(content)] }
        /// The messages; openai/evals' few-shot convention `system` + `name: example_user` /
        /// `example_assistant` becomes the user / assistant turn it stands for.
        static func list(_ v: JSONValue?) -> [ChatTurn]? {
            guard case .array(let xs)? = v, !xs.isEmpty else { return nil }
            var out: [ChatTurn] = []
            for x in xs {
                guard let r = x["role"]?.stringValue, let c = x["content"]?.stringValue else { return nil }
                var role = r == "developer" ? "system" : r, dropped: String?
                switch x["name"]?.stringValue {
                case nil: break
                case "example_user"? where r == "system": role = "user"
                case "example_assistant"? where r == "system": role = "assistant"
                case let n?: dropped = n
                }
                out.append(ChatTurn(role: role, content: c, droppedName: dropped))
            }
            return out
        }
    }

    /// A model-graded spec by name, from any YAML in `registry/modelgraded/`.
    static func spec(_ name: String, root: URL, files: inout [String]) throws(PromptfooImporter.ImportError) -> JSONObject? {
        let dir = root.appendingPathComponent("modelgraded")
        for f in ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() where f.hasSuffix(".yaml") || f.hasSuffix(".yml") {
            let full = dir.appendingPathComponent(f).path
            guard let d = TextInput.read(full), case .object(let o)? = try? YAMLParser.parse(String(decoding: d, as: UTF8.self)) else { continue }
            if case .object(let s)? = o[name] { files.append(full); return s }
        }
        return nil
    }

    /// The `classifier` check for one sample: the spec's prompt with `{completion}` as the output,
    /// `{input}` as the prompt and other `{field}`s from the sample; the choices with the best score pass.
    static func classifier(_ spec: JSONObject, sample: JSONValue, extra: JSONObject, ideals: [JSONValue]) -> Result<JSONValue, FieldMissing> {
        guard let prompt = spec["prompt"]?.stringValue else { return .failure(FieldMissing(field: "prompt")) }
        var scores = spec["choice_scores"]?.objectValue ?? JSONObject()
        let choices: [String] = spec["choice_strings"]?.stringValue.map { $0.map(String.init) } ?? spec["choice_strings"]?.arrayValue?.compactMap(\.stringValue) ?? scores.keys
        // `choice_scores: from_strings`: each choice's score is the number it spells.
        if spec["choice_scores"]?.stringValue == "from_strings" {
            scores = JSONObject(choices.compactMap { c in Double(c).map { (c, JSONValue.number(JSONNumber($0))) } })
        }
        let best = choices.compactMap { c in scores[c]?.doubleValue.map { (c, $0) } }.max { $0.1 < $1.1 }?.1
        // Without scores every choice is a verdict openai/evals only counts.
        let passing = scores.isEmpty ? choices : choices.filter { scores[$0]?.doubleValue == best }
        // Python's str.format: `{{` and `}}` are braces, `{field}` a placeholder.
        var text = "", plain = ""
        let chars = Array(prompt)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if (c == "{" || c == "}") && i + 1 < chars.count && chars[i + 1] == c { plain.append(c); i += 2; continue }
            guard c == "{", let close = chars[i...].firstIndex(of: "}") else { plain.append(c); i += 1; continue }
            text += literal(plain)
            plain = ""
            let field = String(chars[(i + 1)..<close])
            switch field {
            case "completion": text += "{{output}}"
            case "input": text += "{{prompt}}"
            case "ideal": text += literal(ideals.map { $0.stringValue ?? JSONSerializer.string($0) }.joined(separator: "\n"))
            default:
                guard let v = extra[field] ?? sample[field] else { return .failure(FieldMissing(field: field)) }
                text += literal(v.stringValue ?? JSONSerializer.string(v))
            }
            i = close + 1
        }
        text += literal(plain)
        text += "\n\nAnswer with one JSON object and nothing else: {\"reason\": \"<your reasoning>\", \"label\": \"<one of: {{labels}}>\"}"
        return .success(["type": "classifier", "labels": .array(choices.map { .string($0) }), "expected": .array(passing.map { .string($0) }), "graderPrompt": .string(text)])
    }

    /// A `{field}` of a spec's prompt that nothing fills.
    struct FieldMissing: Error { let field: String }

    /// Text a validator reads literally: `{{` written as Proctor's template escape.
    static func literal(_ s: String) -> String { s.replacingOccurrences(of: "{{", with: "{{ \"{{\" }}") }

    static func literalJSON(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s): return .string(literal(s))
        case .array(let xs): return .array(xs.map(literalJSON))
        case .object(let o):
            var r = o
            for (k, x) in o { r[k] = literalJSON(x) }
            return .object(r)
        default: return v
        }
    }
}
