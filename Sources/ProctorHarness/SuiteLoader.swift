import Foundation
import ProctorBackends
import ProctorJSON
import ProctorYAML
import ProctorSupport
import ProctorConversation

/// Loads suite files: JSONC, every key checked, paths relative to the suite's folder, all errors
/// with `file:line:column`. Nothing runs until a suite loads cleanly.
public struct SuiteLoader: Sendable {
    /// The validator types suites may use, by `type`.
    public var validators: ValidatorRegistry
    /// Backend types: their keys and which generation options each honours (nothing is built here).
    public var backends: BackendRegistry

    /// Where `${VAR}` in configuration strings is looked up.
    public var environment: [String: String]
    /// The caller's working directory. When set, cases files are located in every report by clean
    /// paths relative to the repository root that holds it (or to it, outside a repository), as
    /// GitHub annotations need; when nil, paths are only cleaned (`a/../b` is `b`).
    public var workingDirectory: String?

    /// A loader that reads only `environment` (for `${VAR}`, API keys, what commands see): the caller
    /// passes the process's own when it means to; a library never reads it behind the caller's back.
    public init(validators: ValidatorRegistry = .standard, backends: BackendRegistry = .standard,
                environment: [String: String] = [:]) {
        self.validators = validators
        self.backends = backends
        self.environment = environment
    }

    static let topKeys = ["suite", "description", "backends", "graders", "prompts", "defaults", "cases", "casesFrom", "options", "$schema",
                          "tools", "toolChoice", "maxToolRounds"]
    static let promptKeys = ["id", "template", "file", "system", "messages", "description", "tools", "toolChoice", "maxToolRounds"]
    static let caseKeys = ["id", "vars", "validators", "threshold", "description", "minPassRate", "options", "allowEmpty", "transform", "turns", "gate"]
    static let defaultsKeys = ["vars", "validators", "threshold", "allowEmpty", "transform", "grader", "graderPrompt"]
    static let optionKeys = ["strictRepair", "minPassRate", "gate"] + GenerationOptions.keys

    /// The extensions a suite file may have.
    public static let suiteExtensions = ["json", "jsonc", "yaml", "yml"]

    static func isYAML(_ path: String) -> Bool {
        let l = path.lowercased()
        return l.hasSuffix(".yaml") || l.hasSuffix(".yml")
    }

    /// A suite or cases document, JSONC or (by extension) YAML, with its locator.
    static func parseDocument(_ data: [UInt8], file: String) throws(SuiteError) -> (value: JSONValue, locator: JSONLocator) {
        if isYAML(file) {
            do { return try YAMLParser.parseLocated(data) } catch { throw SuiteError(file: file, line: error.line, column: error.column, error.message) }
        }
        do { return try JSONParser.parseLocated(data, options: .jsonc) } catch {
            throw SuiteError(file: file, line: error.line, column: error.column, error.message)
        }
    }

    /// Suite files named on the command line: files as given; folders searched recursively (hidden
    /// folders skipped) for `*.json`, `*.jsonc`, `*.yaml` and `*.yml` files that are suites, in sorted path order.
    ///
    /// The rule for "is a suite": its top level is an object with a `"prompts"` key. Schemas, case
    /// files and other JSON beside suites are skipped; a file that does not parse but mentions
    /// `"prompts"` is kept, so its syntax error is reported rather than hidden.
    public static func expand(_ paths: [String]) throws(SuiteError) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else { throw SuiteError(file: p, "no such suite file or folder") }
            guard isDir.boolValue else { out.append(p); continue }
            var found: [String] = []
            let root = URL(fileURLWithPath: p)
            if let walker = fm.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles]) {
                for case let url as URL in walker where Self.suiteExtensions.contains(url.pathExtension.lowercased()) {
                    let rel = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count))
                    let path = (p as NSString).appendingPathComponent(rel.hasPrefix("/") ? String(rel.dropFirst()) : rel)
                    if isSuiteFile(path) { found.append(path) }
                }
            }
            if found.isEmpty { throw SuiteError(file: p, "folder has no suite files (*.json, *.jsonc, *.yaml or *.yml with a top-level \"prompts\" key)") }
            out += found.sorted()
        }
        return out
    }

    /// A JSON(C) file whose top level has `"prompts"` (or that mentions it but does not parse).
    static func isSuiteFile(_ path: String) -> Bool {
        guard let bytes = TextInput.read(path) else { return false }
        if isYAML(path) {
            if let v = try? YAMLParser.parseLocated(bytes).value { return v["prompts"] != nil }
        } else if let v = try? JSONParser.parse(bytes, options: .jsonc) {
            return v["prompts"] != nil
        }
        return String(decoding: bytes, as: UTF8.self).contains("\"prompts\"")
    }

    /// Reads and loads the suite file at `file` (JSONC, or YAML by its extension).
    public func load(_ file: String) throws(SuiteError) -> Suite {
        guard let data = TextInput.read(file) else { throw SuiteError(file: file, "cannot read the suite file") }
        return try load(bytes: data, file: file)
    }

    /// Loads suite text as if it were the file `file` (paths resolve from its folder).
    public func load(bytes raw: [UInt8], file: String) throws(SuiteError) -> Suite {
        let data = TextInput.strippingBOM(raw)
        let parsed = try Self.parseDocument(data, file: file)
        var src = SuiteSource(file: file, locator: parsed.locator, env: environment)
        src.inputs.add(file)
        guard case .object(let written) = parsed.value else { throw src.error("", "a suite must be an object (a JSON object or a YAML mapping)") }
        let root = try EnvSubstitution.suite(written, environment, src)
        if let gp = root["defaults"]?["graderPrompt"] {
            guard let s = gp.stringValue else { throw src.error("/defaults/graderPrompt", "\"graderPrompt\" must be a template string") }
            src.graderPrompt = s
        }
        var defaultGrader: String?
        if let g = root["defaults"]?["grader"] {
            guard let s = g.stringValue else { throw src.error("/defaults/grader", "\"grader\" must be the id of a backend or grader") }
            defaultGrader = s
        }
        try checkKeys(root, Self.topKeys, at: "", what: "suite", src)
        let dir = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path
        let name = try optionalString(root, "suite", "", src) ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent

        // Options
        var options = SuiteOptions()
        if let o = root["options"] {
            guard case .object(let oo) = o else { throw src.error("/options", "\"options\" must be an object") }
            try checkKeys(oo, Self.optionKeys, at: "/options", what: "options", src)
            if let v = oo["strictRepair"] {
                guard let b = v.boolValue else { throw src.error("/options/strictRepair", "\"strictRepair\" must be true or false, found \(v)") }
                options.strictRepair = b
            }
            if let m = oo["minPassRate"] {
                guard let d = m.doubleValue, d >= 0, d <= 1 else { throw src.error("/options/minPassRate", "\"minPassRate\" must be between 0 and 1") }
                options.minPassRate = d
            }
            options.generation = try generationOptions(oo, "/options", src)
            options.gate = try gate(oo, "/options", src)
        }

        // Backends
        guard case .array(let backendValues)? = root["backends"], !backendValues.isEmpty else {
            throw src.error("/backends", "a suite needs \"backends\": a non-empty array (e.g. [{\"id\": \"echo\", \"type\": \"echo\"}])")
        }
        var backends: [BackendSpec] = []
        for (i, bv) in backendValues.enumerated() {
            let ptr = "/backends/\(i)"
            guard case .object(let bo) = bv else { throw src.error(ptr, "a backend must be an object with \"id\" and \"type\"") }
            let spec: BackendSpec
            do { spec = try self.backends.spec(bo, baseDirectory: dir) } catch { throw src.error(ptr + error.pointer, error.message) }
            if backends.contains(where: { $0.id == spec.id }) { throw src.error(ptr + "/id", "duplicate backend id '\(spec.id)'") }
            backends.append(spec)
        }
        func takesSource(_ s: BackendSpec) -> Bool { self.backends.kinds[s.type]?.takesSource == true }
        for (i, b) in backends.enumerated() where takesSource(b) {
            guard let source = b.source, let target = backends.first(where: { $0.id == source }), !takesSource(target) else {
                throw src.error("/backends/\(i)" + (b.source == nil ? "" : "/source"),
                                "\(b.type) backend '\(b.id)' needs \"source\": the id of another backend of this suite, whose recordings it answers with"
                                + " (its type and model decide which recordings match)")
            }
            if b.cassette == nil { throw src.error("/backends/\(i)", "\(b.type) backend '\(b.id)' needs \"cassette\"") }
            if !b.options.isEmpty {
                throw src.error("/backends/\(i)/\(b.options.setFields[0].rawValue)",
                                "\(b.type) backend '\(b.id)' answers with the options of '\(target.id)'; set them there")
            }
        }

        // Graders: backends that only grade (model-graded checks); never run as backends under test.
        var graders: [BackendSpec] = []
        if let gv = root["graders"] {
            guard case .array(let list) = gv else { throw src.error("/graders", "\"graders\" must be an array of backends") }
            for (i, g) in list.enumerated() {
                guard case .object(let go) = g else { throw src.error("/graders/\(i)", "a grader is a backend object with \"id\" and \"type\"") }
                let spec: BackendSpec
                do { spec = try self.backends.spec(go, baseDirectory: dir) } catch { throw src.error("/graders/\(i)" + error.pointer, error.message) }
                if backends.contains(where: { $0.id == spec.id }) || graders.contains(where: { $0.id == spec.id }) {
                    throw src.error("/graders/\(i)/id", "duplicate backend or grader id '\(spec.id)'")
                }
                if takesSource(spec), !(backends + graders).contains(where: { $0.id == spec.source && !takesSource($0) }) {
                    throw src.error("/graders/\(i)", "\(spec.type) grader '\(spec.id)' needs \"source\": the id of another grader or backend of this suite")
                }
                graders.append(spec)
            }
        }
        if let g = defaultGrader, !(backends + graders).contains(where: { $0.id == g }) {
            throw src.error("/defaults/grader", "no backend or grader named '\(g)'" + Suggestions.hint(for: g, among: (backends + graders).map(\.id)))
        }

        // A cost check needs every backend priced (free ones too: "pricing" of zeros).
        if let (ptr, _) = Self.validatorReferences(in: .object(root), at: "", type: "cost", key: "type").first,
           let unpriced = backends.first(where: { b in (b.source.flatMap { s in backends.first { $0.id == s } } ?? b).pricing == nil }) {
            throw src.error(ptr, "a 'cost' check needs backend '\(unpriced.id)' priced: give it \"pricing\": {\"inputPerMillion\": …, \"outputPerMillion\": …} (zeros for a free one)")
        }
        // Embedding similarity names a backend or grader that can embed (an openai one, or a replay of one).
        let all = backends + graders
        for (ptr, id) in Self.embeddingReferences(in: .object(root), at: "") {
            guard let b = all.first(where: { $0.id == id }) else {
                throw src.error(ptr, "no backend or grader named '\(id)' to embed with" + Suggestions.hint(for: id, among: all.map(\.id)))
            }
            let type = b.source.flatMap { s in all.first { $0.id == s }?.type } ?? b.type
            guard type == "openai" else { throw src.error(ptr, "backend '\(id)' (\(type)) cannot embed text: embeddings come from an openai backend (/v1/embeddings)") }
        }

        // Prompts
        guard case .array(let promptValues)? = root["prompts"], !promptValues.isEmpty else {
            throw src.error("/prompts", "a suite needs \"prompts\": a non-empty array of {\"id\", \"template\"}")
        }
        // Tools: the suite's, which a prompt's own `tools`, `toolChoice` or `maxToolRounds` replace.
        let suiteTools = try loadToolSet(root, "", dir, src, over: nil) ?? ToolSet()
        var prompts: [PromptVersion] = []
        for (i, pv) in promptValues.enumerated() {
            var p = try loadPrompt(pv, "/prompts/\(i)", dir, src)
            if case .object(let po) = pv { p.tools = try loadToolSet(po, "/prompts/\(i)", dir, src, over: suiteTools) }
            if prompts.contains(where: { $0.id == p.id }) { throw src.error("/prompts/\(i)/id", "duplicate prompt id '\(p.id)'") }
            prompts.append(p)
        }

        let declaredTools = Set(([suiteTools] + prompts.compactMap(\.tools)).flatMap { $0.tools.map(\.definition.name) })
        if !declaredTools.isEmpty { src.toolNames = declaredTools }

        // Defaults
        var defaultVars = JSONObject()
        var defaultValidators: [ConfiguredValidator] = []
        var defaultThreshold: Double?
        var defaultTransform: Transform?
        if let d = root["defaults"] {
            guard case .object(let dobj) = d else { throw src.error("/defaults", "\"defaults\" must be an object") }
            try checkKeys(dobj, Self.defaultsKeys, at: "/defaults", what: "defaults", src)
            if let v = dobj["vars"] {
                guard case .object(let vo) = v else { throw src.error("/defaults/vars", "\"vars\" must be an object") }
                defaultVars = vo
                for (k, x) in vo {
                    guard let f = x.stringValue, f.hasPrefix("file://") else { continue }
                    let at = "/defaults/vars/" + JSONPointer.escape(k)
                    defaultVars[k] = try fileVariable(f, dir, inputs: src.inputs) { src.error(at, $0) }
                }
            }
            defaultValidators = try loadValidators(dobj["validators"], "/defaults/validators", dir, src)
            defaultThreshold = try threshold(dobj["threshold"], "/defaults/threshold", src)
            if dobj["transform"] != nil { defaultTransform = try Transform.load(dobj["transform"], "/defaults/transform", src) }
        }

        // Cases
        var cases: [TestCase] = []
        var seen: [String: Int] = [:]  // case id → its index in `cases`
        /// Records case `id` as `list[index]`; a second one with that id is an error at `errAt`.
        func register(_ id: String, at index: Int, in list: [TestCase], _ errAt: () -> SuiteError) throws(SuiteError) {
            if let prev = seen[id] {
                throw errAt().with("duplicate case id '\(id)' (first defined at \(list[prev].file):\(list[prev].line))")
            }
            seen[id] = index
        }
        func add(_ c: TestCase, _ errAt: () -> SuiteError) throws(SuiteError) {
            try register(c.id, at: cases.count, in: cases, errAt)
            cases.append(c)
        }
        if let cv = root["cases"] {
            guard case .array(let caseValues) = cv else { throw src.error("/cases", "\"cases\" must be an array") }
            for (i, v) in caseValues.enumerated() {
                let ptr = "/cases/\(i)"
                let c = try loadCase(v, ptr, src, defaultVars, defaultValidators, defaultThreshold, dir)
                try add(c) { src.error(ptr + "/id", "") }
            }
        }
        if let cf = root["casesFrom"] {
            let list: [JSONValue]
            if case .array(let a) = cf { list = a } else { list = [cf] }
            for (i, f) in list.enumerated() {
                guard let rel = f.stringValue else { throw src.error("/casesFrom/\(i)", "\"casesFrom\" entries must be file paths") }
                let full = rel.hasPrefix("/") ? rel : (dir as NSString).appendingPathComponent(rel)
                guard let d = TextInput.read(full) else {
                    throw src.error("/casesFrom/\(i)", "cases file '\(rel)' not found (looked for \(URL(fileURLWithPath: full).standardizedFileURL.path))")
                }
                src.inputs.add(full)
                let loaded = try loadCaseFile(d, displayPath(full), defaultVars, defaultValidators, defaultThreshold, dir, inputs: src.inputs,
                                              varsDir: (full as NSString).deletingLastPathComponent)
                if cases.isEmpty && list.count == 1 {
                    // The usual shape: every case from one file, checked on every core and kept
                    // whole (a case taken out of an array is copied field by field).
                    if let d = Self.firstDuplicate(loaded) {
                        throw SuiteError(file: full, line: loaded[d.at].line, column: 1,
                                         "duplicate case id '\(loaded[d.at].id)' (first defined at \(loaded[d.first].file):\(loaded[d.first].line))")
                    }
                    cases = loaded
                } else {
                    cases.reserveCapacity(cases.count + loaded.count)
                    seen.reserveCapacity(cases.count + loaded.count)
                    for k in loaded.indices {
                        try add(loaded[k]) { SuiteError(file: full, line: loaded[k].line, column: 1, "") }
                    }
                }
            }
        }
        if cases.isEmpty { throw src.error("", "the suite has no cases (add \"cases\" or \"casesFrom\")") }

        // An http backend's body and query name case variables ({{vars.NAME}}): every case must
        // define them, as for a prompt's; any other placeholder is a mistake.
        for (bi, b) in backends.enumerated() where b.type == "http" {
            for key in ["body", "query"] {
                guard let v = b.config[key] else { continue }
                for name in Self.placeholders(in: v) {
                    guard name.hasPrefix("vars.") else {
                        if name == "prompt" || name == "messages" { continue }
                        throw src.error("/backends/\(bi)/\(key)", "http backend '\(b.id)': {{\(name)}} is not {{prompt}}, {{messages}} or {{vars.NAME}}")
                    }
                    let variable = String(name.dropFirst(5))
                    if let c = cases.first(where: { $0.vars[variable] == nil }) {
                        throw SuiteError(file: c.file, line: c.line, column: c.column,
                                         "case '\(c.id)' does not define variable '\(variable)' used by the \(key) of http backend '\(b.id)'")
                    }
                }
            }
        }

        // Every variable of every prompt must be defined for every case (a block of cases per
        // core; the first case in order that misses one is reported).
        let templates = prompts.flatMap { p in p.messages.map { (prompt: p.id, template: $0.template) } }
        let allCases = cases
        if let ci = Self.firstIndex(cases.count, where: { ci in
            templates.contains { !$0.template.missingVariables(in: allCases[ci].vars).isEmpty }
        }) {
            let c = cases[ci]
            let (p, missing) = templates.lazy.compactMap { t in t.template.missingVariables(in: c.vars).first.map { (t.prompt, $0) } }.first!
            throw SuiteError(file: c.file, line: c.line, column: c.column, "case '\(c.id)' does not define variable '\(missing)' used by prompt '\(p)'")
        }
        try checkTurns(prompts, cases)
        if defaultTransform != nil { for i in cases.indices where cases[i].transform == nil { cases[i].transform = defaultTransform } }
        let defaultsAllowEmpty = root["defaults"]?["allowEmpty"]?.boolValue ?? false
        if let ci = cases.indices.first(where: { cases[$0].validators.isEmpty && !cases[$0].turns.contains { !$0.validators.isEmpty } && !(cases[$0].allowEmpty ?? defaultsAllowEmpty) }) {
            let c = cases[ci]
            throw SuiteError(file: c.file, line: c.line, column: c.column, "case '\(c.id)' has no validators, so it would always pass; "
                             + "add \"validators\" (or \"defaults.validators\"), or set \"allowEmpty\": true")
        }
        // Inline cases are located the way casesFrom cases are (one base on every surface).
        let shown = displayPath(file)
        for i in cases.indices where cases[i].file == file { cases[i].file = shown }
        var suite = Suite(name: name, description: root["description"]?.stringValue, file: file, directory: dir, backends: backends,
                          prompts: prompts, cases: cases, options: options, source: src)
        suite.graders = graders
        suite.defaultGrader = defaultGrader
        suite.tools = suiteTools
        try checkTools(suite, src)
        try checkOptions(suite)
        return suite
    }

    /// Every case's merged options against every backend: a field a backend cannot honour is an
    /// error at the value that set it, before anything runs.
    func checkOptions(_ suite: Suite) throws(SuiteError) {
        for b in suite.backends {
            let target = suite.effectiveSpec(b)
            guard let kind = backends.kinds[target.type] else { continue }
            try suite.checkCaseOptions(on: b, naming: "backend '\(b.id)', ", kind.refusal)
        }
    }

    /// The generation fields of an options object, each with where it was written.
    func generationOptions(_ o: JSONObject, _ ptr: String, _ src: SuiteSource) throws(SuiteError) -> LocatedOptions {
        var out = LocatedOptions()
        do { out.options = try GenerationOptions.parse(o) } catch { throw src.error(ptr + error.pointer, error.message) }
        for f in out.options.setFields { out.locations[f] = src.location(ptr + "/" + f.rawValue) }
        return out
    }

    // MARK: - Pieces

    func checkKeys(_ o: JSONObject, _ allowed: [String], at ptr: String, what: String, _ src: SuiteSource) throws(SuiteError) {
        for (k, _) in o where !allowed.contains(k) {
            throw src.error(ptr + "/" + JSONPointer.escape(k), "unknown key \"\(k)\" in \(what)" + Suggestions.hint(for: k, among: allowed))
        }
    }

    func optionalString(_ o: JSONObject, _ key: String, _ ptr: String, _ src: SuiteSource) throws(SuiteError) -> String? {
        guard let v = o[key] else { return nil }
        guard let s = v.stringValue else { throw src.error(ptr + "/" + key, "\"\(key)\" must be a string") }
        return s
    }

    func threshold(_ v: JSONValue?, _ ptr: String, _ src: SuiteSource) throws(SuiteError) -> Double? {
        guard let v else { return nil }
        guard let d = v.doubleValue, d >= 0, d <= 1 else { throw src.error(ptr, "\"threshold\" must be a number between 0 and 1") }
        return d
    }

    func template(_ text: String, _ ptr: String, _ dir: String, _ src: SuiteSource) throws(SuiteError) -> Template {
        do { return try Template(text, directory: dir) } catch { throw src.error(ptr, error.message) }
    }

    func loadPrompt(_ v: JSONValue, _ ptr: String, _ dir: String, _ src: SuiteSource) throws(SuiteError) -> PromptVersion {
        guard case .object(let o) = v else { throw src.error(ptr, "a prompt must be an object with \"id\" and \"template\"") }
        try checkKeys(o, Self.promptKeys, at: ptr, what: "prompt", src)
        guard let id = o["id"]?.stringValue, !id.isEmpty else { throw src.error(ptr, "prompt needs an \"id\"") }
        var messages: [(role: String, template: Template)] = []
        var fingerprint: [JSONValue] = []
        if let s = o["system"] {
            guard let text = s.stringValue else { throw src.error(ptr + "/system", "\"system\" must be a string") }
            messages.append(("system", try template(text, ptr + "/system", dir, src)))
            fingerprint.append(["system", .string(text)])
        }
        let sources = ["template", "file", "messages"].filter { o[$0] != nil }
        // A system message alone opens a scripted conversation: its cases bring the user's turns.
        if sources.isEmpty, !messages.isEmpty {
            return PromptVersion(id: id, messages: messages, sha256: SHA256.hex(JSONSerializer.string(.array(fingerprint))))
        }
        guard sources.count == 1 else {
            throw src.error(ptr, "prompt '\(id)' needs exactly one of \"template\", \"file\" or \"messages\"")
        }
        if let t = o["template"] {
            guard let text = t.stringValue else { throw src.error(ptr + "/template", "\"template\" must be a string") }
            messages.append(("user", try template(text, ptr + "/template", dir, src)))
            fingerprint.append(["user", .string(text)])
        } else if let f = o["file"] {
            guard let rel = f.stringValue else { throw src.error(ptr + "/file", "\"file\" must be a path") }
            let full = rel.hasPrefix("/") ? rel : (dir as NSString).appendingPathComponent(rel)
            guard let d = TextInput.read(full) else {
                throw src.error(ptr + "/file", "prompt file '\(rel)' not found (looked for \(URL(fileURLWithPath: full).standardizedFileURL.path))")
            }
            src.inputs.add(full)
            let text = String(decoding: d, as: UTF8.self)
            messages.append(("user", try template(text, ptr + "/file", (full as NSString).deletingLastPathComponent, src)))
            fingerprint.append(["user", .string(text)])
        } else if case .array(let ms)? = o["messages"], !ms.isEmpty {
            for (i, m) in ms.enumerated() {
                // {"fromVariable": NAME}: the case's variable holds the messages (a list of {role,
                // content}, as chat datasets do) or one user message's text.
                if let name = m["fromVariable"]?.stringValue {
                    guard case .object(let mo) = m, mo.count == 1, !name.isEmpty, !name.contains("}") else {
                        throw src.error(ptr + "/messages/\(i)", "{\"fromVariable\": NAME} stands alone and names a variable")
                    }
                    messages.append((PromptVersion.fromVariablePrefix + name, try template("{{\(name)}}", ptr + "/messages/\(i)", dir, src)))
                    fingerprint.append(["fromVariable", .string(name)])
                    continue
                }
                guard let role = m["role"]?.stringValue, let content = m["content"]?.stringValue else {
                    throw src.error(ptr + "/messages/\(i)", "each message needs \"role\" and \"content\" strings, or is {\"fromVariable\": NAME}")
                }
                guard ["system", "user", "assistant"].contains(role) else {
                    throw src.error(ptr + "/messages/\(i)/role", "role must be system, user or assistant, found '\(role)'")
                }
                messages.append((role, try template(content, ptr + "/messages/\(i)/content", dir, src)))
                fingerprint.append([.string(role), .string(content)])
            }
        } else {
            throw src.error(ptr + "/messages", "\"messages\" must be a non-empty array of {\"role\", \"content\"}")
        }
        return PromptVersion(id: id, messages: messages, sha256: SHA256.hex(JSONSerializer.string(.array(fingerprint))))
    }

    func loadValidators(_ v: JSONValue?, _ ptr: String, _ dir: String, _ src: SuiteSource) throws(SuiteError) -> [ConfiguredValidator] {
        guard let v else { return [] }
        guard case .array(let xs) = v else { throw src.error(ptr, "\"validators\" must be an array") }
        var out: [ConfiguredValidator] = []
        for (i, x) in xs.enumerated() {
            out.append(try validators.build(x, pointer: ptr + "/\(i)", suiteDirectory: dir, source: src))
        }
        return out
    }

    /// One case from its JSON; `position` (line, column) is where it starts when `src` has no
    /// locator (a JSONL line).
    func loadCase(_ v: JSONValue, _ ptr: String, _ src: SuiteSource, _ dvars: JSONObject, _ dvals: [ConfiguredValidator],
                  _ dthreshold: Double?, _ dir: String, position: (Int, Int)? = nil, varsDir: String? = nil) throws(SuiteError) -> TestCase {
        guard case .object(let o) = v else { throw src.error(ptr, "a case must be an object with an \"id\"") }
        try checkKeys(o, Self.caseKeys, at: ptr, what: "case", src)
        // An id, or promptfoo's `__description` among the variables.
        let described = o["vars"]?["__description"]
        guard let idv = o["id"] ?? described else { throw src.error(ptr, "case needs an \"id\" (or a \"__description\" variable)") }
        if o["id"] != nil && described != nil { throw src.error(ptr + "/vars/__description", "give the case's id by \"id\" or by \"__description\", not both") }
        guard let id = idv.stringValue ?? idv.numberValue?.text, !id.isEmpty else { throw src.error(o["id"] != nil ? ptr + "/id" : ptr + "/vars/__description", "case \"id\" must be a non-empty string") }
        var vars = dvars
        var specials: [(name: String, value: JSONValue, at: String)] = []
        if let vv = o["vars"] {
            guard case .object(let vo) = vv else { throw src.error(ptr + "/vars", "\"vars\" must be an object") }
            if vars.isEmpty && !vo.hasDuplicateKeys && !vo.contains(where: { $0.key.hasPrefix("__") || $0.value.stringValue?.hasPrefix("file://") == true }) { vars = vo } else {
                for (k, x) in vo {
                    let at = ptr + "/vars/" + JSONPointer.escape(k)
                    if k.hasPrefix("__") { specials.append((k, x, at)) } else if let f = x.stringValue, f.hasPrefix("file://") {
                        vars[k] = try fileVariable(f, varsDir ?? dir, inputs: src.inputs) { src.error(at, $0) }
                    } else { vars[k] = x }
                }
            }
        }
        let extra = specials.isEmpty ? SpecialColumns()
            : try specialColumns(specials, src.file, dir) { src.error($0, $1) }
        let vals = try (o["validators"] == nil ? dvals : dvals + (try loadValidators(o["validators"], ptr + "/validators", dir, src)))
            .instantiated(vars, caseId: id) + extra.validators.instantiated(vars, caseId: id)
        let (line, column) = position ?? src.locator?.position(of: ptr) ?? (1, 1)
        var minPass: Double?
        if let m = o["minPassRate"] {
            guard let d = m.doubleValue, d >= 0, d <= 1 else { throw src.error(ptr + "/minPassRate", "\"minPassRate\" must be between 0 and 1") }
            minPass = d
        }
        let threshold = try threshold(o["threshold"], ptr + "/threshold", src) ?? extra.threshold ?? dthreshold
        let transform = o["transform"] == nil ? nil : try Transform.load(o["transform"], ptr + "/transform", src)
        var allowEmpty: Bool?
        if let ae = o["allowEmpty"] {
            guard let b = ae.boolValue else { throw src.error(ptr + "/allowEmpty", "\"allowEmpty\" must be true or false, found \(ae)") }
            allowEmpty = b
        }
        var options = LocatedOptions()
        if let ov = o["options"] {
            guard case .object(let oo) = ov else { throw src.error(ptr + "/options", "case \"options\" must be an object of generation options") }
            try checkKeys(oo, GenerationOptions.keys, at: ptr + "/options", what: "case options (generation options only)", src)
            options = try generationOptions(oo, ptr + "/options", src)
        }
        let turns = o["turns"] == nil ? [] : try loadTurns(o["turns"]!, ptr + "/turns", src, vars, id, dir)
        let gate = try gate(o, ptr, src)
        // Made with every field at once: a case changed after it is made is copied on its way out.
        return TestCase(id: id, vars: vars, validators: vals, threshold: threshold, minPassRate: minPass, file: src.file, line: line,
                        column: column, options: options, allowEmpty: allowEmpty, transform: transform, metadata: extra.metadata, turns: turns, gate: gate)
    }

    /// How many cores a loading step spreads over: every core (at most four) when the work is
    /// `large`, else one.
    static func lanes(_ large: Bool) -> Int { large ? min(4, ProcessInfo.processInfo.activeProcessorCount) : 1 }

    /// The first index below `count` where `test` holds; a large count is tested a block per
    /// core, and the lowest hit of any block wins, as a scan in order would find it.
    static func firstIndex(_ count: Int, where test: @Sendable (Int) -> Bool) -> Int? {
        let lanes = Self.lanes(count >= 4096)
        if lanes == 1 { return (0..<count).first(where: test) }
        let hits = Parallel.map(lanes) { k in (count * k / lanes..<count * (k + 1) / lanes).first(where: test) }
        return hits.compactMap { $0 }.first
    }

    /// The first case (in order) whose id an earlier case has, and that earlier case. A long
    /// list is checked on every core, each core taking the ids whose hash falls to it, so the
    /// answer is the one a scan in order finds.
    static func firstDuplicate(_ cases: [TestCase]) -> (at: Int, first: Int)? {
        let lanes = Self.lanes(cases.count >= 4096)
        let hits = Parallel.map(lanes) { lane -> (at: Int, first: Int)? in
            var seen: [String: Int] = [:]
            seen.reserveCapacity(cases.count / lanes + 16)
            return cases.withUnsafeBufferPointer { cases -> (at: Int, first: Int)? in
                for i in cases.indices where lanes == 1 || Runner.shard(of: cases[i].id, count: lanes) == lane + 1 {
                    if let prev = seen.updateValue(i, forKey: cases[i].id) { return (i, prev) }
                }
                return nil
            }
        }
        return hits.compactMap { $0 }.min { $0.at < $1.at }
    }

    /// Where validators of `type` appear in the suite (defaults and inline cases, nested ones
    /// included), with the string at `key`.
    static func validatorReferences(in v: JSONValue, at ptr: String, type: String, key: String) -> [(String, String)] {
        switch v {
        case .object(let o):
            var out: [(String, String)] = []
            if o["type"]?.stringValue == type, let x = o[key]?.stringValue { out.append((ptr, x)) }
            for (k, x) in o where k != "backends" && k != "graders" { out += validatorReferences(in: x, at: ptr + "/" + JSONPointer.escape(k), type: type, key: key) }
            return out
        case .array(let xs): return xs.enumerated().flatMap { validatorReferences(in: $1, at: ptr + "/\($0)", type: type, key: key) }
        default: return []
        }
    }

    /// Where validators of the suite (defaults and inline cases, nested ones included) name an
    /// `embedding` backend, with its id.
    static func embeddingReferences(in v: JSONValue, at ptr: String) -> [(String, String)] {
        switch v {
        case .object(let o):
            var out: [(String, String)] = []
            if o["type"]?.stringValue == "similar", let id = o["embedding"]?.stringValue, !id.isEmpty { out.append((ptr + "/embedding", id)) }
            for (k, x) in o where k != "backends" && k != "graders" { out += embeddingReferences(in: x, at: ptr + "/" + JSONPointer.escape(k)) }
            return out
        case .array(let xs): return xs.enumerated().flatMap { embeddingReferences(in: $1, at: ptr + "/\($0)") }
        default: return []
        }
    }

    /// Every `{{…}}` name in the strings of `v` (an http backend's body or query).
    static func placeholders(in v: JSONValue) -> [String] {
        switch v {
        case .string(let s):
            var out: [String] = []
            var rest = Substring(s)
            while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
                out.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
                rest = rest[close.upperBound...]
            }
            return out
        case .array(let xs): return xs.flatMap(placeholders(in:))
        case .object(let o): return o.entries.flatMap { placeholders(in: $0.value) }
        default: return []
        }
    }

    /// `path` as reports show it: no `.` or `..`, and relative to the repository root (or the
    /// working directory outside a repository) when it lies inside it.
    func displayPath(_ path: String) -> String {
        guard let cwd = workingDirectory else { return Self.clean(path) }
        let abs = Self.clean(path.hasPrefix("/") ? path : cwd + "/" + path)
        var base = Self.clean(cwd)
        var probe = base
        while true {
            if FileManager.default.fileExists(atPath: probe + "/.git") { base = probe; break }
            if probe == "/" || probe.isEmpty { break }
            probe = (probe as NSString).deletingLastPathComponent
        }
        if base == "/" { return abs }
        return abs.hasPrefix(base + "/") ? String(abs.dropFirst(base.count + 1)) : abs
    }

    /// A path without `.` and `..` segments (lexically; a leading `..` of a relative path stays).
    static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for p in path.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if p == "..", path.hasPrefix("/") { continue }
            parts.append(p)
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// Cases from JSONL (`{id, vars, validators?, threshold?}` per line) or CSV (a header row; columns are vars, `id` names the case).
    func loadCaseFile(_ data: [UInt8], _ path: String, _ dvars: JSONObject, _ dvals: [ConfiguredValidator], _ dthreshold: Double?,
                      _ dir: String, inputs: InputLog = InputLog(), varsDir: String? = nil) throws(SuiteError) -> [TestCase] {
        // `file://` variables are read relative to the cases file itself.
        let varsDir = varsDir ?? dir
        var out: [TestCase] = []
        if Self.isYAML(path) {
            // A YAML list of cases, each as in a suite's "cases".
            let (v, loc) = try Self.parseDocument(data, file: path)
            var src = SuiteSource(file: path, locator: loc, env: environment)
            src.inputs = inputs
            guard case .array(let items) = v else { throw src.error("", "a YAML cases file is a list of cases (- id: …)") }
            for (i, item) in items.enumerated() {
                let c = try loadCase(item, "/\(i)", src, dvars, dvals, dthreshold, dir, varsDir: varsDir)
                out.append(c)
            }
            return out
        }
        if path.lowercased().hasSuffix(".csv") {
            let rows: [CSVReader.Row]
            do { rows = try CSVReader.parse(String(decoding: data, as: UTF8.self)) } catch {
                throw SuiteError(file: path, line: error.line, column: 1, error.message)
            }
            guard let header = rows.first else { return [] }
            // A column named twice would keep one value silently.
            for (i, name) in header.fields.enumerated() {
                if let j = header.fields[..<i].firstIndex(of: name) {
                    throw SuiteError(file: path, line: header.line, column: header.columns[i],
                                     "column '\(name)' appears twice in the header (columns \(j + 1) and \(i + 1)); rename one")
                }
            }
            let templated = dvals.contains { $0.template != nil }
            for row in rows.dropFirst() {
                guard row.fields.count == header.fields.count else {
                    throw SuiteError(file: path, line: row.line, column: 1, "row has \(row.fields.count) fields, the header has \(header.fields.count)")
                }
                var vars = dvars
                var id = "row-\(row.line)"
                var idColumn: Int?
                var specials: [(name: String, value: JSONValue, at: Int)] = []
                for (i, (k, v)) in zip(header.fields, row.fields).enumerated() {
                    if k == "id" { id = v; idColumn = header.columns[i] } else if k.hasPrefix("__") { specials.append((k, .string(v), header.columns[i])) } else if v.hasPrefix("file://") {
                        let (line, column) = (row.line, header.columns[i])
                        vars[k] = try fileVariable(v, varsDir, inputs: inputs) { SuiteError(file: path, line: line, column: column, $0) }
                    } else { vars[k] = .string(v) }
                }
                var vals = templated ? try dvals.instantiated(vars, caseId: id) : dvals
                var threshold = dthreshold
                var metadata = JSONObject()
                if !specials.isEmpty {
                    let line = row.line
                    let extra = try specialColumns(specials, path, dir) { SuiteError(file: path, line: line, column: $0, $1) }
                    if let d = extra.id {
                        if let idColumn { throw SuiteError(file: path, line: line, column: idColumn, "give the case's id by 'id' or by '__description', not both") }
                        id = d
                        vals = templated ? try dvals.instantiated(vars, caseId: id) : dvals
                    }
                    vals += try extra.validators.instantiated(vars, caseId: id)
                    threshold = extra.threshold ?? threshold
                    metadata = extra.metadata
                }
                out.append(TestCase(id: id, vars: vars, validators: vals, threshold: threshold, minPassRate: nil, file: path, line: row.line, column: 1,
                                    metadata: metadata))
            }
            return out
        }
        // A large file is read on every core, a piece each; the first error in file order wins.
        // Four pieces per core, taken as cores come free: pieces that take longer than others
        // (long lines, a core busy elsewhere) do not leave the other cores waiting.
        let lanes = Self.lanes(data.count >= 1 << 20)
        let pieces = JSONLines.pieces(data, count: lanes == 1 ? 1 : 4 * lanes)
        var parts = Parallel.map(pieces.count) { k -> (cases: [TestCase], error: SuiteError?) in
            var mine: [TestCase] = []
            mine.reserveCapacity(pieces[k].range.count / 48)  // short lines: one case per ~60 bytes
            var lineError: SuiteError?
            JSONLines.forEachLine(data, in: pieces[k].range, firstLine: pieces[k].firstLine) { line, buf in
                lineError = loadLine(buf, line: line, path, dvars, dvals, dthreshold, dir, inputs: inputs, varsDir: varsDir, into: &mine)
                return lineError == nil
            }
            return (mine, lineError)
        }
        for k in parts.indices { if let e = parts[k].error { throw e } }
        // The pieces' cases are moved into one list, not copied (a copy retains every field).
        return [TestCase](unsafeUninitializedCapacity: parts.reduce(0) { $0 + $1.cases.count }) { out, count in
            for k in parts.indices {
                parts[k].cases.withUnsafeMutableBufferPointer { piece in
                    guard let from = piece.baseAddress, piece.count > 0 else { return }
                    (out.baseAddress! + count).moveInitialize(from: from, count: piece.count)
                    from.initialize(repeating: TestCase.vacated, count: piece.count)
                    count += piece.count
                }
            }
        }
    }

    /// One JSONL line as a case, appended to `cases` (built in place: a case handed back is
    /// copied); the error, naming the line and column, when it is not one.
    func loadLine(_ buf: UnsafeBufferPointer<UInt8>, line: Int, _ path: String, _ dvars: JSONObject, _ dvals: [ConfiguredValidator],
                  _ dthreshold: Double?, _ dir: String, inputs: InputLog, varsDir: String, into cases: inout [TestCase]) -> SuiteError? {
        var src = SuiteSource(file: path, locator: nil, env: environment)
        src.inputs = inputs
        let v: JSONValue
        // Parsed without recording where values start (that costs on every line): an error keeps
        // its pointer, and a line that turns out not to be a valid case is parsed again with them,
        // to name the column (`column(of:in:)`).
        do { v = try JSONParser.parse(bytes: buf, options: .jsonc) } catch {
            return SuiteError(file: path, line: line, column: error.column, error.message)
        }
        do {
            cases.append(try loadCase(v, "", src, dvars, dvals, dthreshold, dir, position: (line, 1), varsDir: varsDir))
        } catch {
            return SuiteError(file: path, line: line, column: error.file == path ? column(of: error.pointer, in: buf) : 1, error.message)
        }
        // Every option the line sets is located at the line.
        let last = cases.count - 1
        if !cases[last].options.options.setFields.isEmpty {
            cases[last].options.locations = [:]
            for f in cases[last].options.options.setFields { cases[last].options.locations[f] = SourceLocation(file: path, line: line, column: 1) }
        }
        return nil
    }

    /// The column, in its line, of the value at `pointer`: only a line that failed is parsed again,
    /// this time remembering where its values start (column 1 when the error has no place).
    func column(of pointer: String?, in buf: UnsafeBufferPointer<UInt8>) -> Int {
        guard let pointer, let (_, locator) = try? JSONParser.parseLocated(Array(buf), options: .jsonc) else { return 1 }
        return locator.position(of: pointer).column
    }
}

extension SuiteError {
    func with(_ message: String) -> SuiteError { SuiteError(file: file, line: line, column: column, pointer: pointer, message) }
}
