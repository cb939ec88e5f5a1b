import Foundation
import ProctorHarness
import ProctorJSON
import ProctorRepair
import ProctorSchema
import ProctorTestSupport
import XCTest

/// Hostile sizes and shapes: each ends in a result or a clear error, never a crash or a hang.
final class ResourceLimitTests: XCTestCase {
    func testTenMegabyteInputs() throws {
        let item = #"{"id": 12345, "name": "widget", "tags": ["a", "b"], "price": 9.99},"#
        let count = 10_000_000 / item.utf8.count
        let text = "[" + String(repeating: item, count: count) + #"{"last": true}]"#
        XCTAssertGreaterThan(text.utf8.count, 9_900_000)
        let v = try JSONParser.parse(text)
        XCTAssertEqual(v.arrayValue?.count, count + 1)
        // Cut in the middle: repair keeps every complete element.
        let cut = String(text.utf8.prefix(text.utf8.count / 2))!
        let r = try JSONRepair.repair(cut)
        XCTAssertGreaterThan(r.value.arrayValue!.count, count / 2 - 2)
    }

    func testDeepNestingIsAnErrorEverywhere() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONParser.parse(deep))
        XCTAssertThrowsError(try JSONParser.parse(deep, options: .jsonc))
        XCTAssertThrowsError(try JSONRepair.repair(deep))
        XCTAssertThrowsError(try CompiledSchema.compile(text: String(repeating: #"{"items":"#, count: 100_000) + "true" + String(repeating: "}", count: 100_000)))
        let dir = TempDir()
        XCTAssertTrue(loadError(deep, in: dir).contains("nesting deeper than 1000 levels"))
    }

    func testOneMegabyteStrings() throws {
        let big = String(repeating: "é", count: 500_000)  // 1 MB of UTF-8
        let json = JSONSerializer.quote(big)
        XCTAssertEqual(try JSONParser.parse(json).stringValue?.count, 500_000)
        let schema = try CompiledSchema.compile(text: #"{"type": "string", "maxLength": 10, "pattern": "^é+$"}"#)
        let r = schema.validate(.string(big))
        XCTAssertEqual(r.errors.map(\.keyword), ["maxLength"])
        XCTAssertEqual(try JSONRepair.repair(String(json.dropLast())).value.stringValue?.count, 500_000)
    }

    func testCatastrophicRegexInASuiteHitsTheValidatorLimit() async throws {
        let start = Date()
        // Look-ahead needs the backtracking matcher, which stops at its step limit.
        let r = try await checkOutput(String(repeating: "a", count: 30) + "!", validators: #"[{"type": "regex", "pattern": "^(?=a)(a+)+$"}]"#)
        XCTAssertEqual(r.status, .failed)
        XCTAssertTrue(r.validators[0].message.contains("gave up after"), r.validators[0].message)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        // Without it the pattern fits an automaton, which answers in one pass, whole match too.
        for full in [false, true] {
            let d = try await checkOutput(String(repeating: "a", count: 30) + "!",
                                          validators: #"[{"type": "regex", "pattern": "^(a+)+$", "full": \#(full)}]"#)
            XCTAssertEqual(d.status, .failed)
            XCTAssertEqual(d.validators[0].message, full ? "does not fully match /^(a+)+$/" : "does not match /^(a+)+$/")
            XCTAssertTrue(d.validators[0].evaluated)
        }
        // In a schema's pattern too, where the pattern needs the backtracking matcher (look-ahead);
        // a pattern a DFA can hold gets its answer in one pass instead.
        let s = try CompiledSchema.compile(text: #"{"pattern": "^(?=a)(a|aa)+$"}"#, options: SchemaOptions(regexStepLimit: 50_000))
        let v = s.validate(.string(String(repeating: "a", count: 40) + "b"))
        XCTAssertFalse(v.valid)
        XCTAssertTrue(v.errors[0].message.contains("gave up after"), v.errors[0].message)
        let d = try CompiledSchema.compile(text: #"{"pattern": "^(a|aa)+$"}"#, options: SchemaOptions(regexStepLimit: 50_000))
        XCTAssertEqual(d.validate(.string(String(repeating: "a", count: 40) + "b")).errors.map(\.message), [#""aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab" does not match the pattern ^(a|aa)+$"#])
        XCTAssertTrue(d.isValid(.string(String(repeating: "a", count: 40))))
    }
}

final class SmallStackTests: XCTestCase {
    /// Deep nesting on a thread with a small stack (task threads have 512 KB) ends in errors.
    func testParsersOnASmallStack() {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcomes: [Bool] = []
        let t = Thread {
            let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
            outcomes.append((try? JSONParser.parse(deep)) == nil)
            outcomes.append((try? JSONRepair.repair(String(repeating: "{\"a\":[", count: 999))) == nil)
            done.signal()
        }
        t.stackSize = 64 * 1024
        t.start()
        done.wait()
        XCTAssertEqual(outcomes, [true, true], "both refuse rather than overflow a 64 KB stack")
    }
}
