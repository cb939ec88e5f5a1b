import ProctorJSON
import XCTest

/// JSON Lines cut into pieces for every core: each piece starts at a line start with the right
/// line number, and the pieces' results come back in input order.
final class JSONLinesInOrderTests: XCTestCase {
    /// Random lines: blank ones, `\r\n` ends, bytes near `\n` (0x0B, 0x8A, 0x09), no final newline.
    static func randomInput(_ rng: inout SystemRandomNumberGenerator, lines: Int) -> [UInt8] {
        var out: [UInt8] = []
        let alphabet: [UInt8] = [0x61, 0x62, 0x09, 0x0B, 0x8A, 0x0D, 0x20, 0x7B, 0x7D, 0x22, 0xFF]
        for i in 0..<lines {
            for _ in 0..<Int.random(in: 0...40, using: &rng) { out.append(alphabet.randomElement(using: &rng)!) }
            if Bool.random(using: &rng) { out.append(0x0D) }
            if i < lines - 1 || Bool.random(using: &rng) { out.append(0x0A) }
        }
        return out
    }

    func testPiecesStartAtLineStartsWithTheirLineNumbers() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let bytes = Self.randomInput(&rng, lines: Int.random(in: 1...300, using: &rng))
            let pieces = JSONLines.pieces(bytes, count: Int.random(in: 1...40, using: &rng))
            XCTAssertEqual(pieces.first?.range.lowerBound, 0)
            XCTAssertEqual(pieces.last?.range.upperBound, bytes.count)
            for (k, p) in pieces.enumerated() {
                if k > 0 { XCTAssertEqual(p.range.lowerBound, pieces[k - 1].range.upperBound, "pieces are back to back") }
                if p.range.lowerBound > 0 { XCTAssertEqual(bytes[p.range.lowerBound - 1], 0x0A, "a piece starts after a newline") }
                let before = bytes[..<p.range.lowerBound].filter { $0 == 0x0A }.count
                XCTAssertEqual(p.firstLine, before + 1, "line number of piece \(k)")
            }
        }
    }

    func testTransformInOrderMatchesOnePass() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<30 {
            let bytes = Self.randomInput(&rng, lines: Int.random(in: 1...400, using: &rng))
            var expected: [String] = []
            JSONLines.forEachLine(bytes) { line, buf in
                expected.append("\(line):\(buf.count)")
                return true
            }
            var got: [String] = []
            var pieces = 0
            let split = JSONLines.Split(pieceBytes: Int.random(in: 1...200, using: &rng), lanes: 2, piecesPerLane: Int.random(in: 1...3, using: &rng))
            JSONLines.transformInOrder(bytes, split: split, transform: { range, firstLine in
                var out: [String] = []
                JSONLines.forEachLine(bytes, in: range, firstLine: firstLine) { line, buf in
                    out.append("\(line):\(buf.count)")
                    return true
                }
                return out
            }, consume: { got += $0; pieces += 1 })
            XCTAssertEqual(got, expected)
            if bytes.count > 400 { XCTAssertGreaterThan(pieces, 1, "a long input is cut") }
        }
    }
}
