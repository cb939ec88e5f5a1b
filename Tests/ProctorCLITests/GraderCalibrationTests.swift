import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `proctor graders calibrate`: a rubric graded by a stand-in grader (it passes replies that say
/// sorry) against six labelled outputs, with the confusion matrix, κ, TPR and TNR worked by hand,
/// self-consistency under repeats, and bad labels named by line.
final class GraderCalibrationTests: XCTestCase {
    func cli(_ argv: [String], _ dir: TempDir) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache")])
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func suite(_ dir: TempDir) -> String {
        // On its third grading (repeat 2) the grader fails any reply that names Thursday: an inconsistent judge.
        dir.write("s.json", """
        {"suite": "support", "backends": [{"id": "app", "type": "echo"}],
         "graders": [{"id": "judge", "type": "command", "argv": ["sh", "-c", "p=$(cat); case \\"$PROCTOR_REPEAT:$p\\" in 2:*Thursday*) echo '{\\"reason\\": \\"r\\", \\"score\\": 0, \\"pass\\": false}';; *[Ss]orry*) echo '{\\"reason\\": \\"r\\", \\"score\\": 1, \\"pass\\": true}';; *) echo '{\\"reason\\": \\"r\\", \\"score\\": 0, \\"pass\\": false}';; esac"]},
                     {"id": "lenient", "type": "command", "argv": ["sh", "-c", "cat >/dev/null; echo '{\\"reason\\": \\"r\\", \\"score\\": 1, \\"pass\\": true}'"]},
                     {"id": "broken", "type": "command", "argv": ["sh", "-c", "cat >/dev/null; exit 3"]}],
         "prompts": [{"id": "p", "template": "Reply to the customer: {{message}}"}],
         "defaults": {"grader": "judge", "validators": [{"type": "rubric", "rubric": "The reply apologises", "threshold": 0.5}, {"type": "length", "max": 500}]},
         "cases": [{"id": "late", "vars": {"message": "My parcel is late."}}]}
        """)
    }

    static let labels = """
    {"case": "late", "output": "We are sorry. It arrives Thursday.", "pass": true}
    {"case": "late", "output": "Sorry about that.", "pass": true}
    {"case": "late", "output": "It arrives Thursday.", "pass": true}
    {"case": "late", "output": "No.", "pass": false}

    {"case": "late", "output": "sorry not sorry", "pass": false}
    {"case": "late", "output": "We will see.", "pass": false}
    """

    func testAgreementWithPeopleAndSelfConsistency() async throws {
        let dir = TempDir()
        let s = suite(dir)
        let labels = dir.write("labels.jsonl", Self.labels)
        let r = await cli(["graders", "calibrate", s, "--labels", labels, "--json"], dir)
        XCTAssertEqual(r.code, 0, r.err)
        let v = try XCTUnwrap(try JSONParser.parse(r.out)["validators"]?[0])
        XCTAssertEqual(v["name"], "rubric")
        XCTAssertEqual(v["confusion"], ["tp": 2, "fn": 1, "fp": 1, "tn": 2])
        // pₒ = 4/6, pₑ = ½·½ + ½·½ = ½: κ = (4/6 − ½)/(1 − ½) = ⅓.
        XCTAssertEqual(v["kappa"]?.doubleValue ?? 0, 0.3333, accuracy: 1e-4)
        XCTAssertEqual(v["tpr"]?.doubleValue ?? 0, 0.6667, accuracy: 1e-4)
        XCTAssertEqual(v["tnr"]?.doubleValue ?? 0, 0.6667, accuracy: 1e-4)
        let w = Statistics.wilson(successes: 2, trials: 3)
        XCTAssertEqual(v["tprInterval"]?[0]?.doubleValue ?? 0, (w.low * 10000).rounded() / 10000, accuracy: 1e-9)
        let k = try XCTUnwrap(v["kappaInterval"]?.arrayValue?.compactMap(\.doubleValue))
        XCTAssertTrue(k[0] <= 0.3334 && k[1] >= 0.3333 && k[0] >= -1 && k[1] <= 1, "\(k)")
        XCTAssertNil(v["selfConsistency"], "one grading each")

        // Three gradings each: the Thursday reply that says sorry flips on the third, so 5 of 6
        // outputs are graded consistently; the majority keeps it a pass.
        let rep = await cli(["graders", "calibrate", s, "--labels", labels, "--repeat", "3", "--json"], dir)
        XCTAssertEqual(rep.code, 0, rep.err)
        let rv = try XCTUnwrap(try JSONParser.parse(rep.out)["validators"]?[0])
        XCTAssertEqual(rv["selfConsistency"]?.doubleValue ?? 0, 0.8333, accuracy: 1e-4)
        XCTAssertEqual(rv["confusion"], ["tp": 2, "fn": 1, "fp": 1, "tn": 2])
        // Another grader in its place: the lenient one passes everything (κ 0, TNR 0).
        let other = await cli(["graders", "calibrate", s, "--labels", labels, "--grader", "lenient"], dir)
        XCTAssertEqual(other.code, 0, other.err)
        XCTAssertTrue(other.out.hasPrefix("rubric: κ 0.000") && other.out.contains("TNR 0.0%"), other.out)
    }

    func testBadLabelsAndGradersAreNamed() async throws {
        let dir = TempDir()
        let s = suite(dir)
        for (text, message) in [("{\"case\": \"late\", \"output\": \"x\", \"pass\": true}\n{\"case\": \"lost\", \"output\": \"x\", \"pass\": true}", "labels.jsonl:2:1: no case 'lost'"),
                                ("{\"case\": \"late\", \"output\": \"x\"}", "labels.jsonl:1:1: a label needs"),
                                ("{\"case\": \"late\", \"output\": \"x\", \"pass\": true, \"verdict\": 1}", "unknown key \"verdict\""),
                                ("{\"case\": \"late\", ", "labels.jsonl:1:")] {
            let labels = dir.write("labels.jsonl", text)
            let r = await cli(["graders", "calibrate", s, "--labels", labels], dir)
            XCTAssertEqual(r.code, 2, text)
            XCTAssertTrue(r.err.contains(message), "expected “\(message)” in \(r.err)")
        }
        let labels = dir.write("labels.jsonl", Self.labels)
        // A grader that never answers gives no figures: an error, not a κ of 0.
        let broken = await cli(["graders", "calibrate", s, "--labels", labels, "--grader", "broken"], dir)
        XCTAssertEqual(broken.code, 2)
        XCTAssertTrue(broken.err.contains("none of its 6 gradings could be made"), broken.err)
        // Labels are all checked before any grading: a bad last line spends nothing.
        let log = dir.file("graded.log")
        let counting = dir.write("c.json", try XCTUnwrap(dir.read("s.json")).replacingOccurrences(of: "\"argv\": [\"sh\", \"-c\", \"cat >/dev/null; exit 3\"]", with: "\"argv\": [\"sh\", \"-c\", \"cat >/dev/null; echo x >> \(log); exit 3\"]"))
        XCTAssertTrue(try XCTUnwrap(dir.read("c.json")).contains("graded.log"))
        let badLast = dir.write("bad.jsonl", Self.labels + "\n{\"case\": \"lost\", \"output\": \"x\", \"pass\": true}")
        let r2 = await cli(["graders", "calibrate", counting, "--labels", badLast, "--grader", "broken", "--no-cache"], dir)
        XCTAssertEqual(r2.code, 2)
        XCTAssertTrue(r2.err.contains("no case 'lost'"), r2.err)
        XCTAssertNil(dir.read("graded.log"), "no grader was asked")
        let unknown = await cli(["graders", "calibrate", s, "--labels", labels, "--grader", "nobody"], dir)
        XCTAssertEqual(unknown.code, 2)
        XCTAssertTrue(unknown.err.contains("nobody"), unknown.err)
    }
}
