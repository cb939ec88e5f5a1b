import Foundation
import ProctorJSON
import ProctorRepair

/// `proctor bench repair`: repair throughput over the seeded corpus (truncated and malformed model
/// outputs), in process; plus the valid-input fast path.
enum RepairBench {
    static func corpus(documents: Int) -> (broken: [[UInt8]], valid: [[UInt8]]) {
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
            // Truncations at ~20 positions per document.
            let step = max(1, bytes.count / 20)
            var cut = 1
            while cut < bytes.count { broken.append(Array(bytes[0..<cut])); cut += step }
            // Malformations.
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

    static func run(repeats: Int, corpusOut: String?, console: Console) throws -> Int32 {
        let (broken, valid) = corpus(documents: 2000)
        if let corpusOut {
            var lines = ""
            for b in broken { lines += JSONSerializer.quote(String(decoding: b, as: UTF8.self)) + "\n" }
            try lines.write(toFile: corpusOut, atomically: true, encoding: .utf8)
        }
        func measure(_ inputs: [[UInt8]]) -> (mbps: Double, failed: Int) {
            var failed = 0
            let bytes = inputs.reduce(0) { $0 + $1.count }
            let t = medianSeconds(repeats) {
                failed = 0
                for i in inputs {
                    let ok = i.withUnsafeBufferPointer { (try? JSONRepair.repair(bytes: $0)) != nil }
                    if !ok { failed += 1 }
                }
            }
            return (Double(bytes) / 1e6 / t, failed)
        }
        let b = measure(broken)
        let v = measure(valid)
        let mb = Double(broken.reduce(0) { $0 + $1.count }) / 1e6
        console.out(String(format: "corpus: %d broken texts (%.1f MB: truncations at ~20 positions + fenced malformations of 2000 documents)", broken.count, mb))
        console.out(String(format: "repair broken texts   %8.1f MB/s  (%d with nothing recoverable)", b.mbps, b.failed))
        console.out(String(format: "repair valid JSON     %8.1f MB/s  (fast path: one strict parse)", v.mbps))
        return 0
    }
}
