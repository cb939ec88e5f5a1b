import ProctorJSON
import XCTest

/// `writeQuoted` is one pass of what `writeString(bytes(value))` does in two.
final class QuotedWriterTests: XCTestCase {
    func testSameBytesAsSerialisingThenQuoting() throws {
        var values: [JSONValue] = [.null, true, false, .number(JSONNumber(3)), "", "plain", "quote \" back \\ slash",
                                   "new\nline\ttab\r\u{08}\u{0C}\u{01}\u{1F}", "ünïcødé 😀", [], [:]]
        values.append(try JSONParser.parse(#"{"a": [1, 2.50, {"b\"c": "d\\e\u0000"}], "a": null, "": [[]]}"#))
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab\"\\\n\u{01}é😀 {}[]:,")
        for _ in 0..<200 {
            let s = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            values.append(.object(JSONObject([(key: s, value: .array([.string(s), .number(JSONNumber(Int.random(in: -9...9, using: &rng)))]))])))
        }
        for v in values {
            var two: [UInt8] = [], one: [UInt8] = []
            JSONSerializer.bytes(v).withUnsafeBufferPointer { JSONSerializer.writeString(bytes: $0, into: &two) }
            JSONSerializer.writeQuoted(v, into: &one)
            XCTAssertEqual(String(decoding: one, as: UTF8.self), String(decoding: two, as: UTF8.self))
            // And it decodes back to the value's JSON text.
            XCTAssertEqual(try JSONParser.parse(one), .string(JSONSerializer.string(v)))
        }
    }

    /// The one-pass writer into a raw buffer writes `writeString`'s bytes, across word
    /// boundaries and for every byte that needs escaping, in no more room than it asks for.
    func testOnePassRawWriterMatchesWriteString() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("ab \"\\/é😀".utf8) + (0..<0x20).map { UInt8($0) } + [0x7F]
        var inputs: [[UInt8]] = [[], Array("plain ascii, longer than a word".utf8), (0..<256).map { UInt8($0) }.filter { $0 < 0x80 }]
        for _ in 0..<500 { inputs.append((0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }) }
        for bytes in inputs {
            var want: [UInt8] = []
            bytes.withUnsafeBufferPointer { JSONSerializer.writeString(bytes: $0, into: &want) }
            let room = JSONSerializer.quotedCapacity(bytes.count)
            let dst = UnsafeMutablePointer<UInt8>.allocate(capacity: room)
            defer { dst.deallocate() }
            let n = bytes.withUnsafeBufferPointer { JSONSerializer.writeQuoted($0, to: dst) }
            XCTAssertLessThanOrEqual(n, room)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: dst, count: n)), want, "\(bytes)")
        }
    }
}
