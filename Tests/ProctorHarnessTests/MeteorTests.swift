@testable import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// METEOR as NLTK computes it, against reference values NLTK 3.10.4 computed offline on WordNet 3.0
/// (fixtures/metrics/meteor-reference.json): the Porter stemmer (NLTK's extensions), WordNet's
/// synonyms through NLTK's morphology, and the score. The WordNet parts need the database
/// (Debian's wordnet-base, which `.ci/run` installs); without it they are skipped, saying so.
final class MeteorTests: XCTestCase {
    var reference: JSONValue {
        get throws {
            let url = SharedData.projectRoot.appendingPathComponent("fixtures/metrics/meteor-reference.json")
            return try JSONParser.parse(String(contentsOf: url, encoding: .utf8))
        }
    }

    /// WordNet where Debian installs it, or a skip (a failure under PROCTOR_REQUIRE_SHARED=1, as in CI).
    func wordnet(file: StaticString = #filePath, line: UInt = #line) throws -> WordNet {
        if let w = WordNet.find(home: nil) { return w }
        let reason = "WordNet 3.0 is not installed (apt install wordnet-base); .ci/run installs it"
        if SharedData.required { XCTFail(reason, file: file, line: line) }
        throw XCTSkip(reason)
    }

    func testPorterStemmerAgreesWithNLTK() throws {
        let stems = try XCTUnwrap(try reference["stems"]?.arrayValue)
        XCTAssertGreaterThan(stems.count, 1000)
        for s in stems {
            let word = try XCTUnwrap(s[0]?.stringValue), want = try XCTUnwrap(s[1]?.stringValue)
            XCTAssertEqual(PorterStemmer.stem(word), want, word)
        }
    }

    func testSynonymsAgreeWithNLTK() throws {
        let wn = try wordnet()
        for s in try XCTUnwrap(try reference["synonyms"]?.arrayValue) {
            let word = try XCTUnwrap(s[0]?.stringValue)
            XCTAssertEqual(wn.synonyms(of: word).sorted(), try XCTUnwrap(s[1]?.arrayValue).compactMap(\.stringValue).sorted(), word)
        }
    }

    func testMeteorAgreesWithNLTK() throws {
        let wn = try wordnet()
        let pairs = try XCTUnwrap(try reference["meteor"]?.arrayValue)
        XCTAssertGreaterThan(pairs.count, 100)
        for p in pairs {
            let candidate = try XCTUnwrap(p[0]?.stringValue), ref = try XCTUnwrap(p[1]?.stringValue)
            XCTAssertEqual(Meteor.score(candidate, ref, wordnet: wn), try XCTUnwrap(p[2]?.doubleValue), accuracy: 1e-12, "\(candidate) | \(ref)")
        }
    }

    func testMeteorValidatorAndItsErrors() async throws {
        _ = try wordnet()
        let r = try await checkOutput("Hello there, friend!", validators: #"[{"type": "text-similarity", "measure": "meteor", "reference": "Hello there!", "threshold": 0.2}]"#)
        XCTAssertEqual(r.validators[0].pass, true)
        XCTAssertEqual(r.validators[0].score, 0.2380952380952381, accuracy: 1e-12)   // NLTK's value
        let dir = TempDir()
        for (v, message) in [(#"{"type": "text-similarity", "measure": "meteor", "reference": "x", "wordnet": "nowhere"}"#, "no WordNet 3.0 database (index.noun, data.noun, noun.exc, …) in"),
                             (#"{"type": "text-similarity", "measure": "bleu", "reference": "x", "wordnet": "/usr/share/wordnet"}"#, "\"wordnet\" goes with measure meteor")] {
            let e = loadError(#"{"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "c", "validators": [\#(v)]}]}"#, in: dir)
            XCTAssertTrue(e.contains(message), e)
        }
    }
}
