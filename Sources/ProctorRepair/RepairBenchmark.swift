import Foundation
import ProctorJSON
import ProctorSupport

/// `proctor bench repair`: repair throughput over a seeded corpus of truncated and malformed model
/// outputs, plus the valid-input fast path. It lives beside the repairer so the corpus and the code it
/// measures change together.
public enum RepairBenchmark {
    /// The corpus: for each of `documents` seeded documents, truncations at ~20 positions and one fenced
    /// malformation (`broken`), and the document itself (`valid`).
    public static func corpus(documents: Int) -> (broken: [[UInt8]], valid: [[UInt8]]) {
        var gen = RepairCorpus(seed: 2026)
        var broken: [[UInt8]] = []
        var valid: [[UInt8]] = []
        for d in 0..<documents {
            var style = RepairCorpus.Style()
            style.indent = d % 3 == 0 ? 2 : 0
            style.asciiEscapes = d % 5 == 0
            let doc = gen.document()
            let (bytes, _) = gen.write(doc, style: style)
            valid.append(bytes)
            let step = max(1, bytes.count / 20)
            var cut = 1
            while cut < bytes.count { broken.append(Array(bytes[0..<cut])); cut += step }
            var m = RepairCorpus.Style()
            m.trailingCommas = d % 2 == 0
            m.singleQuotes = d % 3 == 1
            m.unquotedKeys = d % 4 == 1
            m.pythonLiterals = d % 3 == 2
            m.numberSpellings = d % 5 == 3
            let text = "Here is the JSON:\n```json\n" + String(decoding: gen.write(doc, style: m).bytes, as: UTF8.self) + "\n```"
            broken.append(Array(text.utf8))
        }
        return (broken, valid)
    }

    /// The corpus's broken texts as JSON string lines, for other tools to time on the same bytes.
    public static func corpusLines(_ broken: [[UInt8]]) -> String {
        var lines = ""
        for b in broken { lines += JSONSerializer.quote(String(decoding: b, as: UTF8.self)) + "\n" }
        return lines
    }

    /// Times repair over the 2,000-document corpus (median of `repeats`) and returns the report lines.
    public static func run(repeats: Int, broken: [[UInt8]], valid: [[UInt8]]) -> [String] {
        func measure(_ inputs: [[UInt8]]) -> (mbps: Double, failed: Int) {
            var failed = 0
            let bytes = inputs.reduce(0) { $0 + $1.count }
            let t = Timing.medianSeconds(repeats) {
                failed = 0
                for i in inputs where !i.withUnsafeBufferPointer({ (try? JSONRepair.repair(bytes: $0)) != nil }) { failed += 1 }
            }
            return (Double(bytes) / 1e6 / t, failed)
        }
        let b = measure(broken)
        let v = measure(valid)
        let mb = Double(broken.reduce(0) { $0 + $1.count }) / 1e6
        return [
            String(format: "corpus: %d broken texts (%.1f MB: truncations at ~20 positions + fenced malformations of %d documents)", broken.count, mb, valid.count),
            String(format: "repair broken texts   %8.1f MB/s  (%d with nothing recoverable)", b.mbps, b.failed),
            String(format: "repair valid JSON     %8.1f MB/s  (fast path: one strict parse)", v.mbps),
        ]
    }
}
