import Foundation
import ProctorHarness
import ProctorJSON
@testable import ProctorOptimize
import ProctorTestSupport
import XCTest

/// The search end to end on a command backend with a hidden preference: it answers right only
/// when the input sits between triple quotes, a rule this test knows and the optimizer does not.
final class SearchTests: XCTestCase {
    static let hidden = #"""
    #!/bin/sh
    # Logs every call, then answers right only when the input is between lines of triple quotes.
    prompt=$(cat)
    echo "$PROCTOR_PROMPT_ID $PROCTOR_CASE_ID" >> "$OPT_LOG"
    quoted=$(printf '%s\n' "$prompt" | awk '/^"""$/ { inside = !inside; next } inside')
    if [ -n "$quoted" ]; then printf '{"answer": "%s"}\n' "$(printf '%s' "$quoted" | tr a-z A-Z)"; else echo 'Not sure what you mean.'; fi
    """#

    /// A proposer that answers with a cut-off JSON object: one good template, one with an unknown variable.
    static let proposer = #"""
    #!/bin/sh
    cat > /dev/null
    printf '%s' '{"templates": ["Shout it back:\n\"\"\"\n{{word}}\n\"\"\"\nIn JSON.", "Say {{nope}}", "Quote it:\n\"\"\"\n{{word}}\n\"\"\"\nAnswer in JSON, sho'
    """#

    func suite(_ dir: TempDir, cases: Int = 20, proposer: Bool = false) throws -> Suite {
        _ = dir.write("hidden.sh", Self.hidden)
        _ = dir.write("proposer.sh", Self.proposer)
        let words = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "sloe", "yuzu", "quince", "melon", "grape", "lemon", "mango",
                     "olive", "peach", "guava", "cherry", "berry", "papaya", "banana", "orange", "apricot", "lychee"]
        let cs = (0..<cases).map { i in
            "{\"id\": \"w\(i)\", \"vars\": {\"word\": \"\(words[i])\"}, \"validators\": [{\"type\": \"equals\", \"path\": \"/answer\", \"value\": \"\(words[i].uppercased())\"}]}"
        }
        let graders = proposer ? #", "graders": [{"id": "writer", "type": "command", "argv": ["sh", "proposer.sh"]}]"# : ""
        let path = dir.write("suite.json", """
        { "suite": "shout", "backends": [{"id": "script", "type": "command", "argv": ["sh", "hidden.sh"], "env": {"OPT_LOG": "\(dir.file("calls.log"))"}}]\(graders),
          "prompts": [{"id": "plain", "template": "Shout this word back in JSON: {{word}}"}],
          "defaults": {"validators": [{"type": "json"}]},
          "cases": [\(cs.joined(separator: ",\n"))] }
        """)
        return try SuiteLoader().load(path)
    }

    func optimize(_ suite: Suite, seed: UInt64 = 1, budget: Int = 24, proposer: String? = nil) async throws -> OptimizeReport {
        var o = OptimizeOptions(promptId: "plain")
        o.seed = seed
        o.budget = budget
        o.proposerId = proposer
        o.concurrency = 2
        return try await Optimizer(suite: suite, session: try RunSession(suites: [suite]), options: o).run()
    }

    func testFindsTheHiddenPreferenceAndNeverRunsHeldOutCasesDuringTheSearch() async throws {
        let dir = TempDir()
        let r = try await optimize(try suite(dir))
        XCTAssertEqual(r.start.passes, 0)
        XCTAssertEqual(r.winner.candidate.edit, Edit("wording", "input delimited by triple quotes"))
        XCTAssertEqual(r.winner.passes, r.searchCases.count)
        XCTAssertEqual(r.heldOut.cases.count, 6)
        XCTAssertEqual([r.heldOut.startPasses, r.heldOut.winnerPasses], [0, 6])
        XCTAssertEqual(r.heldOut.mcnemarP, 0.03125, accuracy: 1e-9)
        XCTAssertTrue(r.heldOut.significant)
        XCTAssertEqual(r.verdict, "significant improvement on the held-out split")
        // Counted at the backend: held-out cases are asked only for the start and the winner, after the search.
        let calls = try String(contentsOfFile: dir.file("calls.log"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let held = Set(r.heldOut.cases)
        let heldCalls = calls.enumerated().filter { held.contains($0.element[1]) }
        XCTAssertEqual(heldCalls.count, 2 * held.count)
        XCTAssertEqual(Set(heldCalls.map { $0.element[0] }), ["c0", r.winnerId])
        let lastSearch = try XCTUnwrap(calls.lastIndex { !held.contains($0[1]) })
        XCTAssertGreaterThan(try XCTUnwrap(heldCalls.first?.offset), lastSearch)
        XCTAssertEqual(calls.count, r.totalCalls, "the report counts every backend call")
        // Successive halving: somebody was stopped before the whole search split.
        XCTAssertTrue(r.entries.contains { $0.fate.hasPrefix("stopped at rung 1") && $0.casesRun < r.searchCases.count })
        XCTAssertLessThanOrEqual(r.entries.count, 24)
    }

    func testSameSeedSameReportAndTheBudgetHolds() async throws {
        let dir = TempDir()
        let s = try suite(dir)
        let a = OptimizeJSONWriter.render(try await optimize(s, seed: 7, budget: 5))
        let b = OptimizeJSONWriter.render(try await optimize(s, seed: 7, budget: 5))
        XCTAssertEqual(a, b)
        let v = try JSONParser.parse(a)
        XCTAssertEqual(v["candidates"]?.arrayValue?.count, 5)
        XCTAssertEqual(v["budget"], 5)
        let other = try await optimize(s, seed: 8, budget: 5)
        XCTAssertNotEqual(other.heldOut.cases, try XCTUnwrap(v["heldOutCases"]?.arrayValue?.compactMap(\.stringValue)))
    }

    func testProposerTemplatesAreRepairedCheckedAndTried() async throws {
        let dir = TempDir()
        let r = try await optimize(try suite(dir, proposer: true), budget: 3, proposer: "writer")
        XCTAssertEqual(r.proposerCalls, 1)
        let proposed = r.entries.filter { $0.candidate.edit?.operatorName == "proposer" }
        XCTAssertEqual(proposed.count, 2, "the cut-off third template is repaired and kept; the one with {{nope}} is not")
        XCTAssertEqual(proposed[0].candidate.messages[0].text, "Shout it back:\n\"\"\"\n{{word}}\n\"\"\"\nIn JSON.")
        XCTAssertEqual(r.winnerId, proposed[0].candidate.id)
        XCTAssertTrue(r.notes.contains { $0.contains("discarded: uses {{nope}}, which case 'w0' does not define") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("proposer answer repaired") }, "\(r.notes)")
    }

    func testNothingBetterIsReportedAsSuch() async throws {
        let dir = TempDir()
        _ = dir.write("never.sh", "#!/bin/sh\ncat > /dev/null\necho nope\n")
        let path = dir.write("suite.json", """
        { "suite": "never", "backends": [{"id": "b", "type": "command", "argv": ["sh", "never.sh"]}],
          "prompts": [{"id": "plain", "template": "Say {{x}}"}],
          "cases": [\((0..<6).map { "{\"id\": \"n\($0)\", \"vars\": {\"x\": \"v\($0)\"}, \"validators\": [{\"type\": \"json\"}]}" }.joined(separator: ","))] }
        """)
        let s = try SuiteLoader().load(path)
        let r = try await optimize(s, budget: 6)
        XCTAssertEqual(r.winnerId, "c0")
        XCTAssertEqual(r.verdict, "no better prompt found on the search split")
        XCTAssertFalse(r.heldOut.significant)
        XCTAssertEqual(r.heldOutCalls, r.heldOut.cases.count, "only the start runs on the held-out split")
    }

    /// An operator outside the registry whose children do not parse or lack a variable.
    struct Broken: PromptOperator {
        let name = "broken"
        func propose(_ parent: Candidate, _ context: OperatorContext, seed: UInt64) -> [Proposal] {
            [Proposal([PromptMessage(role: "user", text: "{{word")], Edit(name, "unclosed")),
             Proposal([PromptMessage(role: "user", text: "{{colour}}")], Edit(name, "unknown variable")),
             Proposal([PromptMessage(role: "user", text: "Shout:\n\"\"\"\n{{word}}\n\"\"\"")], Edit(name, "fine"))]
        }
    }

    func testOperatorChildrenThatAreNotPromptsOfTheSuiteAreDiscardedWithANote() async throws {
        let dir = TempDir()
        let s = try suite(dir)
        var o = OptimizeOptions(promptId: "plain")
        o.budget = 4
        let r = try await Optimizer(suite: s, session: try RunSession(suites: [s]), options: o, operators: [Broken()]).run()
        XCTAssertEqual(r.entries.map { $0.candidate.edit?.summary }, [nil, "fine"])
        XCTAssertEqual(r.winnerId, "c1")
        XCTAssertTrue(r.notes.contains { $0.hasPrefix("broken candidate discarded (unclosed): unclosed") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.contains("(unknown variable): uses {{colour}}, which case 'w0' does not define") }, "\(r.notes)")
        XCTAssertEqual(r.searchEnded, "c1 passes every search case")
    }

    func testBadRequestsAreErrorsNamingWhatIsWrong() async throws {
        let dir = TempDir()
        let s = try suite(dir)
        var o = OptimizeOptions(promptId: "plian")
        do { _ = try await Optimizer(suite: s, session: try RunSession(suites: [s]), options: o).run(); XCTFail("unknown prompt") } catch {
            XCTAssertTrue("\(error)".contains("no prompt version 'plian'") && "\(error)".contains("plain"), "\(error)")
        }
        o = OptimizeOptions(promptId: "plain")
        o.proposerId = "ghost"
        do { _ = try await Optimizer(suite: s, session: try RunSession(suites: [s]), options: o).run(); XCTFail("unknown proposer") } catch {
            XCTAssertTrue("\(error)".contains("--proposer ghost"), "\(error)")
        }
        let one = try suite(TempDir(), cases: 1)
        do { _ = try await optimize(one); XCTFail("one case") } catch { XCTAssertTrue("\(error)".contains("at least 2 cases"), "\(error)") }
    }
}
