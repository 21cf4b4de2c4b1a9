import Linalg

/// The masked reconstruction loss of AutoRec and its gradient, computed sparsely:
/// loss = sum over samples, over OBSERVED entries k of (f(W_k . g(V r + mu) + b_k) - r_k)^2
///        + (lambda / 2) * scale * (|V|^2 + |W|^2).
/// The encoder touches only the observed inputs, the decoder only the observed outputs, so one pass
/// costs O(nonzeros x hidden). Work is split over cores in two phases (per sample, then per weight row)
/// with no shared accumulators, so the result is bit-identical for any thread count.
public final class AutoRecObjective {
    public let data: CSRMatrix            // samples x inputs
    public let hidden: Int
    public let encoder: Activation
    public let decoder: Activation
    public let l2: Float
    /// Subtracted from each observed rating before it enters the encoder (0, or the mean when centring).
    public let inputShift: Float
    public let threads: Int

    // Workspaces, sized for the whole data set.
    private var hBuf: [Float]
    private var zBuf: [Float]
    private var dzBuf: [Float]
    private var dyBuf: [Float]
    /// Per-entry input multiplier: 1 without dropout, else 0 (dropped) or 1/(1-p) (kept).
    private var keepBuf: [Float]
    private var sampleLoss: [Double]
    /// Split points of the weight rows, balanced by how many entries each row has.
    private let rowSplits: [Int]
    /// The sum of squared errors (without the L2 term) of the last `evaluate` call.
    public private(set) var lastSquaredError = 0.0
    /// The number of observed entries the last `evaluate` call covered.
    public private(set) var lastEntries = 0

    public init(data: CSRMatrix, hidden: Int, encoder: Activation, decoder: Activation, l2: Float,
                inputShift: Float = 0, threads: Int = Parallel.defaultThreads) {
        self.inputShift = inputShift
        self.data = data
        self.hidden = hidden
        self.encoder = encoder
        self.decoder = decoder
        self.l2 = l2
        self.threads = max(1, threads)
        hBuf = [Float](repeating: 0, count: data.rows * hidden)
        zBuf = [Float](repeating: 0, count: data.rows * hidden)
        dzBuf = [Float](repeating: 0, count: data.rows * hidden)
        dyBuf = [Float](repeating: 0, count: data.nonZeros)
        keepBuf = [Float](repeating: 1, count: data.nonZeros)
        sampleLoss = [Double](repeating: 0, count: data.rows)
        var counts = [Int](repeating: 0, count: data.cols)
        for c in data.columns { counts[Int(c)] += 1 }
        var splits = [0]
        let t = self.threads
        var acc = 0
        let total = max(1, data.nonZeros)
        for (col, n) in counts.enumerated() {
            acc += n
            if splits.count < t && acc * t >= total * splits.count { splits.append(col + 1) }
        }
        while splits.count < t { splits.append(data.cols) }
        splits.append(data.cols)
        rowSplits = splits
    }

    /// Loss over `samples` (all when nil) and its gradient into `grad`. `regularizationScale`
    /// weights the L2 term (1 for full batch, batch share for mini-batches).
    /// With `dropout` > 0, each observed input is dropped with that probability (kept ones scaled by
    /// 1/(1-p)) while the loss still covers every observed output: the network must predict ratings
    /// it cannot see, as it must at test time. The mask is a hash of (`maskSeed`, entry), so it does not
    /// depend on threads.
    public func evaluate(_ params: [Float], samples: [Int]? = nil, regularizationScale: Float = 1,
                         dropout: Float = 0, maskSeed: UInt64 = 0,
                         gradient grad: inout [Float]) -> Double {
        let n = data.cols, h = hidden
        precondition(params.count == AutoRecParameters.count(inputs: n, hidden: h))
        precondition(grad.count == params.count)
        let list = samples ?? Array(0..<data.rows)
        let enc = encoder, dec = decoder, shift = inputShift
        let vOff = 0, muOff = n * h, wOff = n * h + h, bOff = 2 * n * h + h

        params.withUnsafeBufferPointer { pp in
        grad.withUnsafeMutableBufferPointer { gp in
        hBuf.withUnsafeMutableBufferPointer { hb in
        zBuf.withUnsafeMutableBufferPointer { zb in
        dzBuf.withUnsafeMutableBufferPointer { dzb in
        dyBuf.withUnsafeMutableBufferPointer { dyb in
        sampleLoss.withUnsafeMutableBufferPointer { lossb in
        keepBuf.withUnsafeMutableBufferPointer { kb in
        data.rowStart.withUnsafeBufferPointer { rs in
        data.columns.withUnsafeBufferPointer { cs in
        data.values.withUnsafeBufferPointer { vs in
            let P = pp.baseAddress!, G = gp.baseAddress!
            let H = hb.baseAddress!, Z = zb.baseAddress!, DZ = dzb.baseAddress!, DY = dyb.baseAddress!
            let K = kb.baseAddress!
            let keepScale = dropout > 0 ? 1 / (1 - dropout) : 1
            // Phase 1: forward and the backward pass down to the encoder pre-activation, per sample.
            Parallel.forChunks(list.count, threads: threads) { _, range in
                var dh = [Float](repeating: 0, count: h)
                dh.withUnsafeMutableBufferPointer { dhb in
                    let dH = dhb.baseAddress!
                    for bi in range {
                        let s = list[bi]
                        let z = Z + bi * h, hv = H + bi * h, dz = DZ + bi * h
                        for j in 0..<h { z[j] = P[muOff + j] }
                        for p in rs[s]..<rs[s + 1] {
                            if dropout > 0 {
                                K[p] = DropoutMask.uniform(maskSeed, p) < dropout ? 0 : keepScale
                                if K[p] == 0 { continue }
                            } else {
                                K[p] = 1
                            }
                            Kernels.axpy(h, (vs[p] - shift) * K[p], P + vOff + Int(cs[p]) * h, z)
                        }
                        for j in 0..<h { hv[j] = enc.apply(z[j]) }
                        for j in 0..<h { dH[j] = 0 }
                        var l = 0.0
                        for p in rs[s]..<rs[s + 1] {
                            let c = Int(cs[p])
                            let y = Kernels.dot(h, P + wOff + c * h, hv) + P[bOff + c]
                            let o = dec.apply(y)
                            let e = o - vs[p]
                            l += Double(e * e)
                            let dy = 2 * e * dec.derivative(input: y, output: o)
                            DY[p] = dy
                            Kernels.axpy(h, dy, P + wOff + c * h, dH)
                        }
                        for j in 0..<h { dz[j] = dH[j] * enc.derivative(input: z[j], output: hv[j]) }
                        lossb[s] = l
                    }
                }
            }
            // Phase 2: weight gradients, each thread owning a range of weight rows.
            let scale = l2 * regularizationScale
            Parallel.forChunks(rowSplits.count - 1, threads: threads) { _, chunkRange in
                for chunk in chunkRange {
                    let lo = rowSplits[chunk], hi = rowSplits[chunk + 1]
                    if lo >= hi { continue }
                    // Start from the L2 gradient of the rows owned here.
                    for r in lo..<hi {
                        for j in 0..<h {
                            G[vOff + r * h + j] = scale * P[vOff + r * h + j]
                            G[wOff + r * h + j] = scale * P[wOff + r * h + j]
                        }
                        G[bOff + r] = 0
                    }
                    for bi in 0..<list.count {
                        let s = list[bi]
                        let hv = H + bi * h, dz = DZ + bi * h
                        for p in rs[s]..<rs[s + 1] {
                            let c = Int(cs[p])
                            if c < lo || c >= hi { continue }
                            Kernels.axpy(h, DY[p], hv, G + wOff + c * h)
                            G[bOff + c] += DY[p]
                            if K[p] != 0 { Kernels.axpy(h, (vs[p] - shift) * K[p], dz, G + vOff + c * h) }
                        }
                    }
                }
            }
            // Encoder bias gradient: the sum of dz over the batch, in a fixed order.
            for j in 0..<h { G[muOff + j] = 0 }
            for bi in 0..<list.count { Kernels.axpy(h, 1, DZ + bi * h, G + muOff) }
        }}}}}}}}}}}

        var loss = 0.0
        var entries = 0
        for s in list { loss += sampleLoss[s]; entries += data.count(ofRow: s) }
        lastSquaredError = loss
        lastEntries = entries
        var sq = 0.0
        params.withUnsafeBufferPointer { pp in
            var a0 = 0.0
            for i in 0..<(n * h) { let v = Double(pp[vOff + i]); a0 += v * v }
            for i in 0..<(n * h) { let w = Double(pp[wOff + i]); a0 += w * w }
            sq = a0
        }
        return loss + 0.5 * Double(l2 * regularizationScale) * sq
    }

    /// Encodes every sample: the hidden codes g(V r + mu), one row per sample.
    public static func codes(of data: CSRMatrix, params: AutoRecParameters, encoder: Activation,
                             inputShift shift: Float = 0, threads: Int = Parallel.defaultThreads) -> Matrix {
        let h = params.hidden
        var out = Matrix(rows: data.rows, cols: h)
        params.flat.withUnsafeBufferPointer { pp in
        out.storage.withUnsafeMutableBufferPointer { ob in
        data.rowStart.withUnsafeBufferPointer { rs in
        data.columns.withUnsafeBufferPointer { cs in
        data.values.withUnsafeBufferPointer { vs in
            let P = pp.baseAddress!, O = ob.baseAddress!
            let muOff = params.encoderBiasOffset
            Parallel.forChunks(data.rows, threads: threads) { _, range in
                for s in range {
                    let z = O + s * h
                    for j in 0..<h { z[j] = P[muOff + j] }
                    for p in rs[s]..<rs[s + 1] { Kernels.axpy(h, vs[p] - shift, P + Int(cs[p]) * h, z) }
                    encoder.apply(h, z)
                }
            }
        }}}}}
        return out
    }
}

/// A counter-based uniform draw: the same (seed, index) always gives the same value.
enum DropoutMask {
    @inline(__always) static func uniform(_ seed: UInt64, _ index: Int) -> Float {
        var z = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * (1.0 / Float(1 << 24))
    }
}
