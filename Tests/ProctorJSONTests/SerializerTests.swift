import ProctorJSON
import ProctorTestSupport
import XCTest

final class SerializerTests: XCTestCase {
    func testCompactAndPretty() throws {
        let v: JSONValue = ["b": [1, "x\n\"y\""], "a": [:], "c": []]
        XCTAssertEqual(JSONSerializer.string(v), #"{"b":[1,"x\n\"y\""],"a":{},"c":[]}"#)
        XCTAssertEqual(JSONSerializer.string(v, pretty: true), """
        {
          "b": [
            1,
            "x\\n\\"y\\""
          ],
          "a": {},
          "c": []
        }
        """)
        XCTAssertEqual(JSONSerializer.string(v, options: .init(sortKeys: true)), #"{"a":{},"b":[1,"x\n\"y\""],"c":[]}"#)
    }

    func testMinimalEscaping() {
        XCTAssertEqual(JSONSerializer.quote("é😀\u{1}\t/"), "\"é😀\\u0001\\t/\"")
    }

    /// parse(print(v)) == v for random values, compact and pretty.
    func testRoundTripProperty() throws {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<2000 {
            let v = randomValue(&rng, depth: 0)
            for pretty in [false, true] {
                let text = JSONSerializer.string(v, pretty: pretty)
                let back = try JSONParser.parse(text)
                XCTAssertEqual(back, v, text)
                XCTAssertEqual(JSONSerializer.string(back, pretty: pretty), text, "printing is stable")
            }
        }
    }

    func randomString(_ rng: inout SeededGenerator) -> String {
        let pool: [String] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "é", "中", "😀", "\u{2028}", "~", "{", "]"]
        var s = ""
        for _ in 0..<Int.random(in: 0...8, using: &rng) { s += pool.randomElement(using: &rng)! }
        return s
    }

    func randomValue(_ rng: inout SeededGenerator, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            let forms = ["0", "-0", "1", "-17", "3.25", "1e10", "-2.5E-3", "123456789012345678901234567890", "0.1"]
            return .number(JSONNumber(text: forms.randomElement(using: &rng)!)!)
        case 3: return .number(JSONNumber(Double(Int.random(in: -1000...1000, using: &rng)) / 8))
        case 4: return .string(randomString(&rng))
        case 5: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var entries: [JSONObject.Entry] = []
            var used = Set<String>()
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let k = randomString(&rng)
                if used.insert(k).inserted { entries.append((k, randomValue(&rng, depth: depth + 1))) }
            }
            return .object(JSONObject(entries))
        }
    }
}

final class PointerAndLinesTests: XCTestCase {
    func testPointer() throws {
        let doc = try JSONParser.parse(#"{"a/b": {"m~n": [10, 20]}, "": 1}"#)
        XCTAssertEqual(try JSONPointer("/a~1b/m~0n/1").resolve(in: doc), 20)
        XCTAssertEqual(try JSONPointer("/").resolve(in: doc), 1)
        XCTAssertEqual(try JSONPointer("").resolve(in: doc), doc)
        XCTAssertNil(try JSONPointer("/a~1b/m~0n/01").resolve(in: doc), "leading zeros are not indices")
        XCTAssertNil(try JSONPointer("/missing").resolve(in: doc))
        XCTAssertThrowsError(try JSONPointer("a"))
        XCTAssertThrowsError(try JSONPointer("/~2"))
        XCTAssertEqual(JSONPointer(tokens: ["a/b", "m~n"]).description, "/a~1b/m~0n")
    }

    func testJSONLines() throws {
        let text = "{\"a\":1}\n\n  \r\n[2]\r\n"
        let recs = try JSONLines.parse(Array(text.utf8))
        XCTAssertEqual(recs.map(\.line), [1, 4])
        XCTAssertEqual(recs[1].value, [2])
        XCTAssertThrowsError(try JSONLines.parse(Array("1\n{\"a\" 2}\n".utf8))) { e in
            XCTAssertEqual("\(e)", "2:6: expected ':' after object key, found '2'")
        }
    }
}
