import ProctorBackends
import ProctorJSON

/// One prompt version of a suite: a user template with an optional system template, or a list of
/// role/content templates.
public struct PromptVersion: Sendable {
    public let id: String
    public let messages: [(role: String, template: Template)]
    /// SHA-256 of the prompt's templates, so reports show when a prompt changed.
    public let sha256: String

    /// Renders every message with `vars`.
    public func render(_ vars: JSONObject) -> [ChatMessage] {
        messages.map { ChatMessage(role: $0.role, content: $0.template.render(vars)) }
    }
}

/// One test case: variables, validators, and an optional weighted-score threshold.
public struct TestCase: Sendable {
    public let id: String
    public let vars: JSONObject
    public let validators: [ConfiguredValidator]
    public let threshold: Double?
    /// Pass rate required across `--repeat` samples (nil: the suite's).
    public var minPassRate: Double?
    /// Where the case is defined (the suite file or a casesFrom file), for annotations.
    public let file: String
    public let line: Int
    public let column: Int

    /// How the case parses output as JSON: the strongest mode any of its `json` validators asks for.
    public var jsonMode: JSONMode { validators.compactMap(\.jsonMode).max() ?? .strict }
}

/// Suite-wide options.
public struct SuiteOptions: Sendable {
    /// A pass that needed JSON repair counts as a failure.
    public var strictRepair = false
    /// Generation options sent with every request (e.g. `maxTokens`).
    public var generation = JSONObject()
    /// Pass rate a case must reach across repeats (default 1: every sample passes).
    public var minPassRate = 1.0
}

/// A loaded suite, ready to run: every template parsed, every validator and backend built.
public struct Suite: Sendable {
    public let name: String
    public let description: String?
    /// Path of the suite file as given.
    public let file: String
    public let directory: String
    public let backends: [any Backend]
    /// Each backend's `type` as configured, for reports.
    public let backendTypes: [String: String]
    public let prompts: [PromptVersion]
    public let cases: [TestCase]
    public let options: SuiteOptions
}
