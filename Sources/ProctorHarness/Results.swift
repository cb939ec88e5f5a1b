import Foundation
import ProctorBackends
import ProctorJSON

/// How one case × prompt × backend ended.
public enum CaseStatus: String, Sendable {
    case passed
    case failed
    /// The backend failed (timeout, crash, missing recording): not a validator failure.
    case error
    /// Passed only thanks to JSON repair.
    case repaired
    /// Not run (`--fail-fast` stopped the run first).
    case skipped
}

/// One validator's verdict on one output.
public struct ValidatorVerdict: Sendable {
    public let type: String
    public let pass: Bool
    public let score: Double
    public let weight: Double
    public let message: String
}

/// Everything known about one case × prompt × backend run.
public struct CaseResult: Sendable {
    public var suite: String
    public var suiteFile: String
    public var caseId: String
    public var caseFile: String
    public var caseLine: Int
    public var promptId: String
    public var promptSha256: String
    public var backendId: String
    public var status: CaseStatus
    public var score: Double
    public var threshold: Double?
    public var output: String
    public var finishReason: FinishReason?
    /// The backend stopped at its token limit (finish reason `length`, or output tokens reached maxTokens).
    public var truncated: Bool
    public var usage: TokenUsage?
    public var latencyMs: Double
    public var error: String?
    public var stderr: String?
    public var validators: [ValidatorVerdict]
    /// Repairs applied to the output before the JSON validators saw it (empty when none).
    public var repairs: [String]
    public var messages: [ChatMessage]

    /// Passed or repaired.
    public var isPass: Bool { status == .passed || status == .repaired }

    /// One line per failed validator, for reports.
    public var failureMessages: [String] {
        validators.filter { !$0.pass }.map { "\($0.type): \($0.message)" }
    }
}

/// Totals of a run.
public struct RunSummary: Sendable {
    public var total = 0
    public var passed = 0
    public var failed = 0
    public var errors = 0
    public var repaired = 0
    public var skipped = 0

    public init(_ results: [CaseResult]) {
        total = results.count
        for r in results {
            switch r.status {
            case .passed: passed += 1
            case .failed: failed += 1
            case .error: errors += 1
            case .repaired: repaired += 1
            case .skipped: skipped += 1
            }
        }
    }

    /// (passed + repaired) / (total − skipped).
    public var passRate: Double {
        let ran = total - skipped
        return ran == 0 ? 0 : Double(passed + repaired) / Double(ran)
    }

    public var allPassed: Bool { failed == 0 && errors == 0 }
}

/// What a suite looked like when it ran, for reports.
public struct SuiteInfo: Sendable {
    public let name: String
    public let file: String
    public let description: String?
    public let prompts: [(id: String, sha256: String)]
    public let backends: [(id: String, type: String, options: JSONObject)]

    public init(name: String, file: String, description: String?, prompts: [(id: String, sha256: String)],
                backends: [(id: String, type: String, options: JSONObject)]) {
        self.name = name
        self.file = file
        self.description = description
        self.prompts = prompts
        self.backends = backends
    }
}

/// A whole run: suites, every result in a deterministic order, totals.
public struct RunResult: Sendable {
    public let startedAt: Date
    public let durationMs: Double
    public let suites: [SuiteInfo]
    public let results: [CaseResult]
    public var summary: RunSummary { RunSummary(results) }

    public init(startedAt: Date, durationMs: Double, suites: [SuiteInfo], results: [CaseResult]) {
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.suites = suites
        self.results = results
    }
}
