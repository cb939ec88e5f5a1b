import Foundation
import ProctorBackends
import ProctorHarness
import ProctorJSON
import ProctorReports
import ProctorTestSupport
import XCTest

final class StatisticsTests: XCTestCase {
    func testWilsonKnownValues() {
        let a = Statistics.wilson(successes: 8, trials: 10)
        XCTAssertEqual(a.low, 0.4902, accuracy: 1e-4)
        XCTAssertEqual(a.high, 0.9433, accuracy: 1e-4)
        let b = Statistics.wilson(successes: 0, trials: 10)
        XCTAssertEqual(b.low, 0, accuracy: 1e-9)
        XCTAssertEqual(b.high, 0.2775, accuracy: 1e-4)
        let c = Statistics.wilson(successes: 50, trials: 100)
        XCTAssertEqual(c.low, 0.4038, accuracy: 1e-4)
        XCTAssertEqual(c.high, 0.5962, accuracy: 1e-4)
        XCTAssertEqual(Statistics.wilson(successes: 0, trials: 0).high, 1)
    }

    /// pass@k and pass^k against brute force over every k-subset of the samples (computed offline in Python).
    func testPassAtKAndPassHatKKnownValues() {
        for (n, c, k, at, hat) in [(5, 2, 2, 0.7, 0.1), (10, 3, 4, 0.8333333333333334, 0.0), (8, 8, 3, 1.0, 1.0), (6, 0, 2, 0.0, 0.0),
                                   (7, 5, 7, 1.0, 0.0), (20, 13, 5, 0.9986455108359134, 0.0830108359133127)] {
            XCTAssertEqual(Statistics.passAtK(n: n, c: c, k: k), at, accuracy: 1e-12, "pass@\(k) n=\(n) c=\(c)")
            XCTAssertEqual(Statistics.passHatK(n: n, c: c, k: k), hat, accuracy: 1e-12, "pass^\(k) n=\(n) c=\(c)")
        }
    }

    /// The exact McNemar power against an independent computation (scipy: the trinomial of
    /// regressions and improvements enumerated, scipy's exact binomial test deciding each split),
    /// and the planned case count by simulation: it reaches the power, and 15 % fewer cases do not.
    func testPairedPowerPlanAgainstReferenceAndSimulation() {
        for (n, q, d, alpha, reference) in [(30, 0.2, 0.1, 0.05, 0.09925164751329485), (60, 0.3, 0.1, 0.05, 0.22084643588780828),
                                            (100, 0.25, 0.08, 0.05, 0.283809446491812), (45, 0.4, 0.2, 0.01, 0.2424273113375468)] {
            XCTAssertEqual(PowerPlan.powers(maxCases: n, discordance: q, change: d, alpha: alpha)[n], reference, accuracy: 1e-9, "n \(n)")
        }
        // scipy: 249 cases (power 0.8014) for Q 0.3, D 0.1, α 0.05, power 0.8; 211 (85 %) give 0.7289.
        let plan = PowerPlan.casesNeeded(discordance: 0.3, change: 0.1, alpha: 0.05, power: 0.8)
        XCTAssertEqual(plan?.cases, 249)
        XCTAssertEqual(plan?.power ?? 0, 0.8014469210290321, accuracy: 1e-9)
        XCTAssertEqual(PowerPlan.casesNeeded(discordance: 0.2, change: 0.1, alpha: 0.05, power: 0.8)?.cases, 168)
        // Simulation (seeded): paired outcomes drawn, the exact test run on each replicate.
        var rng = SeededGenerator(seed: 11)
        func simulated(_ n: Int) -> Double {
            var rejections = 0
            let trials = 4000
            for _ in 0..<trials {
                var b = 0, c = 0
                for _ in 0..<n {
                    let u = Double(rng.next() % 1_000_000) / 1_000_000
                    if u < 0.1 { b += 1 } else if u < 0.3 { c += 1 }  // p10 = (Q − D)/2 = 0.1, p01 = 0.2
                }
                if Statistics.mcnemarExact(b: b, c: c) <= 0.05 { rejections += 1 }
            }
            return Double(rejections) / Double(trials)
        }
        XCTAssertGreaterThan(simulated(249), 0.78, "the planned count reaches the power (within simulation error)")
        XCTAssertLessThan(simulated(211), 0.76, "15 % fewer cases do not")
        // The other way round: what 249 cases detect is the change planned for.
        let detectable = PowerPlan.detectableChange(cases: 249, baseline: 0.6, discordance: 0.3, alpha: 0.05, power: 0.8)
        XCTAssertEqual(detectable?.change ?? 0, 0.1, accuracy: 0.002)
    }

    /// Fisher's exact test power for two independent case sets against scipy (every table of
    /// both arms enumerated offline, scipy.stats.fisher_exact deciding each), the planned size
    /// the first n scipy finds reaching the power; and the verdict rate under repeats.
    func testIndependentPowerAndRepeatsAgainstScipy() {
        XCTAssertEqual(PowerPlan.fisherPower(n: 40, p1: 0.5, p2: 0.8, alpha: 0.05), 0.7494251203673746, accuracy: 1e-9)
        XCTAssertEqual(PowerPlan.fisherPower(n: 25, p1: 0.3, p2: 0.7, alpha: 0.05), 0.7821987478602903, accuracy: 1e-9)
        let plan = PowerPlan.independentCasesNeeded(baseline: 0.6, change: 0.2, alpha: 0.05, power: 0.8)
        XCTAssertEqual(plan?.cases, 90)
        XCTAssertEqual(plan?.power ?? 0, 0.8016799988742669, accuracy: 1e-9)
        XCTAssertEqual(PowerPlan.independentDetectableChange(cases: 90, baseline: 0.6, alpha: 0.05, power: 0.8)?.change ?? 0, 0.2, accuracy: 0.003)
        // P(Bin(R, p) ≥ ⌈m·R⌉): scipy.stats.binom.sf.
        XCTAssertEqual(PowerPlan.verdictPassRate(samplePassRate: 0.8, repeats: 3, minPassRate: 1), 0.512, accuracy: 1e-12)
        XCTAssertEqual(PowerPlan.verdictPassRate(samplePassRate: 0.9, repeats: 5, minPassRate: 0.6), 0.99144, accuracy: 1e-9)
        XCTAssertEqual(PowerPlan.verdictPassRate(samplePassRate: 0.7, repeats: 4, minPassRate: 1), 0.2401, accuracy: 1e-9)
    }

    func testExactMcNemarKnownValues() {
        XCTAssertEqual(Statistics.mcnemarExact(b: 1, c: 9), 0.021484375, accuracy: 1e-12)
        XCTAssertEqual(Statistics.mcnemarExact(b: 0, c: 5), 0.0625, accuracy: 1e-12)
        XCTAssertEqual(Statistics.mcnemarExact(b: 3, c: 3), 1)
        XCTAssertEqual(Statistics.mcnemarExact(b: 0, c: 0), 1)
        XCTAssertEqual(Statistics.mcnemarExact(b: 2, c: 12), 0.012939453125, accuracy: 1e-12)
        XCTAssertLessThan(Statistics.mcnemarExact(b: 100, c: 300), 1e-20, "large counts do not overflow")
    }
}

final class FamilyStatisticsTests: XCTestCase {
    /// Holm–Bonferroni against the step-down rule worked by hand (and by statsmodels' `holm`):
    /// sorted 0.005, 0.01, 0.03, 0.04, 0.2 times 5, 4, 3, 2, 1, made monotone.
    func testHolmKnownValues() {
        let adjusted = Statistics.holm([0.01, 0.04, 0.03, 0.005, 0.2])
        for (a, b) in zip(adjusted, [0.04, 0.09, 0.09, 0.025, 0.2]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual(Statistics.holm([0.3]), [0.3])
        XCTAssertEqual(Statistics.holm([0.5, 0.6]), [1, 1], "capped at 1")
        XCTAssertEqual(Statistics.holm([]), [])
    }

    /// The paired bootstrap against scipy.stats.bootstrap (percentile method, 200,000 resamples,
    /// computed offline): mean 0.225, 95 % CI 0.025 to 0.425 for these 30 differences. Ours uses
    /// 2,000 seeded resamples, so it agrees within the resampling noise and is the same on every run.
    func testPairedBootstrapAgreesWithScipy() throws {
        let d: [Double] = [1, 0, 0, -1, 0.5, 0, 1, 1, 0, 0, -0.5, 0, 1, 0, 0, 0.25, 1, 0, 0, -1, 0, 1, 1, 0, 0, 0.5, 0, 0, 1, 0]
        let b = try XCTUnwrap(Statistics.pairedBootstrap(d))
        XCTAssertEqual(b.mean, 0.225, accuracy: 1e-12)
        XCTAssertEqual(b.low, 0.025, accuracy: 0.03)
        XCTAssertEqual(b.high, 0.425, accuracy: 0.03)
        let again = try XCTUnwrap(Statistics.pairedBootstrap(d))
        XCTAssertEqual(again.low, b.low)
        XCTAssertEqual(again.high, b.high)
        let other = try XCTUnwrap(Statistics.pairedBootstrap(d, seed: 7))
        XCTAssertEqual(other.low, 0.025, accuracy: 0.03)
        XCTAssertNil(Statistics.pairedBootstrap([]))
        let constant = try XCTUnwrap(Statistics.pairedBootstrap([0.5, 0.5, 0.5]))
        XCTAssertEqual(constant.low, 0.5)
        XCTAssertEqual(constant.high, 0.5)
    }

    func result(_ c: String, _ pass: Bool, prompt: String, backend: String, repeatIndex: Int = 0, metric: Bool? = nil) -> CaseResult {
        var vs: [ValidatorVerdict] = []
        if let metric {
            var v = ValidatorVerdict(type: "contains", pass: metric, score: metric ? 1 : 0, weight: 1, message: "")
            v.metric = "accuracy"
            vs.append(v)
        }
        var r = CaseResult(suite: "s", suiteFile: "s.json", caseId: c, caseFile: "s.json", caseLine: 1, promptId: prompt, promptSha256: "x",
                           backendId: backend, status: pass ? .passed : .failed, score: pass ? 1 : 0, threshold: nil, output: "o",
                           finishReason: .stop, truncated: false, usage: nil, latencyMs: 1, error: nil, stderr: nil, validators: vs,
                           repairs: [], messages: [])
        r.repeatIndex = repeatIndex
        return r
    }

    /// Two backends and a named metric make three tests: each with McNemar's p, Holm-adjusted over
    /// the three, a score interval; pass@k means per side with repeats; all in JSON, text and Markdown.
    func testDiffComparesPerBackendAndMetricWithHolm() throws {
        var rs: [CaseResult] = []
        for i in 0..<8 {
            // Backend a: v2 fixes 6 of 8; backend b: v2 fixes 1, breaks 1. The metric follows the verdict on a.
            rs.append(result("c\(i)", i >= 6, prompt: "v1", backend: "a", metric: i >= 6))
            rs.append(result("c\(i)", true, prompt: "v2", backend: "a", metric: true))
            rs.append(result("c\(i)", i != 0, prompt: "v1", backend: "b"))
            rs.append(result("c\(i)", i != 1, prompt: "v2", backend: "b"))
        }
        let d = DiffReport.compare(run: RunResult(startedAt: Date(), durationMs: 1, suites: [], results: rs), basePrompt: "v1", headPrompt: "v2")
        XCTAssertEqual(d.comparisons.map(\.name), ["a", "b", "metric accuracy"])
        let a = d.comparisons[0], b = d.comparisons[1], m = d.comparisons[2]
        XCTAssertEqual([a.fixed, a.regressed, b.fixed, b.regressed, m.fixed, m.regressed], [6, 0, 1, 1, 6, 0])
        XCTAssertEqual(a.p, 0.03125, accuracy: 1e-12)
        XCTAssertEqual(b.p, 1)
        // Holm over (0.03125, 1, 0.03125): both smallest × 3, made monotone → 0.09375.
        XCTAssertEqual(a.pAdjusted, 0.09375, accuracy: 1e-12)
        XCTAssertEqual(m.pAdjusted, 0.09375, accuracy: 1e-12)
        XCTAssertEqual(b.pAdjusted, 1)
        XCTAssertEqual(try XCTUnwrap(a.scores).mean, 0.75, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(b.scores).mean, 0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(d.scoreDifference).mean, 0.375, accuracy: 1e-12)
        XCTAssertTrue(d.text.contains("3 comparisons, p adjusted by Holm–Bonferroni"), d.text)
        XCTAssertTrue(d.text.contains("a: 6 fixed, 0 regressed of 8; p = 0.03125, adjusted 0.09375"), d.text)
        let json = d.json
        XCTAssertEqual(json["adjustment"], "holm")
        XCTAssertEqual(json["comparisons"]?[2]?["pAdjusted"]?.doubleValue ?? 0, 0.09375, accuracy: 1e-6)
        XCTAssertEqual(json["bootstrap"]?["seed"], 2026)
        XCTAssertTrue(MarkdownWriter.diff(d).contains("| metric accuracy | 6 | 0 | 0.03125 | 0.09375 |"), MarkdownWriter.diff(d))
        XCTAssertTrue(d.passAtK.base.isEmpty, "one sample per case: no pass@k")

        // With three samples per case: pass@k and pass^k means on each side.
        var reps: [CaseResult] = []
        for i in 0..<2 {
            for r in 0..<3 {
                reps.append(result("c\(i)", r == 0, prompt: "v1", backend: "a", repeatIndex: r))
                reps.append(result("c\(i)", true, prompt: "v2", backend: "a", repeatIndex: r))
            }
        }
        let k = DiffReport.compare(run: RunResult(startedAt: Date(), durationMs: 1, suites: [], results: reps), basePrompt: "v1", headPrompt: "v2")
        XCTAssertEqual(k.passAtK.base.count, 3)
        XCTAssertEqual(k.passAtK.base[0], 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(k.passAtK.base[1], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(k.passHatK.base[1], 0, accuracy: 1e-12)
        XCTAssertEqual(k.passHatK.head, [1, 1, 1])
        XCTAssertEqual(k.json["passAtK"]?["base"]?["2"]?.doubleValue ?? 0, 0.6667, accuracy: 1e-4)
        XCTAssertTrue(k.text.contains("pass@k: k=1 0.333, k=2 0.667, k=3 1.000 → k=1 1.000"), k.text)
        XCTAssertTrue(MarkdownWriter.diff(k).contains("pass@k k=1 0.333, k=2 0.667, k=3 1.000 → k=1 1.000"))
        XCTAssertTrue(HTMLWriter.diff(d).contains("3 comparisons, p adjusted by Holm–Bonferroni"), "the HTML page shows the family too")
    }
}

final class TextDiffTests: XCTestCase {
    func testLineAndWordDiff() {
        XCTAssertEqual(TextDiff.diff(["a", "b", "c"], ["a", "x", "c"]), [.same("a"), .removed("b"), .added("x"), .same("c")])
        XCTAssertEqual(TextDiff.diff([], ["a"]), [.added("a")])
        XCTAssertEqual(TextDiff.words("Hello, big world"), ["Hello", ",", " ", "big", " ", "world"])
        XCTAssertEqual(TextDiff.words("a  b").joined(), "a  b")
        XCTAssertEqual(TextDiff.unified("one\ntwo", "one\nthree"), ["  one", "- two", "+ three"])
    }
}

final class DiffTests: XCTestCase {
    func result(_ c: String, _ status: CaseStatus, prompt: String = "p", backend: String = "b", output: String = "out", score: Double? = nil,
                repeatIndex: Int = 0, minPassRate: Double = 1) -> CaseResult {
        var r = CaseResult(suite: "s", suiteFile: "s.json", caseId: c, caseFile: "s.json", caseLine: 1, promptId: prompt, promptSha256: "x",
                           backendId: backend, status: status, score: score ?? (status == .passed ? 1 : 0), threshold: nil, output: output,
                           finishReason: .stop, truncated: false, usage: nil, latencyMs: 1, error: nil, stderr: nil,
                           validators: status == .failed ? [ValidatorVerdict(type: "contains", pass: false, score: 0, weight: 1, message: "nope")] : [],
                           repairs: [], messages: [])
        r.repeatIndex = repeatIndex
        r.minPassRate = minPassRate
        return r
    }

    func run(_ rs: [CaseResult]) -> RunResult { RunResult(startedAt: Date(), durationMs: 1, suites: [], results: rs) }

    func testEveryTransitionAndPairing() {
        let base = run([result("fixed", .failed), result("regressed", .passed), result("still-failing", .failed),
                        result("still-passing", .passed), result("removed", .passed)])
        let head = run([result("fixed", .passed), result("regressed", .failed, output: "changed"), result("still-failing", .failed),
                        result("still-passing", .passed), result("new", .passed)])
        let d = DiffReport.compare(base: base, head: head, baseLabel: "main", headLabel: "branch")
        let byCase = Dictionary(uniqueKeysWithValues: d.entries.map { ($0.caseId, $0.transition) })
        XCTAssertEqual(byCase["fixed"], .fixed)
        XCTAssertEqual(byCase["regressed"], .regressed)
        XCTAssertEqual(byCase["still-failing"], .stillFailing)
        XCTAssertEqual(byCase["still-passing"], .stillPassing)
        XCTAssertEqual(byCase["removed"], .removed)
        XCTAssertEqual(byCase["new"], .new)
        XCTAssertEqual(d.base.passes, 3)
        XCTAssertEqual(d.base.cases, 5)
        XCTAssertEqual(d.head.cases, 5)
        XCTAssertEqual(d.mcnemarP, 1)
        XCTAssertTrue(d.entries.first { $0.caseId == "regressed" }!.outputChanged)
        XCTAssertEqual(d.entries.first { $0.caseId == "fixed" }!.scoreDelta, 1)
    }

    func testPromptVersionsInOneRun() {
        let r = run([result("a", .failed, prompt: "v1"), result("a", .passed, prompt: "v2"), result("b", .passed, prompt: "v1"),
                     result("b", .passed, prompt: "v2"), result("c", .passed, prompt: "v2")])
        let d = DiffReport.compare(run: r, basePrompt: "v1", headPrompt: "v2")
        XCTAssertEqual(d.count(.fixed), 1)
        XCTAssertEqual(d.count(.stillPassing), 1)
        XCTAssertEqual(d.count(.new), 1, "a case only the new prompt ran is new")
    }

    func testRepeatsGiveFlakyStatusAndPassRates() {
        let samples = (0..<4).map { result("x", $0 < 3 ? .passed : .failed, repeatIndex: $0, minPassRate: 0.7) }
        let g = CaseGroup.group(samples)
        XCTAssertEqual(g.count, 1)
        XCTAssertEqual(g[0].status, .passed, "0.75 reaches minPassRate 0.7")
        XCTAssertTrue(g[0].flaky)
        XCTAssertEqual(g[0].passRate, 0.75)
        let s = RunSummary(samples)
        XCTAssertEqual(s.flaky, 1)
        XCTAssertEqual(s.flakyFailing, 0, "0.75 ≥ minPassRate 0.7")
        XCTAssertTrue(s.allPassed)
        let strict = RunSummary((0..<4).map { result("x", $0 < 3 ? .passed : .failed, repeatIndex: $0) })
        XCTAssertFalse(strict.allPassed, "default minPassRate 1 makes a flaky case fail the run")
        XCTAssertEqual([strict.failed, strict.flaky, strict.passed], [1, 1, 0], "counted once, as failed, and listed as flaky")
        // JUnit: one testcase per case, the pass count as a suite property, still schema-shaped.
        let xml = JUnitWriter.render(run(samples))
        XCTAssertEqual(xml.components(separatedBy: "<testcase ").count - 1, 1)
        XCTAssertTrue(xml.contains(#"<property name="passes.x" value="3/4"/>"#))
        let json = try! JSONParser.parse(ResultsFile.render(run(samples), toolVersion: "t"))
        XCTAssertEqual(json["results"]?.arrayValue?.count, 4, "every sample kept")
        XCTAssertEqual(json["cases"]?[0]?["status"], "passed")
        XCTAssertEqual(json["cases"]?[0]?["flaky"], true)
        XCTAssertEqual(json["cases"]?[0]?["passes"], 3)
    }

    func testEscapingInHTMLAndMarkdown() {
        let nasty = "<script>alert(1)</script> | `tick` ```fence``` & \"q\""
        let base = run([result("x|y`z", .passed, output: nasty)])
        let head = run([result("x|y`z", .failed, output: nasty + " more")])
        let d = DiffReport.compare(base: base, head: head, baseLabel: "a<b", headLabel: "c|d")
        let html = HTMLWriter.diff(d)
        XCTAssertFalse(html.contains("<script>alert"), "model output never becomes markup")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("a&lt;b"))
        let md = MarkdownWriter.diff(d)
        XCTAssertTrue(md.contains(#"x\|y\`z"#), md)
        XCTAssertFalse(md.contains("| <script>"))
        // Output in a fence longer than any backtick run inside it.
        XCTAssertTrue(md.contains("````diff"), md)
        let runHTML = HTMLWriter.run(head)
        XCTAssertFalse(runHTML.contains("<script>alert"))
    }

    func testMergeShards() throws {
        func shard(_ k: Int, _ cases: [String]) -> RunResult {
            var r = RunResult(startedAt: Date(), durationMs: 1, suites: [SuiteInfo(name: "s", file: "s.json", description: nil, prompts: [("p", "x")], backends: [("b", "echo", JSONObject())])],
                              results: cases.map { result($0, .passed) })
            r.shard = (k, 3)
            return r
        }
        let merged = try ShardMerge.merge([("1", shard(1, ["a"])), ("2", shard(2, ["b", "c"])), ("3", shard(3, []))])
        XCTAssertEqual(merged.results.map(\.caseId), ["a", "b", "c"])
        XCTAssertFalse(merged.interrupted)
        // An interrupted shard (or its warnings) leaves the merge interrupted (warned) too.
        var cut = shard(2, ["b"])
        cut.interrupted = true
        cut.warnings = ["pricing unknown"]
        let partial = try ShardMerge.merge([("1", shard(1, ["a"])), ("2", cut), ("3", shard(3, []))])
        XCTAssertTrue(partial.interrupted)
        XCTAssertEqual(partial.warnings, ["2: pricing unknown"])
        XCTAssertThrowsError(try ShardMerge.merge([("1", shard(1, ["a"])), ("3", shard(3, []))])) { XCTAssertEqual("\($0)", "missing shard 2/3") }
        XCTAssertThrowsError(try ShardMerge.merge([("1", shard(1, ["a"])), ("1b", shard(1, ["a"])), ("2", shard(2, []))])) {
            XCTAssertTrue("\($0)".contains("given twice"))
        }
        var other = shard(2, ["b"])
        other = RunResult(startedAt: Date(), durationMs: 1, suites: [SuiteInfo(name: "s", file: "s.json", description: nil, prompts: [("p", "CHANGED")], backends: [])],
                          results: other.results)
        other.shard = (2, 3)
        XCTAssertThrowsError(try ShardMerge.merge([("1", shard(1, ["a"])), ("2", other), ("3", shard(3, []))])) {
            XCTAssertTrue("\($0)".contains("differ"))
        }
        var unsharded = shard(1, ["a"])
        unsharded.shard = nil
        XCTAssertThrowsError(try ShardMerge.merge([("u", unsharded)])) { XCTAssertTrue("\($0)".contains("not a shard")) }
    }
}

/// The diff page and the pull-request comment (issue: reports people would rather look at).
final class DiffPresentationTests: XCTestCase {
    func result(_ c: String, _ status: CaseStatus, prompt: String, output: String, message: String = "") -> CaseResult {
        CaseResult(suite: "s", suiteFile: "s.json", caseId: c, caseFile: "s.json", caseLine: 1, promptId: prompt, promptSha256: "",
                   backendId: "b", status: status, score: status == .passed ? 1 : 0, threshold: nil, output: output, finishReason: .stop,
                   truncated: false, usage: nil, latencyMs: 1, error: nil, stderr: nil,
                   validators: [ValidatorVerdict(type: "contains", pass: status == .passed, score: 0, weight: 1, message: message)],
                   repairs: [], messages: [])
    }

    func testCommentFitsGitHubsLimit() {
        var rs: [CaseResult] = []
        for i in 0..<5000 {
            rs.append(result("case-\(i)", .passed, prompt: "v1", output: "ok"))
            rs.append(result("case-\(i)", .failed, prompt: "v2", output: "no", message: String(repeating: "long reason ", count: 20)))
        }
        let d = DiffReport.compare(run: RunResult(startedAt: Date(), durationMs: 1, suites: [], results: rs), basePrompt: "v1", headPrompt: "v2")
        XCTAssertEqual(d.count(.regressed), 5000)
        let c = MarkdownWriter.comment(d, htmlURL: "https://ci.example/diff.html")
        XCTAssertLessThanOrEqual(c.count, MarkdownWriter.commentLimit)
        XCTAssertTrue(c.hasPrefix("### Proctor: 5000 regressed, 0 fixed"))
        XCTAssertTrue(c.contains("more not shown (GitHub's comment limit); see the full report"), String(c.suffix(400)))
        XCTAssertTrue(c.contains("[s / case-0 [v1→v2@b]](https://ci.example/diff.html)"))
    }

    func testSideBySideMarksOnlyChangedTokensAndFallsBackToPlain() {
        let (l, r, plain) = HTMLWriter.sideBySide(#"{"category": "refund", "priority": "low"}"#, #"{"category": "bug", "priority": "low"}"#)
        XCTAssertFalse(plain)
        XCTAssertTrue(l.contains("<del>&quot;refund&quot;,</del>"), l)
        XCTAssertTrue(r.contains("<ins>&quot;bug&quot;,</ins>"), r)
        XCTAssertTrue(l.contains("&quot;priority&quot;:"), "unchanged tokens are not marked")
        let (l2, r2, plain2) = HTMLWriter.sideBySide("the cat sat on the mat", "completely different words entirely here")
        XCTAssertTrue(plain2, "a diff that marks most of the text shows both plainly")
        XCTAssertFalse(l2.contains("<del>") || r2.contains("<ins>"))
    }

    func testLeftOutSuitesAreNamed() {
        var rs = [result("a", .passed, prompt: "v1", output: "x"), result("a", .failed, prompt: "v2", output: "y")]
        var other = result("b", .passed, prompt: "v1", output: "x")
        other.suite = "only-v1"
        rs.append(other)
        let d = DiffReport.compare(run: RunResult(startedAt: Date(), durationMs: 1, suites: [], results: rs), basePrompt: "v1", headPrompt: "v2")
        XCTAssertEqual(d.leftOut, ["suite only-v1: no prompt v2"])
        XCTAssertEqual(d.entries.count, 1)
        XCTAssertTrue(HTMLWriter.diff(d).contains("Left out of the comparison: suite only-v1: no prompt v2"))
        XCTAssertTrue(MarkdownWriter.diff(d).contains("Left out of the comparison"))
    }
}
