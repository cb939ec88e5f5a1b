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

    public init(type: String, pass: Bool, score: Double, weight: Double, message: String) {
        self.type = type
        self.pass = pass
        self.score = score
        self.weight = weight
        self.message = message
    }
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
    /// 0 for the first sample; `--repeat N` runs samples 0..<N.
    public var repeatIndex: Int = 0
    /// The pass rate this case must reach across repeats (case or suite `minPassRate`, default 1).
    public var minPassRate: Double = 1
    /// Column of the case's definition (orders cases defined on one line).
    public var caseColumn: Int = 0

    public init(suite: String, suiteFile: String, caseId: String, caseFile: String, caseLine: Int, promptId: String, promptSha256: String,
                backendId: String, status: CaseStatus, score: Double, threshold: Double?, output: String, finishReason: FinishReason?,
                truncated: Bool, usage: TokenUsage?, latencyMs: Double, error: String?, stderr: String?, validators: [ValidatorVerdict],
                repairs: [String], messages: [ChatMessage]) {
        self.suite = suite; self.suiteFile = suiteFile; self.caseId = caseId; self.caseFile = caseFile; self.caseLine = caseLine
        self.promptId = promptId; self.promptSha256 = promptSha256; self.backendId = backendId; self.status = status; self.score = score
        self.threshold = threshold; self.output = output; self.finishReason = finishReason; self.truncated = truncated; self.usage = usage
        self.latencyMs = latencyMs; self.error = error; self.stderr = stderr; self.validators = validators; self.repairs = repairs
        self.messages = messages
    }

    /// Passed or repaired.
    public var isPass: Bool { status == .passed || status == .repaired }

    /// One line per failed validator, for reports.
    public var failureMessages: [String] {
        validators.filter { !$0.pass }.map { "\($0.type): \($0.message)" }
    }
}

/// Totals of a run, counted per case × prompt × backend (repeats of one case count once).
public struct RunSummary: Sendable {
    public var total = 0
    public var passed = 0
    public var failed = 0
    public var errors = 0
    public var repaired = 0
    public var skipped = 0
    /// Cases whose repeats disagreed (some samples passed, some failed).
    public var flaky = 0
    /// Flaky cases whose pass rate is below their `minPassRate` (they fail the run).
    public var flakyFailing = 0
    /// Individual samples (equals `total` without `--repeat`).
    public var samples = 0

    public init(_ results: [CaseResult]) {
        self.init(groups: CaseGroup.group(results))
    }

    public init(groups: [CaseGroup]) {
        total = groups.count
        for g in groups {
            samples += g.samples.count
            switch g.status {
            case .passed: passed += 1
            case .failed: failed += 1
            case .error: errors += 1
            case .repaired: repaired += 1
            case .skipped: skipped += 1
            case .flaky:
                flaky += 1
                if g.passRate + 1e-12 < g.minPassRate { flakyFailing += 1 } else { passed += 1 }
            }
        }
    }

    /// Passing cases / cases that ran.
    public var passRate: Double {
        let ran = total - skipped
        return ran == 0 ? 0 : Double(passed + repaired) / Double(ran)
    }

    public var allPassed: Bool { failed == 0 && errors == 0 && flakyFailing == 0 }
}

/// The samples of one case × prompt × backend, with their pass rate and status.
public struct CaseGroup: Sendable {
    public enum Status: String, Sendable { case passed, failed, error, repaired, skipped, flaky }

    public let samples: [CaseResult]
    public var first: CaseResult { samples[0] }
    public var passes: Int { samples.filter(\.isPass).count }
    public var ran: Int { samples.filter { $0.status != .skipped }.count }
    public var passRate: Double { ran == 0 ? 0 : Double(passes) / Double(ran) }
    public var minPassRate: Double { first.minPassRate }
    /// 95 % Wilson score interval of the pass rate.
    public var wilson: (low: Double, high: Double) { Statistics.wilson(successes: passes, trials: ran) }

    public var status: Status {
        if ran == 0 { return .skipped }
        if passes == ran { return samples.contains { $0.status == .repaired } ? .repaired : .passed }
        if passes == 0 { return samples.allSatisfy { $0.status == .error || $0.status == .skipped } ? .error : .failed }
        return .flaky
    }

    /// Groups samples by suite, case, prompt and backend, in order of first appearance.
    public static func group(_ results: [CaseResult]) -> [CaseGroup] {
        var order: [String] = []
        var map: [String: [CaseResult]] = [:]
        for r in results {
            let k = "\(r.suite)\u{0}\(r.caseId)\u{0}\(r.promptId)\u{0}\(r.backendId)"
            if map[k] == nil { order.append(k) }
            map[k, default: []].append(r)
        }
        return order.map { CaseGroup(samples: map[$0]!) }
    }
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
    public var groups: [CaseGroup] { CaseGroup.group(results) }
    /// Set when the run was one shard of a split run.
    public var shard: (index: Int, count: Int)?

    public init(startedAt: Date, durationMs: Double, suites: [SuiteInfo], results: [CaseResult]) {
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.suites = suites
        self.results = results
    }
}
