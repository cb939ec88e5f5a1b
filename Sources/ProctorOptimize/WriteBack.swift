import Foundation
import ProctorHarness
import ProctorReports

/// `proctor optimize --out`: the suite written back with the winner as one more prompt version,
/// only when it earned it, and only once the written suite is known to load.
extension OptimizeReport {
    /// Why the winner is not written back (nil: it is): it is the starting prompt, or its gain on
    /// the held-out split is not significant and `force` was not given.
    public func writeBackRefusal(force: Bool) -> String? {
        if winnerId == start.candidate.id { return "no candidate did better than the starting prompt on the search split" }
        if !heldOut.significant && !force {
            return "no significant improvement on the held-out split (exact McNemar p = \(String(format: "%.4g", heldOut.mcnemarP))); --force writes it anyway"
        }
        return nil
    }

    /// A write-back that failed: the file and why.
    public struct WriteBackError: Error, Sendable, CustomStringConvertible {
        /// What failed, beginning with the file it is about.
        public let description: String
    }

    /// The suite at `path` with the winner appended as `ID-opt`, written to `out` atomically once it
    /// loads with `loader` (from a file beside `out`, so its relative paths resolve the same).
    public func writeBack(from path: String, to out: String, loader: SuiteLoader) throws(WriteBackError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw WriteBackError(description: "\(path): cannot read the suite to copy it") }
        let h = heldOut
        let description = "proctor optimize (seed \(seed)) from '\(promptId)': " + winner.candidate.lineage.map { "\($0.operatorName): \($0.summary)" }.joined(separator: "; ")
            + "; held-out \(h.startPasses)/\(h.cases.count) → \(h.winnerPasses)/\(h.cases.count), exact McNemar p = \(String(format: "%.4g", h.mcnemarP))"
        let element = SuiteRewriter.element(id: promptId + "-opt", description: description, messages: winner.candidate.messages)
        let text: String
        do { text = try SuiteRewriter.appendPrompt(element, to: String(decoding: data, as: UTF8.self), file: path) } catch {
            throw WriteBackError(description: "\(path): cannot add the prompt version: \(error)")
        }
        let dir = (out as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "" : dir + "/") + ".proctor-optimize-\(getpid())-" + (out as NSString).lastPathComponent
        do { try AtomicFile.write(text, to: tmp) } catch { throw WriteBackError(description: "\(out): cannot write: \(error.localizedDescription)") }
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        do {
            let loaded = try loader.load(tmp)
            guard loaded.prompts.last?.id == promptId + "-opt" else {
                throw WriteBackError(description: "\(out): the written suite does not end with prompt version '\(promptId)-opt'")
            }
        } catch let e as WriteBackError {
            throw e
        } catch {
            let moved = (dir as NSString).standardizingPath != ((path as NSString).deletingLastPathComponent as NSString).standardizingPath
            throw WriteBackError(description: "\(out): the copy of the suite does not load: \(error)"
                                 + (moved ? " (relative paths in the suite resolve from its folder; write --out beside \(path))" : ""))
        }
        do {
            if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
            try FileManager.default.moveItem(atPath: tmp, toPath: out)
        } catch { throw WriteBackError(description: "\(out): cannot write: \(error.localizedDescription)") }
    }

    /// What the console shows of the search: lines for stdout, then notes for stderr.
    public var summaryLines: (out: [String], notes: [String]) {
        let h = heldOut
        func side(_ p: Int, _ w: (low: Double, high: Double)) -> String {
            String(format: "%d/%d (%.1f %%, 95 %% CI %.1f–%.1f %%)", p, h.cases.count, h.cases.isEmpty ? 0 : 100 * Double(p) / Double(h.cases.count), 100 * w.low, 100 * w.high)
        }
        var out = ["optimize \(suite) / \(promptId) on \(backendId): \(searchCases.count) search cases, \(h.cases.count) held out"
                   + (stratifiedBy.map { " (stratified by \($0))" } ?? "") + ", \(entries.count) candidates, \(totalCalls) backend calls; "
                   + "the search ended because \(searchEnded)"]
        let w = winner
        out.append("winner \(w.candidate.id)" + (w.candidate.lineage.isEmpty ? " (the starting prompt)" : " (" + w.candidate.lineage.map { "\($0.operatorName): \($0.summary)" }.joined(separator: "; ") + ")")
                   + ": search \(w.passes)/\(searchCases.count) against \(start.passes)/\(searchCases.count)")
        out.append("held out: start \(side(h.startPasses, h.startWilson)) → winner \(side(h.winnerPasses, h.winnerWilson)); "
                   + "\(h.fixed.count) fixed, \(h.regressed.count) regressed, exact McNemar p = \(String(format: "%.4g", h.mcnemarP))")
        out.append(verdict)
        if let o = written {
            out.append("wrote \(o): prompt version \(promptId)-opt added last (compare both: proctor run \(o) --json R.json; proctor diff R.json --prompts \(promptId),\(promptId)-opt)")
        }
        if let n = notWritten { out.append("--out not written: \(n)") }
        return (out, notes)
    }
}

/// The optimizer's report writers, by format (`json`, `markdown`, `html`).
public enum OptimizeReports {
    /// Every writer of an optimizer's report.
    public static let writers: [String: any ReportWriter<OptimizeReport>] = {
        let all: [any ReportWriter<OptimizeReport>] = [OptimizeJSONReport(), OptimizeMarkdownReport(), OptimizeHTMLReport()]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.format, $0) })
    }()
}
