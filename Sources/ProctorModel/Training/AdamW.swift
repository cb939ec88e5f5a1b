import Foundation

/// AdamW with decoupled weight decay (applied to matrices only, not to norm weights).
public struct AdamW {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var eps: Float = 1e-8
    public var weightDecay: Float = 0.1
    var m: [Float]
    var v: [Float]
    var step = 0

    public init(count: Int, weightDecay: Float = 0.1) {
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
        self.weightDecay = weightDecay
    }

    /// One update of `params` with `grads` at learning rate `lr`.
    public mutating func update(_ params: ParameterSet, grads: [Float], lr: Float) {
        step += 1
        let b1c = 1 - powf(beta1, Float(step)), b2c = 1 - powf(beta2, Float(step))
        for t in params.tensors {
            let wd = t.matrix ? weightDecay : 0
            for i in t.offset..<(t.offset + t.count) {
                let g = grads[i]
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                let mh = m[i] / b1c, vh = v[i] / b2c
                params.data[i] -= lr * (mh / (vh.squareRoot() + eps) + wd * params.data[i])
            }
        }
    }
}

/// Linear warmup, then cosine decay to `minFraction` of the peak.
public struct LearningRateSchedule: Sendable {
    public let peak: Float
    public let warmup: Int
    public let total: Int
    public let minFraction: Float

    public init(peak: Float, warmup: Int, total: Int, minFraction: Float = 0.1) {
        self.peak = peak
        self.warmup = warmup
        self.total = total
        self.minFraction = minFraction
    }

    public func rate(at step: Int) -> Float {
        if step < warmup { return peak * Float(step + 1) / Float(max(1, warmup)) }
        let p = Float(step - warmup) / Float(max(1, total - warmup))
        let c = 0.5 * (1 + cosf(Float.pi * min(1, p)))
        return peak * (minFraction + (1 - minFraction) * c)
    }
}
