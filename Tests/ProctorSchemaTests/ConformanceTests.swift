import Foundation
import ProctorJSON
import ProctorSchema
import ProctorTestSupport
import XCTest

/// Runs the official JSON Schema Test Suite from `../shared/JSON-Schema-Test-Suite`.
final class ConformanceTests: XCTestCase {
    struct Outcome {
        var passed = 0
        var failed: [String] = []
        var total: Int { passed + failed.count }
    }

    func testDraft2020RequiredSuite() throws {
        let o = try run(draft: .draft2020_12, folder: "draft2020-12", optional: false)
        XCTAssertEqual(o.total, 1299, "expected every required 2020-12 test to run")
        XCTAssertEqual(o.failed, [], "\(o.failed.count) of \(o.total) required 2020-12 tests failed")
    }

    func testDraft7RequiredSuite() throws {
        let o = try run(draft: .draft7, folder: "draft7", optional: false)
        XCTAssertEqual(o.total, 927, "expected every required draft-07 test to run")
        XCTAssertEqual(o.failed, [], "\(o.failed.count) of \(o.total) required draft-07 tests failed")
    }

    /// Drafts 4, 6 and 2019-09: real-world schemas (SchemaStore's among them) are written in them.
    func testOlderDraftsRequiredSuites() throws {
        for (draft, folder) in [(SchemaDraft.draft2019_09, "draft2019-09"), (.draft6, "draft6"), (.draft4, "draft4")] {
            let o = try run(draft: draft, folder: folder, optional: false)
            print("required \(folder): \(o.passed)/\(o.total) passed")
            XCTAssertGreaterThan(o.total, 500, "expected the required \(folder) tests to run")
            XCTAssertEqual(o.failed, [], "\(o.failed.count) of \(o.total) required \(folder) tests failed")
        }
    }

    /// The optional tests are reported, not required; the figures are in the Benchmarks article of the DocC catalog (Sources/ProctorCLI/ProctorCLI.docc).
    func testOptionalSuites() throws {
        for (draft, folder) in [(SchemaDraft.draft2020_12, "draft2020-12"), (.draft7, "draft7")] {
            let o = try run(draft: draft, folder: folder, optional: true)
            print("optional \(folder): \(o.passed)/\(o.total) passed")
            if ProcessInfo.processInfo.environment["PROCTOR_VERBOSE"] != nil {
                for f in o.failed { print("  optional failure: \(f)") }
            }
            XCTAssertGreaterThan(o.total, 500)
            XCTAssertGreaterThan(Double(o.passed) / Double(o.total), 0.9, "optional pass rate fell below 90%")
        }
    }

    // MARK: - Runner

    func registry(suite: String) throws -> SchemaRegistry {
        var reg = SchemaRegistry()
        let remotes = suite + "/remotes"
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: remotes) else { return reg }
        var haveDraft2020 = false
        for case let rel as String in walker where rel.hasSuffix(".json") {
            let text = try String(contentsOfFile: remotes + "/" + rel, encoding: .utf8)
            let value = try JSONParser.parse(text)
            let draft: SchemaDraft? = rel.hasPrefix("draft7/") ? .draft7 : rel.hasPrefix("draft6/") ? .draft6 : rel.hasPrefix("draft4/") ? .draft4
                : rel.hasPrefix("draft2019-09/") ? .draft2019_09 : nil
            if rel.hasPrefix("draft2020-12/") { haveDraft2020 = true }
            reg.add(value, uri: "http://localhost:1234/" + rel, draft: draft)
        }
        if !haveDraft2020 {
            // Rebuild remotes/draft2020-12 (see Fixtures/remotes-draft2020-12/README.md).
            if let v1 = fm.enumerator(atPath: remotes + "/v1") {
                for case let rel as String in v1 where rel.hasSuffix(".json") {
                    var text = try String(contentsOfFile: remotes + "/v1/" + rel, encoding: .utf8)
                    text = text.replacingOccurrences(of: "https://json-schema.org/v1", with: "https://json-schema.org/draft/2020-12/schema")
                    text = text.replacingOccurrences(of: "localhost:1234/v1/", with: "localhost:1234/draft2020-12/")
                    reg.add(try JSONParser.parse(text), uri: "http://localhost:1234/draft2020-12/" + rel)
                }
            }
            let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/remotes-draft2020-12")
            for name in try fm.contentsOfDirectory(atPath: fixtures.path) where name.hasSuffix(".json") {
                let text = try String(contentsOfFile: fixtures.appendingPathComponent(name).path, encoding: .utf8)
                reg.add(try JSONParser.parse(text), uri: "http://localhost:1234/draft2020-12/" + name)
            }
        }
        return reg
    }

    func run(draft: SchemaDraft, folder: String, optional: Bool) throws -> Outcome {
        let suite = try SharedData.path("JSON-Schema-Test-Suite")
        let reg = try registry(suite: suite)
        let dir = suite + "/tests/" + folder + (optional ? "/optional" : "")
        var files: [String] = []
        let fm = FileManager.default
        if optional {
            for case let rel as String in fm.enumerator(atPath: dir)! where rel.hasSuffix(".json") { files.append(rel) }
        } else {
            files = try fm.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }
        }
        var out = Outcome()
        for file in files.sorted() {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            guard case .array(let groups) = try JSONParser.parse(text) else { continue }
            let formatAssert = file.hasPrefix("format/")
            for g in groups {
                let desc = g["description"]?.stringValue ?? "?"
                guard case .array(let tests)? = g["tests"], let schemaValue = g["schema"] else { continue }
                let compiled: CompiledSchema?
                var compileError = ""
                do {
                    compiled = try CompiledSchema.compile(schemaValue, registry: reg,
                                                          options: SchemaOptions(defaultDraft: draft, formatAssertion: formatAssert))
                } catch {
                    compiled = nil
                    compileError = "\(error)"
                }
                for t in tests {
                    let tdesc = t["description"]?.stringValue ?? "?"
                    let expected = t["valid"]?.boolValue ?? false
                    guard let compiled, let data = t["data"] else {
                        out.failed.append("\(file) | \(desc) | \(tdesc): compile error \(compileError)")
                        continue
                    }
                    let fast = compiled.isValid(data)
                    let full = compiled.validate(data)
                    if fast == expected && full.valid == expected && (full.valid || !full.errors.isEmpty) {
                        out.passed += 1
                    } else {
                        out.failed.append("\(file) | \(desc) | \(tdesc): expected \(expected), isValid \(fast), validate \(full.valid)")
                    }
                }
            }
        }
        return out
    }
}
