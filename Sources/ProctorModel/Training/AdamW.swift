import Foundation

/// AdamW with decoupled weight decay (applied to matrices only, not to norm weights).
public struct AdamW {
    /// Decay of the running mean of gradients (the first moment).
    public var beta1: Float = 0.9
    /// Decay of the running mean of squared gradients (the second moment).
    public var beta2: Float = 0.95
    /// Added to the second moment's square root so that the step stays finite.
    public var eps: Float = 1e-8
    /// Decoupled weight decay per step, scaled by the learning rate; applied to matrices (the embedding included), not to norm weights.
    public var weightDecay: Float = 0.1
    var m: [Float]
    var v: [Float]
    var step = 0

    /// Makes an optimizer for `count` parameters (the length of `ParameterSet.data`) with both moments at zero.
    public init(count: Int, weightDecay: Float = 0.1) {
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
        self.weightDecay = weightDecay
    }

    /// One update of `params` with `grads` at learning rate `lr`, each tensor's elements split
    /// across the pool's threads (every element updates on its own, so the split never changes a bit).
    public mutating func update(_ params: ParameterSet, grads: [Float], lr: Float, pool: WorkerPool? = nil) {
        let pool = pool ?? WorkerPool(threads: 1)
        step += 1
        let b1c = 1 - powf(beta1, Float(step)), b2c = 1 - powf(beta2, Float(step))
        let (beta1, beta2, eps, weightDecay) = (self.beta1, self.beta2, self.eps, self.weightDecay)
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                params.data.withUnsafeMutableBufferPointer { pb in
                    grads.withUnsafeBufferPointer { gb in
                        let s = Kernels.Shared(value: (mb.baseAddress!, vb.baseAddress!, pb.baseAddress!, gb.baseAddress!))
                        for t in params.tensors {
                            let wd = t.matrix ? weightDecay : 0
                            TrainKernels.parallel(t.count, pool: pool, minWork: t.count * 4) { lo, hi in
                                let (m, v, p, g) = s.value
                                for i in (t.offset + lo)..<(t.offset + hi) {
                                    let gi = g[i]
                                    m[i] = beta1 * m[i] + (1 - beta1) * gi
                                    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                                    let mh = m[i] / b1c, vh = v[i] / b2c
                                    p[i] -= lr * (mh / (vh.squareRoot() + eps) + wd * p[i])
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Linear warmup, then cosine decay to `minFraction` of the peak.
public struct LearningRateSchedule: Sendable {
    /// The learning rate at the end of warmup, the highest the schedule gives.
    public let peak: Float
    /// Steps of linear warmup, rising from `peak / warmup` to `peak`.
    public let warmup: Int
    /// Total training steps; the cosine reaches its floor at this step and stays there.
    public let total: Int
    /// The floor of the decay, as a fraction of `peak`.
    public let minFraction: Float

    /// Makes a schedule; by default the rate decays to a tenth of `peak`.
    public init(peak: Float, warmup: Int, total: Int, minFraction: Float = 0.1) {
        self.peak = peak
        self.warmup = warmup
        self.total = total
        self.minFraction = minFraction
    }

    /// The learning rate for 0-based `step`: linear during warmup, then a half cosine down to the floor.
    public func rate(at step: Int) -> Float {
        if step < warmup { return peak * Float(step + 1) / Float(max(1, warmup)) }
        let p = Float(step - warmup) / Float(max(1, total - warmup))
        let c = 0.5 * (1 + cosf(Float.pi * min(1, p)))
        return peak * (minFraction + (1 - minFraction) * c)
    }
}
