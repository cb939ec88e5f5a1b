import Foundation
import ProctorJSON
import ProctorModel

/// `proctor model bench`: decode and prefill speed, and the machine's memory bandwidth with the
/// resulting bound (weights bytes read per token).
enum ModelBench {
    static func run(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        if args.flag("split") { return split(args, console) }
        let c = try ModelCommand.load(rest.first)
        let cfg = c.config
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let threadCounts = args.value("threads").flatMap(Int.init).map { [$0] } ?? Array(Set([1, cores])).sorted()
        let decodeTokens = min(try args.int("tokens", min: 2) ?? 64, cfg.seqLen - 1)
        let bw = max(MemoryBandwidth.measure(threads: cores), MemoryBandwidth.measure(c, threads: cores))
        // Bytes of weights read per decoded token: every matrix once, classifier included.
        let weightBytes = Double(c.weightBytesPerToken)
        let bound = bw * 1e9 / weightBytes
        var rows: [JSONValue] = []
        let format = c.isQuantized ? "q8_0" : "f32"
        console.out("model: \(cfg) (\(String(format: "%.1f", Double(cfg.parameterCount) / 1e6)) M parameters, "
                    + (c.isQuantized ? "int8 Q8_0, group size \(c.groupSize))" : "fp32)"))
        console.out(String(format: "memory bandwidth: %.1f GB/s (%d threads); weights read per token: %.1f MB; bound: %.1f tok/s", bw, cores, weightBytes / 1e6, bound))
        let work = Schedule.tokenWork(cfg, cores: cores), plan = Schedule.plan(cfg, cores: cores)
        console.out("split threshold: a product is split only when each thread gets at least \(WorkerPool.minWorkPerThread) multiply-adds "
                    + String(format: "(%.0f%% of this model's work per token splits at %d threads)", Double(work.split) / Double(max(1, work.total)) * 100, cores)
                    + "; the builtin backend runs \(plan.threads) thread\(plan.threads == 1 ? "" : "s") per generation, \(plan.concurrent) at once")
        for threads in threadCounts {
            let t = Transformer(checkpoint: c, threads: threads)
            t.forward(token: 1, pos: 0)  // warm-up: pages in the mapping
            let t0 = DispatchTime.now().uptimeNanoseconds
            for pos in 1...decodeTokens { t.forward(token: (pos * 7) % cfg.vocabSize, pos: pos) }
            let decode = Double(decodeTokens) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            let promptLen = min(200, cfg.seqLen)
            let prompt = (0..<promptLen).map { ($0 * 13 + 5) % cfg.vocabSize }
            let p0 = DispatchTime.now().uptimeNanoseconds
            t.prefill(prompt, start: 0)
            let prefill = Double(promptLen) / (Double(DispatchTime.now().uptimeNanoseconds - p0) / 1e9)
            console.out(String(format: "threads %d: decode %.1f tok/s (%.0f%% of the bandwidth bound), prefill %.1f tok/s (%d-token prompt, %.1f× decode)",
                               threads, decode, decode / bound * 100, prefill, promptLen, prefill / decode))
            rows.append(["threads": .number(JSONNumber(threads)), "decodeTokensPerSecond": .number(JSONNumber((decode * 10).rounded() / 10)),
                         "prefillTokensPerSecond": .number(JSONNumber((prefill * 10).rounded() / 10)),
                         "fractionOfBound": .number(JSONNumber((decode / bound * 1000).rounded() / 1000))])
        }
        if args.flag("json") {
            console.out(JSONSerializer.string(["format": .string(format), "groupSize": c.isQuantized ? .number(JSONNumber(c.groupSize)) : .null,
                                               "weightBytesPerToken": .number(JSONNumber(c.weightBytesPerToken)),
                                               "promptTokens": .number(JSONNumber(min(200, cfg.seqLen))), "decodeTokens": .number(JSONNumber(decodeTokens)),
                                               "bandwidthGBs": .number(JSONNumber((bw * 10).rounded() / 10)),
                                               "boundTokensPerSecond": .number(JSONNumber((bound * 10).rounded() / 10)), "runs": .array(rows)]))
        }
        return 0
    }

    /// `--split`: where splitting one product across the cores starts to pay on this machine.
    static func split(_ args: ParsedArguments, _ console: Console) -> Int32 {
        let threads = try? args.int("threads", min: 2) ?? nil
        let n = (threads ?? nil) ?? max(2, ProcessInfo.processInfo.activeProcessorCount)
        let rows = SplitBenchmark.measure(threads: n)
        console.out("matrix-vector products, one thread against \(n) (best of 200 runs each):")
        for r in rows {
            console.out(String(format: "  %8d multiply-adds: %8.2f µs alone, %8.2f µs split (%.2f×)", r.work, r.singleMicros, r.splitMicros, r.speedup))
        }
        let pays = rows.first { $0.speedup >= 1.1 }
        console.out("splitting pays (≥ 1.1×) from \(pays.map { "\($0.work)" } ?? "none of these sizes") multiply-adds per product; "
                    + "the threshold in use is \(WorkerPool.minWorkPerThread) per thread")
        if args.flag("json") {
            console.out(JSONSerializer.string(["threads": .number(JSONNumber(n)), "thresholdPerThread": .number(JSONNumber(WorkerPool.minWorkPerThread)),
                                               "rows": .array(rows.map { ["work": .number(JSONNumber($0.work)), "singleMicros": .number(JSONNumber(($0.singleMicros * 100).rounded() / 100)),
                                                                          "splitMicros": .number(JSONNumber(($0.splitMicros * 100).rounded() / 100))] })]))
        }
        return 0
    }
}
