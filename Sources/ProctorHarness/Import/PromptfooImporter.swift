import Foundation
import ProctorBackends
import ProctorJSON
import ProctorYAML
import ProctorSupport

/// `proctor import promptfoo`: a promptfoo configuration (`promptfooconfig.yaml`) as a Proctor
/// suite. What maps is mapped; everything else is listed, with its place in the YAML and why, and
/// never silently dropped or approximated.
public enum PromptfooImporter {
    /// Something of the configuration that the suite does not carry.
    public struct Note: Sendable, CustomStringConvertible {
        /// `file:line:column` in the promptfoo configuration (or the file it pointed to).
        public let location: String
        /// What was left out or chosen, and why.
        public let message: String
        /// `location: message`, as the suite's header comments list it.
        public var description: String { "\(location): \(message)" }
    }

    /// The suite, and what did not come along.
    public struct Result: Sendable {
        /// The Proctor suite, as a JSON value.
        public let suite: JSONValue
        /// Items not imported: the key, where it is, why.
        public let unmapped: [Note]
        /// Items imported with a choice the user should know about.
        public let decisions: [Note]
        /// Every file the configuration led the importer to read (prompt and test files): inputs the
        /// output must not overwrite.
        public var filesRead: [String] = []
        /// What was imported ("promptfoo", "OpenAI evals"), for the header of the written suite.
        public var source = "promptfoo"

        /// The suite as JSONC, the notes as comments at the top.
        public var text: String {
            var t = "// Imported from \(source) by `proctor import \(source == "promptfoo" ? "promptfoo" : "openai-evals")`.\n"
            if !decisions.isEmpty {
                t += "// Choices made while importing:\n" + decisions.map { "//   \($0)\n" }.joined()
            }
            if !unmapped.isEmpty {
                t += "// NOT imported (the suite does not check these):\n" + unmapped.map { "//   \($0)\n" }.joined()
            }
            return t + JSONSerializer.string(suite, pretty: true) + "\n"
        }
    }

    /// `--backends FILE`: a JSON list of Proctor backend entries (each an object with an `id`), used
    /// instead of the ones an importer would make.
    public static func backends(_ path: String) throws(ImportError) -> [JSONValue] {
        guard let data = TextInput.read(path) else { throw ImportError(message: "\(path): cannot read the --backends file") }
        let parsed: (value: JSONValue, locator: JSONLocator)
        do { parsed = try JSONParser.parseLocated(data, options: .jsonc) } catch { throw ImportError(message: "\(path):\(error.line):\(error.column): \(error.message)") }
        guard case .array(let xs) = parsed.value, !xs.isEmpty else { throw ImportError(message: "\(path): --backends holds a JSON list of backend entries ([{\"id\": …, \"type\": …}, …])") }
        // Each entry is checked here, so a mistake is reported at its line in this file rather than
        // in the suite that was not written.
        let folder = (path as NSString).deletingLastPathComponent
        for (i, x) in xs.enumerated() {
            guard case .object(let o) = x else { throw ImportError(message: "\(path): entry \(i) must be a backend object with an \"id\" and a \"type\"") }
            do { _ = try BackendRegistry.standard.spec(o, baseDirectory: folder.isEmpty ? "." : folder) } catch {
                let (l, c) = parsed.locator.position(of: "/\(i)" + error.pointer)
                throw ImportError(message: "\(path):\(l):\(c): \(error.message)")
            }
        }
        return xs
    }

    /// Why no suite could be made: the configuration cannot be read or parsed, or no provider, prompt or test
    /// in it imports.
    public struct ImportError: Error, Sendable, CustomStringConvertible {
        /// What is wrong, beginning with the file (and place) it is about.
        public let message: String
        /// The message alone, for printing.
        public var description: String { message }
    }

    /// Reads `configPath` and builds the suite as it will be written at `outPath` (paths in the
    /// suite are relative to that file's folder). `hasProgram` says whether a program can run
    /// (script assertions become command validators only then); the default looks on the `PATH` of
    /// `environment`, which the caller gives.
    public static func convert(configPath: String, outPath: String, environment: [String: String] = [:], backendsFile: String? = nil,
                               hasProgram: (@Sendable (String) -> Bool)? = nil) throws(ImportError) -> Result {
        let hasProgram = hasProgram ?? { ProcessRunner.resolveExecutable($0, cwd: ".", environment: environment) != nil }
        guard let bytes = TextInput.read(configPath) else { throw ImportError(message: "\(configPath): cannot read the promptfoo configuration") }
        let parsed: (value: JSONValue, locator: JSONLocator)
        do { parsed = try YAMLParser.parseLocated(bytes) } catch { throw ImportError(message: "\(configPath):\(error)") }
        guard case .object(let root) = parsed.value else { throw ImportError(message: "\(configPath): a promptfoo configuration is a YAML mapping") }
        var c = Converter(file: configPath, locator: parsed.locator, outPath: outPath, hasProgram: hasProgram)
        if let backendsFile { c.replacementBackends = try backends(backendsFile); c.filesRead.append(backendsFile) }
        let suite = try c.suite(root)
        return Result(suite: suite, unmapped: c.unmapped, decisions: c.decisions, filesRead: c.filesRead)
    }
}

/// One conversion: the configuration's place in the file, and the notes gathered on the way.
struct Converter {
    let file: String
    let locator: JSONLocator
    let outPath: String
    let hasProgram: @Sendable (String) -> Bool
    var unmapped: [PromptfooImporter.Note] = []
    /// `--backends`: used instead of the converted providers.
    var replacementBackends: [JSONValue]?
    /// The prompt and test files read so far.
    var filesRead: [String] = []
    var decisions: [PromptfooImporter.Note] = []
    var needsGrader = false

    var configDir: String { URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path }
    var outDir: String { URL(fileURLWithPath: outPath).deletingLastPathComponent().standardizedFileURL.path }

    func at(_ ptr: String) -> String {
        let (l, c) = locator.position(of: ptr)
        return "\(file):\(l):\(c)"
    }

    mutating func skip(_ ptr: String, _ message: String) { unmapped.append(.init(location: at(ptr), message: message)) }
    mutating func note(_ ptr: String, _ message: String) { decisions.append(.init(location: at(ptr), message: message)) }
    /// A note at the test's own place when it came from a tests file, else at `ptr` in the configuration.
    mutating func noteAt(_ ptr: String, _ fileLocation: String?, _ message: String) {
        if let fileLocation { decisions.append(.init(location: fileLocation, message: message)) } else { note(ptr, message) }
    }

    static let topKeys = ["description", "prompts", "providers", "tests", "defaultTest", "scenarios", "outputPath", "sharing",
                          "evaluateOptions", "env", "commandLineOptions", "derivedMetrics", "extensions", "nunjucksFilters", "metadata",
                          "redteam", "writeLatestResults", "tags"]

    // MARK: - Suite

    mutating func suite(_ root: JSONObject) throws(PromptfooImporter.ImportError) -> JSONValue {
        var out: [JSONObject.Entry] = []
        let name = URL(fileURLWithPath: outPath).deletingPathExtension().lastPathComponent
        out.append(("suite", .string(name)))
        if let d = root["description"]?.stringValue { out.append(("description", .string(d))) }
        for (k, _) in root where !["description", "prompts", "providers", "tests", "defaultTest"].contains(k) {
            skip("/" + JSONPointer.escape(k), "top-level \"\(k)\"" + (Self.topKeys.contains(k) ? " has no Proctor equivalent" : " is not a promptfoo key Proctor knows"))
        }
        var backends: [JSONValue]
        if let replacementBackends {
            backends = replacementBackends
            if root["providers"] != nil { note("/providers", "providers replaced by the --backends file's \(backends.count) backend\(backends.count == 1 ? "" : "s")") }
        } else {
            backends = providers(root["providers"])
        }
        if backends.isEmpty { throw .init(message: "\(at("/providers")): no provider could be imported; a suite needs at least one backend") }
        let prompts = prompts(root["prompts"])
        if prompts.isEmpty { throw .init(message: "\(at("/prompts")): no prompt could be imported; a suite needs at least one") }
        var defaults: [JSONObject.Entry] = []
        var defaultValidators: [JSONValue] = []
        if case .object(let dt)? = root["defaultTest"] {
            if case .object(let vars)? = dt["vars"] { defaults.append(("vars", .object(vars))) }
            if case .array(let asserts)? = dt["assert"] { defaultValidators = validators(asserts, "/defaultTest/assert") }
            if let t = dt["threshold"] { defaults.append(("threshold", t)) }
            for (k, _) in dt where !["vars", "assert", "threshold", "options"].contains(k) {
                skip("/defaultTest/" + JSONPointer.escape(k), "defaultTest \"\(k)\" has no Proctor equivalent")
            }
            if case .object(let o)? = dt["options"] {
                for (k, _) in o where k != "provider" { skip("/defaultTest/options/" + JSONPointer.escape(k), "defaultTest option \"\(k)\" has no Proctor equivalent") }
            }
        }
        if !defaultValidators.isEmpty { defaults.append(("validators", .array(defaultValidators))) }
        let cases = tests(root["tests"], hasDefaultValidators: !defaultValidators.isEmpty)
        if cases.isEmpty { throw .init(message: "\(at("/tests")): no test could be imported; a suite needs at least one case") }
        out.append(("backends", .array(backends)))
        if needsGrader {
            var graderSpec: JSONValue = ["id": "grader", "type": "openai", "model": "gpt-4o-mini"]
            if case .object(let dt)? = root["defaultTest"], let p = dt["options"]?["provider"],
               let mapped = provider(p, "/defaultTest/options/provider", index: 0) {
                var g = mapped.objectValue ?? JSONObject()
                g["id"] = "grader"
                graderSpec = .object(g)
            } else {
                note("/tests", "model-graded assertions are graded by a grader backend \"grader\" (openai gpt-4o-mini, like promptfoo's default); change it under \"graders\"")
            }
            out.append(("graders", [graderSpec]))
            defaults.append(("grader", "grader"))
        }
        out.append(("prompts", .array(prompts)))
        if !defaults.isEmpty { out.append(("defaults", .object(JSONObject(defaults)))) }
        out.append(("cases", .array(cases)))
        return .object(JSONObject(out))
    }

    /// `prompts`, `providers` and `tests` take one string or a list: each item with its pointer
    /// (a lone string's pointer is the key's own). A missing key or another shape is reported.
    mutating func items(_ v: JSONValue?, _ key: String, _ what: String) -> [(value: JSONValue, ptr: String)] {
        switch v {
        case .string?: return [(v!, "/" + key)]
        case .array(let xs)?: return xs.enumerated().map { ($0.element, "/\(key)/\($0.offset)") }
        case nil: skip("", "no \"\(key)\"")
        default: skip("/" + key, "\"\(key)\" must be \(what)")
        }
        return []
    }

    // MARK: - Providers

    mutating func providers(_ v: JSONValue?) -> [JSONValue] {
        var out: [JSONValue] = []
        var ids = Set<String>()
        for (i, (p, ptr)) in items(v, "providers", "a string or a list").enumerated() {
            guard var b = provider(p, ptr, index: i) else { continue }
            var id = b["id"]?.stringValue ?? "backend-\(i + 1)"
            while !ids.insert(id).inserted { id += "-\(i + 1)" }
            if case .object(var o) = b { o["id"] = .string(id); b = .object(o) }
            out.append(b)
        }
        return out
    }

    static func slug(_ s: String) -> String {
        let t = s.lowercased().map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" ? $0 : "-" }
        var r = String(t)
        while r.contains("--") { r = r.replacingOccurrences(of: "--", with: "-") }
        return r.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    /// One provider: `openai:…`, `openai:chat:…`, `openai:completion:…`, `anthropic:messages:…`,
    /// `ollama:…` as a string or `{id, label, config}`.
    mutating func provider(_ p: JSONValue, _ ptr: String, index: Int) -> JSONValue? {
        var idText: String
        var label: String?
        var config = JSONObject()
        switch p {
        case .string(let s): idText = s
        case .object(let o):
            guard let s = o["id"]?.stringValue else { skip(ptr, "a provider object needs \"id\""); return nil }
            idText = s
            label = o["label"]?.stringValue
            if case .object(let c)? = o["config"] { config = c }
            for (k, _) in o where !["id", "label", "config"].contains(k) { skip(ptr + "/" + JSONPointer.escape(k), "provider key \"\(k)\" has no Proctor equivalent") }
        default:
            skip(ptr, "a provider must be a string or an object"); return nil
        }
        let parts = idText.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        var backend: [JSONObject.Entry] = []
        let kind = parts[0]
        switch kind {
        case "openai":
            var model = parts.count > 1 ? parts.last! : "gpt-4o-mini"
            if parts.count == 3 && !["chat", "completion"].contains(parts[1]) { model = parts[1] + ":" + parts[2] }
            backend = [("type", "openai"), ("model", .string(model))]
            if parts.count == 3 && parts[1] == "completion" { backend.append(("endpoint", "completions")) }
        case "anthropic":
            guard parts.count >= 2 else { skip(ptr, "anthropic provider without a model"); return nil }
            if parts.count == 3 && parts[1] != "messages" { skip(ptr, "anthropic:\(parts[1]) is not the Messages API; only anthropic:messages: is imported"); return nil }
            backend = [("type", "anthropic"), ("model", .string(parts.last!))]
        case "ollama":
            guard parts.count >= 2 else { skip(ptr, "ollama provider without a model"); return nil }
            if parts.count == 3 && parts[1] == "embeddings" { skip(ptr, "ollama embeddings are not a text backend"); return nil }
            backend = [("type", "openai"), ("model", .string(parts.last!)), ("baseURL", "http://localhost:11434/v1")]
            if parts.count == 3 && parts[1] == "completion" { backend.append(("endpoint", "completions")) }
            note(ptr, "ollama is reached through its OpenAI-compatible endpoint http://localhost:11434/v1")
        default:
            skip(ptr, "provider '\(idText)' has no Proctor backend (imported: openai, anthropic, ollama and OpenAI-compatible servers)")
            return nil
        }
        let names: [(String, String)] = [("temperature", "temperature"), ("max_tokens", "maxTokens"), ("top_p", "topP"), ("seed", "seed"),
                                         ("stop", "stop"), ("apiKeyEnvar", "apiKeyEnv")]
        for (k, v) in config {
            let cp = ptr + "/config/" + JSONPointer.escape(k)
            if let n = names.first(where: { $0.0 == k }) {
                if k == "stop", let s = v.stringValue { backend.append(("stop", [.string(s)])) } else { backend.append((n.1, v)) }
            } else if k == "response_format" && kind != "anthropic" {
                backend.append(("responseFormat", v))
            } else if k == "apiBaseUrl" || k == "baseUrl" || k == "apiHost" {
                guard let s = v.stringValue else { skip(cp, "\"\(k)\" must be a string"); continue }
                let url = k == "apiHost" ? "https://" + s + (s.hasSuffix("/v1") ? "" : "/v1") : s
                if let i = backend.firstIndex(where: { $0.key == "baseURL" }) { backend.remove(at: i) }
                backend.append(("baseURL", .string(url)))
            } else if k == "apiKey" {
                skip(cp, "a literal API key is not imported; set \"apiKeyEnv\" to the variable that holds it")
            } else {
                skip(cp, "provider config \"\(k)\" has no Proctor equivalent")
            }
        }
        let id = label.map(Self.slug) ?? Self.slug(idText)
        return .object(JSONObject([("id", .string(id.isEmpty ? "backend-\(index + 1)" : id))] + backend))
    }

    // MARK: - Prompts

    mutating func prompts(_ v: JSONValue?) -> [JSONValue] {
        var out: [JSONValue] = []
        for (i, (p, ptr)) in items(v, "prompts", "a string or a list").enumerated() {
            var text: String?
            var id = "p\(i + 1)"
            switch p {
            case .string(let s): text = s
            case .object(let o):
                if let l = o["label"]?.stringValue { id = Self.slug(l) }
                text = o["raw"]?.stringValue ?? o["id"]?.stringValue
                for (k, _) in o where !["raw", "id", "label"].contains(k) { skip(ptr + "/" + JSONPointer.escape(k), "prompt key \"\(k)\" has no Proctor equivalent") }
            default: break
            }
            guard let t = text else { skip(ptr, "a prompt must be a string or {raw|id, label}"); continue }
            if let p = prompt(t, id: id, ptr) { out.append(p) }
        }
        return out
    }

    /// A prompt text, `file://` reference or chat-message JSON as a prompt version.
    mutating func prompt(_ t: String, id: String, _ ptr: String) -> JSONValue? {
        var body = t
        var source = at(ptr)
        if t.hasPrefix("file://") {
            let rel = String(t.dropFirst(7))
            if rel.contains("*") { skip(ptr, "prompt globs (\(rel)) are not imported; list the files"); return nil }
            let full = (configDir as NSString).appendingPathComponent(rel)
            guard let data = TextInput.read(full) else { skip(ptr, "prompt file '\(rel)' not found"); return nil }
            filesRead.append(full)
            let lower = rel.lowercased()
            if lower.hasSuffix(".py") || lower.hasSuffix(".js") || lower.hasSuffix(".ts") {
                skip(ptr, "prompt functions (\(rel)) have no Proctor equivalent"); return nil
            }
            body = String(decoding: data, as: UTF8.self)
            source = full
            if !(lower.hasSuffix(".json") || lower.hasSuffix(".yaml") || lower.hasSuffix(".yml")) {
                guard let tpl = template(body, ptr, source) else { return nil }
                if tpl == body { return ["id": .string(id), "file": .string(relative(full))] }
                return ["id": .string(id), "template": .string(tpl)]
            }
        }
        // A chat prompt: a JSON (or YAML) list of {role, content}.
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("[") || t.hasPrefix("file://") {
            if case .array(let ms)? = (try? JSONParser.parse(trimmed)) ?? (try? YAMLParser.parse(trimmed)),
               ms.allSatisfy({ $0["role"]?.stringValue != nil && $0["content"]?.stringValue != nil }) {
                var messages: [JSONValue] = []
                for m in ms {
                    guard let content = template(m["content"]!.stringValue!, ptr, source) else { return nil }
                    let role = m["role"]!.stringValue!
                    guard ["system", "user", "assistant"].contains(role) else { skip(ptr, "message role '\(role)' has no Proctor equivalent"); return nil }
                    messages.append(["role": .string(role), "content": .string(content)])
                }
                return ["id": .string(id), "messages": .array(messages)]
            }
        }
        guard let tpl = template(body, ptr, source) else { return nil }
        return ["id": .string(id), "template": .string(tpl)]
    }

    /// Nunjucks → Proctor: plain `{{ var }}` and `{{ a.b }}` carry over; filters, tags and
    /// expressions do not, and the prompt is then reported instead of changed.
    mutating func template(_ t: String, _ ptr: String, _ source: String) -> String? {
        if t.contains("{%") || t.contains("{#") {
            unmapped.append(.init(location: source == at(ptr) ? source : at(ptr), message: "the prompt uses Nunjucks tags ({% … %}) that Proctor templates do not have"))
            return nil
        }
        var rest = Substring(t)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let plain = !inner.isEmpty && inner.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
            if !plain {
                unmapped.append(.init(location: at(ptr), message: "the prompt uses '{{\(inner)}}', which is not a plain variable (Proctor templates have variables, dotted paths, | json and includes)"))
                return nil
            }
            rest = rest[close.upperBound...]
        }
        return t
    }

    /// `path` (absolute) relative to the written suite's folder.
    func relative(_ path: String) -> String {
        let a = URL(fileURLWithPath: path).standardizedFileURL.pathComponents, b = URL(fileURLWithPath: outDir).standardizedFileURL.pathComponents
        var i = 0
        while i < a.count && i < b.count && a[i] == b[i] { i += 1 }
        return (Array(repeating: "..", count: b.count - i) + a[i...]).joined(separator: "/")
    }

    // MARK: - Tests

    mutating func tests(_ v: JSONValue?, hasDefaultValidators: Bool) -> [JSONValue] {
        /// Each test with its JSON Pointer in the configuration, or its place in a tests file.
        var items: [(value: JSONValue, ptr: String?, place: String?)] = []
        func fromFile(_ rel: String, _ ptr: String) -> [(JSONValue, String)]? {
            let full = (configDir as NSString).appendingPathComponent(rel)
            guard let data = TextInput.read(full) else { return nil }
            filesRead.append(full)
            let lower = rel.lowercased()
            if lower.hasSuffix(".csv") {
                guard let rows = try? CSVReader.parse(String(decoding: data, as: UTF8.self)), let header = rows.first else { return [] }
                return rows.dropFirst().map { row in
                    var vars: [JSONObject.Entry] = []
                    var asserts: [JSONValue] = []
                    for (k, val) in zip(header.fields, row.fields) {
                        if k.hasPrefix("__expected") {
                            if let t = PromptfooCell.typo(val) { unmapped.append(.init(location: "\(full):\(row.line):1", message: "\(k) '\(val)': \(t)")) } else if !val.isEmpty { asserts.append(PromptfooCell.assertion(val)) }
                        } else if k == "__description" { continue } else { vars.append((k, .string(val))) }
                    }
                    let desc = zip(header.fields, row.fields).first { $0.0 == "__description" }?.1
                    var o: [JSONObject.Entry] = [("vars", .object(JSONObject(vars)))]
                    if let desc { o.append(("description", .string(desc))) }
                    if !asserts.isEmpty { o.append(("assert", .array(asserts))) }
                    return (.object(JSONObject(o)), "\(full):\(row.line):1")
                }
            }
            if lower.hasSuffix(".jsonl") {
                guard let recs = try? JSONLines.parse(data) else { return [] }
                return recs.map { ($0.value, "\(full):\($0.line):1") }
            }
            // Each test located at its own line in the tests file.
            if let (list, locator) = try? YAMLParser.parseLocated(data), case .array(let xs) = list {
                return xs.enumerated().map { i, x in
                    let (l, c) = locator.position(of: "/\(i)")
                    return (x, "\(full):\(l):\(c)")
                }
            }
            if let list = try? JSONParser.parse(data), case .array(let xs) = list { return xs.map { ($0, full) } }
            return []
        }
        for (t, ptr) in self.items(v, "tests", "a list or a file:// reference") {
            if let s = t.stringValue {
                guard s.hasPrefix("file://") else { skip(ptr, "a test entry must be an object or a file:// reference"); continue }
                let rel = String(s.dropFirst(7))
                if rel.contains("*") { skip(ptr, "test globs (\(rel)) are not imported; list the files"); continue }
                guard let loaded = fromFile(rel, ptr) else { skip(ptr, "tests file '\(rel)' not found"); continue }
                items += loaded.map { (value: $0.0, ptr: nil, place: $0.1) }
                note(ptr, "the tests of \(rel) are written into the suite as cases")
            } else {
                items.append((value: t, ptr: ptr, place: nil))
            }
        }
        var cases: [JSONValue] = []
        var ids = Set<String>()
        for (i, item) in items.enumerated() {
            let t = item.value
            let ptr = item.ptr ?? item.place ?? ""
            guard case .object(let o) = t else { drop(item.ptr ?? "/tests", item.place, "a test must be a mapping"); continue }
            let isPointer = item.ptr != nil
            var id = o["description"]?.stringValue.map(Self.slug) ?? "test-\(i + 1)"
            if id.isEmpty || !ids.insert(id).inserted { id = "test-\(i + 1)"; ids.insert(id) }
            var c: [JSONObject.Entry] = [("id", .string(id))]
            if let d = o["description"]?.stringValue { c.append(("description", .string(d))) }
            if case .object(let vars)? = o["vars"] {
                var kept: [JSONObject.Entry] = []
                for (k, val) in vars {
                    if let s = val.stringValue, s.hasPrefix("file://") {
                        let rel = String(s.dropFirst(7))
                        if rel.contains("*") {
                            if isPointer { skip(ptr + "/vars/" + JSONPointer.escape(k), "file:// variable globs are not imported") } else { unmapped.append(.init(location: ptr, message: "file:// variable glob '\(k)' is not imported")) }
                            continue
                        }
                        // Proctor reads file:// variables too: the path, made relative to the written suite.
                        kept.append((k, .string("file://" + relative((configDir as NSString).appendingPathComponent(rel)))))
                        continue
                    }
                    kept.append((k, val))
                }
                c.append(("vars", .object(JSONObject(kept))))
            }
            var vals: [JSONValue] = []
            if case .array(let asserts)? = o["assert"] {
                vals = isPointer ? validators(asserts, ptr + "/assert") : validators(asserts, "", fileLocation: ptr)
            }
            if !vals.isEmpty { c.append(("validators", .array(vals))) } else if !hasDefaultValidators { c.append(("allowEmpty", true)) }
            if let th = o["threshold"] { c.append(("threshold", th)) }
            for (k, _) in o where !["description", "vars", "assert", "threshold"].contains(k) {
                if isPointer { skip(ptr + "/" + JSONPointer.escape(k), "test key \"\(k)\" has no Proctor equivalent") } else {
                    unmapped.append(.init(location: ptr, message: "test key \"\(k)\" has no Proctor equivalent"))
                }
            }
            cases.append(.object(JSONObject(c)))
        }
        return cases
    }

    // MARK: - Assertions

    mutating func validators(_ asserts: [JSONValue], _ ptr: String, fileLocation: String? = nil) -> [JSONValue] {
        var out: [JSONValue] = []
        for (i, a) in asserts.enumerated() {
            if let v = validator(a, ptr + "/\(i)", fileLocation: fileLocation) { out.append(v) }
        }
        return out
    }

    mutating func drop(_ ptr: String, _ fileLocation: String?, _ message: String) {
        if let fileLocation { unmapped.append(.init(location: fileLocation, message: message)) } else { skip(ptr, message) }
    }

    /// One promptfoo assertion as a Proctor validator, or nil (reported) when none is equivalent.
    mutating func validator(_ a: JSONValue, _ ptr: String, fileLocation: String?) -> JSONValue? {
        guard case .object(let o) = a, var type = o["type"]?.stringValue else { drop(ptr, fileLocation, "an assertion needs a \"type\""); return nil }
        var negate = false
        if type.hasPrefix("not-") { negate = true; type = String(type.dropFirst(4)) }
        let value = o["value"]
        var v: [JSONObject.Entry] = []
        func needString() -> String? { value?.stringValue }
        switch type {
        case "equals":
            guard let value else { drop(ptr, fileLocation, "equals without a value"); return nil }
            v = [("type", "equals"), ("value", value)]
        case "contains", "icontains", "starts-with":
            guard let s = needString() else { drop(ptr, fileLocation, "\(type) needs a string value"); return nil }
            v = [("type", .string(type)), ("value", .string(s))]
        case "contains-any", "contains-all":
            guard case .array(let xs)? = value, xs.allSatisfy({ $0.stringValue != nil }) else { drop(ptr, fileLocation, "\(type) needs a list of strings"); return nil }
            v = [("type", .string(type)), ("values", .array(xs))]
        case "icontains-any", "icontains-all":
            guard case .array(let xs)? = value, xs.allSatisfy({ $0.stringValue != nil }) else { drop(ptr, fileLocation, "\(type) needs a list of strings"); return nil }
            v = [("type", .string(type == "icontains-any" ? "any" : "all")),
                 ("validators", .array(xs.map { ["type": "icontains", "value": $0] }))]
        case "regex":
            guard let s = needString() else { drop(ptr, fileLocation, "regex needs a pattern string"); return nil }
            v = [("type", "regex"), ("pattern", .string(s))]
        case "is-json", "contains-json":
            v = [("type", "json")]
            if type == "contains-json" { v.append(("extract", true)) }
            if let schema = value {
                // With a schema: the JSON must parse, then match it.
                var schemaValue = schema
                if let s = schema.stringValue, s.hasPrefix("file://") { schemaValue = .string(relative((configDir as NSString).appendingPathComponent(String(s.dropFirst(7))))) }
                let parse = JSONValue.object(JSONObject(v))
                let check: JSONValue = ["type": "json-schema", "schema": schemaValue]
                if negate { drop(ptr, fileLocation, "not-\(type) with a schema has no single Proctor equivalent"); return nil }
                v = [("type", "all"), ("validators", [parse, check])]
            }
        case "latency":
            guard let t = o["threshold"]?.doubleValue else { drop(ptr, fileLocation, "latency needs a threshold (ms)"); return nil }
            v = [("type", "latency"), ("maxMs", .number(JSONNumber(t)))]
        case "levenshtein":
            guard let s = needString() else { drop(ptr, fileLocation, "levenshtein needs a string value"); return nil }
            v = [("type", "similar"), ("value", .string(s)), ("maxDistance", .number(JSONNumber(o["threshold"]?.intValue ?? 5)))]
        case "finish-reason":
            switch needString() {
            case "stop": v = [("type", "finish")]
            case "length": v = [("type", "finish")]; negate.toggle()
            default: drop(ptr, fileLocation, "finish-reason '\(needString() ?? "")' (Proctor knows stop and length)"); return nil
            }
        case "llm-rubric", "model-graded-closedqa":
            guard let s = needString() else { drop(ptr, fileLocation, "\(type) needs a rubric string"); return nil }
            needsGrader = true
            v = [("type", "rubric"), ("rubric", .string(s))]
            if let t = o["threshold"] { v.append(("threshold", t)) }
        case "factuality":
            guard let s = needString() else { drop(ptr, fileLocation, "factuality needs the reference answer"); return nil }
            needsGrader = true
            v = [("type", "factuality"), ("reference", .string(s))]
        case "select-best":
            guard let s = needString() else { drop(ptr, fileLocation, "select-best needs a criterion"); return nil }
            needsGrader = true
            v = [("type", "select-best"), ("criterion", .string(s))]
        case "assert-set":
            guard case .array(let inner)? = o["assert"] else { drop(ptr, fileLocation, "assert-set needs \"assert\""); return nil }
            if o["threshold"] != nil { drop(ptr, fileLocation, "assert-set with a threshold (a share of passing checks) has no Proctor equivalent"); return nil }
            let children = validators(inner, ptr + "/assert", fileLocation: fileLocation)
            guard children.count == inner.count else { drop(ptr, fileLocation, "assert-set: some of its assertions could not be imported, so the set is not"); return nil }
            v = [("type", "all"), ("validators", .array(children))]
        case "python", "javascript":
            guard let s = needString(), let cmd = script(type, s, ptr, fileLocation) else { return nil }
            v = [("type", "command"), ("argv", .array(cmd.map { .string($0) }))]
        default:
            drop(ptr, fileLocation, "assertion type '\(o["type"]!.stringValue!)' has no Proctor equivalent")
            return nil
        }
        if negate { v.append(("negate", true)) }
        if let w = o["weight"] { v.append(("weight", w)) }
        if let m = o["metric"] {
            if let name = m.stringValue, !name.isEmpty { v.append(("metric", .string(name))) } else { drop(ptr + "/metric", fileLocation, "\"metric\" must be a name") }
        }
        for (k, _) in o where !["type", "value", "weight", "threshold", "assert", "metric"].contains(k) {
            drop(ptr + "/" + JSONPointer.escape(k), fileLocation, "assertion key \"\(k)\" has no Proctor equivalent")
        }
        if o["threshold"] != nil && !["latency", "levenshtein", "llm-rubric", "model-graded-closedqa"].contains(type) {
            drop(ptr + "/threshold", fileLocation, "a threshold on '\(type)' has no Proctor equivalent")
        }
        return .object(JSONObject(v))
    }

    /// `python` / `javascript` assertions as a `command` validator: a small wrapper that calls the
    /// file's `get_assert(output, context)` (or evaluates the inline expression with `output`) and
    /// exits 0 on a pass. Only when the interpreter is on PATH.
    mutating func script(_ type: String, _ s: String, _ ptr: String, _ fileLocation: String?) -> [String]? {
        let program = type == "python" ? "python3" : "node"
        guard hasProgram(program) else { drop(ptr, fileLocation, "\(type) assertion: \(program) is not on PATH, so it cannot run as a command validator"); return nil }
        if type == "python" {
            let runner = """
            import sys, importlib.util, json
            out = sys.stdin.read()
            def verdict(r):
                if isinstance(r, dict): r = r.get('pass', r.get('score', 0))
                sys.exit(0 if r is True or (not isinstance(r, bool) and isinstance(r, (int, float)) and r >= 0.5) else 1)
            arg = sys.argv[1]
            if arg.startswith('file://'):
                spec = importlib.util.spec_from_file_location('assertion', arg[7:])
                m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
                verdict(m.get_assert(out, {'vars': {}}))
            env = {'output': out, 'context': {'vars': {}}}
            if '\\n' in arg.strip():
                # A function body, as promptfoo runs multi-line code: indented under a def and called.
                exec('def __assert(output, context):\\n' + '\\n'.join('    ' + l for l in arg.splitlines()), env)
                verdict(env['__assert'](out, env['context']))
            verdict(eval(arg, env))
            """
            let arg = s.hasPrefix("file://") ? "file://" + relative((configDir as NSString).appendingPathComponent(String(s.dropFirst(7)))) : s
            noteAt(ptr, fileLocation, "python assertion runs as a command validator (python3); its context has no vars")
            return [program, "-c", runner, arg]
        }
        let runner = """
        const fs = require('fs'); const path = require('path');
        const out = fs.readFileSync(0, 'utf8'); const arg = process.argv[1];
        const r = arg.startsWith('file://') ? require(path.resolve(arg.slice(7)))(out, { vars: {} }) : new Function('output', 'context', arg.trim().includes('\\n') ? arg : 'return (' + arg + ');')(out, { vars: {} });
        const v = (r && typeof r === 'object') ? (r.pass ?? r.score) : r;
        process.exit(v === true || (typeof v === 'number' && v >= 0.5) ? 0 : 1);
        """
        let arg = s.hasPrefix("file://") ? "file://" + relative((configDir as NSString).appendingPathComponent(String(s.dropFirst(7)))) : s
        noteAt(ptr, fileLocation, "javascript assertion runs as a command validator (node); its context has no vars")
        return [program, "-e", runner, arg]
    }
}
