import Foundation
import ProctorJSON
import ProctorModel

/// `proctor model bench`: decode and prefill speed, and the machine's memory bandwidth with the
/// resulting bound (weights bytes read per token).
enum ModelBench {
    static func run(_ rest: [String], _ args: ParsedArguments, _ console: Console) throws -> Int32 {
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
}
