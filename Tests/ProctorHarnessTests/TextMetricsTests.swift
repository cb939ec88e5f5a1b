import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// BLEU, GLEU and ROUGE against the reference implementations, computed offline: sacrebleu 2
/// (`BLEU(effective_order=True).sentence_score`), NLTK (`sentence_gleu`) and Google's rouge_score
/// (`RougeScorer`, F-measure, no stemmer); and the `text-similarity` validator that uses them.
final class TextMetricsTests: XCTestCase {
    func testMetricsAgreeWithTheReferenceImplementations() {
        let reference: [(String, String, [String: Double])] = [
            ("The cat sat on the mat.", "The cat is sitting on the mat.", ["bleu": 0.42383656282787785, "gleu": 0.4090909090909091, "rouge1": 0.7692307692307692, "rouge2": 0.5454545454545454, "rouge3": 0.22222222222222224, "rouge4": 0.0, "rouge5": 0.0, "rougeL": 0.7692307692307692]),
            ("Hello, world!", "Hello world", ["bleu": 0.1899589214128981, "gleu": 0.0, "rouge1": 1.0, "rouge2": 1.0, "rouge3": 0.0, "rouge4": 0.0, "rouge5": 0.0, "rougeL": 1.0]),
            ("It costs 3.50 dollars, or 3-4 euros.", "The price is 3.50 dollars (about 3-4 euros).", ["bleu": 0.24177037175577332, "gleu": 0.07692307692307693, "rouge1": 0.631578947368421, "rouge2": 0.47058823529411764, "rouge3": 0.26666666666666666, "rouge4": 0.0, "rouge5": 0.0, "rougeL": 0.631578947368421]),
            ("Paris is the capital of France", "The capital of France is Paris.", ["bleu": 0.29059254080791846, "gleu": 0.3888888888888889, "rouge1": 1.0, "rouge2": 0.6, "rouge3": 0.5, "rouge4": 0.3333333333333333, "rouge5": 0.0, "rougeL": 0.6666666666666666]),
            ("a", "completely different words here", ["bleu": 0.0, "gleu": 0.0, "rouge1": 0.0, "rouge2": 0.0, "rouge3": 0.0, "rouge4": 0.0, "rouge5": 0.0, "rougeL": 0.0]),
            ("Refund issued for order 42; you'll see it by Friday.", "We refunded order 42, and you will see the money by Friday.", ["bleu": 0.14043459416399545, "gleu": 0.11904761904761904, "rouge1": 0.5217391304347826, "rouge2": 0.1904761904761905, "rouge3": 0.0, "rouge4": 0.0, "rouge5": 0.0, "rougeL": 0.5217391304347826]),
            ("the the the the", "the cat", ["bleu": 0.1597357760615681, "gleu": 0.1, "rouge1": 0.3333333333333333, "rouge2": 0.0, "rouge3": 0.0, "rouge4": 0.0, "rouge5": 0.0, "rougeL": 0.3333333333333333]),
            ("Oslo: rain, 12 C", "Oslo: rain, 12 C", ["bleu": 1.0000000000000004, "gleu": 1.0, "rouge1": 1.0, "rouge2": 1.0, "rouge3": 1.0, "rouge4": 1.0, "rouge5": 0.0, "rougeL": 1.0]),
            ("", "something here", ["bleu": 0.0, "gleu": 0.0, "rouge1": 0.0, "rouge2": 0.0, "rouge3": 0.0, "rouge4": 0.0, "rouge5": 0.0, "rougeL": 0]),
            ("Café déjà vu! It's 5 o'clock.", "cafe deja vu, it is 5 o'clock", ["bleu": 0.12223075560872519, "gleu": 0.045454545454545456, "rouge1": 0.5882352941176471, "rouge2": 0.39999999999999997, "rouge3": 0.15384615384615383, "rouge4": 0.0, "rouge5": 0.0, "rougeL": 0.5882352941176471]),
            ("x-ray 5-6 items, 1,000.50 USD.", "x - ray 5 - 6 items 1,000.50 usd", ["bleu": 0.3155984539112946, "gleu": 0.03333333333333333, "rouge1": 1.0, "rouge2": 1.0, "rouge3": 1.0, "rouge4": 1.0, "rouge5": 1.0, "rougeL": 1.0]),
            ("Line one.\nLine two -\nends", "Line one. Line two ends", ["bleu": 1.0000000000000004, "gleu": 0.6111111111111112, "rouge1": 1.0, "rouge2": 1.0, "rouge3": 1.0, "rouge4": 1.0, "rouge5": 1.0, "rougeL": 1.0]),
        ]
        for (candidate, ref, want) in reference {
            for (metric, value) in want {
                XCTAssertEqual(TextMetrics.score(metric, candidate: candidate, reference: ref) ?? -1, value, accuracy: 1e-9, "\(metric) of \(candidate.debugDescription)")
            }
        }
        // METEOR needs WordNet: the validator computes it (MeteorTests), TextMetrics alone does not.
        XCTAssertNil(TextMetrics.score("meteor", candidate: "a", reference: "a"))
    }

    /// rapidfuzz 3.14 `fuzz.WRatio(a, b, processor=utils.default_process) / 100`, computed offline:
    /// the plain, token, partial and partial-token branches (shared words, lengths 1.5× and 8× apart,
    /// windows longer than 64 code points, Unicode letters).
    func testFuzzyAgreesWithRapidfuzzWRatio() {
        let reference: [(String, String, Double)] = [
            ("The cat sat on the mat.", "The cat is sitting on the mat.", 0.83125),
            ("Hello, world!", "Hello world", 0.9565217391304348),
            ("Paris", "The capital of France is Paris.", 0.9),
            ("paris is the capital", "The capital of France is Paris, a city on the Seine.", 0.855),
            ("Refund issued for order 42; you'll see it by Friday.", "We refunded order 42, and you will see the money by Friday.", 0.7522935779816513),
            ("", "something", 0.0),
            ("!!!", "abc", 0.0),
            ("new york mets", "new YORK mets vs atlanta braves", 0.9),
            ("fuzzy wuzzy was a bear", "wuzzy fuzzy was a bear", 0.95),
            ("Café déjà vu", "CAFÉ DÉJÀ VU!!", 1.0),
            ("x", "a much longer reference text that goes on and on and on for a while, x marks it", 0.6),
            ("The quick brown fox jumps over the lazy dog near the riverbank on a sunny afternoon in May.", "On a sunny May afternoon, near the riverbank, a quick brown fox jumped over a lazy dog; it was quite a sight for everyone watching from the bridge above.", 0.855),
            ("abcdefghij", "zzabcdxfghijzz", 0.75),
            ("the the the", "the cat", 0.855),
            ("order 42 shipped", "Your order #42 has shipped and will arrive on Friday, 12 June, by courier to the address you gave", 0.855),
            ("ÄÖÜ straße İstanbul", "äöü strasse istanbul", 0.923076923076923),
            ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen", "sixteen fifteen fourteen thirteen twelve eleven ten nine eight seven six five four three two one zero", 0.95),
            ("mississippi", "missouri mississippian delta", 0.9),
            ("internationalization localization", "the internationalisation and localisation of software products worldwide", 0.8031818181818181),
            ("colour", "The color of the sky at dusk", 0.7500000000000001),
            ("recieve the pakage tomorow morning please", "Please receive the package tomorrow morning, before nine o'clock if that works for you and your team", 0.855),
            ("abcd", "dcba", 0.25),
            ("aaaa bbbb", "bbbb aaab", 0.8444444444444444),
            ("12345", "1234567890123456789012345678901234567890123456789", 0.6),
            ("héllo wörld", "hello world", 0.8181818181818181),
        ]
        for (a, b, want) in reference {
            XCTAssertEqual(TextMetrics.score("fuzzy", candidate: a, reference: b) ?? -1, want, accuracy: 1e-9, "WRatio(\(a.debugDescription), \(b.debugDescription))")
        }
    }

    func testTextSimilarityValidator() async throws {
        let pass = try await checkOutput("The cat sat on the mat.", validators: #"[{"type": "text-similarity", "measure": "rouge1", "reference": "The cat is sitting on the mat.", "threshold": 0.7}]"#)
        XCTAssertEqual(pass.validators[0].pass, true)
        XCTAssertEqual(pass.validators[0].score, 0.7692307692307692, accuracy: 1e-12)
        XCTAssertEqual(pass.validators[0].message, "rouge1 0.7692 ≥ threshold 0.7")
        let fail = try await checkOutput("The cat sat on the mat.", validators: #"[{"type": "text-similarity", "measure": "bleu", "reference": "The cat is sitting on the mat."}]"#)
        XCTAssertEqual(fail.validators[0].pass, false)
        XCTAssertEqual(fail.validators[0].message, "bleu 0.4238 < threshold 0.5")
        for (v, message) in [(#"{"type": "text-similarity", "measure": "blue", "reference": "x"}"#, "did you mean 'bleu'?"),
                             (#"{"type": "text-similarity", "measure": "bleu"}"#, "needs \"reference\""),
                             (#"{"type": "text-similarity", "measure": "bleu", "reference": "x", "threshold": 2}"#, "between 0 and 1")] {
            let e = loadError(#"{"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "validators": [\#(v)]}]}"#)
            XCTAssertTrue(e.contains(message), e)
        }
    }
}
