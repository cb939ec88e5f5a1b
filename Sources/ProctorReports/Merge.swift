import Foundation
import ProctorHarness

/// Joins the results of `--shard K/N` runs into one run.
public enum ShardMerge {
    /// Why shard results cannot be merged: a file that is not a shard, shards of other counts or suites, a
    /// shard given twice or missing, or a case in two shards.
    public struct MergeError: Error, CustomStringConvertible {
        /// What is wrong, naming the shard file where one is at fault.
        public let message: String
        /// The message alone, for printing.
        public var description: String { message }
    }

    /// Refuses shards of different suites or suite versions, and reports missing or duplicated shards.
    public static func merge(_ runs: [(path: String, run: RunResult)]) throws(MergeError) -> RunResult {
        guard let first = runs.first else { throw MergeError(message: "no shard files given") }
        var count: Int?
        var seen: [Int: String] = [:]
        func fingerprint(_ r: RunResult) -> String {
            r.suites.map { s in s.name + ":" + s.prompts.map { "\($0.id)=\($0.sha256)" }.sorted().joined(separator: ",") }.sorted().joined(separator: ";")
        }
        let reference = fingerprint(first.run)
        for (path, r) in runs {
            guard let sh = r.shard else { throw MergeError(message: "\(path): not a shard (it was not run with --shard K/N)") }
            if let c = count, c != sh.count { throw MergeError(message: "\(path): shard \(sh.index)/\(sh.count), but other shards are of \(c)") }
            count = sh.count
            if let other = seen[sh.index] { throw MergeError(message: "shard \(sh.index)/\(sh.count) given twice: \(other) and \(path)") }
            seen[sh.index] = path
            if fingerprint(r) != reference {
                throw MergeError(message: "\(path): its suites or prompt versions differ from \(first.path); shards must come from the same suites")
            }
        }
        let missing = (1...count!).filter { seen[$0] == nil }
        if !missing.isEmpty { throw MergeError(message: "missing shard\(missing.count == 1 ? "" : "s") " + missing.map { "\($0)/\(count!)" }.joined(separator: ", ")) }
        var results: [CaseResult] = []
        var keys = Set<SampleKey>()
        for (path, r) in runs {
            for c in r.results {
                if !keys.insert(SampleKey(key: c.key, repeatIndex: c.repeatIndex)).inserted { throw MergeError(message: "\(path): case '\(c.caseId)' [\(c.promptId)@\(c.backendId)] appears in two shards") }
                results.append(c)
            }
        }
        // Report order: suite, then where the case is defined, then prompt and backend as declared.
        let suites = first.run.suites
        func rank(_ c: CaseResult) -> ((Int, String, Int, Int), (String, Int, Int, Int)) {
            let si = suites.firstIndex { $0.name == c.suite } ?? Int.max
            let info = si < suites.count ? suites[si] : nil
            return ((si, c.caseFile, c.caseLine, c.caseColumn), (c.caseId, info?.prompts.firstIndex { $0.id == c.promptId } ?? 0,
                                                                 info?.backends.firstIndex { $0.id == c.backendId } ?? 0, c.repeatIndex))
        }
        results.sort { a, b in
            let (ra, rb) = (rank(a), rank(b))
            return ra.0 != rb.0 ? ra.0 < rb.0 : ra.1 < rb.1
        }
        let started = runs.map(\.run.startedAt).min() ?? first.run.startedAt
        var merged = RunResult(startedAt: started, durationMs: runs.map(\.run.durationMs).max() ?? 0, suites: suites, results: results)
        // A shard that was interrupted, warned or failed to close leaves the merged run the same:
        // the merge never says more than the shards did.
        merged.interrupted = runs.contains { $0.run.interrupted }
        merged.warnings = runs.flatMap { r in r.run.warnings.map { "\(r.path): \($0)" } }
        merged.closeErrors = runs.flatMap { r in r.run.closeErrors.map { "\(r.path): \($0)" } }
        return merged
    }
}

/// One sample of one case × prompt × backend.
struct SampleKey: Hashable {
    let key: CaseKey
    let repeatIndex: Int
}

/// `--retry-errors`: an earlier run with the retried cases' samples replaced by the new ones.
public enum Merge {
    /// The earlier run's results in their order, each retried case × prompt × backend taking the
    /// new samples; the suites and timing are the new run's, the start time the earlier one's.
    public static func replacing(in previous: RunResult, with retried: RunResult) -> RunResult {
        let fresh = Dictionary(grouping: retried.results, by: \.key)
        var out: [CaseResult] = []
        var placed = Set<CaseKey>()
        for r in previous.results {
            if let new = fresh[r.key] {
                if placed.insert(r.key).inserted { out += new }
            } else {
                out.append(r)
            }
        }
        for r in retried.results where !placed.contains(r.key) && previous.results.allSatisfy({ $0.key != r.key }) { out.append(r) }
        var merged = RunResult(startedAt: previous.startedAt, durationMs: previous.durationMs + retried.durationMs,
                               suites: retried.suites.isEmpty ? previous.suites : retried.suites, results: out)
        merged.closeErrors = retried.closeErrors
        merged.warnings = retried.warnings
        merged.interrupted = retried.interrupted
        return merged
    }
}
