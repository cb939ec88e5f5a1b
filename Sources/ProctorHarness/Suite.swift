import ProctorBackends
import ProctorJSON
import ProctorConversation

/// One prompt version of a suite: a user template with an optional system template, or a list of
/// role/content templates.
public struct PromptVersion: Sendable {
    /// The prompt version's id, unique within its suite.
    public let id: String
    /// Each message's role (`system`, `user` or `assistant`) and parsed template, in order.
    public let messages: [(role: String, template: Template)]
    /// SHA-256 of the prompt's templates, so reports show when a prompt changed.
    public let sha256: String
    /// The prompt's own tools (its `tools`, `toolChoice` or `maxToolRounds` over the suite's); nil: the suite's.
    public var tools: ToolSet?

    /// A prompt version from role/text pairs (what `proctor optimize` writes), parsed like a
    /// suite's own; includes are read relative to `directory`.
    public init(id: String, messages: [(role: String, text: String)], directory: String) throws(Template.ParseError) {
        self.id = id
        var parsed: [(role: String, template: Template)] = []
        for m in messages { parsed.append((m.role, try Template(m.text, directory: directory))) }
        self.messages = parsed
        sha256 = SHA256.hex(JSONSerializer.string(.array(messages.map { [.string($0.role), .string($0.text)] })))
    }

    init(id: String, messages: [(role: String, template: Template)], sha256: String) {
        self.id = id
        self.messages = messages
        self.sha256 = sha256
    }

    /// The role of a `{"fromVariable": NAME}` entry, followed by NAME.
    static let fromVariablePrefix = "$from:"

    /// Renders every message with `vars`; a `fromVariable` entry becomes the messages its variable
    /// holds (a list of `{role, content}`), or one user message with its text.
    public func render(_ vars: JSONObject) -> [ChatMessage] {
        var out: [ChatMessage] = []
        for m in messages {
            guard m.role.hasPrefix(Self.fromVariablePrefix) else { out.append(ChatMessage(role: m.role, content: m.template.render(vars))); continue }
            if case .array(let xs)? = vars[String(m.role.dropFirst(Self.fromVariablePrefix.count))],
               xs.allSatisfy({ $0["role"]?.stringValue != nil && $0["content"]?.stringValue != nil }) {
                out += xs.map { ChatMessage(role: $0["role"]!.stringValue!, content: $0["content"]!.stringValue!) }
            } else {
                out.append(ChatMessage(role: "user", content: m.template.render(vars)))
            }
        }
        return out
    }
}

/// Where something was written: a file, and a line and column in it.
public struct SourceLocation: Sendable, CustomStringConvertible {
    /// Path of the file, as the suite names it.
    public let file: String
    /// 1-based line in `file`.
    public let line: Int
    /// 1-based column in `line`.
    public let column: Int
    /// The place at `line` and `column` of `file`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    /// `file:line:column`, the form editors and CI annotations understand.
    public var description: String { "\(file):\(line):\(column)" }
    func error(_ message: String) -> SuiteError { SuiteError(file: file, line: line, column: column, message) }
}

/// One layer of generation options (suite or case) with where each field was written, so a
/// backend's refusal points at the value that asked for it.
public struct LocatedOptions: Sendable {
    /// The generation options this layer sets.
    public var options = GenerationOptions()
    /// Where each field set in `options` was written.
    public var locations: [GenerationOptions.Field: SourceLocation] = [:]
    /// An empty layer: nothing set, so the layers below decide.
    public init() {}
}

/// One test case: variables, validators, and an optional weighted-score threshold.
public struct TestCase: Sendable {
    /// The case's id, unique within its suite.
    public let id: String
    /// The variables the templates render with: `defaults.vars` overlaid with the case's own.
    public let vars: JSONObject
    /// The case's checks, `defaults.validators` first and then its own, built with its variables.
    public let validators: [ConfiguredValidator]
    /// The weighted score the case must reach (its own, else `defaults.threshold`); nil when every validator must pass.
    public let threshold: Double?
    /// Generation options for this case only (the last layer of the merge).
    public var options = LocatedOptions()
    /// `allowEmpty`: the case may have no validators (nil: the suite's default, false).
    public var allowEmpty: Bool?
    /// Applied to the output before the validators (the case's own, else `defaults.transform`).
    public var transform: Transform?
    /// Pass rate required across `--repeat` samples (nil: the suite's).
    public var minPassRate: Double?
    /// `__metadata:NAME` columns of a case file: carried to each result as it is.
    public var metadata = JSONObject()
    /// Where the case is defined (the suite file or a casesFrom file), for annotations: as reports
    /// show paths (clean, relative to the repository root or the working directory).
    public internal(set) var file: String
    /// 1-based line of the case's definition in `file`.
    public let line: Int
    /// 1-based column of the case's definition (1 for a CSV or JSONL row).
    public let column: Int

    /// How the case parses output as JSON: the strongest mode any of its `json` validators asks
    /// for (decided once, when the case is made).
    public let jsonMode: JSONMode
    /// Every validator of the case is immediate (none waits on a grader or a command), so the
    /// case can be checked without suspending (`CaseEvaluator.evaluateNow`).
    public let checksNow: Bool
    /// `turns`: a scripted conversation, each user message answered and checked in order (empty: one request).
    public var turns: [CaseTurn] = []
    /// `gate`: the case's verdict across samples as pass@k or pass^k (nil: `minPassRate`).
    public var gate: PassGate?
}

/// A case's verdict across samples spelled as pass@k or pass^k: `{"passAtK": K}` passes when every
/// K of its samples include a pass (pass@K = 1: fewer than K fail; with K samples, any passes),
/// `{"passHatK": K}` when every K of them all pass (pass^K = 1: every sample passes). The case runs
/// at least K samples.
public struct PassGate: Sendable, Equatable {
    /// pass@k or pass^k.
    public enum Kind: String, Sendable {
        /// Some of any k samples passes.
        case passAtK
        /// All of any k samples pass.
        case passHatK
    }
    /// Which estimator must reach 1.
    public let kind: Kind
    /// The k.
    public let k: Int
    /// The `minPassRate` that is the same rule for `n` samples: 1 for pass^k, (n − k + 1) / n for pass@k.
    public func minPassRate(samples n: Int) -> Double {
        kind == .passHatK ? 1 : Double(max(1, n - k + 1)) / Double(max(n, 1))
    }
    /// The gate as the suite spells it: `passAtK 3`.
    public var description: String { "\(kind.rawValue) \(k)" }
}

/// One user turn of a scripted conversation: its message (a template over the case's
/// variables) and the checks on the reply to it.
public struct CaseTurn: Sendable {
    /// The user's message.
    public let user: Template
    /// Checks on this turn's reply, built with the case's variables.
    public let validators: [ConfiguredValidator]
    /// How the reply is parsed as JSON for these checks (the strongest mode a `json` check asks for).
    public let jsonMode: JSONMode
    /// A turn saying `user`, checked by `validators`.
    public init(user: Template, validators: [ConfiguredValidator]) {
        self.user = user
        self.validators = validators
        jsonMode = validators.compactMap(\.jsonMode).max() ?? .strict
    }
}

extension TestCase {
    /// What a slot holds once its case has been moved out: empty fields, which cost nothing to
    /// copy or destroy.
    static let vacated = TestCase(id: "", vars: JSONObject(), validators: [], threshold: nil, minPassRate: nil, file: "", line: 0, column: 0)

    /// A case with every field given, its JSON mode and `checksNow` worked out from its
    /// validators. (Out here, so the struct keeps its member-wise initializer: an initializer
    /// that sets fields one by one, or a case changed after it is made, is copied on its way
    /// out, a retain and a release of every field.)
    init(id: String, vars: JSONObject, validators: [ConfiguredValidator], threshold: Double?, minPassRate: Double?,
         file: String, line: Int, column: Int, options: LocatedOptions = LocatedOptions(), allowEmpty: Bool? = nil,
         transform: Transform? = nil, metadata: JSONObject = JSONObject(), turns: [CaseTurn] = [], gate: PassGate? = nil) {
        var mode = JSONMode.strict
        for i in validators.indices { if let m = validators[i].jsonMode, m > mode { mode = m } }  // by field: no copies
        self.init(id: id, vars: vars, validators: validators, threshold: threshold, options: options, allowEmpty: allowEmpty,
                  transform: transform, minPassRate: minPassRate, metadata: metadata, file: file, line: line, column: column, jsonMode: mode,
                  checksNow: turns.isEmpty && validators.withUnsafeBufferPointer { vs in vs.indices.allSatisfy { vs[$0].isImmediate } },
                  turns: turns, gate: gate)
    }
}

/// Suite-wide options.
public struct SuiteOptions: Sendable {
    /// A pass that needed JSON repair counts as a failure.
    public var strictRepair = false
    /// Generation options for every request of the suite (over each backend's own).
    public var generation = LocatedOptions()
    /// Pass rate a case must reach across repeats (default 1: every sample passes).
    public var minPassRate = 1.0
    /// `gate`: every case's verdict as pass@k or pass^k (a case's own `gate` or `minPassRate` wins).
    public var gate: PassGate?
}

/// A loaded suite: pure data. Every template is parsed and every validator and option checked,
/// but nothing live exists yet: backends are specs, built by a `RunSession`.
public struct Suite: Sendable {
    /// The suite's name: its `suite` key, else the file name without its extension.
    public let name: String
    /// The suite's `description`, when it has one.
    public let description: String?
    /// Path of the suite file as given.
    public let file: String
    /// Absolute path of the suite file's folder, where the suite's relative paths resolve.
    public let directory: String
    /// The backends under test, in suite order (graders are in `graders`).
    public let backends: [BackendSpec]
    /// The prompt versions, in suite order.
    public let prompts: [PromptVersion]
    /// Every case: those in `cases`, then each `casesFrom` file's, in order.
    public let cases: [TestCase]
    /// The suite's `options`: the repair rule, the pass rate across repeats, and generation options.
    public let options: SuiteOptions
    /// Points errors found later (by the session) at the suite file.
    let source: SuiteSource
    /// The environment the suite was loaded with: what its backends and command validators may read
    /// (API keys, a command's variables).
    public var environment: [String: String] { source.env }
    /// Every file the suite was built from: the suite file, its cases files, prompt files, template
    /// includes and schema files (absolute paths), so writers can refuse to overwrite one.
    public var inputFiles: [String] {
        var all = source.inputs.all
        for p in prompts { for m in p.messages { for f in m.template.includedFiles where !all.contains(f) { all.append(f) } } }
        return all
    }
    /// Backends that only grade (`graders`): built and recorded like backends, never run as one.
    public var graders: [BackendSpec] = []
    /// `defaults.grader`: the grader of model-graded checks that name none.
    public var defaultGrader: String?
    /// The suite's `tools`, `toolChoice` and `maxToolRounds` (empty when it declares none).
    public var tools = ToolSet()
    /// The gate a case's verdict follows: its own, else the suite's unless the case sets `minPassRate`.
    public func gate(of c: borrowing TestCase) -> PassGate? { c.gate ?? (c.minPassRate == nil ? options.gate : nil) }
    /// The tools a prompt version's requests carry: its own, else the suite's.
    public func toolSet(for prompt: PromptVersion) -> ToolSet { prompt.tools ?? tools }
    /// Every backend or grader id a graded check may ask: `defaults.grader` and each validator's `grader`.
    public var graderReferences: Set<String> {
        var ids = Set(cases.flatMap { $0.validators.flatMap(\.graderIds) })
        if let defaultGrader { ids.insert(defaultGrader) }
        return ids
    }

    init(name: String, description: String?, file: String, directory: String, backends: [BackendSpec], prompts: [PromptVersion],
         cases: [TestCase], options: SuiteOptions, source: SuiteSource) {
        self.name = name
        self.description = description
        self.file = file
        self.directory = directory
        self.backends = backends
        self.prompts = prompts
        self.cases = cases
        self.options = options
        self.source = source
    }

    /// The same suite with other prompt versions and cases (backends, options and graders kept),
    /// for callers that run variations of it in one session: `proctor optimize`.
    public func with(prompts: [PromptVersion], cases: [TestCase]) -> Suite {
        var s = Suite(name: name, description: description, file: file, directory: directory, backends: backends, prompts: prompts,
                      cases: cases, options: options, source: source)
        s.graders = graders
        s.defaultGrader = defaultGrader
        s.tools = tools
        return s
    }

    /// Every case's merged options on backend `spec` through `check` (what the backend's kind, or
    /// the live backend, can honour): the first refusal is an error at the value that set the field.
    /// Cases without options of their own all get the base options, checked once.
    func checkCaseOptions(on spec: BackendSpec, naming prefix: String = "",
                          _ check: (GenerationOptions) -> GenerationOptions.ParseError?) throws(SuiteError) {
        let base = baseOptions(on: spec)
        let baseProblem = check(base)
        for i in cases.indices where baseProblem != nil || !cases[i].options.options.isEmpty {
            if let p = check(options(for: cases[i], over: base)) {
                let c = cases[i]
                throw location(of: p.field, for: c, on: spec).error(p.message + " (\(prefix)case '\(c.id)')")
            }
        }
    }

    /// The spec whose recordings, identity and backend-level options a backend answers with: its
    /// `source` for `type: replay`, itself otherwise.
    public func effectiveSpec(_ spec: BackendSpec) -> BackendSpec {
        guard let src = spec.source, let s = (backends + graders).first(where: { $0.id == src }) else { return spec }
        return s
    }

    /// The merged options of one request: backend config < suite `options` < case `options`.
    public func options(for testCase: TestCase, on spec: BackendSpec) -> GenerationOptions {
        options(for: testCase, over: baseOptions(on: spec))
    }

    /// The options every case of `spec` gets before its own: backend config < suite `options`.
    public func baseOptions(on spec: BackendSpec) -> GenerationOptions {
        effectiveSpec(spec).options.overridden(by: options.generation.options)
    }

    /// A case's options over `base` (from `baseOptions(on:)`, computed once per backend).
    public func options(for testCase: TestCase, over base: GenerationOptions) -> GenerationOptions {
        testCase.options.options.isEmpty ? base : base.overridden(by: testCase.options.options)
    }

    /// Where the field that `testCase` on `spec` got from the highest layer was written.
    func location(of field: GenerationOptions.Field, for testCase: TestCase, on spec: BackendSpec) -> SourceLocation {
        if let l = testCase.options.locations[field] ?? options.generation.locations[field] { return l }
        let target = effectiveSpec(spec)
        let i = backends.firstIndex { $0.id == target.id } ?? 0
        let ptr = "/backends/\(i)" + (target.options.setFields.contains(field) ? "/" + field.rawValue : "")
        return source.location(ptr)
    }

    /// An error at a backend's entry (`pointer` relative to it).
    func backendError(_ spec: BackendSpec, _ pointer: String, _ message: String) -> SuiteError {
        if let g = graders.firstIndex(where: { $0.id == spec.id }) { return source.error("/graders/\(g)" + pointer, message) }
        let i = backends.firstIndex { $0.id == spec.id } ?? 0
        return source.error("/backends/\(i)" + pointer, message)
    }
}
