import Foundation

/// Picks the next token from logits: greedy at temperature 0; otherwise temperature, then top-p
/// (nucleus) sampling driven by `ModelRandom` (llama2.c's xorshift64*), so a seed gives the same text
/// on every machine.
public struct Sampler {
    /// Divides the logits before the softmax; 0 means greedy decoding (argmax, no randomness).
    public var temperature: Float
    /// Nucleus threshold: sample among the fewest most likely tokens whose probabilities sum past it; 0 or at least 1 samples from the whole distribution.
    public var topP: Float
    /// The seeded generator each draw comes from, so a seed repeats the same text.
    public var rng: ModelRandom
    var probs: [Float] = []
    var index: [(Float, Int)] = []

    /// Makes a sampler; the defaults are greedy decoding, with top-p 0.9 and seed 42 for when a temperature is set.
    public init(temperature: Float = 0, topP: Float = 0.9, seed: UInt64 = 42) {
        self.temperature = temperature
        self.topP = topP
        self.rng = ModelRandom(seed: seed)
    }

    /// Index of the largest value; the first one wins ties (as run.c).
    public static func argmax(_ x: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        var v = x[0]
        for i in 1..<n where x[i] > v { v = x[i]; best = i }
        return best
    }

    /// Picks a token id from `n` logits; above temperature 0 it overwrites `logits` with the probabilities, as run.c does.
    public mutating func sample(_ logits: UnsafeMutablePointer<Float>, _ n: Int) -> Int {
        if temperature == 0 { return Self.argmax(logits, n) }
        for i in 0..<n { logits[i] /= temperature }
        Kernels.softmax(logits, n)
        let coin = rng.uniform()
        if topP <= 0 || topP >= 1 {
            var cdf: Float = 0
            for i in 0..<n {
                cdf += logits[i]
                if coin < cdf { return i }
            }
            return n - 1
        }
        // Top-p: the smallest set of most likely tokens whose probability exceeds topP.
        let cutoff = (1 - topP) / Float(n - 1)
        index.removeAll(keepingCapacity: true)
        for i in 0..<n where logits[i] >= cutoff { index.append((logits[i], i)) }
        Self.sortDescending(&index)
        var cumulative: Float = 0
        var last = index.count - 1
        for (k, e) in index.enumerated() {
            cumulative += e.0
            if cumulative > topP { last = k; break }
        }
        let r = coin * cumulative
        var cdf: Float = 0
        for k in 0...last {
            cdf += index[k].0
            if r < cdf { return index[k].1 }
        }
        return index[last].1
    }

    /// `kept` by weight, largest first, ties by token id (the order of `sort` by (weight desc, id
    /// asc)), in linear time: a stable radix sort on the weights' bits. On a 32k vocabulary with
    /// nearly every token in the nucleus (a flat distribution), a comparison sort was most of a step.
    public static func sortDescending(_ kept: inout [(Float, Int)]) {
        let n = kept.count
        guard n > 64 else {
            kept.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            return
        }
        // Weights are non-negative floats: their bit patterns order as unsigned integers. Inverted,
        // ascending order of the key is descending order of the weight; ids come in ascending order
        // and a stable sort keeps them so among equal weights.
        var keys = [UInt32](repeating: 0, count: n), ids = [Int32](repeating: 0, count: n)
        for k in 0..<n { keys[k] = ~kept[k].0.bitPattern; ids[k] = Int32(kept[k].1) }
        var keys2 = keys, ids2 = ids
        var count = [Int](repeating: 0, count: 257)
        keys.withUnsafeMutableBufferPointer { k1 in keys2.withUnsafeMutableBufferPointer { k2 in
        ids.withUnsafeMutableBufferPointer { i1 in ids2.withUnsafeMutableBufferPointer { i2 in
            var (srcK, dstK, srcI, dstI) = (k1, k2, i1, i2)
            for shift in stride(from: UInt32(0), to: 32, by: 8) {
                for b in 0..<257 { count[b] = 0 }
                for k in 0..<n { count[Int((srcK[k] >> shift) & 0xFF) + 1] += 1 }
                for b in 0..<256 { count[b + 1] += count[b] }
                for k in 0..<n {
                    let b = Int((srcK[k] >> shift) & 0xFF)
                    let at = count[b]
                    count[b] = at + 1
                    dstK[at] = srcK[k]
                    dstI[at] = srcI[k]
                }
                swap(&srcK, &dstK)
                swap(&srcI, &dstI)
            }
            // Four passes: the result is back in the first buffers.
            for k in 0..<n { kept[k] = (Float(bitPattern: ~srcK[k]), Int(srcI[k])) }
        }}}}
    }
}
