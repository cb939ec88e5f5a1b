import ProctorJSON
import ProctorSupport

/// Builds a validator from its suite entry; throws `SuiteError` for bad configuration.
public typealias ValidatorFactory = @Sendable (ValidatorConfig) throws(SuiteError) -> any Validator

/// The `type` → factory table: one entry per validator, grouped by family in their own files.
public struct ValidatorRegistry: Sendable {
    /// Each validator `type` with the factory that builds it; add an entry to make a new type loadable.
    public var factories: [String: ValidatorFactory]

    /// A registry of exactly `factories` (merge with `standard.factories` to keep Proctor's own).
    public init(factories: [String: ValidatorFactory]) { self.factories = factories }

    /// Every validator Proctor ships.
    public static let standard = ValidatorRegistry(factories:
        TextValidators.factories
        .merging(JSONValidators.factories) { a, _ in a }
        .merging(RunValidators.factories) { a, _ in a }
        .merging(CombinatorValidators.factories) { a, _ in a }
        .merging(CommandValidator.factories) { a, _ in a }
        .merging(GradedValidators.factories) { a, _ in a }
        .merging(ToolValidators.factories) { a, _ in a }
        .merging(ReferenceValidators.factories) { a, _ in a }
        .merging(FormulaValidator.factories) { a, _ in a })

    /// Every known `type`, sorted, for error messages and suggestions.
    public var types: [String] { factories.keys.sorted() }

    /// Builds one validator entry; with `templates`, an entry that uses the case's variables
    /// becomes a placeholder each case builds for itself (see `ValidatorTemplate`).
    func build(_ value: JSONValue, pointer: String, suiteDirectory: String, source: SuiteSource, templates: Bool = true) throws(SuiteError) -> ConfiguredValidator {
        guard case .object(let raw) = value else { throw source.error(pointer, "a validator must be an object with a \"type\"") }
        let o = templates ? try EnvSubstitution.validator(raw, pointer, source.env, source) : raw
        guard let typeValue = o["type"] else { throw source.error(pointer, "validator needs a \"type\" (one of: \(types.joined(separator: ", ")))") }
        guard let type = typeValue.stringValue else { throw source.error(pointer + "/type", "validator \"type\" must be a string") }
        guard let factory = factories[type] else {
            throw source.error(pointer + "/type", "unknown validator '\(type)'" + Suggestions.hint(for: type, among: types))
        }
        if templates && ValidatorTemplate.usesVariables(o) {
            let t = ValidatorTemplate(object: o, pointer: pointer, suiteDirectory: suiteDirectory, source: source, registry: self)
            return ConfiguredValidator(type: type, path: nil, negate: false, weight: 0, jsonMode: nil, inner: Unbuilt(), graderIds: Self.graderIds(in: .object(o)),
                                       template: t)
        }
        let cfg = ValidatorConfig(object: o, pointer: pointer, suiteDirectory: suiteDirectory, source: source, registry: self)
        var path: JSONPointer?
        if let p = try cfg.string("path") {
            do { path = try JSONPointer(p) } catch { throw cfg.error("path", "\"path\" is not a JSON Pointer: \(error)") }
        }
        let weight = try cfg.number("weight") ?? 1
        guard weight >= 0 else { throw cfg.error("weight", "\"weight\" must not be negative") }
        let inner = try factory(cfg)
        if let declared = source.toolNames, let named = inner as? any ToolValidators.NamesTools,
           let bad = named.toolNames.first(where: { !declared.contains($0) }) {
            throw cfg.error(named.toolNamesKey, "validator '\(type)' names tool '\(bad)', which no prompt declares" + Suggestions.hint(for: bad, among: declared.sorted()))
        }
        var mode: JSONMode?
        if type == "json" {
            if try cfg.bool("repair") == true { mode = .repair } else if try cfg.bool("extract") == true { mode = .extract }
        }
        let transform = o["transform"] != nil ? try Transform.load(o["transform"], pointer + "/transform", source) : nil
        let negate = try cfg.bool("negate") ?? false
        // select-best is decided after the run, across the case's outputs: there is no verdict yet to negate.
        if negate && type == "select-best" { throw cfg.error("negate", "\"negate\" cannot apply to select-best, which picks the best output after the run") }
        var metric: String?
        if let m = o["metric"] {
            guard let name = m.stringValue, !name.isEmpty else { throw cfg.error("metric", "\"metric\" must be a non-empty name") }
            metric = name
        }
        return ConfiguredValidator(type: type, path: path, negate: negate, weight: weight,
                                   jsonMode: mode, inner: inner, transform: transform, graderIds: Self.graderIds(in: .object(o)), metric: metric)
    }

    /// What a templated entry holds until a case builds it: never asked to check.
    struct Unbuilt: Validator {
        func check(_ subject: Subject, _ ctx: CheckContext) async -> CheckResult { .unevaluable("validator was not built for this case") }
    }

    /// Every `"grader"` string in a validator's entry, nested checks included.
    static func graderIds(in v: JSONValue) -> [String] {
        switch v {
        case .object(let o): return o.entries.flatMap { e in e.key == "grader" || e.key == "embedding" ? (e.value.stringValue.map { [$0] } ?? []) : graderIds(in: e.value) }
        case .array(let xs): return xs.flatMap(graderIds(in:))
        default: return []
        }
    }
}
