import Foundation
import CProctorKernels

extension TrainingModel {
    /// Parameter offsets, as pointers into `base`.
    struct Weights {
        let emb, rmsAtt, wq, wk, wv, wo, rmsFFN, w1, w2, w3, rmsFinal, cls: UnsafeMutablePointer<Float>
        init(_ base: UnsafeMutablePointer<Float>, _ ps: ParameterSet) {
            emb = base + ps.offset("embedding"); rmsAtt = base + ps.offset("rmsAtt"); wq = base + ps.offset("wq"); wk = base + ps.offset("wk")
            wv = base + ps.offset("wv"); wo = base + ps.offset("wo"); rmsFFN = base + ps.offset("rmsFFN"); w1 = base + ps.offset("w1")
            w2 = base + ps.offset("w2"); w3 = base + ps.offset("w3"); rmsFinal = base + ps.offset("rmsFinal")
            cls = ps.config.sharedClassifier ? emb : base + ps.offset("classifier")
        }
    }

    /// Mean cross-entropy of predicting `targets` (−1 = ignore) from `tokens`, both (batch, seqLen).
    public func forward(tokens: [Int], targets: [Int]) -> Float {
        precondition(tokens.count == N && targets.count == N)
        let c = config, N = self.N, d = c.dim, kv = c.kvDim, hd = c.hiddenDim, V = c.vocabSize
        return params.data.withUnsafeMutableBufferPointer { pb -> Float in
            let w = Weights(pb.baseAddress!, params)
            let se = Kernels.Shared(value: (xs, w.emb, tokens))
            TrainKernels.rows(N, width: d, pool: pool) { lo, hi in
                let (xs, emb, tokens) = se.value
                for t in lo..<hi { (xs + t * d).update(from: emb + tokens[t] * d, count: d) }
            }
            for l in 0..<c.nLayers {
                let xin = xs + l * N * d
                let lxn1 = xn1 + l * N * d, lq = q + l * N * d, lk = k + l * N * kv, lv = v + l * N * kv
                rmsnormForward(lxn1, r1 + l * N, xin, w.rmsAtt + l * d, rows: N, dim: d)
                TrainKernels.forward(lq, lxn1, w.wq + l * d * d, n: N, inDim: d, outDim: d, pool: pool)
                TrainKernels.forward(lk, lxn1, w.wk + l * kv * d, n: N, inDim: d, outDim: kv, pool: pool)
                TrainKernels.forward(lv, lxn1, w.wv + l * kv * d, n: N, inDim: d, outDim: kv, pool: pool)
                rope(lq, rows: N, width: d, inverse: false)
                rope(lk, rows: N, width: kv, inverse: false)
                attentionForward(layer: l)
                let lmid = xmid + l * N * d
                TrainKernels.forward(dtmp, ao + l * N * d, w.wo + l * d * d, n: N, inDim: d, outDim: d, pool: pool)
                add(lmid, xin, dtmp, N * d)
                let lxn2 = xn2 + l * N * d, lh1 = h1 + l * N * hd, lh3 = h3 + l * N * hd, lg = g + l * N * hd
                rmsnormForward(lxn2, r2 + l * N, lmid, w.rmsFFN + l * d, rows: N, dim: d)
                TrainKernels.forward(lh1, lxn2, w.w1 + l * hd * d, n: N, inDim: d, outDim: hd, pool: pool)
                TrainKernels.forward(lh3, lxn2, w.w3 + l * hd * d, n: N, inDim: d, outDim: hd, pool: pool)
                let sw = Kernels.Shared(value: (lg, lh1, lh3))
                TrainKernels.rows(N, width: hd, cost: 8, pool: pool) { lo, hi in
                    let (lg, lh1, lh3) = sw.value
                    for i in (lo * hd)..<(hi * hd) { let a = lh1[i]; lg[i] = a / (1 + expf(-a)) * lh3[i] }
                }
                TrainKernels.forward(dtmp, lg, w.w2 + l * d * hd, n: N, inDim: hd, outDim: d, pool: pool)
                let xout = xs + (l + 1) * N * d
                add(xout, lmid, dtmp, N * d)
            }
            rmsnormForward(xf, rf, xs + c.nLayers * N * d, w.rmsFinal, rows: N, dim: d)
            TrainKernels.forward(probs, xf, w.cls, n: N, inDim: d, outDim: V, pool: pool)
            let sp = Kernels.Shared(value: probs)
            TrainKernels.rows(N, width: V, cost: 8, pool: pool) { lo, hi in
                for t in lo..<hi { Kernels.softmax(sp.value + t * V, V) }
            }
            var loss: Double = 0
            var count = 0
            for t in 0..<N where targets[t] >= 0 {
                loss -= Double(logf(max(probs[t * V + targets[t]], 1e-30)))
                count += 1
            }
            return Float(loss / Double(max(count, 1)))
        }
    }

    /// Causal attention, one (sequence, head) at a time as matrix products: S = Q Kᵀ in blocks of
    /// `attentionBlock` query rows (a block reads only the keys it can see), P = softmax(S) with the
    /// future zeroed (the backward pass reads whole rows), O = P V.
    func attentionForward(layer l: Int) {
        let c = config, N = self.N, d = c.dim, kv = c.kvDim, hs = c.headSize, H = c.nHeads, T = seqLen
        let scale = 1 / Float(hs).squareRoot(), rb = Self.attentionBlock
        let s = Kernels.Shared(value: (q + l * N * d, k + l * N * kv, v + l * N * kv, att + l * batch * H * T * T, ao + l * N * d))
        TrainKernels.parallel(batch, pool: pool, minWork: N * T * d) { lo, hi in
            let (q, k, v, att, ao) = s.value
            let kT = UnsafeMutablePointer<Float>.allocate(capacity: hs * T)
            defer { kT.deallocate() }
            for b in lo..<hi {
                for h in 0..<H {
                    let kvh = (h / c.kvMul) * hs
                    let qh = q + b * T * d + h * hs, kh = k + b * T * kv + kvh, vh = v + b * T * kv + kvh
                    let oh = ao + b * T * d + h * hs, p = att + (b * H + h) * T * T
                    TrainKernels.transpose(kT, kh, rows: T, cols: hs, stride: kv)
                    for r0 in stride(from: 0, to: T, by: rb) {
                        let r1 = min(r0 + rb, T)
                        proctor_gemm_strided(TrainKernels.level, p, T, qh, d, 1, kT, T, r1, hs, r0, r1, 0)
                        for t in r0..<r1 {
                            let row = p + t * T
                            for u in 0...t { row[u] *= scale }
                            Kernels.softmax(row, t + 1)
                            // The future within the block is zeroed (O = P V and the backward's
                            // products read it); past the block nothing is ever written, so it
                            // stays as allocated: zero.
                            if t + 1 < r1 { (row + t + 1).initialize(repeating: 0, count: r1 - t - 1) }
                        }
                        proctor_gemm_strided(TrainKernels.level, oh, d, p, T, 1, vh, kv, hs, r1, r0, r1, 0)
                    }
                }
            }
        }
    }

    /// Query rows per attention block.
    static let attentionBlock = 16

    /// Gradients of the last `forward`'s loss, accumulated into `grads` (zero them first).
    public func backward(targets: [Int], tokens: [Int]) {
        let c = config, N = self.N, d = c.dim, kv = c.kvDim, hd = c.hiddenDim, V = c.vocabSize
        let count = Float(max(1, targets.filter { $0 >= 0 }.count))
        params.data.withUnsafeMutableBufferPointer { pb in
            grads.withUnsafeMutableBufferPointer { gb in
                let w = Weights(pb.baseAddress!, params), gw = Weights(gb.baseAddress!, params)
                // Cross-entropy: dlogits = (p − onehot) / count.
                let sl = Kernels.Shared(value: (probs, dlogits, targets))
                TrainKernels.rows(N, width: V, pool: pool) { lo, hi in
                    let (probs, dlogits, targets) = sl.value
                    for t in lo..<hi {
                        let p = probs + t * V, dl = dlogits + t * V
                        if targets[t] < 0 { dl.initialize(repeating: 0, count: V); continue }
                        for i in 0..<V { dl[i] = p[i] / count }
                        dl[targets[t]] -= 1 / count
                    }
                }
                TrainKernels.backward(dx: dxn, dw: gw.cls, dy: dlogits, x: xf, w: w.cls, n: N, inDim: d, outDim: V, pool: pool, overwrite: true)
                copyRows(dx, from: nil, rows: N, width: d)
                rmsnormBackward(dx, gw.rmsFinal, dxn, xs + c.nLayers * N * d, w.rmsFinal, rf, rows: N, dim: d)
                let dmid = dtmp
                for l in stride(from: c.nLayers - 1, through: 0, by: -1) {
                    let lh1 = h1 + l * N * hd, lh3 = h3 + l * N * hd
                    // FFN: x_out = x_mid + w2(silu(w1 x̂) ⊙ w3 x̂)
                    TrainKernels.backward(dx: dg, dw: gw.w2 + l * d * hd, dy: dx, x: g + l * N * hd, w: w.w2 + l * d * hd, n: N, inDim: hd, outDim: d,
                                          pool: pool, overwrite: true)
                    let sg3 = Kernels.Shared(value: (lh1, lh3, dg, dh1, dh3))
                    TrainKernels.rows(N, width: hd, cost: 8, pool: pool) { lo, hi in
                        let (lh1, lh3, dg, dh1, dh3) = sg3.value
                        for i in (lo * hd)..<(hi * hd) {
                            let a = lh1[i], sg = 1 / (1 + expf(-a))
                            dh3[i] = dg[i] * a * sg
                            dh1[i] = dg[i] * lh3[i] * sg * (1 + a * (1 - sg))
                        }
                    }
                    let lxn2 = xn2 + l * N * d
                    TrainKernels.backward(dx: dxn, dw: gw.w1 + l * hd * d, dy: dh1, x: lxn2, w: w.w1 + l * hd * d, n: N, inDim: d, outDim: hd,
                                          pool: pool, overwrite: true)
                    TrainKernels.backward(dx: dxn, dw: gw.w3 + l * hd * d, dy: dh3, x: lxn2, w: w.w3 + l * hd * d, n: N, inDim: d, outDim: hd, pool: pool)
                    copyRows(dmid, from: dx, rows: N, width: d)
                    rmsnormBackward(dmid, gw.rmsFFN + l * d, dxn, xmid + l * N * d, w.rmsFFN + l * d, r2 + l * N, rows: N, dim: d)
                    // Attention: x_mid = x_in + wo(attn)
                    // dxn holds d(attention output).
                    TrainKernels.backward(dx: dxn, dw: gw.wo + l * d * d, dy: dmid, x: ao + l * N * d, w: w.wo + l * d * d, n: N, inDim: d, outDim: d,
                                          pool: pool, overwrite: true)
                    attentionBackward(layer: l, dao: dxn)
                    rope(dq, rows: N, width: d, inverse: true)
                    rope(dk, rows: N, width: kv, inverse: true)
                    let lxn1 = xn1 + l * N * d
                    TrainKernels.backward(dx: dxn, dw: gw.wq + l * d * d, dy: dq, x: lxn1, w: w.wq + l * d * d, n: N, inDim: d, outDim: d,
                                          pool: pool, overwrite: true)
                    TrainKernels.backward(dx: dxn, dw: gw.wk + l * kv * d, dy: dk, x: lxn1, w: w.wk + l * kv * d, n: N, inDim: d, outDim: kv, pool: pool)
                    TrainKernels.backward(dx: dxn, dw: gw.wv + l * kv * d, dy: dv, x: lxn1, w: w.wv + l * kv * d, n: N, inDim: d, outDim: kv, pool: pool)
                    copyRows(dx, from: dmid, rows: N, width: d)
                    rmsnormBackward(dx, gw.rmsAtt + l * d, dxn, xs + l * N * d, w.rmsAtt + l * d, r1 + l * N, rows: N, dim: d)
                }
                for t in 0..<N { TrainKernels.axpy(gw.emb + tokens[t] * d, dx + t * d, 1, d) }
            }
        }
    }

    /// dst = src (or zeros), each thread its own rows: the rows then sit in the caches of the
    /// thread that reads them next, instead of all in the caller's.
    func copyRows(_ dst: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>?, rows: Int, width: Int) {
        let s = Kernels.Shared(value: (dst, src))
        TrainKernels.rows(rows, width: width, pool: pool) { lo, hi in
            let (dst, src) = s.value
            if let src { (dst + lo * width).update(from: src + lo * width, count: (hi - lo) * width) } else {
                (dst + lo * width).update(repeating: 0, count: (hi - lo) * width)
            }
        }
    }

    /// dq, dk, dv from d(attention output), per sequence (threads own whole sequences), as matrix
    /// products: dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale, dQ = dS K, dK = dSᵀ Q, dV = Pᵀ dO.
    /// Products with Pᵀ or dSᵀ start each block of rows at its diagonal, where the nonzeros begin.
    func attentionBackward(layer l: Int, dao: UnsafeMutablePointer<Float>) {
        let c = config, N = self.N, d = c.dim, kv = c.kvDim, hs = c.headSize, H = c.nHeads, T = seqLen
        let scale = 1 / Float(hs).squareRoot(), rb = Self.attentionBlock
        let s = Kernels.Shared(value: (q + l * N * d, k + l * N * kv, v + l * N * kv, att + l * batch * H * T * T, dao, dq, dk, dv))
        TrainKernels.parallel(batch, pool: pool, minWork: N * T * d) { lo, hi in
            let (q, k, v, att, dao, dq, dk, dv) = s.value
            // Each thread zeroes the rows of the sequences it owns.
            (dq + lo * T * d).initialize(repeating: 0, count: (hi - lo) * T * d)
            (dk + lo * T * kv).initialize(repeating: 0, count: (hi - lo) * T * kv)
            (dv + lo * T * kv).initialize(repeating: 0, count: (hi - lo) * T * kv)
            let vT = UnsafeMutablePointer<Float>.allocate(capacity: hs * T)
            let dS = UnsafeMutablePointer<Float>.allocate(capacity: T * T)
            defer { vT.deallocate(); dS.deallocate() }
            for b in lo..<hi {
                for h in 0..<H {
                    let kvh = (h / c.kvMul) * hs
                    let p = att + (b * H + h) * T * T
                    let qh = q + b * T * d + h * hs, kh = k + b * T * kv + kvh, vh = v + b * T * kv + kvh
                    let dOh = dao + b * T * d + h * hs, dqh = dq + b * T * d + h * hs
                    let dkh = dk + b * T * kv + kvh, dvh = dv + b * T * kv + kvh
                    TrainKernels.transpose(vT, vh, rows: T, cols: hs, stride: kv)
                    for r0 in stride(from: 0, to: T, by: rb) {
                        let r1 = min(r0 + rb, T)
                        proctor_gemm_strided(TrainKernels.level, dS, T, dOh, d, 1, vT, T, r1, hs, r0, r1, 0)
                        for t in r0..<r1 {
                            let a = p + t * T, ds = dS + t * T
                            var sum: Float = 0
                            for u in 0...t { sum += ds[u] * a[u] }
                            for u in 0...t { ds[u] = a[u] * (ds[u] - sum) * scale }
                            // As for P: dQ = dS K and dK = dSᵀ Q read the future only within the block.
                            if t + 1 < r1 { (ds + t + 1).initialize(repeating: 0, count: r1 - t - 1) }
                        }
                        proctor_gemm_strided(TrainKernels.level, dqh, d, dS, T, 1, kh, kv, hs, r1, r0, r1, 1)
                    }
                    // dV = Pᵀ dO and dK = dSᵀ Q, reading P and dS transposed in place; block u0 starts at
                    // row u0 of P (the first query that sees key u0).
                    for u0 in stride(from: 0, to: T, by: rb) {
                        let u1 = min(u0 + rb, T)
                        proctor_gemm_strided(TrainKernels.level, dvh, kv, p + u0 * T, 1, T, dOh + u0 * d, d, hs, T - u0, u0, u1, 1)
                        proctor_gemm_strided(TrainKernels.level, dkh, kv, dS + u0 * T, 1, T, qh + u0 * d, d, hs, T - u0, u0, u1, 1)
                    }
                }
            }
        }
    }
}
