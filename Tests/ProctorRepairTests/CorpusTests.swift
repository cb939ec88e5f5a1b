import ProctorJSON
import ProctorRepair
import XCTest

/// Scores the repair engine on the seeded corpus: every truncation position class, every
/// malformation kind. Targets: 100 % of truncation cases, ≥ 98 % of malformation cases.
final class CorpusTests: XCTestCase {
    static func styles() -> [RepairCorpus.Style] {
        var out: [RepairCorpus.Style] = []
        for indent in [0, 2] {
            for ascii in [false, true] {
                var s = RepairCorpus.Style()
                s.indent = indent
                s.asciiEscapes = ascii
                s.escapeSlash = ascii
                out.append(s)
            }
        }
        return out
    }

    func testEveryTruncationOfTheCorpus() throws {
        var corpus = RepairCorpus(seed: 2026)
        var total = 0
        var failures: [String] = []
        for d in 0..<120 {
            let doc = corpus.document()
            for style in Self.styles() {
                let (bytes, root) = corpus.write(doc, style: style)
                // Small documents at every position, large ones at ~400 spread positions.
                let step = max(1, bytes.count / 400)
                var cut = 1
                while cut <= bytes.count {
                    total += 1
                    let prefix = Array(bytes[0..<cut])
                    for drop in [false, true] where !drop || cut % 3 == 0 {
                        let want = RepairCorpus.expected(root, bytes, cut: cut, dropPartialStrings: drop)
                        let got = prefix.withUnsafeBufferPointer { try? JSONRepair.repair(bytes: $0, options: .init(dropPartialStrings: drop)) }
                        let wantText = want.map { JSONSerializer.string($0) }
                        if got?.text != wantText, failures.count < 30 {
                            failures.append("doc \(d) cut \(cut)\(drop ? " drop" : ""): \(String(decoding: prefix.suffix(60), as: UTF8.self).debugDescription) → \(got?.text ?? "error"), expected \(wantText ?? "error")")
                        } else if got?.text != wantText {
                            failures.append("…")
                        }
                    }
                    cut += cut < 200 ? 1 : step
                }
            }
        }
        print("truncation corpus: \(total - failures.count)/\(total) cases repaired exactly")
        XCTAssertGreaterThan(total, 50_000)
        XCTAssertEqual(failures.count, 0, failures.prefix(30).joined(separator: "\n"))
    }

    func testMalformationKinds() throws {
        var corpus = RepairCorpus(seed: 7)
        typealias Mutation = (name: String, make: (inout RepairCorpus.Style) -> Void, wrap: (String) -> String)
        let mutations: [Mutation] = [
            ("fence", { _ in }, { "```json\n" + $0 + "\n```" }),
            ("fence+prose", { $0.indent = 2 }, { "Here you go:\n```json\n" + $0 + "\n```\nAnything else?" }),
            ("prose", { _ in }, { "Sure! Here is the JSON you asked for: " + $0 + " Let me know if you need more." }),
            ("trailing-commas", { $0.trailingCommas = true }, { $0 }),
            ("comments", { $0.comments = true; $0.indent = 2 }, { $0 }),
            ("single-quotes", { $0.singleQuotes = true }, { $0 }),
            ("unquoted-keys", { $0.unquotedKeys = true }, { $0 }),
            ("python-literals", { $0.pythonLiterals = true }, { $0 }),
            ("python-repr", { $0.pythonLiterals = true; $0.singleQuotes = true }, { $0 }),
            ("missing-commas", { $0.missingCommas = true; $0.indent = 2 }, { $0 }),
            ("missing-closers", { _ in }, { String($0.dropLast(max(1, $0.reversed().prefix(while: { "}]".contains($0) }).count))) }),
            ("mix", { $0.trailingCommas = true; $0.unquotedKeys = true; $0.pythonLiterals = true }, { "```\n" + $0 + "\n```" }),
            ("mix2", { $0.singleQuotes = true; $0.comments = true; $0.indent = 4 }, { "Result: " + $0 }),
            ("number-spellings", { $0.numberSpellings = true }, { $0 }),
            ("number-spellings+python", { $0.numberSpellings = true; $0.pythonLiterals = true; $0.indent = 2 }, { "```json\n" + $0 + "\n```" }),
        ]
        var total = 0, ok = 0
        var failures: [String] = []
        for _ in 0..<150 {
            let doc = corpus.document()
            guard case .object = doc else { if case .array = doc {} else { continue }; continue }
            for m in mutations {
                var style = RepairCorpus.Style()
                m.make(&style)
                let text = m.wrap(String(decoding: corpus.write(doc, style: style).bytes, as: UTF8.self))
                total += 1
                if let r = try? JSONRepair.repair(text), r.value == doc, r.text == JSONSerializer.string(doc) {
                    ok += 1
                } else if failures.count < 25 {
                    failures.append("\(m.name): \(text.prefix(200).debugDescription) → \((try? JSONRepair.repair(text).text) ?? "error")")
                }
            }
        }
        let rate = Double(ok) / Double(total)
        print("malformation corpus: \(ok)/\(total) = \(rate)")
        XCTAssertGreaterThan(total, 1000)
        XCTAssertGreaterThanOrEqual(rate, 0.98, failures.joined(separator: "\n"))
    }
}
