import Foundation
import ProctorJSON

/// `proctor model bench`: decode and prefill speed per thread count beside the machine's memory
/// bandwidth bound, and `--split`'s table of where splitting a product pays. It lives beside the
/// kernels so the benchmark and the code it measures change together.
public enum ModelBenchmark {
    /// Lines to print and the same figures as one JSON object (`--json`).
    public struct Report: Sendable {
        /// Human-readable lines, in order.
        public var lines: [String] = []
        /// The figures, for scripts.
        public var json: JSONValue = .null
        /// An empty report, for benchmarks in other modules to fill.
        public init() {}
    }

    /// Times `decodeTokens` decoded tokens and a 200-token prefill (capped by the context) at each of `threadCounts`.
    public static func run(_ c: Checkpoint, threadCounts: [Int], decodeTokens: Int, cores: Int) -> Report {
        let cfg = c.config
        let decodeTokens = min(decodeTokens, cfg.seqLen - 1)
        let bw = max(MemoryBandwidth.measure(threads: cores), MemoryBandwidth.measure(c, threads: cores))
        // Bytes of weights read per decoded token: every matrix once, classifier included.
        let weightBytes = Double(c.weightBytesPerToken)
        let bound = bw * 1e9 / weightBytes
        var report = Report()
        report.lines.append("model: \(cfg) (\(String(format: "%.1f", Double(cfg.parameterCount) / 1e6)) M parameters, "
                            + (c.isQuantized ? "int8 Q8_0, group size \(c.groupSize))" : "fp32)"))
        report.lines.append(String(format: "memory bandwidth: %.1f GB/s (%d threads); weights read per token: %.1f MB; bound: %.1f tok/s", bw, cores, weightBytes / 1e6, bound))
        let work = Schedule.tokenWork(cfg, cores: cores), plan = Schedule.plan(cfg, cores: cores)
        report.lines.append("split threshold: a product is split only when each thread gets at least \(WorkerPool.minWorkPerThread) multiply-adds "
                            + String(format: "(%.0f%% of this model's work per token splits at %d threads)", Double(work.split) / Double(max(1, work.total)) * 100, cores)
                            + "; the builtin backend runs \(plan.threads) thread\(plan.threads == 1 ? "" : "s") per generation, \(plan.concurrent) at once")
        let promptLen = min(200, cfg.seqLen)
        var rows: [JSONValue] = []
        for threads in threadCounts {
            let t = Transformer(checkpoint: c, threads: threads)
            t.forward(token: 1, pos: 0)  // warm-up: pages in the mapping
            let t0 = DispatchTime.now().uptimeNanoseconds
            for pos in 1...max(1, decodeTokens) { t.forward(token: (pos * 7) % cfg.vocabSize, pos: pos) }
            let decode = Double(decodeTokens) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            let prompt = (0..<promptLen).map { ($0 * 13 + 5) % cfg.vocabSize }
            let p0 = DispatchTime.now().uptimeNanoseconds
            t.prefill(prompt, start: 0)
            let prefill = Double(promptLen) / (Double(DispatchTime.now().uptimeNanoseconds - p0) / 1e9)
            report.lines.append(String(format: "threads %d: decode %.1f tok/s (%.0f%% of the bandwidth bound), prefill %.1f tok/s (%d-token prompt, %.1f× decode)",
                                       threads, decode, decode / bound * 100, prefill, promptLen, prefill / decode))
            rows.append(["threads": .number(JSONNumber(threads)), "decodeTokensPerSecond": .number(JSONNumber((decode * 10).rounded() / 10)),
                         "prefillTokensPerSecond": .number(JSONNumber((prefill * 10).rounded() / 10)),
                         "fractionOfBound": .number(JSONNumber((decode / bound * 1000).rounded() / 1000))])
        }
        report.json = ["format": .string(c.isQuantized ? "q8_0" : "f32"), "groupSize": c.isQuantized ? .number(JSONNumber(c.groupSize)) : .null,
                       "weightBytesPerToken": .number(JSONNumber(c.weightBytesPerToken)),
                       "promptTokens": .number(JSONNumber(promptLen)), "decodeTokens": .number(JSONNumber(decodeTokens)),
                       "bandwidthGBs": .number(JSONNumber((bw * 10).rounded() / 10)),
                       "boundTokensPerSecond": .number(JSONNumber((bound * 10).rounded() / 10)), "runs": .array(rows)]
        return report
    }

    /// `--split`: matrix-vector products of growing size on one thread and on `threads`.
    public static func split(threads n: Int) -> Report {
        let rows = SplitBenchmark.measure(threads: n)
        var report = Report()
        report.lines.append("matrix-vector products, one thread against \(n) (best of 200 runs each):")
        for r in rows {
            report.lines.append(String(format: "  %8d multiply-adds: %8.2f µs alone, %8.2f µs split (%.2f×)", r.work, r.singleMicros, r.splitMicros, r.speedup))
        }
        let pays = rows.first { $0.speedup >= 1.1 }
        report.lines.append("splitting pays (≥ 1.1×) from \(pays.map { "\($0.work)" } ?? "none of these sizes") multiply-adds per product; "
                            + "the threshold in use is \(WorkerPool.minWorkPerThread) per thread")
        report.json = ["threads": .number(JSONNumber(n)), "thresholdPerThread": .number(JSONNumber(WorkerPool.minWorkPerThread)),
                       "rows": .array(rows.map { ["work": .number(JSONNumber($0.work)), "singleMicros": .number(JSONNumber(($0.singleMicros * 100).rounded() / 100)),
                                                  "splitMicros": .number(JSONNumber(($0.splitMicros * 100).rounded() / 100))] })]
        return report
    }

    /// What `proctor model info` shows: the file's format, shape, template and sizes, as lines and as JSON.
    public static func info(_ c: Checkpoint) -> Report {
        let cfg = c.config
        var report = Report()
        report.json = ["dim": .number(JSONNumber(cfg.dim)), "hiddenDim": .number(JSONNumber(cfg.hiddenDim)),
                       "layers": .number(JSONNumber(cfg.nLayers)), "heads": .number(JSONNumber(cfg.nHeads)),
                       "kvHeads": .number(JSONNumber(cfg.nKVHeads)), "vocab": .number(JSONNumber(cfg.vocabSize)),
                       "seq": .number(JSONNumber(cfg.seqLen)), "sharedClassifier": .bool(cfg.sharedClassifier),
                       "parameters": .number(JSONNumber(cfg.parameterCount)), "bytes": .number(JSONNumber(c.fileSize)),
                       "formatVersion": .number(JSONNumber(c.version)), "format": .string(c.isQuantized ? "q8_0" : "f32"),
                       "groupSize": c.isQuantized ? .number(JSONNumber(c.groupSize)) : .null,
                       "note": c.quantizationNote.map { .string($0) } ?? .null,
                       "promptTemplate": c.promptTemplate.map { .string($0.text) } ?? .null]
        report.lines.append("\(c.path): llama2.c checkpoint, format version \(c.version), "
                            + (c.isQuantized ? "int8 Q8_0 weights in groups of \(c.groupSize) (one fp32 scale per group), norms fp32" : "fp32 weights"))
        if let note = c.quantizationNote { report.lines.append("note: \(note)") }
        report.lines.append("shape: \(cfg)")
        if let t = c.promptTemplate { report.lines.append("prompt template: \(String(reflecting: t.text))") }
        report.lines.append("head size \(cfg.headSize), kv dim \(cfg.kvDim)")
        report.lines.append(String(format: "parameters: %d (%.2f M)", cfg.parameterCount, Double(cfg.parameterCount) / 1e6))
        report.lines.append(String(format: "size: %d bytes (%.1f MB)", c.fileSize, Double(c.fileSize) / 1e6))
        return report
    }
}
