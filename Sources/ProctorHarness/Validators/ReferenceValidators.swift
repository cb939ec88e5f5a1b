import Foundation
import ProctorJSON
import ProctorSupport

/// Checks against a reference text by a similarity metric: `text-similarity` with `metric` (bleu,
/// gleu, fuzzy, rouge1…rouge5, rougeL; see `TextMetrics`), `reference` and `threshold`.
enum ReferenceValidators {
    static let factories: [String: ValidatorFactory] = [
        "text-similarity": { c throws(SuiteError) in try TextSimilarity(c) },
    ]

    /// Passes when the metric of the text against `reference` reaches `threshold` (default 0.5);
    /// the metric is the score, so a case `threshold` weighs it.
    struct TextSimilarity: ImmediateValidator {
        let metric: String
        let reference: String
        let threshold: Double
        /// METEOR's synonyms.
        let wordnet: WordNet?
        static let measures = TextMetrics.names + ["meteor"]
        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["measure", "reference", "threshold", "wordnet"])
            guard let m = try c.string("measure"), Self.measures.contains(m) else {
                throw c.error(c.object["measure"] == nil ? nil : "measure", "validator 'text-similarity' needs \"measure\": one of \(Self.measures.joined(separator: ", "))"
                              + (c.object["measure"]?.stringValue.map { Suggestions.hint(for: $0, among: Self.measures) } ?? ""))
            }
            metric = m
            if m == "meteor" {
                let given = try c.string("wordnet")
                let folders = given.map { [$0.hasPrefix("/") ? $0 : c.suiteDirectory + "/" + $0] } ?? WordNet.defaultFolders(home: c.environment["HOME"])
                guard let w = WordNet.find(in: folders) else {
                    throw c.error(given == nil ? "measure" : "wordnet", given.map { "\"wordnet\": no WordNet 3.0 database (index.noun, data.noun, noun.exc, …) in \($0)" }
                                  ?? "meteor needs the WordNet 3.0 database for its synonyms, and none was found (looked in \(folders.joined(separator: ", "))): install it (Debian, Ubuntu: apt install wordnet-base) or give \"wordnet\": FOLDER")
                }
                wordnet = w
            } else {
                if c.object["wordnet"] != nil { throw c.error("wordnet", "\"wordnet\" goes with measure meteor") }
                wordnet = nil
            }
            guard let r = try c.string("reference") else { throw c.error(nil, "validator 'text-similarity' needs \"reference\", the text to compare with") }
            reference = r
            let t = try c.number("threshold") ?? 0.5
            guard t >= 0, t <= 1 else { throw c.error("threshold", "\"threshold\" must be between 0 and 1, found \(JSONNumber(t))") }
            threshold = t
        }
        func checkNow(_ s: Subject, _ ctx: CheckContext) -> CheckResult {
            let score = wordnet.map { Meteor.score(s.text, reference, wordnet: $0) } ?? TextMetrics.score(metric, candidate: s.text, reference: reference) ?? 0
            let shown = String(format: "%.4f", score)
            var r = CheckResult(pass: score >= threshold - 1e-12, score: score,
                                message: "\(metric) \(shown) \(score >= threshold - 1e-12 ? "≥" : "<") threshold \(JSONNumber(threshold).text)")
            r.value = score
            return r
        }
    }
}
