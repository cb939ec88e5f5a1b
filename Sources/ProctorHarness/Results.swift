import Foundation
import ProctorBackends
import ProctorJSON
import ProctorConversation

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
    /// The validator's `type` as the suite names it ("contains", "json-schema"), or `strict-repair` for the
    /// repair rule's verdict.
    public let type: String
    /// Whether the check passed, after `negate`.
    public let pass: Bool
    /// 0…1; 1 for a pass and 0 for a fail unless the validator grades.
    public let score: Double
    /// The validator's `weight` in the case's weighted mean score (0 for `strict-repair`).
    public let weight: Double
    /// What the check found, in words, for reports.
    public let message: String
    /// False when the check could not be made (it fails the case whatever the threshold).
    public var evaluated = true
    /// A grader's raw answer, for model-graded checks.
    public var graderAnswer: String?
    /// Set on a `select-best` verdict until the run has every output of the case to compare.
    var pendingSelection: String?
    /// The validator's `metric`, when it names one.
    public var metric: String?

}

extension ValidatorVerdict {
    /// A verdict that was evaluated, with no grader answer. (Initializers live out here so the
    /// struct keeps its member-wise one: an initializer that sets fields one by one copies the
    /// verdict on its way out, a retain and a release of each string.)
    public init(type: String, pass: Bool, score: Double, weight: Double, message: String) {
        self.init(type: type, pass: pass, score: score, weight: weight, message: message, evaluated: true, graderAnswer: nil,
                  pendingSelection: nil)
    }

    /// The same verdict with another message.
    public func with(message: String) -> ValidatorVerdict {
        ValidatorVerdict(type: type, pass: pass, score: score, weight: weight, message: message, evaluated: evaluated,
                         graderAnswer: graderAnswer, pendingSelection: pendingSelection, metric: metric)
    }

    /// The verdict of one check.
    init(type: String, weight: Double, _ r: CheckResult, metric: String? = nil) {
        self.init(type: type, pass: r.pass, score: r.score, weight: weight, message: r.message, evaluated: r.evaluated,
                  graderAnswer: r.graderAnswer, pendingSelection: r.pendingSelection, metric: metric)
    }
}

/// Everything known about one case × prompt × backend run.
public struct CaseResult: Sendable {
    /// Name of the suite the case is in.
    public var suite: String
    /// Path of the suite file, as the run was given it.
    public var suiteFile: String
    /// The case's `id`, unique within its suite.
    public var caseId: String
    /// File that defines the case: the suite file or a `casesFrom` file (annotations point at it).
    public var caseFile: String
    /// Line of the case's definition in `caseFile` (1-based).
    public var caseLine: Int
    /// Id of the prompt version the request was rendered from.
    public var promptId: String
    /// Fingerprint of that prompt version's templates (`PromptVersion.sha256`), so merges and diffs can tell
    /// a changed prompt.
    public var promptSha256: String
    /// Id of the backend that answered.
    public var backendId: String
    /// How this sample ended; the case's verdict across repeats is `CaseGroup.status`.
    public var status: CaseStatus
    /// Weighted mean of the validators' scores (0…1), compared with `threshold` when there is one.
    public var score: Double
    /// The weighted score the case must reach; nil when every validator must pass instead.
    public var threshold: Double?
    /// The backend's text as it answered, before any transform or repair.
    public var output: String
    /// Why the backend stopped; nil for a sample that was not run.
    public var finishReason: FinishReason?
    /// The backend stopped at its token limit (finish reason `length`, or output tokens reached maxTokens).
    public var truncated: Bool
    /// Token counts the backend reported; nil when it reported none.
    public var usage: TokenUsage?
    /// How long the backend took to answer, in milliseconds (the recorded figure when `latencyRecorded`).
    public var latencyMs: Double
    /// Why the sample has no verdict of its own: the backend's error, a failed transform, or why it was not run.
    public var error: String?
    /// What a command backend wrote to stderr, kept for the report.
    public var stderr: String?
    /// Each validator's verdict in the case's order, plus `strict-repair` when the repair rule failed the case.
    public var validators: [ValidatorVerdict]
    /// Repairs applied to the output before the JSON validators saw it (empty when none).
    public var repairs: [String]
    /// The rendered chat messages the backend was sent.
    public var messages: [ChatMessage]
    /// 0 for the first sample; `--repeat N` runs samples 0..<N.
    public var repeatIndex: Int
    /// The pass rate this case must reach across repeats (case or suite `minPassRate`, default 1).
    public var minPassRate: Double
    /// Column of the case's definition (orders cases defined on one line).
    public var caseColumn: Int
    /// `latencyMs` is the latency stored with the recording this answer was replayed from.
    public var latencyRecorded: Bool
    /// The merged generation options the request was sent with.
    @inlinable public var options: GenerationOptions {
        get { optionsBox?.value ?? GenerationOptions() }
        set { optionsBox = newValue.isEmpty ? nil : OptionsBox(newValue) }
    }
    /// Held apart (nil when empty, as for most cases): inline, the options would be a fifth of
    /// every result's size.
    @usableFromInline var optionsBox: OptionsBox?
    /// The output parsed as JSON only after repair (so the case is `repaired` when it passes):
    /// repairs are listed only when the repair engine produced the value the validators saw.
    var neededRepair: Bool { !repairs.isEmpty }
    /// A repair changed or dropped what the output said (a `lossy:` repair): the value the
    /// validators saw may differ from what the model meant.
    public var lossyRepair: Bool { repairs.contains { $0.hasPrefix("lossy: ") } }
    /// The output after the case's transform (what the validators saw), when there was one.
    public var transformed: String?
    /// The transform's steps, for the report ("strip think, path /answer").
    public var transformSteps: String?
    /// The response came from the response cache, not from the backend.
    public var cached: Bool
    /// What constrained the output's decoding (a schema), when it was constrained.
    public var constrained: String?
    /// The case's variables, for reports.
    public var vars: JSONObject
    /// The case's metadata (`__metadata:NAME` columns), for reports and filters downstream.
    public var metadata = JSONObject()
    /// What the answer's tokens cost at the backend's pricing (USD); nil without usage or pricing.
    /// A cached or replayed answer has a cost but was not paid for in this run (see `spent`).
    public var costUsd: Double?
    /// The cost was paid in this run: a live answer, neither cached nor replayed.
    public var spent: Bool { costUsd != nil && !cached && !replayed }
    /// The answer came from a cassette (a replay backend).
    public var replayed = false
    /// Tool calls and the conversation after the prompt, held apart (nil when the case called no
    /// tool and had one reply, as most do).
    public var toolTrace: ToolTrace?
    /// Every tool call the model made in this case, in order (empty when none).
    public var toolCalls: [ToolCall] { toolTrace?.calls ?? [] }
    /// Every message after the prompt (replies, their calls, tools' results, scripted turns),
    /// with each reply's latency and usage; empty for a case answered in one reply.
    public var transcript: [TranscriptStep] { toolTrace?.transcript ?? [] }

    /// Passed or repaired.
    public var isPass: Bool { status == .passed || status == .repaired }

    /// Which case × prompt × backend this sample belongs to.
    public var key: CaseKey { CaseKey(suite: suite, caseId: caseId, promptId: promptId, backendId: backendId) }

    /// One line per failed validator, for reports.
    public var failureMessages: [String] {
        validators.filter { !$0.pass }.map { "\($0.type): \($0.message)" }
    }

    /// Why this sample did not pass, computed here once for every report (console, JUnit,
    /// Markdown, HTML, annotations, diffs): the backend's error, or each failed check.
    public var failureReasons: [String] {
        if status == .error { return [error ?? "backend error"] }
        let m = failureMessages
        return m.isEmpty && status == .failed ? [failureHeadline] : m
    }

    /// The one-line reason: the error, the first failed check, or the score below the threshold
    /// when every check passed but the weighted score missed it.
    public var failureHeadline: String {
        if status == .error { return error ?? "backend error" }
        return failureMessages.first ?? "score \(score) below threshold"
    }
}

extension CaseResult {
    /// A result with the fields every backend answer has; the rest start empty. (Declared out
    /// here, so the struct keeps its member-wise initializer, which makes a result without
    /// copying it: see `CaseEvaluator.start`.)
    public init(suite: String, suiteFile: String, caseId: String, caseFile: String, caseLine: Int, promptId: String, promptSha256: String,
                backendId: String, status: CaseStatus, score: Double, threshold: Double?, output: String, finishReason: FinishReason?,
                truncated: Bool, usage: TokenUsage?, latencyMs: Double, error: String?, stderr: String?, validators: [ValidatorVerdict],
                repairs: [String], messages: [ChatMessage]) {
        self.init(suite: suite, suiteFile: suiteFile, caseId: caseId, caseFile: caseFile, caseLine: caseLine, promptId: promptId,
                  promptSha256: promptSha256, backendId: backendId, status: status, score: score, threshold: threshold, output: output,
                  finishReason: finishReason, truncated: truncated, usage: usage, latencyMs: latencyMs, error: error, stderr: stderr,
                  validators: validators, repairs: repairs, messages: messages, repeatIndex: 0, minPassRate: 1, caseColumn: 0,
                  latencyRecorded: false, optionsBox: nil, transformed: nil, transformSteps: nil, cached: false, constrained: nil,
                  vars: JSONObject())
    }
}

extension CaseResult {
    /// What a moved-out slot holds, or a result about to be made: empty strings and lists, which
    /// cost no retains to copy.
    static let vacated = CaseResult(suite: "", suiteFile: "", caseId: "", caseFile: "", caseLine: 0, promptId: "", promptSha256: "",
                                    backendId: "", status: .skipped, score: 0, threshold: nil, output: "", finishReason: nil,
                                    truncated: false, usage: nil, latencyMs: 0, error: nil, stderr: nil, validators: [],
                                    repairs: [], messages: [])
}

/// Generation options kept on the heap, shared by the copies of a result.
/// A case's tool calls and transcript, in one reference: most results have neither.
public final class ToolTrace: Sendable {
    /// Every call, in order.
    public let calls: [ToolCall]
    /// Every message after the prompt, in order.
    public let transcript: [TranscriptStep]
    /// A trace of `calls` and `transcript`.
    public init(calls: [ToolCall], transcript: [TranscriptStep]) {
        self.calls = calls
        self.transcript = transcript
    }
    /// The trace of a response, or nil when it made no call and holds no transcript.
    static func of(_ r: BackendResponse) -> ToolTrace? {
        r.toolCalls.isEmpty && r.transcript.isEmpty ? nil : ToolTrace(calls: r.toolCalls, transcript: r.transcript)
    }
}

@usableFromInline final class OptionsBox: Sendable {
    @usableFromInline let value: GenerationOptions
    @usableFromInline init(_ value: GenerationOptions) { self.value = value }
}

/// Identifies one case × prompt × backend across reports, diffs and merges.
public struct CaseKey: Hashable, Sendable {
    /// Name of the suite the case is in.
    public var suite: String
    /// The case's id within its suite.
    public var caseId: String
    /// The prompt version's id; empty in a key from `ignoringPrompt`.
    public var promptId: String
    /// Id of the backend that answered.
    public var backendId: String

    /// The key of case `caseId` of suite `suite`, under prompt `promptId`, on backend `backendId`.
    public init(suite: String, caseId: String, promptId: String, backendId: String) {
        self.suite = suite
        self.caseId = caseId
        self.promptId = promptId
        self.backendId = backendId
    }

    /// The same case on the same backend, whatever the prompt (for comparing prompt versions).
    public var ignoringPrompt: CaseKey { CaseKey(suite: suite, caseId: caseId, promptId: "", backendId: backendId) }
}

/// Totals of a run, counted per case × prompt × backend (repeats of one case count once), from
/// each group's one status: `passed + failed + errors + repaired + skipped == total`. `flaky`
/// counts, in addition, the groups whose samples disagreed.
public struct RunSummary: Sendable {
    /// Case × prompt × backend groups in the run, whatever their status.
    public var total = 0
    /// Cases whose verdict is passed without repair, counted once however many repeats ran.
    public var passed = 0
    /// Cases whose verdict is failed: a check missed, or the pass rate fell below `minPassRate`.
    public var failed = 0
    /// Cases with a backend error (or a failed transform) in any sample.
    public var errors = 0
    /// Cases that passed, with at least one passing sample that needed JSON repair.
    public var repaired = 0
    /// Cases that never ran (the run was interrupted, or `--fail-fast` stopped it).
    public var skipped = 0
    /// Cases whose repeats disagreed (some samples passed, some failed); each is also counted by its status.
    public var flaky = 0
    /// Flaky cases that failed (pass rate below their `minPassRate`); already in `failed`.
    public var flakyFailing = 0
    /// Individual samples (equals `total` without `--repeat`).
    public var samples = 0
    /// Samples answered from the response cache.
    public var cached = 0

    /// The totals of `results`, grouped by case × prompt × backend first.
    public init(_ results: [CaseResult]) {
        self.init(groups: CaseGroup.group(results))
    }

    /// The totals of groups already made, each counted once by its status.
    public init(groups: [CaseGroup]) {
        total = groups.count
        for g in groups {
            samples += g.samples.count
            cached += g.cachedSamples
            switch g.status {
            case .passed: passed += 1
            case .failed: failed += 1
            case .error: errors += 1
            case .repaired: repaired += 1
            case .skipped: skipped += 1
            }
            if g.flaky {
                flaky += 1
                if g.status == .failed { flakyFailing += 1 }
            }
        }
    }

    /// Passing cases / all cases: a case that did not run (interrupted, `--fail-fast`) did not pass.
    public var passRate: Double {
        total == 0 ? 0 : Double(passed + repaired) / Double(total)
    }

    /// No case failed or errored; cases that did not run do not count against it.
    public var allPassed: Bool { failed == 0 && errors == 0 }

    /// The counts in words, the same on every surface (console, Markdown, HTML): every case is
    /// exactly one of passed, repaired, failed, error or not run; flaky ones are listed beside.
    public var text: String {
        // No pass rate of nothing: an empty selection says so.
        if total == 0 { return "no case ran: the selection is empty (0 cases)" }
        var parts = ["\(passed) passed"]
        if repaired > 0 { parts.append("\(repaired) repaired") }
        parts.append("\(failed) failed")
        parts.append("\(errors) error\(errors == 1 ? "" : "s")")
        if skipped > 0 { parts.append("\(skipped) not run") }
        if flaky > 0 { parts.append("\(flaky) flaky") }
        return parts.joined(separator: " · ") + " of \(total) case\(total == 1 ? "" : "s")"
            + String(format: " (pass rate %.1f %%", passRate * 100)
            + (cached > 0 ? "; \(cached) of \(samples) response\(samples == 1 ? "" : "s") from the cache)" : ")")
    }
}

/// The samples of one case × prompt × backend: a view into the run's results (which they share),
/// so grouping 100,000 results copies none of them.
public struct CaseSamples: RandomAccessCollection, Sendable {
    /// Every result of the run.
    let all: [CaseResult]
    /// Which of them, in order: a range when they are adjacent (the usual case), else a list.
    let picks: Picks

    enum Picks: Sendable {
        case range(Range<Int>)
        case list([Int])
    }

    init(_ all: [CaseResult], _ picks: Picks) {
        self.all = all
        self.picks = picks
    }

    /// Always 0: the group's own numbering of its samples, not their place in the run.
    public var startIndex: Int { 0 }
    /// The number of samples in the group.
    public var endIndex: Int {
        switch picks {
        case .range(let r): r.count
        case .list(let l): l.count
        }
    }

    /// Where the `i`th sample is in the results the group was made from (`RunResult.results`
    /// for a run's groups): hot loops read `results[position(i)]` in place, with no copy.
    @inline(__always) public func position(_ i: Int) -> Int {
        switch picks {
        case .range(let r): r.lowerBound + i
        case .list(let l): l[i]
        }
    }

    /// The `i`th sample.
    public subscript(i: Int) -> CaseResult { all[position(i)] }
}

/// The samples of one case × prompt × backend, and the one place their status is decided.
public struct CaseGroup: Sendable {
    /// The group's samples in run order, a view into the run's results.
    public let samples: CaseSamples
    /// Samples that passed (or were repaired), that ran, and that came from the cache: counted once,
    /// by index, when the group is made (every report reads them).
    public let passes: Int
    /// Samples that ran: every sample but the skipped ones.
    public let ran: Int
    let cachedSamples: Int
    let anyError: Bool
    /// Some sample passed only after repair (JUnit lists such cases; the status may still be failed).
    public let anyRepaired: Bool

    /// The samples of one case × prompt × backend (at least one).
    public init(samples: [CaseResult]) {
        self.init(CaseSamples(samples, .range(samples.indices)))
    }

    init(_ samples: CaseSamples) {
        self.samples = samples
        var passes = 0, ran = 0, cached = 0
        var anyError = false, anyRepaired = false
        var minPassRate = 1.0
        samples.all.withUnsafeBufferPointer { all in
            minPassRate = all[samples.position(0)].minPassRate
            for i in samples.indices {
                let j = samples.position(i)
                let st = all[j].status
                if st == .passed || st == .repaired { passes += 1 }
                if st != .skipped { ran += 1 }
                if st == .error { anyError = true }
                if st == .repaired { anyRepaired = true }
                if all[j].cached { cached += 1 }
            }
        }
        self.passes = passes
        self.ran = ran
        self.cachedSamples = cached
        self.anyError = anyError
        self.anyRepaired = anyRepaired
        self.minPassRate = minPassRate
        let passRate = ran == 0 ? 0 : Double(passes) / Double(ran)
        if ran == 0 {
            status = .skipped
        } else if anyError {
            status = .error
        } else if passRate + 1e-12 < minPassRate {
            status = .failed
        } else {
            status = anyRepaired ? .repaired : .passed
        }
    }

    /// The first sample (its case, prompt and backend are the group's).
    public var first: CaseResult { samples[0] }
    /// Where the first sample is in the results the group was made from (`RunResult.results`).
    public var firstPosition: Int { samples.position(0) }
    /// The case × prompt × backend the group is of.
    public var key: CaseKey { samples.all[samples.position(0)].key }
    /// Passing samples over samples that ran; 0 when none ran.
    public var passRate: Double { ran == 0 ? 0 : Double(passes) / Double(ran) }
    /// The pass rate the case had to reach (the first sample's, which every sample shares).
    public let minPassRate: Double
    /// 95 % Wilson score interval of the pass rate.
    public var wilson: (low: Double, high: Double) { Statistics.wilson(successes: passes, trials: ran) }

    /// The verdict on the case, read by every report, the console and the exit code:
    /// - `skipped` when no sample ran; `error` when any sample is an error (a backend failure or a
    ///   missing recording is never hidden behind other samples' passes);
    /// - `passed` (or `repaired`, when a passing sample needed repair) when the pass rate reaches
    ///   `minPassRate` (default 1: every sample);
    /// - `failed` otherwise.
    ///
    /// Decided once, when the group is made.
    public let status: CaseStatus

    /// The samples disagreed: some passed and some failed (errors are not disagreement). Listed
    /// beside the status, not instead of it.
    public var flaky: Bool { !anyError && passes > 0 && passes < ran }

    /// Passed or repaired.
    public var isPass: Bool { status == .passed || status == .repaired }

    /// Failed or error: what fails a run.
    public var isFailing: Bool { status == .failed || status == .error }

    /// Groups samples by `CaseKey`, in order of first appearance. A run lists each group's samples
    /// next to each other, so a group is usually a range of `results`; only a key seen again
    /// after other keys (merged results) makes a list.
    public static func group(_ results: [CaseResult]) -> [CaseGroup] {
        var spans: [(start: Int, end: Int)] = []
        var seen: [CaseKey: Int] = [:]
        seen.reserveCapacity(results.count)
        var extra: [Int: [Int]] = [:]  // span → indices beyond its first run
        // Read through a buffer pointer: an array element passed on is otherwise copied (a
        // retain of each of a result's fields).
        results.withUnsafeBufferPointer { results in
            var i = 0
            while i < results.count {
                var j = i + 1
                while j < results.count && sameKey(results[j], results[i]) { j += 1 }
                let k = results[i].key
                if let s = seen[k] {
                    extra[s, default: []].append(contentsOf: i..<j)
                } else {
                    seen[k] = spans.count
                    spans.append((i, j))
                }
                i = j
            }
        }
        return spans.indices.map { s in
            let span = spans[s]
            guard let more = extra[s] else { return CaseGroup(CaseSamples(results, .range(span.start..<span.end))) }
            return CaseGroup(CaseSamples(results, .list(Array(span.start..<span.end) + more)))
        }
    }

    @inline(__always) static func sameKey(_ a: CaseResult, _ b: CaseResult) -> Bool {
        a.caseId == b.caseId && a.promptId == b.promptId && a.backendId == b.backendId && a.suite == b.suite
    }
}

/// What a suite looked like when it ran, for reports.
public struct SuiteInfo: Sendable {
    /// The suite's name (its `suite` key, else the file name).
    public let name: String
    /// Path of the suite file, as the run was given it.
    public let file: String
    /// The suite's `description`, when it has one.
    public let description: String?
    /// Each prompt version's id and template fingerprint, in suite order (merges refuse shards whose
    /// fingerprints differ).
    public let prompts: [(id: String, sha256: String)]
    /// Each backend's id and type, with its identity and the options every case gets unless it overrides them.
    public let backends: [(id: String, type: String, options: JSONObject)]

    /// A suite as reports describe it, from a run or from a results file.
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
    /// When the run began.
    public let startedAt: Date
    /// Wall-clock time the run took, in milliseconds.
    public let durationMs: Double
    /// The suites that ran, in the order they were given.
    public let suites: [SuiteInfo]
    /// Every sample, in report order: suite, case, prompt, backend, repeat.
    public let results: [CaseResult]
    /// The results grouped by case × prompt × backend, once (every report and the console read them).
    public let groups: [CaseGroup]
    /// The run's totals, counted from `groups`.
    public let summary: RunSummary
    /// Set when the run was one shard of a split run.
    public var shard: (index: Int, count: Int)?
    /// Problems closing the session (a cassette that could not be saved): the run did not do all it should.
    public var closeErrors: [String] = []
    /// The run was stopped (Ctrl-C) before every case ran: reports say so.
    public var interrupted = false
    /// Problems worth a look that did not stop the run (a corrupt cache entry, rewritten).
    public var warnings: [String] = []

    /// A run of `results` in the order given, grouped and totalled here.
    public init(startedAt: Date, durationMs: Double, suites: [SuiteInfo], results: [CaseResult]) {
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.suites = suites
        self.results = results
        groups = CaseGroup.group(results)
        summary = RunSummary(groups: groups)
    }

    /// A run whose groups are already known as ranges of `results` (the runner's jobs).
    init(startedAt: Date, durationMs: Double, suites: [SuiteInfo], results: [CaseResult], spans: [Range<Int>]) {
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.suites = suites
        self.results = results
        groups = spans.map { CaseGroup(CaseSamples(results, .range($0))) }
        summary = RunSummary(groups: groups)
    }
}
