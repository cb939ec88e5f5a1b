import ProctorSupport

/// What a run is asked to run, checked against the suites before anything runs: a selection that
/// names nothing is a typo, and one that selects nothing is an error unless it is expected.
public enum RunSelection {
    /// A selection that cannot be what was meant; the message says why.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        /// Why the selection cannot be what was meant.
        public let message: String
        /// The message.
        public var description: String { message }
    }

    /// Every suite that failed to load, so a run reports them all at once.
    public struct LoadErrors: Error, Sendable {
        /// One error per problem, each naming its file.
        public let errors: [SuiteError]
    }

    /// Loads every suite file under `paths` (folders searched); the suites, or every load error.
    /// Two suites of one name are an error too (results are keyed by suite name).
    public static func load(_ paths: [String], with loader: SuiteLoader) -> Result<[Suite], LoadErrors> {
        var suites: [Suite] = []
        var errors: [SuiteError] = []
        do {
            for file in try SuiteLoader.expand(paths) {
                do { suites.append(try loader.load(file)) } catch { errors.append(error) }
            }
        } catch {
            errors.append(error)
        }
        var names = Set<String>()
        for s in suites where !names.insert(s.name).inserted {
            errors.append(SuiteError(file: s.file, "two suites are named '\(s.name)'; give one a different \"suite\" name"))
        }
        return errors.isEmpty ? .success(suites) : .failure(LoadErrors(errors: errors))
    }

    /// Checks `options` against `suites`: every `--prompt` and `--backend` names something; the
    /// cases a rerun's results file asks for exist (`rerunFile` names it); and a `--filter` or
    /// `--shard` that selects no case is a problem unless `allowEmpty`.
    public static func check(_ suites: [Suite], _ options: RunOptions, filterText: String?, rerunFile: String?, allowEmpty: Bool) throws(Problem) {
        let prompts = Set(suites.flatMap { $0.prompts.map(\.id) }), backends = Set(suites.flatMap { $0.backends.map(\.id) })
        for (flag, asked, known) in [("--prompt", options.promptIds ?? [], prompts), ("--backend", options.backendIds ?? [], backends)] {
            for a in asked.sorted() where !known.contains(a) {
                throw Problem(message: "\(flag) \(a): no suite has a \(flag.dropFirst(2)) '\(a)'" + Suggestions.hint(for: a, among: Array(known))
                              + " (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
        // A budget needs a price on every backend that costs money.
        if let budget = options.budget, let first = CostBudget.unpriced(suites, selected: options.backendIds).first {
            throw Problem(message: "--max-cost \(budget.maxUsd): backend \(first) has no pricing, so its spending cannot be counted; "
                          + "give it \"pricing\": {\"inputPerMillion\": …, \"outputPerMillion\": …}")
        }
        // A rerun whose results file names cases these suites do not have ran the wrong file.
        if let f = rerunFile, let keys = options.onlyKeys, !keys.isEmpty {
            var known = Set<CaseKey>()
            for s in suites { for c in s.cases { for p in s.prompts { for b in s.backends { known.insert(CaseKey(suite: s.name, caseId: c.id, promptId: p.id, backendId: b.id)) } } } }
            let missing = keys.filter { !known.contains($0) }.sorted { ($0.suite, $0.caseId, $0.promptId, $0.backendId) < ($1.suite, $1.caseId, $1.promptId, $1.backendId) }
            if !missing.isEmpty {
                let named = missing.prefix(5).map { "\($0.suite) / \($0.caseId) [\($0.promptId)@\($0.backendId)]" }.joined(separator: ", ")
                throw Problem(message: "\(f): \(missing.count) of its \(keys.count) case\(keys.count == 1 ? "" : "s") to rerun \(missing.count == 1 ? "is" : "are") not in "
                              + "the suites given (\(named)\(missing.count > 5 ? ", …" : "")); pass the suites that results file came from")
            }
        }
        guard !allowEmpty, options.shard != nil || filterText != nil, Runner.plan(suites, options).isEmpty else { return }
        if let sh = options.shard {
            throw Problem(message: "--shard \(sh.index)/\(sh.count) selects no case (the selection has fewer than \(sh.count) cases); "
                          + "use fewer shards, or pass --allow-empty if that is expected")
        }
        let ids = suites.flatMap { $0.cases.map(\.id) }
        throw Problem(message: "--filter \(filterText ?? "") matches no case (case ids include \(ids.prefix(5).joined(separator: ", "))"
                      + (ids.count > 5 ? ", …" : "") + "); pass --allow-empty if that is expected")
    }

    /// The lines of `--dry-run`: the jobs a run would start, one per case × prompt × backend, and a total.
    public static func matrix(_ suites: [Suite], _ options: RunOptions) -> (lines: [String], total: String) {
        let jobs = Runner.planWithSamples(suites, options)
        let lines = jobs.map { "\($0.key.suite)  \($0.key.caseId)  [\($0.key.promptId)@\($0.key.backendId)]" + ($0.samples > 1 ? "  ×\($0.samples)" : "") }
        let samples = jobs.reduce(0) { $0 + $1.samples }
        // Samples per combination: `--repeat`, or more where a case's gate asks for more.
        return (lines, "dry run: \(jobs.count) case × prompt × backend combination\(jobs.count == 1 ? "" : "s")"
                + (jobs.allSatisfy { $0.samples == max(1, options.repeats) } ? (options.repeats > 1 ? " × \(options.repeats) repeats" : "") : ", \(samples) samples")
                + " in \(suites.count) suite\(suites.count == 1 ? "" : "s"); nothing ran")
    }

    /// `--only-failing` / `--retry-errors` from an earlier run `previous`: the cases to run again
    /// (failing ones, or only the errored ones) and the samples per case, which a retry keeps
    /// (merging another count would mix them); `asked` is `--repeat` when given.
    public static func rerun(_ previous: RunResult, errorsOnly: Bool, asked: Int?, file: String) throws(Problem) -> (keys: Set<CaseKey>, repeats: Int) {
        let keys = Set(previous.groups.filter { errorsOnly ? $0.status == .error : $0.isFailing }.map(\.key))
        let earlier = (previous.results.map(\.repeatIndex).max() ?? 0) + 1
        if let asked, asked != earlier, errorsOnly {
            throw Problem(message: "--repeat \(asked): \(file) has \(earlier) sample\(earlier == 1 ? "" : "s") per case, and --retry-errors merges "
                          + "the new samples into it; rerun with --repeat \(earlier), or run the suite afresh")
        }
        return (keys, asked ?? earlier)
    }
}

