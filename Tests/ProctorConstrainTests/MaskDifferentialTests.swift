import Foundation
@testable import ProctorConstrain
import ProctorJSON
import ProctorModel
import ProctorTestSupport
import XCTest

/// The fast mask paths (plain content by set operations in value strings, key-class keys, extra
/// keys and several live branches at once; the trie walk pruned to the bytes a key can take) give
/// exactly the tokens of the reference walk, on thousands of states met along random walks.
final class MaskDifferentialTests: XCTestCase {
    static let extraSchemas: [(String, String)] = [
        ("keys", #"{"type": "object", "properties": {"alpha": {"type": "string"}, "beta": {"type": "integer"}, "gamma": {"enum": ["x", "y"]}}, "required": ["alpha"], "additionalProperties": false}"#),
        ("open", #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}}, "additionalProperties": {"type": "boolean"}, "maxProperties": 3}"#),
        ("classes", #"{"type": "object", "patternProperties": {"^x-[a-z]+$": {"type": "string", "pattern": "^[0-9a-f]*$"}, "^n[0-9]$": {"type": "number"}}, "additionalProperties": false, "minProperties": 1}"#),
        ("branches", #"{"anyOf": [{"type": "string", "pattern": "^[a-m ]*$"}, {"type": "string", "minLength": 3, "maxLength": 9}, {"type": "string", "format": "date"}]}"#),
        ("objects", #"{"anyOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}, {"type": "object", "properties": {"b": {"type": "integer"}}, "additionalProperties": {"type": "string"}}]}"#),
        ("plain", #"{"type": "object", "properties": {"s": {"oneOf": [{"type": "string", "maxLength": 4}, {"type": "string", "minLength": 6, "maxLength": 9}]}, "t": {"anyOf": [{"type": "string"}, {"type": "string", "minLength": 3}]}}, "required": ["s", "t"]}"#),
        ("oneof", #"{"type": "object", "properties": {"v": {"oneOf": [{"type": "string", "maxLength": 6}, {"type": "string", "pattern": "^a+$"}, {"type": "integer"}]}}, "required": ["v"]}"#),
    ]

    func check(vocab: TokenVocabulary, tokenizer: Tokenizer, statesPerSchema: Int, seed: UInt64) throws {
        var cases: [(String, JSONValue)] = []
        for (n, text) in Self.extraSchemas { cases.append((n, try JSONParser.parse(text))) }
        cases += try ConstrainedDecodingTests.schemas()
        var rng = SeededGenerator(seed: seed)
        var total = 0
        var kinds: [String: Int] = [:]
        for (index, (name, schema)) in cases.enumerated() {
            var compared = 0
            defer { total += compared }
            // The schemas made for the fast paths get more states than the general test set.
            let quota = index < Self.extraSchemas.count ? statesPerSchema * 3 : statesPerSchema
            guard let grammar = try? Grammar(schema: schema, options: ConstraintOptions(allowWhitespace: name.hasPrefix("p"))) else { continue }
            let mask = TokenMask(grammar: grammar, vocab: vocab)
            // The first token of an empty prompt (bytes as they read after BOS).
            for b in [grammar.remainingBytes(grammar.start()) + 1] + (vocab.count < 1000 ? [30] : []) {
                let start = grammar.start()
                XCTAssertEqual(mask.allowedAfterBOS(start, budget: b, tokenizer: tokenizer).words,
                               mask.allowedAfterBOSReference(start, budget: b, tokenizer: tokenizer).words, "\(name) after BOS, budget \(b)")
            }
            for walk in 0..<8 {
                var state = grammar.start()
                var budget = 40 + Int(rng.next() % 80)
                while budget > 1, !grammar.isFinished(state) {
                    if !state.single, state.threads.allSatisfy({ if case .string = $0.top { return true }; return false }) { kinds["branches in strings", default: 0] += 1 }
                    if state.single, case .string(let s) = state.first.top { kinds[s.rule < 0 ? "keys" : s.keyClass >= 0 ? "class keys" : "values", default: 0] += 1 }
                    for b in [budget, max(2, grammar.remainingBytes(state) + 1), budget + 7] + (vocab.count < 1000 ? [grammar.remainingBytes(state) + 4] : []) {
                        let fast = mask.allowed(state, budget: b), reference = mask.allowedReference(state, budget: b)
                        compared += 1
                        guard fast.words == reference.words else {
                            var only: [String] = []
                            for t in 0..<vocab.count where fast.contains(t) != reference.contains(t) {
                                only.append("\(fast.contains(t) ? "+" : "-")\(t) \(String(reflecting: String(decoding: vocab.bytes[t], as: UTF8.self)))")
                                if only.count > 6 { break }
                            }
                            return XCTFail("\(name) walk \(walk), budget \(b): masks differ: \(only.joined(separator: ", "))")
                        }
                    }
                    let allowed = mask.allowedReference(state, budget: budget)
                    var choices: [Int] = []
                    allowed.forEach { if $0 != Tokenizer.eos { choices.append($0) } }
                    guard !choices.isEmpty else { break }
                    // Short tokens half the time, so strings and keys stay open across several states.
                    let short = choices.filter { vocab.bytes[$0].count <= 2 && !vocab.bytes[$0].contains(0x22) }
                    let pool = !short.isEmpty && rng.next() % 4 != 0 ? short : choices
                    let t = pool[Int(rng.next() % UInt64(pool.count))]
                    guard let next = mask.after(state, token: t, budget: budget) else { return XCTFail("\(name): an allowed token was refused") }
                    state = next
                    budget -= 1
                    if compared >= quota { break }
                }
                if compared >= quota { break }
            }
        }
        // Thousands of masks on the small vocabulary, hundreds on the large one (each reference walk there is slow).
        XCTAssertGreaterThan(total, vocab.count < 1000 ? 3000 : 200)
        // Every fast path was met on the walks, and on states made for each.
        XCTAssertGreaterThan(kinds.count, 2, "\(kinds)")
        let prefixes: [(String, [String])] = [
            ("branches", ["\"", "\"a", "\"ab", "\"2024-", "\"abcdefgh", "\"n o"]),
            ("plain", ["{\"s\":\"", "{\"s\":\"ab", "{\"s\":\"abcd", "{\"s\":\"abcdefg", "{\"s\":\"x\",\"t\":\"", "{\"s\":\"x\",\"t\":\"q"]),
            ("oneof", ["{\"v\":\"", "{\"v\":\"a", "{\"v\":\"aa", "{\"v\":\"ab"]),
            ("classes", ["{\"", "{\"x-", "{\"x-ab", "{\"n", "{\"x-ab\":\"0f", "{\"x-ab\":\"\",\"x-"]),
            ("keys", ["{\"", "{\"al", "{\"alpha\":\"x\",\"", "{\"alpha\":\"x\",\"b"]),
            ("objects", ["{\"", "{\"x", "{\"ab", "{\"a\":\"s\",\"q"]),
            ("open", ["{\"", "{\"na", "{\"zz", "{\"name\":\"ab\",\"", "{\"name\":\"ab\",\"q", "{\"zz\":true,\"zz", "{\"zz\":true,\"z", "{\"qé\\n", "{\"qq\\", "{\"zz\":true,\"zz\\", "{\"zz\":true,\"\\"]),
        ]
        for (name, list) in prefixes {
            let schema = try JSONParser.parse(Self.extraSchemas.first { $0.0 == name }!.1)
            let grammar = try Grammar(schema: schema)
            let mask = TokenMask(grammar: grammar, vocab: vocab)
            for p in list {
                var state = grammar.start()
                XCTAssertTrue(grammar.feed(&state, bytes: p.utf8), "\(name): \(p)")
                // Every budget from the tightest up past the five bytes an escape can leave pending.
                for b in (vocab.count < 1000 ? Array(1...7) : [1, 3, 6]).map({ grammar.remainingBytes(state) + $0 }) + [60] {
                    XCTAssertEqual(mask.allowed(state, budget: b).words, mask.allowedReference(state, budget: b).words, "\(name) after \(p), budget \(b)")
                }
            }
        }
    }

    func testSmallVocabulary() throws {
        let tok = try Tokenizer(path: try SharedData.path("models/ref-tiny/tokenizer.bin"), vocabSize: 512)
        try check(vocab: try TokenVocabulary(tokenizer: tok), tokenizer: tok, statesPerSchema: 120, seed: 1)
    }

    func testThirtyTwoThousandTokens() throws {
        let tok = try Tokenizer(path: try SharedData.path("models/llama2c-tokenizer/tokenizer.bin"), vocabSize: 32000)
        try check(vocab: try TokenVocabulary(tokenizer: tok), tokenizer: tok, statesPerSchema: 8, seed: 3)
    }

    /// Top-p's order (weight descending, token id ascending) by the linear-time radix sort equals the
    /// comparison sort's, ties and zeros included.
    func testNucleusOrderMatchesTheComparisonSort() {
        var rng = SeededGenerator(seed: 9)
        for n in [0, 1, 50, 65, 1000, 32000] {
            var kept: [(Float, Int)] = (0..<n).map { i in
                let w: Float = rng.next() % 5 == 0 ? Float(rng.next() % 4) : Float(rng.next() % 1_000_000) / 997
                return (w, i)
            }
            var reference = kept
            reference.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            ConstrainedGenerator.sortDescending(&kept)
            XCTAssertEqual(kept.map(\.1), reference.map(\.1), "n = \(n)")
            XCTAssertEqual(kept.map(\.0), reference.map(\.0), "n = \(n)")
        }
    }
}
