import Dispatch
import Foundation
import ProctorSupport

extension JSONLines {
    /// How a large JSON Lines input is cut for `transformInOrder`: pieces of about `pieceBytes`
    /// bytes that end at line ends, taken `window` pieces at a time.
    public struct Split: Sendable {
        /// The size a piece aims at; a piece always ends at a line end, so it can be longer.
        public var pieceBytes: Int
        /// How many pieces are transformed side by side before their results are handed on in
        /// order (the results of one window are all that is held at once).
        public var window: Int

        /// Pieces of `pieceBytes`, `piecesPerLane` per core in a window.
        public init(pieceBytes: Int = 256 << 10, lanes: Int, piecesPerLane: Int = 8) {
            self.pieceBytes = max(1, pieceBytes)
            window = max(1, lanes * piecesPerLane)
        }

        /// The default split over every core of this machine.
        public static var everyCore: Split { Split(lanes: ProcessInfo.processInfo.activeProcessorCount) }
    }

    /// Transforms the lines of `bytes` a piece at a time on every core and hands the pieces'
    /// results to `consume` in input order, so the output is the one a single pass would make.
    ///
    /// `transform` gets a piece's byte range (whole lines) and the number of its first line;
    /// pieces are cut by `split`. An input of one piece is transformed on the calling thread.
    public static func transformInOrder<T: Sendable>(_ bytes: [UInt8], split: Split,
                                                     transform: @Sendable (_ range: Range<Int>, _ firstLine: Int) -> T,
                                                     consume: (T) -> Void) {
        let pieces = pieces(bytes, count: max(1, bytes.count / split.pieceBytes))
        if pieces.count == 1 {
            consume(transform(pieces[0].range, pieces[0].firstLine))
            return
        }
        var start = 0
        while start < pieces.count {
            let window = Array(pieces[start..<min(start + split.window, pieces.count)])
            for r in Parallel.map(window.count, { k in transform(window[k].range, window[k].firstLine) }) { consume(r) }
            start += window.count
        }
    }
}
