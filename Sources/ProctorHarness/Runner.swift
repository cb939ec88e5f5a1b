import Foundation
import ProctorBackends
import ProctorJSON
import ProctorRegex
import Synchronization
import ProctorConversation

/// Which jobs to run and how.
public struct RunOptions: Sendable {
    /// Jobs in flight at once (a backend may cap its own lower).
    public var concurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Only cases whose id matches.
    public var filter: ECMARegex?
    /// Only these prompt versions (`--prompt`); nil runs them all.
    public var promptIds: Set<String>?
    /// Only these backends (`--backend`); nil runs them all.
    public var backendIds: Set<String>?
    /// Run shard `index` (1-based) of `count`: the selected cases, in suite order, dealt to the
    /// shards in turn, so shards differ by at most one case.
    public var shard: (index: Int, count: Int)?
    /// After the first sample that does not pass, start no more jobs (`--fail-fast`); the rest are reported as not run.
    public var failFast = false
    /// A pass that needed JSON repair fails, in every suite (`--strict-repair`), as a suite's own `strictRepair` does.
    public var strictRepair = false
    /// Independent samples per case (`--repeat N`).
    public var repeats = 1
    /// Stops the run (Ctrl-C): running cases are cancelled, the rest are reported as not run.
    public var interruption: Interruption?
    /// Only these case × prompt × backend combinations (`--only-failing`, `--retry-errors`).
    public var onlyKeys: Set<CaseKey>?
    /// `--max-cost`: no request starts that could pass it.
    public var budget: CostBudget?

    /// `K/N` of `--shard` with 1 ≤ K ≤ N, or nil.
    public static func shard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, parts[0] >= 1, parts[0] <= parts[1] else { return nil }
        return (parts[0], parts[1])
    }

    /// Options that run every case × prompt × backend once, as many jobs at a time as there are cores.
    public init() {}
}

/// Progress after each finished job.
public struct RunProgress: Sendable {
    /// Jobs finished so far, this one included (each repeat is a job).
    public let done: Int
    /// Jobs in the run.
    public let total: Int
    /// Finished samples that failed or errored.
    public let failures: Int
    /// Seconds since the jobs started.
    public let elapsedSeconds: Double
}

/// Runs every case × prompt × backend concurrently and returns results in a deterministic order
/// (suite, case, prompt, backend), whatever order they finish in.
public enum Runner {
    /// One case × prompt × backend × repeat, by index into the suites (so a job copies no case).
    struct Job: Sendable {
        let suite: Int
        /// Index into the suite's cases.
        let testCase: Int
        /// Index into the suite's prompts.
        let prompt: Int
        /// Index into the suite's backends (and the session's).
        let backend: Int
        let options: GenerationOptions
        let repeatIndex: Int
        /// How many samples the case × prompt × backend has (`--repeat`, or more for a `gate`).
        var samples = 1
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
        var dealt = 0  // cases selected so far, for dealing them to shards in turn
        // By index: iterating the cases, prompts or backends would copy each one per job.
        for si in suites.indices {
            let s = suites[si]
            let bases = s.backends.map { s.baseOptions(on: $0) }
            let prompts = s.prompts.indices.filter { options.promptIds?.contains(s.prompts[$0].id) ?? true }
            let backends = s.backends.indices.filter { options.backendIds?.contains(s.backends[$0].id) ?? true }
            out.reserveCapacity(out.count + s.cases.count * prompts.count * backends.count * max(1, options.repeats))
            for ci in s.cases.indices {
                if let f = options.filter, (try? f.test(s.cases[ci].id)) != true { continue }
                if let sh = options.shard {
                    dealt += 1
                    if (dealt - 1) % sh.count + 1 != sh.index { continue }
                }
                for pi in prompts {
                    for bi in backends {
                        if let only = options.onlyKeys,
                           !only.contains(CaseKey(suite: s.name, caseId: s.cases[ci].id, promptId: s.prompts[pi].id, backendId: s.backends[bi].id)) { continue }
                        let merged = s.options(for: s.cases[ci], over: bases[bi])
                        let n = max(1, options.repeats, s.gate(of: s.cases[ci])?.k ?? 1)
                        for r in 0..<n {
                            out.append(Job(suite: si, testCase: ci, prompt: pi, backend: bi, options: r == 0 ? merged : merged.forRepeat(r), repeatIndex: r,
                                           samples: n))
                        }
                    }
                }
            }
        }
        return out
    }

    /// The runs of adjacent jobs that are one case × prompt × backend (its repeats), as ranges
    /// of `jobs`: the run's groups, known without comparing or hashing any result.
    static func spans(_ jobs: [Job]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for i in jobs.indices where i > 0 {
            let a = jobs[i], b = jobs[i - 1]
            if a.suite != b.suite || a.testCase != b.testCase || a.prompt != b.prompt || a.backend != b.backend {
                out.append(start..<i)
                start = i
            }
        }
        if !jobs.isEmpty { out.append(start..<jobs.count) }
        return out
    }

    /// What a run with `options` would start, in report order (for `--dry-run` and selection checks).
    public static func plan(_ suites: [Suite], _ options: RunOptions) -> [CaseKey] { planWithSamples(suites, options).map(\.key) }

    /// `plan` with each combination's samples (`--repeat`, or more for a case's `gate`).
    public static func planWithSamples(_ suites: [Suite], _ options: RunOptions) -> [(key: CaseKey, samples: Int)] {
        jobs(suites, options).filter { $0.repeatIndex == 0 }.map { j in
            let s = suites[j.suite]
            return (CaseKey(suite: s.name, caseId: s.cases[j.testCase].id, promptId: s.prompts[j.prompt].id, backendId: s.backends[j.backend].id), j.samples)
        }
    }

    /// Builds a session for `suites` in `mode`, runs it and closes it.
    public static func run(_ suites: [Suite], mode: RunSession.Mode = .live, options: RunOptions = RunOptions(),
                           onResult: (@Sendable (RunProgress, CaseResult) -> Void)? = nil) async throws(SuiteError) -> RunResult {
        await run(try RunSession(suites: suites, mode: mode), options: options, onResult: onResult)
    }

    /// Runs every selected job of the session's suites, then closes the session (saving cassettes).
    public static func run(_ session: RunSession, options: RunOptions = RunOptions(),
                           onResult: (@Sendable (RunProgress, CaseResult) -> Void)? = nil) async -> RunResult {
        let started = Date()
        let t0 = monotonicMs()
        let suites = session.suites
        let jobs = jobs(suites, options)
        let graderAccess = suites.indices.map { session.graderAccess($0) }
        let stop = StopFlag()
        let width = max(1, options.concurrency)
        let strictRepair = options.strictRepair, failFast = options.failFast
        let live = suites.map(LiveSuite.init)
        /// One job from start to verdict (a skipped result when the run was stopped first).
        @Sendable func perform(_ job: Job) async -> CaseResult {
            await Runner.perform(job, live[job.suite], session: session, grader: graderAccess[job.suite], stop: stop,
                                 strictRepair: strictRepair, failFast: failFast, budget: options.budget)
        }
        // Backends that answer in place and have no concurrency cap: their cases with immediate
        // checks run start to verdict without suspending.
        let answersNow = suites.indices.map { s in
            session.backends[s].indices.map { b in session.limiters[s][b] == nil && session.backends[s][b].answersNow }
        }
        @Sendable func performNow(_ job: Job, into done: inout [CaseResult]) -> Bool {
            guard answersNow[job.suite][job.backend] else { return false }
            return Runner.performNow(job, live[job.suite], session: session, stop: stop, strictRepair: strictRepair, failFast: failFast, into: &done)
        }

        // `width` workers each take the next jobs as soon as they finish, so a fast backend never
        // waits on a hand-off; progress is counted, and `onResult` called, under one lock. A worker
        // whose jobs take microseconds (echo, replay, the cache) takes them in growing batches, so
        // the workers do not queue on that lock; a slow one takes them one at a time.
        let queue = JobQueue(count: jobs.count)
        let work = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<min(width, jobs.count) {
                    group.addTask {
                        var batch = 1
                        var done: [CaseResult] = []
                        while let range = queue.take(batch) {
                            let t = monotonicMs()
                            for i in range {
                                if !performNow(jobs[i], into: &done) { done.append(await perform(jobs[i])) }
                            }
                            queue.finished(&done, from: range.lowerBound, onResult: onResult, t0: t0)
                            let perJobMs = (monotonicMs() - t) / Double(range.count)
                            batch = perJobMs < JobQueue.fastJobMs ? min(batch * 2, JobQueue.maxBatch) : 1
                        }
                    }
                }
            }
        }
        options.interruption?.onFire { work.cancel() }
        await work.value
        var results = queue.results { i in
            let job = jobs[i]
            let suite = suites[job.suite]
            return skipped(job, suite, suite.prompts[job.prompt].render(suite.cases[job.testCase].vars), why: interruptedWhy)
        }
        let infos = suites.indices.map { i in
            let s = suites[i]
            return SuiteInfo(name: s.name, file: s.file, description: s.description, prompts: s.prompts.map { ($0.id, $0.sha256) },
                             backends: session.info(i))
        }
        await selectBest(&results, suites: suites, access: graderAccess, strictRepair: options.strictRepair)
        var run = RunResult(startedAt: started, durationMs: monotonicMs() - t0, suites: infos, results: results, spans: spans(jobs))
        run.warnings = session.cache?.warnings ?? []
        run.shard = options.shard
        run.closeErrors = session.close()
        return run
    }

    static let interruptedWhy = "not run: the run was interrupted"

    /// A suite as the run's workers share it: one reference. A struct handed to an async function
    /// is copied into its frame, a retain of each field, on objects every worker shares (their
    /// counts then bounce between cores); a class's `let` is read in place.
    final class LiveSuite: Sendable {
        let suite: Suite
        /// Each case's `checksNow`, apart: reading a field of an array element copies the element.
        let checksNow: [Bool]
        /// Per backend: its requests are built from the case's variables too (`http`), directly or as the source a replay answers for.
        let readsVars: [Bool]
        /// Per prompt: its tool set when its cases run the tool loop (some tool has a mock).
        let loops: [ToolSet?]
        init(_ suite: Suite) {
            self.suite = suite
            loops = suite.prompts.map { p in suite.toolSet(for: p).runsLoop ? suite.toolSet(for: p) : nil }
            checksNow = suite.cases.withUnsafeBufferPointer { cs in cs.indices.map { cs[$0].checksNow } }
            readsVars = suite.backends.map { BackendRegistry.standard.kinds[suite.effectiveSpec($0).type]?.readsVars ?? false }
        }
    }

    /// One job from start to verdict; a skipped result when the run was stopped first.
    static func perform(_ job: Job, _ live: LiveSuite, session: RunSession, grader: GraderAccess, stop: StopFlag,
                        strictRepair: Bool, failFast: Bool, budget: CostBudget? = nil) async -> CaseResult {
        let request: BackendRequest
        switch live.suite.cases.withUnsafeBufferPointer({ prepare(job, $0.baseAddress! + job.testCase, live.suite, stop: stop, vars: live.readsVars[job.backend]) }) {
        case .skipped(let r): return r
        case .send(let r): request = r
        }
        let backend = session.backends[job.suite][job.backend]
        if let budget {
            waiting: while true {
                switch budget.begin() {
                case .go: break waiting
                case .stop(let why): return skipped(job, live.suite, request.messages, why: why)
                case .wait:
                    if Task.isCancelled { return skipped(job, live.suite, request.messages, why: interruptedWhy) }
                    try? await Task.sleep(nanoseconds: 5_000_000)
                }
            }
        }
        let response: BackendResponse
        var conversation: ScriptedConversation.Outcome?
        let loop = live.loops[job.prompt].map { ToolLoop.Setting(tools: $0, vars: live.suite.cases[job.testCase].vars,
                                                                 directory: live.suite.directory, environment: live.suite.environment) }
        let turns = live.suite.cases[job.testCase].turns
        if !turns.isEmpty {
            let outcome = await ScriptedConversation.run(request, turns: turns, vars: live.suite.cases[job.testCase].vars, loop: loop,
                                                         context: { r, text, parsed, history in
                CheckContext(output: text, json: parsed.value, jsonError: parsed.error, response: r, maxTokens: job.options.maxTokens,
                             caseId: request.caseId, promptId: request.promptId, backendId: live.suite.backends[job.backend].id,
                             suiteDirectory: live.suite.directory, messages: history, grader: grader,
                             repairSummary: CaseEvaluator.repairSummary(parsed.repairs), tools: live.suite.toolSet(for: live.suite.prompts[job.prompt]).tools,
                             vars: live.suite.cases[job.testCase].vars)
            }) { req in
                await session.withLimit(suite: job.suite, backend: job.backend) { await backend.complete(req) }
            }
            response = outcome.response
            conversation = outcome
        } else if let loop {
            response = await ToolLoop.run(request, loop) { req in
                await session.withLimit(suite: job.suite, backend: job.backend) { await backend.complete(req) }
            }
        } else {
            response = await session.withLimit(suite: job.suite, backend: job.backend) { await backend.complete(request) }
        }
        if let budget {
            let replayed = live.suite.backends[job.backend].type == "replay"
            budget.end(spent: response.cached || response.replayed || replayed ? nil : CaseEvaluator.cost(suite: live.suite, backendId: live.suite.backends[job.backend].id, usage: response.usage))
        }
        if Task.isCancelled { return skipped(job, live.suite, request.messages, why: interruptedWhy) }
        var r = await CaseEvaluator.evaluate(suite: live.suite, testCase: live.suite.cases[job.testCase], prompt: live.suite.prompts[job.prompt],
                                             backendId: live.suite.backends[job.backend].id,
                                             messages: request.messages, options: job.options, response: response,
                                             strictRepair: strictRepair || live.suite.options.strictRepair, grader: grader)
        // A conversation's turns were checked as they went: their verdicts come first, then the last reply's.
        if let conversation, r.status != .error {
            r.validators.insert(contentsOf: conversation.verdicts, at: 0)
            r.repairs = conversation.repairs + r.repairs
            CaseEvaluator.settle(&r, strictRepair: strictRepair || live.suite.options.strictRepair)
        }
        // Stopped while its checks ran (a command validator killed with the run, a grader call cut):
        // the verdict would be the interruption's, not the output's.
        if Task.isCancelled { return skipped(job, live.suite, request.messages, why: interruptedWhy) }
        live.suite.cases.withUnsafeBufferPointer { cases in
            finish(&r, job, cases.baseAddress! + job.testCase, live.suite, stop: stop, failFast: failFast)
        }
        return r
    }

    /// `perform` without suspending, for a backend that answers in place (`answersNow`, no
    /// cap): the result is appended to `done`; false, and nothing appended, when this job's
    /// backend or checks need to wait.
    static func performNow(_ job: Job, _ live: LiveSuite, session: RunSession, stop: StopFlag,
                           strictRepair: Bool, failFast: Bool, into done: inout [CaseResult]) -> Bool {
        guard live.checksNow[job.testCase], live.loops[job.prompt] == nil else { return false }
        // The case is read field by field through a pointer: an array element, or a value
        // borrowed from one, is copied whole (a retain of every field) where the compiler cannot
        // prove that nothing writes to the array meanwhile.
        return live.suite.cases.withUnsafeBufferPointer { cases in
            let testCase = cases.baseAddress! + job.testCase
            let request: BackendRequest
            switch prepare(job, testCase, live.suite, stop: stop, vars: live.readsVars[job.backend]) {
            case .skipped(let r):
                done.append(r)
                return true
            case .send(let r): request = r
            }
            guard let response = session.backends[job.suite][job.backend].completeNow(request) else { return false }
            // Made in its place at the end of `done` and finished there: a result handed back is copied.
            CaseEvaluator.evaluateNow(suite: live.suite, testCase: testCase, prompt: live.suite.prompts[job.prompt],
                                      backendId: live.suite.backends[job.backend].id, messages: request.messages, options: job.options,
                                      response: response, strictRepair: strictRepair || live.suite.options.strictRepair, into: &done)
            done.withUnsafeMutableBufferPointer { rs in
                finish(&rs[rs.count - 1], job, testCase, live.suite, stop: stop, failFast: failFast)
            }
            return true
        }
    }

    /// What a job sends, or its skipped result when the run was stopped first.
    enum Prepared {
        case send(BackendRequest)
        case skipped(CaseResult)
    }

    /// The job's prompt rendered into a request; skipped when `--fail-fast` or an interruption
    /// stopped the run. The case is read through `testCase`, field by field.
    static func prepare(_ job: Job, _ testCase: UnsafePointer<TestCase>, _ suite: Suite, stop: StopFlag, vars: Bool = false) -> Prepared {
        let prompt = suite.prompts[job.prompt]
        let messages = prompt.render(testCase.pointee.vars)
        if stop.isSet { return .skipped(skipped(job, suite, messages, why: "not run: --fail-fast stopped the run after a failure")) }
        if Task.isCancelled { return .skipped(skipped(job, suite, messages, why: interruptedWhy)) }
        var request = BackendRequest(messages: messages, options: job.options, caseId: testCase.pointee.id, promptId: prompt.id,
                                     repeatIndex: job.repeatIndex)
        if vars { request.vars = testCase.pointee.vars }
        if prompt.tools != nil || !suite.tools.tools.isEmpty {
            let tools = suite.toolSet(for: prompt)
            request.tools = tools.definitions
            request.toolChoice = tools.choice
        }
        return .send(request)
    }

    /// The job's place in the run on its result; a failure stops a `--fail-fast` run.
    static func finish(_ r: inout CaseResult, _ job: Job, _ testCase: UnsafePointer<TestCase>, _ suite: Suite, stop: StopFlag,
                       failFast: Bool) {
        r.repeatIndex = job.repeatIndex
        r.caseColumn = testCase.pointee.column
        r.minPassRate = suite.gate(of: testCase.pointee)?.minPassRate(samples: job.samples) ?? testCase.pointee.minPassRate ?? suite.options.minPassRate
        if failFast && !r.isPass { stop.set() }
    }

    /// The jobs not yet started, the progress of those finished, and their results in job order.
    ///
    /// Jobs are handed out in contiguous batches from an atomic counter. A batch's results go
    /// straight into the run's array as soon as every earlier job has finished; one that finishes
    /// early waits in `pending` until then. Workers finish nearly in order, so the run never holds
    /// a second copy of its results.
    ///
    /// `@unchecked Sendable` is sound: `next` is an atomic, and `state` is read and written only
    /// while `lock` is held (an `NSLock`, which the thread sanitizer understands; it reports
    /// `Mutex` here falsely).
    final class JobQueue: @unchecked Sendable {
        /// Jobs faster than this (milliseconds each) are taken in batches…
        static let fastJobMs = 0.05
        /// …of at most this many (a batch of fast jobs is done in a few milliseconds).
        static let maxBatch = 64

        struct State {
            var done = 0
            var failures = 0
            var results: [CaseResult] = []
            /// Batches that finished before an earlier one, by their first job.
            var pending: [Int: [CaseResult]] = [:]
        }
        let count: Int
        private let next = Atomic<Int>(0)
        private let lock = NSLock()
        private var shared = State()

        init(count: Int) {
            self.count = count
            shared.results.reserveCapacity(count)
        }

        private func withLock<T>(_ body: (inout State) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&shared)
        }

        /// The next `n` jobs (fewer at the end), nil when every job has been taken.
        func take(_ n: Int) -> Range<Int>? {
            let start = next.wrappingAdd(n, ordering: .relaxed).oldValue
            guard start < count else { return nil }
            return start..<min(start + n, count)
        }

        /// Counts the results of the jobs from `start` on (`done` is left empty), reports them
        /// (one report at a time) and files them.
        func finished(_ done: inout [CaseResult], from start: Int, onResult: ((RunProgress, CaseResult) -> Void)?, t0: Double) {
            var batch: [CaseResult] = []
            swap(&batch, &done)
            done.reserveCapacity(batch.count)
            withLock { s in
                batch.withUnsafeBufferPointer { rs in
                    for i in rs.indices {
                        s.done += 1
                        if rs[i].status == .failed || rs[i].status == .error { s.failures += 1 }
                        // Handing a result on copies it; a run without a listener skips that.
                        onResult?(RunProgress(done: s.done, total: count, failures: s.failures, elapsedSeconds: (monotonicMs() - t0) / 1000), rs[i])
                    }
                }
                if start == s.results.count {
                    Self.move(&batch, to: &s.results)
                    while var p = s.pending.removeValue(forKey: s.results.count) { Self.move(&p, to: &s.results) }
                } else {
                    s.pending[start] = batch
                }
            }
        }

        /// Appends `from`'s results to `to` by moving them (`append(contentsOf:)` would copy each,
        /// a retain and later a release of every field); `from` is left holding empty results.
        static func move(_ from: inout [CaseResult], to: inout [CaseResult]) {
            from.withUnsafeMutableBufferPointer { b in
                for i in b.indices {
                    to.append((b.baseAddress! + i).move())
                    (b.baseAddress! + i).initialize(to: CaseResult.vacated)
                }
            }
        }

        /// Every result in job order, once the workers have stopped; a job that never ran (the
        /// run was stopped) gets `missing(i)`.
        func results(missing: (Int) -> CaseResult) -> [CaseResult] {
            withLock { s in
                var out: [CaseResult] = []
                swap(&out, &s.results)
                while out.count < count {
                    if var p = s.pending.removeValue(forKey: out.count) { Self.move(&p, to: &out) } else { out.append(missing(out.count)) }
                }
                return out
            }
        }
    }

    /// Decides the pending `select-best` verdicts: for each case and repeat, the grader sees every
    /// prompt version × backend output at once; the chosen one passes, the others fail with the
    /// grader's reason. Statuses are settled again afterwards.
    static func selectBest(_ results: inout [CaseResult], suites: [Suite], access: [GraderAccess], strictRepair: Bool) async {
        struct Group: Hashable { let suite: String, caseId: String, repeatIndex: Int, criterion: String }
        var groups: [Group: [Int]] = [:]
        var order: [Group] = []
        // Read in place: an element taken out of the array is copied field by field.
        results.withUnsafeBufferPointer { results in
            for i in results.indices {
                let r = results.baseAddress! + i
                r.pointee.validators.withUnsafeBufferPointer { vs in
                    for j in vs.indices {
                        guard let pending = vs[j].pendingSelection else { continue }
                        let g = Group(suite: r.pointee.suite, caseId: r.pointee.caseId, repeatIndex: r.pointee.repeatIndex, criterion: pending)
                        if groups[g] == nil { order.append(g) }
                        groups[g, default: []].append(i)
                    }
                }
            }
        }
        for g in order {
            let members = groups[g]!
            guard let si = suites.firstIndex(where: { $0.name == g.suite }) else { continue }
            let parts = g.criterion.split(separator: "\u{0}", omittingEmptySubsequences: false)
            let criterion = String(parts[0]), grader = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
            let outputs = members.map { results[$0].transformed ?? results[$0].output }
            let prompt = BackendRequest(messages: results[members[0]].messages).flattenedPrompt
            let decision = members.count < 2
                ? .failure(TransformError("select-best needs at least two outputs of the case (prompt versions or backends) to compare"))
                : await GradedValidators.selectBest(access[si], criterion: criterion, grader: grader, prompt: prompt, outputs: outputs)
            for (k, i) in members.enumerated() {
                guard let vi = results[i].validators.firstIndex(where: { $0.pendingSelection == g.criterion }) else { continue }
                let old = results[i].validators[vi]
                var v: ValidatorVerdict
                switch decision {
                case .failure(let e):
                    v = ValidatorVerdict(type: old.type, pass: false, score: 0, weight: old.weight, message: "could not evaluate: " + e.message)
                    v.evaluated = false
                case .success(let d):
                    let chosen = d.best == k
                    let who = "\(results[members[d.best]].promptId)@\(results[members[d.best]].backendId)"
                    v = ValidatorVerdict(type: old.type, pass: chosen, score: chosen ? 1 : 0, weight: old.weight,
                                         message: chosen ? "grader '\(d.id)' chose this output of \(members.count): \(d.reason)"
                                                         : "grader '\(d.id)' chose \(who) over this one: \(d.reason)")
                    v.graderAnswer = d.answer
                }
                v.metric = old.metric
                results[i].validators[vi] = v
                if results[i].status != .error && results[i].status != .skipped {
                    CaseEvaluator.settle(&results[i], strictRepair: strictRepair || suites[si].options.strictRepair)
                }
            }
        }
    }

    static func skipped(_ job: Job, _ suite: Suite, _ messages: [ChatMessage], why: String) -> CaseResult {
        let c = suite.cases[job.testCase], p = suite.prompts[job.prompt]
        var r = CaseResult(suite: suite.name, suiteFile: suite.file, caseId: c.id, caseFile: c.file, caseLine: c.line,
                   promptId: p.id, promptSha256: p.sha256, backendId: suite.backends[job.backend].id, status: .skipped, score: 0,
                   threshold: c.threshold, output: "", finishReason: nil, truncated: false, usage: nil, latencyMs: 0,
                   error: why, stderr: nil, validators: [], repairs: [], messages: messages)
        r.repeatIndex = job.repeatIndex
        r.caseColumn = c.column
        r.vars = c.vars
        r.metadata = c.metadata
        return r
    }
}

