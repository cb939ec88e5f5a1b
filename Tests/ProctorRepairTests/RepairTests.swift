import ProctorJSON
import ProctorRepair
import ProctorTestSupport
import XCTest

final class RepairTests: XCTestCase {
    func r(_ s: String, drop: Bool = false) -> (String, [Repair.Kind])? {
        guard let res = try? JSONRepair.repair(s, options: .init(dropPartialStrings: drop)) else { return nil }
        return (res.text, res.repairs.map(\.kind))
    }

    func check(_ input: String, _ output: String, _ kinds: [Repair.Kind]? = nil, drop: Bool = false,
               file: StaticString = #filePath, line: UInt = #line) {
        guard let (text, got) = r(input, drop: drop) else { XCTFail("\(input.debugDescription): nothing recovered", file: file, line: line); return }
        XCTAssertEqual(text, output, input.debugDescription, file: file, line: line)
        if let kinds { XCTAssertEqual(got, kinds, input.debugDescription, file: file, line: line) }
    }

    func testValidInputIsUntouched() throws {
        let res = try JSONRepair.repair(#"{"a": [1, 2.50, "x"], "b": null}"#)
        XCTAssertEqual(res.repairs, [])
        XCTAssertEqual(res.text, #"{"a":[1,2.50,"x"],"b":null}"#)
        XCTAssertFalse(res.wasTruncated)
    }

    // MARK: - Truncation, one test per position class

    func testCutBetweenValues() {
        check(#"{"a": 1, "#, #"{"a":1}"#, [.closedObject])
        check("[1, 2,", "[1,2]", [.closedArray])
        check("[", "[]", [.closedArray])
        check(#"{"a": [1, {"b": 2}"#, #"{"a":[1,{"b":2}]}"#, [.closedArray, .closedObject])
    }

    func testCutAfterAKey() {
        check(#"{"score":"#, "{}", [.droppedIncompleteMember, .closedObject])
        check(#"{"a": 1, "b""#, #"{"a":1}"#, [.droppedIncompleteMember, .closedObject])
        check(#"{"a": 1, "b": "#, #"{"a":1}"#, [.droppedIncompleteMember, .closedObject])
    }

    func testCutInAKey() {
        check(#"{"lab"#, "{}", [.closedString, .droppedIncompleteMember, .closedObject])
        check(#"{"a": {"b\"#, #"{"a":{}}"#)
    }

    func testCutInAString() {
        check(#"{"text": "hello wor"#, #"{"text":"hello wor"}"#, [.closedString, .closedObject])
        check(#"["a", "b"#, #"["a","b"]"#)
        check(#"["a", "b"#, #"["a"]"#, drop: true)
        check(#"{"a": 1, "t": "par"#, #"{"a":1}"#, drop: true)
        check("\"just a str", "\"just a str\"")
    }

    func testCutInAnEscape() {
        check(#"{"a": "x\"#, #"{"a":"x"}"#)
        check(#"{"a": "x\u00"#, #"{"a":"x"}"#)
        check(#"{"a": "x\ud83d"#, #"{"a":"x"}"#)
        check(#"{"a": "x\ud83d\"#, #"{"a":"x"}"#)
        check(#"{"a": "x\ud83d\ude0"#, #"{"a":"x"}"#)
        check(#"{"a": "x\ud83d\ude00"#, #"{"a":"x😀"}"#)
        check(#"{"a": "x\n\f\/\u00e9"#, "{\"a\":\"x\\n\\f/é\"}")
        check("{\"a\": \"日本\u{8A9E}", "{\"a\":\"日本語\"}")
    }

    func testCutInAUTF8Character() throws {
        let bytes: [UInt8] = Array("{\"t\": \"日".utf8).dropLast(1)
        let res = try bytes.withUnsafeBufferPointer { try JSONRepair.repair(bytes: $0) }
        XCTAssertEqual(res.text, #"{"t":""}"#)
        XCTAssertTrue(res.repairs.contains { $0.kind == .droppedPartialCharacter })
    }

    func testCutInANumber() {
        check(#"{"n": 12."#, #"{"n":12}"#, [.truncatedNumber, .closedObject])
        check(#"{"n": 1.5e-"#, #"{"n":1.5}"#)
        check(#"{"n": 1.5E"#, #"{"n":1.5}"#)
        check("[1, -", "[1]", [.truncatedNumber, .droppedIncompleteElement, .closedArray])
        check(#"{"n": -"#, "{}")
        check("[123456789012345678901234", "[123456789012345678901234]")
    }

    func testCutInALiteral() {
        check("[tru", "[true]", [.completedLiteral, .closedArray])
        check(#"{"a": nul"#, #"{"a":null}"#)
        check(#"{"a": f"#, #"{"a":false}"#)
        check("n", "null")
        check("[True, Fal", "[true,false]")
    }

    func testNothingRecoverable() {
        check("\"", "\"\"", [.closedString])
        for s in ["", "   ", "Sorry, I cannot help with that.", "-", "\"abc"] {
            if s == "\"abc" {
                XCTAssertNil(r(s, drop: true), "dropping the only partial string leaves nothing")
                continue
            }
            XCTAssertNil(r(s), s.debugDescription)
        }
        XCTAssertThrowsError(try JSONRepair.repair("no json here")) { e in XCTAssertTrue("\(e)".contains("no JSON")) }
    }

    // MARK: - Malformation kinds

    func testFencesAndProse() {
        check("```json\n{\"a\": 1}\n```", #"{"a":1}"#, [.strippedFence])
        check("```\n[1, 2]\n```\nDone.", "[1,2]", [.strippedFence, .droppedTrailingText])
        check("Sure! Here it is: {\"a\": [1, 2]} Hope that helps.", #"{"a":[1,2]}"#, [.extractedFromProse, .droppedTrailingText])
        check("The list [as requested]: {\"ok\": true}", #"{"ok":true}"#)
        check("```json\n{\"a\": [1, 2", #"{"a":[1,2]}"#, [.strippedFence, .truncatedNumber, .closedArray, .closedObject])
        check("`{\"a\": 1}`", #"{"a":1}"#)
    }

    func testCommasAndComments() {
        check(#"{"a": 1, "b": [1, 2,],}"#, #"{"a":1,"b":[1,2]}"#, [.removedTrailingComma, .removedTrailingComma])
        check("{\n  // note\n  \"a\": 1, /* more */ \"b\": 2 # py\n}", #"{"a":1,"b":2}"#, [.removedComment, .removedComment, .removedComment])
        check(#"{"a": 1 "b": 2}"#, #"{"a":1,"b":2}"#, [.insertedComma])
        check("[1 2 3]", "[1,2,3]", [.insertedComma, .insertedComma])
        check(#"["a" "b"]"#, #"["a","b"]"#, [.insertedComma])
        check("[1,,2]", "[1,2]", [.removedExtraComma])
    }

    func testQuotesKeysAndLiterals() {
        check("{'a': 'it\\'s', 'b': \"x\"}", #"{"a":"it's","b":"x"}"#)
        check("{a:1,b:2}", #"{"a":1,"b":2}"#, [.quotedKey, .quotedKey])
        check("{'ok': True, 'n': None, 'f': False}", #"{"ok":true,"n":null,"f":false}"#)
        check("{'xs': (1, 2)}", #"{"xs":[1,2]}"#)
        check(#"{"v": NaN, "w": -Infinity, "u": undefined}"#, #"{"v":null,"w":null,"u":null}"#)
        check(#"{"a": hello world}"#, #"{"a":"hello world"}"#, [.quotedValue])
        check(#"{"a" 1}"#, #"{"a":1}"#, [.insertedColon])
        check(#"{"q": "He said "hi" there"}"#, #"{"q":"He said \"hi\" there"}"#, [.escapedInnerQuote, .escapedInnerQuote])
        check("{\"a\": \"line\nbreak\"}", #"{"a":"line\nbreak"}"#, [.escapedControlCharacter])
        check(#"{"n": +1, "m": .5, "k": 007}"#, #"{"n":1,"m":0.5,"k":7}"#, [.fixedNumber, .fixedNumber, .fixedNumber])
    }

    func testBrackets() {
        check(#"{"a": [1, 2}"#, #"{"a":[1,2]}"#, [.insertedClosingBracket])
        check(#"{"a": 1}}"#, #"{"a":1}"#, [.droppedTrailingText])
        check(#"[{"a": 1]"#, #"[{"a":1}]"#, [.insertedClosingBracket])
        check(#"{"a": 1]}"#, #"{"a":1}"#, [.removedStrayCloser])
    }

    func testStringsThatLookLikeSyntaxAreNeverAltered() {
        let s = ##"{"a": "// not a comment", "b": "```json", "c": "[1, 2]", "d": "/* x */", "e": "True", "f": "#x",}"##
        check(s, ##"{"a":"// not a comment","b":"```json","c":"[1, 2]","d":"/* x */","e":"True","f":"#x"}"##, [.removedTrailingComma])
        check("{a:1,b:2}", #"{"a":1,"b":2}"#)
    }

    func testRepairOffsets() throws {
        let res = try JSONRepair.repair(#"{"a": 1,}"#)
        XCTAssertEqual(res.repairs, [Repair(.removedTrailingComma, at: 8)])
    }

    func testDepthLimitIsAnErrorNotACrash() {
        XCTAssertThrowsError(try JSONRepair.repair(String(repeating: "[", count: 100_000))) { e in
            XCTAssertEqual("\(e)", "nesting deeper than 1000 levels")
        }
    }

    /// Random and mutated bytes: repair never crashes, and what it returns is valid JSON (equal to the
    /// input when the input was valid JSON).
    func testFuzzNeverCrashesAndAlwaysReturnsValidJSON() throws {
        var rng = SeededGenerator(seed: 99)
        var corpus = RepairCorpus(seed: 5)
        let alphabet = Array("{}[]\"':,.-+0123456789eEtrufalsnNT\\u/ *#`\n\tab日😀".unicodeScalars)
        for i in 0..<4000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                var s = ""
                for _ in 0..<Int.random(in: 0...40, using: &rng) { s.unicodeScalars.append(alphabet.randomElement(using: &rng)!) }
                bytes = Array(s.utf8)
            } else {
                bytes = corpus.write(corpus.document(), style: RepairCorpus.Style()).bytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0: bytes.remove(at: at)
                    case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                    default: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                    }
                }
            }
            let valid = try? JSONParser.parse(bytes)
            guard let res = bytes.withUnsafeBufferPointer({ try? JSONRepair.repair(bytes: $0) }) else {
                XCTAssertNil(valid, "valid JSON must always repair")
                continue
            }
            let reparsed = try JSONParser.parse(res.text)
            XCTAssertEqual(reparsed, res.value)
            if let valid { XCTAssertEqual(res.value, valid) }
        }
    }
}

/// A value is never changed without a word: a spelling that says one number exactly is read as it
/// (and logged with its text); anything else is kept as text, or dropped or changed with a lossy
/// log entry that names what was written.
final class RepairFaithfulnessTests: XCTestCase {
    struct Case {
        let input: String, output: String, kind: Repair.Kind, original: String?, lossy: Bool
        init(_ input: String, _ output: String, _ kind: Repair.Kind, _ original: String?, lossy: Bool = false) {
            self.input = input; self.output = output; self.kind = kind; self.original = original; self.lossy = lossy
        }
    }

    static let cases: [Case] = [
        // Read faithfully.
        Case(#"{"a": 0x1F}"#, #"{"a":31}"#, .fixedNumber, "0x1F"),
        Case(#"{"a": -0x10}"#, #"{"a":-16}"#, .fixedNumber, "-0x10"),
        Case(#"{"a": 0o17, "b": 0b101}"#, #"{"a":15,"b":5}"#, .fixedNumber, "0o17"),
        Case(#"{"b": 1_000}"#, #"{"b":1000}"#, .fixedNumber, "1_000"),
        Case(#"{"b": 12.}"#, #"{"b":12}"#, .fixedNumber, "12."),
        Case(#"{"b": +5}"#, #"{"b":5}"#, .fixedNumber, "+5"),
        Case(#"{"b": .5}"#, #"{"b":0.5}"#, .fixedNumber, ".5"),
        Case(#"{"a": 0xFFFFFFFFFFFFFFFFFF}"#, #"{"a":"0xFFFFFFFFFFFFFFFFFF"}"#, .quotedValue, "0xFFFFFFFFFFFFFFFFFF"),
        // Not one JSON number: kept as the text written.
        Case(#"{"price": $5}"#, #"{"price":"$5"}"#, .quotedValue, "$5"),
        Case(#"{"w": 5kg}"#, #"{"w":"5kg"}"#, .quotedValue, "5kg"),
        Case(#"{"w": 5 kg}"#, #"{"w":"5 kg"}"#, .quotedValue, "5 kg"),
        Case(#"{"p": 50%}"#, #"{"p":"50%"}"#, .quotedValue, "50%"),
        Case(#"{"price": 1,5}"#, #"{"price":"1,5"}"#, .quotedValue, "1,5"),
        Case(#"{"total": 1,234.56, "n": 2}"#, #"{"total":"1,234.56","n":2}"#, .quotedValue, "1,234.56"),
        Case(#"{"d": 2024-01-02}"#, #"{"d":"2024-01-02"}"#, .quotedValue, "2024-01-02"),
        Case(#"{"a": "C:\path"}"#, #"{"a":"C:\\path"}"#, .fixedEscape, "\\p"),
        Case(#"{"a": "it\'s"}"#, #"{"a":"it's"}"#, .fixedEscape, "\\'"),
        // Changed or dropped: lossy, and the log names the text.
        Case(#"{"x": NaN}"#, #"{"x":null}"#, .replacedNonFiniteNumber, "NaN", lossy: true),
        Case(#"{"x": -Infinity}"#, #"{"x":null}"#, .replacedNonFiniteNumber, "-Infinity", lossy: true),
        Case(#"{"a": -}"#, "{}", .droppedMemberWithoutValue, "a", lossy: true),
        Case(#"{"a": , "b": 2}"#, #"{"b":2}"#, .droppedMemberWithoutValue, "a", lossy: true),
        Case(#"{"age": 3"#, #"{"age":3}"#, .truncatedNumber, "3", lossy: true),
        Case("[12.", "[12]", .truncatedNumber, "12.", lossy: true),
        Case(#"["\udc00x"]"#, #"["\ufffdx"]"#, .replacedLoneSurrogate, "\\udc00", lossy: true),
        Case(#"{"a": 1 @ }"#, #"{"a":1}"#, .removedInvalidCharacter, "@", lossy: true),
        Case("[1, ∑, 2]", "[1,2]", .removedInvalidCharacter, "∑", lossy: true),
        Case(#"{"a":1, {"b":2}}"#, #"{"a":1}"#, .removedInvalidCharacter, #"{"b":2}"#, lossy: true),
    ]

    func testEverySpellingIsReadFaithfullyOrNamed() throws {
        for c in Self.cases {
            let r = try JSONRepair.repair(c.input)
            let want = try JSONParser.parse(c.output)
            XCTAssertEqual(r.value, want, c.input)
            let entry = r.repairs.first { $0.kind == c.kind }
            XCTAssertNotNil(entry, "\(c.input): \(r.repairs)")
            XCTAssertEqual(entry?.original, c.original, c.input)
            XCTAssertEqual(r.isLossy, c.lossy, "\(c.input): \(r.repairs)")
        }
    }

    /// A missing comma stays a missing comma: a word after a number is a unit only when it is not a key or a literal.
    func testMissingCommasAreNotUnits() throws {
        XCTAssertEqual(try JSONRepair.repair("[1 2 3]").text, "[1,2,3]")
        XCTAssertEqual(try JSONRepair.repair("[1 true]").text, "[1,true]")
        XCTAssertEqual(try JSONRepair.repair(#"{"a": 1 b: 2}"#).text, #"{"a":1,"b":2}"#)
        XCTAssertEqual(try JSONRepair.repair(#"{"a": 1e5}"#).repairs, [], "valid JSON is untouched")
    }

    /// A cut escape closes the string too, and says so; `{"a": -}` is a malformation, not a truncation.
    func testLabelsSayWhatHappened() throws {
        let cut = try JSONRepair.repair(#"{"t": "x\u00"#)
        XCTAssertEqual(cut.repairs.map(\.kind), [.droppedPartialEscape, .closedString, .closedObject])
        let dash = try JSONRepair.repair(#"{"a": -}"#)
        XCTAssertFalse(dash.repairs.contains { $0.isTruncation }, "\(dash.repairs)")
    }
}

final class RepairKindCoverageTests: XCTestCase {
    /// Every repair kind the engine can report, each produced by a small input.
    func testEveryKindIsProducedAndNamed() throws {
        let examples: [(Repair.Kind, String)] = [
            (.closedString, #"["ab"#), (.closedArray, "[1"), (.closedObject, #"{"a": 1"#),
            (.droppedIncompleteMember, #"{"a": 1, "b"#), (.droppedIncompleteElement, "[1, -"),
            (.droppedPartialEscape, #"["a\"#), (.droppedPartialString, #"["ab"#), (.completedLiteral, "[tru"),
            (.truncatedNumber, "[1."), (.strippedFence, "```json\n[1]\n```"), (.extractedFromProse, "Result: [1] ok"),
            (.droppedTrailingText, "[1] and more"), (.removedTrailingComma, "[1,]"), (.removedExtraComma, "[1,,2]"),
            (.removedComment, "[1 /* c */]"), (.convertedSingleQuotes, "['a']"), (.quotedKey, "{a: 1}"),
            (.quotedValue, #"{"a": yes please}"#), (.convertedPythonLiteral, "[None]"), (.replacedNonFiniteNumber, "[NaN]"),
            (.insertedComma, "[1 2]"), (.insertedColon, #"{"a" 1}"#), (.insertedClosingBracket, #"{"a": [1}"#),
            (.removedStrayCloser, #"{"a": 1]}"#), (.escapedControlCharacter, "[\"a\tb\"]"), (.escapedInnerQuote, #"{"a": "say "hi" now"}"#),
            (.fixedEscape, #"["a\qb"]"#), (.replacedLoneSurrogate, #"["\udc00x"]"#), (.fixedNumber, "[+1]"),
            (.droppedMemberWithoutValue, #"{"a": , "b": 2}"#), (.removedInvalidCharacter, "[1, @, 2]"),
        ]
        var seen = Set<Repair.Kind>()
        for (kind, input) in examples {
            let res = try JSONRepair.repair(input, options: .init(dropPartialStrings: kind == .droppedPartialString))
            XCTAssertTrue(res.repairs.contains { $0.kind == kind }, "\(input.debugDescription) should report \(kind): \(res.repairs)")
            XCTAssertNoThrow(try JSONParser.parse(res.text))
            seen.insert(kind)
        }
        // Invalid UTF-8 and a cut multi-byte character need raw bytes.
        let raw: [UInt8] = Array("[\"a".utf8) + [0xFF] + Array("b\"]".utf8)
        let r1 = try raw.withUnsafeBufferPointer { try JSONRepair.repair(bytes: $0) }
        XCTAssertTrue(r1.repairs.contains { $0.kind == .replacedInvalidUTF8 })
        let cut: [UInt8] = Array("[\"a".utf8) + [0xE6, 0x97]
        let r2 = try cut.withUnsafeBufferPointer { try JSONRepair.repair(bytes: $0) }
        XCTAssertTrue(r2.repairs.contains { $0.kind == .droppedPartialCharacter })
        seen.formUnion([.replacedInvalidUTF8, .droppedPartialCharacter])
        XCTAssertEqual(seen, Set(Repair.Kind.allCases), "a kind without an example: \(Set(Repair.Kind.allCases).subtracting(seen))")
    }
}
