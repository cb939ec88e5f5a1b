import Foundation
import ProctorBackends
import ProctorJSON
import ProctorRegex
import Synchronization

/// Which jobs to run and how.
public struct RunOptions: Sendable {
    /// Jobs in flight at once (a backend may cap its own lower).
    public var concurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Only cases whose id matches.
    public var filter: ECMARegex?
    public var promptIds: Set<String>?
    public var backendIds: Set<String>?
    /// Run shard `index` (1-based) of `count`, split stably by case id.
    public var shard: (index: Int, count: Int)?
    public var failFast = false
    public var strictRepair = false
    /// Independent samples per case (`--repeat N`).
    public var repeats = 1
    /// Stops the run (Ctrl-C): running cases are cancelled, the rest are reported as not run.
    public var interruption: Interruption?

    public init() {}
}

/// Progress after each finished job.
public struct RunProgress: Sendable {
    public let done: Int
    public let total: Int
    public let failures: Int
    public let elapsedSeconds: Double
}

/// Runs every case × prompt × backend concurrently and returns results in a deterministic order
/// (suite, case, prompt, backend), whatever order they finish in.
public enum Runner {
    struct Job: Sendable {
        let suite: Int
        let testCase: TestCase
        let prompt: PromptVersion
        let backend: any Backend
        let repeatIndex: Int
    }

    /// Stable shard of a case id (FNV-1a; Swift's own hashes change per process).
    public static func shard(of caseId: String, count: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in caseId.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(h % UInt64(count)) + 1
    }

    /// The jobs `options` selects, in report order.
    static func jobs(_ suites: [Suite], _ options: RunOptions) -> [Job] {
        var out: [Job] = []
        for (si, s) in suites.enumerated() {
            for c in s.cases {
                if let f = options.filter, (try? f.test(c.id)) != true { continue }
                if let sh = options.shard, shard(of: c.id, count: sh.count) != sh.index { continue }
                for p in s.prompts where options.promptIds?.contains(p.id) ?? true {
                    for b in s.backends where options.backendIds?.contains(b.id) ?? true {
                        for r in 0..<max(1, options.repeats) { out.append(Job(suite: si, testCase: c, prompt: p, backend: b, repeatIndex: r)) }
                    }
                }
            }
        }
        return out
    }

    public static func run(_ suites: [Suite], options: RunOptions = RunOptions(),
                           onResult: @escaping @Sendable (RunProgress, CaseResult) -> Void = { _, _ in }) async -> RunResult {
        let started = Date()
        let t0 = monotonicMs()
        let jobs = jobs(suites, options)
        let limiters = Limiters(suites: suites)
        let stop = _Locked(false)
        let width = max(1, options.concurrency)
        let strictRepair = options.strictRepair, failFast = options.failFast
        let work = Task { () -> [CaseResult?] in
        var done = 0, failures = 0
        var results = [CaseResult?](repeating: nil, count: jobs.count)
        await withTaskGroup(of: (Int, CaseResult).self) { group in
            var next = 0
            func launch() {
                let i = next
                next += 1
                let job = jobs[i]
                let suite = suites[job.suite]
                group.addTask {
                    let messages = job.prompt.render(job.testCase.vars)
                    if stop.get() { return (i, skipped(job, suite, messages, why: "not run: --fail-fast stopped the run after a failure")) }
                    if Task.isCancelled { return (i, skipped(job, suite, messages, why: interruptedWhy)) }
                    let request = BackendRequest(messages: messages, options: suite.options.generation, caseId: job.testCase.id,
                                                 promptId: job.prompt.id, repeatIndex: job.repeatIndex)
                    let response = await limiters.with(job.backend) { await job.backend.complete(request) }
                    if Task.isCancelled { return (i, skipped(job, suite, messages, why: interruptedWhy)) }
                    var r = await CaseEvaluator.evaluate(suite: suite, testCase: job.testCase, prompt: job.prompt, backendId: job.backend.id,
                                                         messages: messages, response: response,
                                                         strictRepair: strictRepair || suite.options.strictRepair)
                    r.repeatIndex = job.repeatIndex
                    r.caseColumn = job.testCase.column
                    r.minPassRate = job.testCase.minPassRate ?? suite.options.minPassRate
                    if failFast && !r.isPass { stop.set(true) }
                    return (i, r)
                }
            }
            while next < jobs.count && next < width { launch() }
            for await (i, r) in group {
                results[i] = r
                done += 1
                if r.status == .failed || r.status == .error { failures += 1 }
                onResult(RunProgress(done: done, total: jobs.count, failures: failures, elapsedSeconds: (monotonicMs() - t0) / 1000), r)
                if next < jobs.count { launch() }
            }
        }
        return results
        }
        options.interruption?.onFire { work.cancel() }
        var results = await work.value
        for i in results.indices where results[i] == nil {
            let job = jobs[i]
            results[i] = skipped(job, suites[job.suite], job.prompt.render(job.testCase.vars), why: interruptedWhy)
        }
        let infos = suites.map { s in
            SuiteInfo(name: s.name, file: s.file, description: s.description, prompts: s.prompts.map { ($0.id, $0.sha256) },
                      backends: s.backends.map { ($0.id, s.backendTypes[$0.id] ?? "", $0.modelOptions) })
        }
        var run = RunResult(startedAt: started, durationMs: monotonicMs() - t0, suites: infos, results: results.map { $0! })
        run.shard = options.shard
        return run
    }

    static let interruptedWhy = "not run: the run was interrupted"

    static func skipped(_ job: Job, _ suite: Suite, _ messages: [ChatMessage], why: String) -> CaseResult {
        var r = CaseResult(suite: suite.name, suiteFile: suite.file, caseId: job.testCase.id, caseFile: job.testCase.file, caseLine: job.testCase.line,
                   promptId: job.prompt.id, promptSha256: job.prompt.sha256, backendId: job.backend.id, status: .skipped, score: 0,
                   threshold: job.testCase.threshold, output: "", finishReason: nil, truncated: false, usage: nil, latencyMs: 0,
                   error: why, stderr: nil, validators: [], repairs: [], messages: messages)
        r.repeatIndex = job.repeatIndex
        r.caseColumn = job.testCase.column
        return r
    }
}

/// Per-backend concurrency caps (`maxConcurrency`), shared by all cases of a run.
final class Limiters: Sendable {
    private let semaphores: [String: AsyncSemaphore]

    init(suites: [Suite]) {
        var m: [String: AsyncSemaphore] = [:]
        for s in suites {
            for b in s.backends {
                if let c = b.maxConcurrency { m[s.name + "\u{0}" + b.id] = AsyncSemaphore(c) }
            }
        }
        // Keyed by backend id alone too, so suites sharing a backend id share its cap.
        semaphores = m
    }

    func with<T: Sendable>(_ backend: any Backend, _ body: @Sendable () async -> T) async -> T {
        guard let sem = semaphores.first(where: { $0.key.hasSuffix("\u{0}" + backend.id) })?.value else { return await body() }
        await sem.wait()
        let r = await body()
        await sem.signal()
        return r
    }
}

/// A counting semaphore for async code.
actor AsyncSemaphore {
    private var permits: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ permits: Int) { self.permits = max(1, permits) }

    func wait() async {
        if permits > 0 { permits -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func signal() {
        if waiters.isEmpty { permits += 1 } else { waiters.removeFirst().resume() }
    }
}
