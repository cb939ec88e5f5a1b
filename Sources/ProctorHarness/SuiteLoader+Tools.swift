import Foundation
import ProctorBackends
import ProctorJSON
import ProctorSchema
import ProctorSupport
import ProctorConversation

extension SuiteLoader {
    /// Keys of a tool entry (`type` and `function` for OpenAI's own form, which a suite may paste).
    static let toolKeys = ["name", "description", "parameters", "mock", "type", "function"]
    /// Keys of a command mock.
    static let commandMockKeys = ["command", "timeoutSeconds"]

    /// The `tools`, `toolChoice` and `maxToolRounds` of a suite (`over` nil) or a prompt (`over`
    /// the suite's set, which each key it writes replaces); nil for a prompt that writes none.
    func loadToolSet(_ o: JSONObject, _ ptr: String, _ dir: String, _ src: SuiteSource, over inherited: ToolSet?) throws(SuiteError) -> ToolSet? {
        guard o["tools"] != nil || o["toolChoice"] != nil || o["maxToolRounds"] != nil else { return inherited == nil ? ToolSet() : nil }
        var set = inherited ?? ToolSet()
        if let tv = o["tools"] {
            guard case .array(let list) = tv else { throw src.error(ptr + "/tools", "\"tools\" must be an array of {\"name\", \"description\", \"parameters\"}") }
            set.tools = []
            // A prompt that takes the suite's tools away takes its tool choice with them.
            if list.isEmpty && o["toolChoice"] == nil { set.choice = nil }
            for (i, t) in list.enumerated() {
                let tool = try loadTool(t, ptr + "/tools/\(i)", dir, src)
                if set.tool(tool.definition.name) != nil { throw src.error(ptr + "/tools/\(i)/name", "duplicate tool name '\(tool.definition.name)'") }
                set.tools.append(tool)
            }
        }
        if let cv = o["toolChoice"] {
            guard let text = cv.stringValue else {
                throw src.error(ptr + "/toolChoice", "\"toolChoice\" must be \"auto\", \"required\", \"none\" or the name of a tool, found \(cv)")
            }
            let choice = ToolChoice(text)
            if case .tool(let name) = choice, set.tool(name) == nil {
                throw src.error(ptr + "/toolChoice", "\"toolChoice\" names no declared tool: '\(name)' (use \"auto\", \"required\", \"none\" or one of: "
                                + set.tools.map(\.definition.name).joined(separator: ", ") + ")")
            }
            set.choice = choice
        }
        if let mv = o["maxToolRounds"] {
            guard let n = mv.intValue, n >= 1 else { throw src.error(ptr + "/maxToolRounds", "\"maxToolRounds\" must be a positive integer, found \(mv)") }
            set.maxRounds = n
        }
        if set.runsLoop, let i = set.tools.firstIndex(where: { $0.mock == nil }) {
            let at = o["tools"] != nil ? ptr + "/tools/\(i)" : ptr
            throw src.error(at, "tool '\(set.tools[i].definition.name)' has no \"mock\" while others have one: a case with mocks runs the tool loop, "
                            + "which must answer every call (give each tool a mock, or none to check only the first response)")
        }
        if set.tools.isEmpty, set.choice != nil {
            throw src.error(ptr + "/toolChoice", "\"toolChoice\" needs \"tools\" declared")
        }
        return set
    }

    /// One tool: `{name, description, parameters, mock}`, or OpenAI's `{type: "function", function: {…}}` with `mock` beside it.
    func loadTool(_ v: JSONValue, _ ptr: String, _ dir: String, _ src: SuiteSource) throws(SuiteError) -> SuiteTool {
        guard case .object(let outer) = v else { throw src.error(ptr, "a tool must be an object with \"name\", \"description\" and \"parameters\"") }
        try checkKeys(outer, Self.toolKeys, at: ptr, what: "tool", src)
        var o = outer
        var at = ptr
        if let f = outer["function"] {
            guard case .object(let fo) = f else { throw src.error(ptr + "/function", "\"function\" must be an object with \"name\", \"description\" and \"parameters\"") }
            if let t = outer["type"], t != "function" { throw src.error(ptr + "/type", "a tool's \"type\" must be \"function\", found \(t)") }
            for k in ["name", "description", "parameters"] where outer[k] != nil {
                throw src.error(ptr + "/" + k, "\"\(k)\" is given both here and in \"function\"; keep one")
            }
            try checkKeys(fo, ["name", "description", "parameters", "strict"], at: ptr + "/function", what: "function", src)
            o = fo
            at = ptr + "/function"
        } else if let t = outer["type"] {
            throw src.error(ptr + "/type", "a tool's \"type\" goes with \"function\" (OpenAI's form); found \(t) without it")
        }
        guard let name = o["name"]?.stringValue else { throw src.error(at + (o["name"] == nil ? "" : "/name"), "a tool needs \"name\", a string") }
        guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy({ $0 == 95 || $0 == 45 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }) else {
            throw src.error(at + "/name", "tool name '\(name)' must be 1 to 64 letters, digits, '_' or '-' (what the APIs accept)")
        }
        var description = ""
        if let d = o["description"] {
            guard let s = d.stringValue else { throw src.error(at + "/description", "a tool's \"description\" must be a string") }
            description = s
        }
        var parameters: JSONValue = ["type": "object", "properties": [:]]
        var schema = try! CompiledSchema.compile(parameters)
        if let p = o["parameters"] {
            guard case .object(let po) = p else { throw src.error(at + "/parameters", "\"parameters\" must be a JSON Schema object") }
            if let t = po["type"], t != "object" {
                throw src.error(at + "/parameters/type", "a tool's \"parameters\" must describe an object (\"type\": \"object\"), found \(t)")
            }
            do { schema = try CompiledSchema.compile(p) } catch { throw src.error(at + "/parameters", "\"parameters\" is not a valid JSON Schema: \(error)") }
            parameters = p
        }
        var mock: ToolMock?
        if let m = outer["mock"] { mock = try loadMock(m, ptr + "/mock", dir, src) }
        return SuiteTool(definition: ToolDefinition(name: name, description: description, parameters: parameters), mock: mock, schema: schema)
    }

    /// A mock: `{command: [argv…], timeoutSeconds}` runs a program; anything else is a value whose strings are templates.
    func loadMock(_ v: JSONValue, _ ptr: String, _ dir: String, _ src: SuiteSource) throws(SuiteError) -> ToolMock {
        if case .object(let o) = v, case .array(let argv)? = o["command"] {
            try checkKeys(o, Self.commandMockKeys, at: ptr, what: "command mock", src)
            let strings = argv.compactMap(\.stringValue)
            guard !strings.isEmpty, strings.count == argv.count else {
                throw src.error(ptr + "/command", "\"command\" must be a non-empty argv array of strings (no shell)")
            }
            if ProcessRunner.resolveExecutable(strings[0], cwd: dir, environment: src.env) == nil {
                throw src.error(ptr + "/command/0", "program '\(strings[0])' not found" + (strings[0].contains("/") ? " (relative to \(dir))" : " on PATH"))
            }
            var timeout = 30.0
            if let t = o["timeoutSeconds"] {
                guard let d = t.doubleValue, d > 0, d.isFinite else { throw src.error(ptr + "/timeoutSeconds", "\"timeoutSeconds\" must be a positive number, found \(t)") }
                timeout = d
            }
            return .command(argv: strings, timeoutSeconds: timeout)
        }
        return .value(try mockValue(v, ptr, dir, src))
    }

    /// A mock value with every string parsed as a template.
    func mockValue(_ v: JSONValue, _ ptr: String, _ dir: String, _ src: SuiteSource) throws(SuiteError) -> ToolMock.MockValue {
        switch v {
        case .string(let s): return .template(try template(s, ptr, dir, src))
        case .array(let xs):
            var out: [ToolMock.MockValue] = []
            for (i, x) in xs.enumerated() { out.append(try mockValue(x, ptr + "/\(i)", dir, src)) }
            return .array(out)
        case .object(let o):
            var out: [(String, ToolMock.MockValue)] = []
            for (k, x) in o { out.append((k, try mockValue(x, ptr + "/" + JSONPointer.escape(k), dir, src))) }
            return .object(out)
        default: return .literal(v)
        }
    }

    /// A suite with tools loads only when each backend under test can send them, and when no
    /// layer also passes `tools` or `tool_choice` through `extra` (the two would disagree).
    func checkTools(_ suite: Suite, _ src: SuiteSource) throws(SuiteError) {
        let sets = [suite.tools] + suite.prompts.compactMap(\.tools)
        guard sets.contains(where: { !$0.tools.isEmpty }) else { return }
        // A tool check names a tool some prompt offers.
        let declared = Set(sets.flatMap { $0.tools.map(\.definition.name) })
        for c in suite.cases {
            for v in c.validators + c.turns.flatMap(\.validators) {
                guard let named = v.inner as? any ToolValidators.NamesTools, let bad = named.toolNames.first(where: { !declared.contains($0) }) else { continue }
                throw SuiteError(file: c.file, line: c.line, column: c.column, "case '\(c.id)': validator '\(v.type)' names tool '\(bad)', which no prompt declares"
                                 + Suggestions.hint(for: bad, among: declared.sorted()))
            }
        }
        for b in suite.backends {
            let target = suite.effectiveSpec(b)
            guard let kind = backends.kinds[target.type] else { continue }
            if let why = kind.toolRefusal(target.config) {
                throw suite.backendError(b, "", "backend '\(b.id)' (\(target.type)) cannot send the suite's tools: \(why)"
                                         + " (tools work on openai, anthropic and builtin backends, and replays of them)")
            }
            if let extra = target.options.extra, let k = ["tools", "tool_choice"].first(where: { extra[$0] != nil }) {
                throw suite.backendError(target, "/extra", "\"\(k)\" is sent from the suite's \"tools\" and \"toolChoice\"; remove it from \"extra\"")
            }
        }
        if let extra = suite.options.generation.options.extra, let k = ["tools", "tool_choice"].first(where: { extra[$0] != nil }) {
            throw src.error("/options/extra", "\"\(k)\" is sent from the suite's \"tools\" and \"toolChoice\"; remove it from \"extra\"")
        }
        // A mock's templates may read the call's `args` and the case's variables: every case defines those.
        for p in suite.prompts {
            let set = suite.toolSet(for: p)
            for t in set.tools {
                guard case .value(let v)? = t.mock else { continue }
                for c in suite.cases {
                    if let missing = v.missingCaseVariables(in: c.vars).first {
                        throw SuiteError(file: c.file, line: c.line, column: c.column,
                                         "case '\(c.id)' does not define variable '\(missing)' used by the mock of tool '\(t.definition.name)'")
                    }
                }
            }
        }
    }
}

extension SuiteLoader {
    /// A case's `turns`: `[{user, validators?}]`, each user message a template over the case's
    /// variables (every one defined), each turn's checks built with them.
    func loadTurns(_ v: JSONValue, _ ptr: String, _ src: SuiteSource, _ vars: JSONObject, _ caseId: String, _ dir: String) throws(SuiteError) -> [CaseTurn] {
        guard case .array(let list) = v, !list.isEmpty else { throw src.error(ptr, "\"turns\" must be a non-empty array of {\"user\", \"validators\"?}") }
        var out: [CaseTurn] = []
        for (i, t) in list.enumerated() {
            let at = ptr + "/\(i)"
            guard case .object(let o) = t else { throw src.error(at, "a turn must be an object with \"user\" (and \"validators\")") }
            try checkKeys(o, ["user", "validators"], at: at, what: "turn", src)
            guard let text = o["user"]?.stringValue else { throw src.error(o["user"] == nil ? at : at + "/user", "a turn needs \"user\": the user's message, a template") }
            let user = try template(text, at + "/user", dir, src)
            if let missing = user.missingVariables(in: vars).first {
                throw src.error(at + "/user", "case '\(caseId)' does not define variable '\(missing)' used by turn \(i + 1)")
            }
            let checks = try loadValidators(o["validators"], at + "/validators", dir, src).instantiated(vars, caseId: caseId)
            out.append(CaseTurn(user: user, validators: checks))
        }
        return out
    }

    /// A prompt of a system message alone has no user message to send: each of its cases needs `turns`.
    func checkTurns(_ prompts: [PromptVersion], _ cases: [TestCase]) throws(SuiteError) {
        guard let p = prompts.first(where: { $0.messages.allSatisfy { $0.role == "system" } }),
              let c = cases.first(where: { $0.turns.isEmpty }) else { return }
        throw SuiteError(file: c.file, line: c.line, column: c.column,
                         "case '\(c.id)' has no \"turns\", and prompt '\(p.id)' holds only a system message: give the case turns, or the prompt a \"template\"")
    }
}

extension SuiteLoader {
    /// `gate` of a case or of the suite's options: `{"passAtK": K}` or `{"passHatK": K}`, K a
    /// positive integer; not beside `minPassRate` in the same object (they are two spellings of one rule).
    func gate(_ o: JSONObject, _ ptr: String, _ src: SuiteSource) throws(SuiteError) -> PassGate? {
        guard let g = o["gate"] else { return nil }
        let at = ptr + "/gate"
        guard case .object(let go) = g, go.count == 1, let key = go.keys.first, let value = go[key],
              let kind = PassGate.Kind(rawValue: key) else {
            throw src.error(at, "\"gate\" is {\"passAtK\": K} (every K samples include a pass) or {\"passHatK\": K} (every K samples all pass), found \(g)")
        }
        guard let k = value.intValue, k >= 1 else { throw src.error(at + "/" + key, "\"\(key)\" must be a positive whole number of samples, found \(value)") }
        if o["minPassRate"] != nil {
            throw src.error(at, "give \"gate\" or \"minPassRate\", not both: they are two spellings of the rule across samples")
        }
        return PassGate(kind: kind, k: k)
    }
}
