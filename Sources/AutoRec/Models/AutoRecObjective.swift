import Linalg

/// The masked reconstruction loss of AutoRec and its gradient, computed sparsely:
/// loss = sum over samples, over OBSERVED entries k of (f(W_k . g(V r + mu) + b_k) - r_k)^2
///        + (lambda / 2) * scale * (|V|^2 + |W|^2).
/// The encoder touches only the observed inputs, the decoder only the observed outputs, so one pass
/// costs O(nonzeros x hidden), never O(samples x inputs x hidden).
///
/// Speed: the hidden layer is cut into tiles of 32 units. Every stage is a sum of weighted rows into
/// one 32-float tile (`Kernels.gatherAccumulate32`), whose accumulators stay in registers, while the
/// weights and workspaces are stored tile-major (see `AutoRecParameters`), so the slices a tile needs
/// are one compact region that stays in cache. The weight gradients are summed per weight
/// row (column order of the batch), never scattered. Stages that write weights are split over cores
/// by tile, the others by sample; nothing is accumulated across threads, so the result is
/// bit-identical for any thread count.
public final class AutoRecObjective {
    public let data: CSRMatrix            // samples x inputs
    public let hidden: Int
    public let encoder: Activation
    public let decoder: Activation
    public let l2: Float
    /// Subtracted from each observed rating before it enters the encoder (0, or the mean when centring).
    public let inputShift: Float
    /// How each sample's input vector is scaled by its number of observed entries.
    public let inputScaling: InputScaling
    public let threads: Int
    /// Units per hidden tile.
    public static let tileWidth = AutoRecParameters.tileWidth
    let tiles: [Range<Int>]

    // Workspaces, sized for the whole data set, tile-major: tile t of batch position bi starts at
    // batch * t.lowerBound + bi * t.count.
    private let zBuf: UnsafeMutablePointer<Float>   // encoder pre-activations
    private let hBuf: UnsafeMutablePointer<Float>   // codes
    private let dBuf: UnsafeMutablePointer<Float>   // dL/dh, then dL/dz in place
    private let yBuf: UnsafeMutablePointer<Float>   // decoder pre-activation per entry, then dL/dy in place
    private let aBuf: UnsafeMutablePointer<Float>   // encoder input per entry: (r - shift) * dropout multiplier
    private let kBuf: UnsafeMutablePointer<Float>   // dropout multiplier per entry: 0 (dropped) or 1/(1-p)
    // The batch's entries grouped by input column, for the weight gradients.
    private let colStart: UnsafeMutablePointer<Int>
    private let colSample: UnsafeMutablePointer<Int32>
    private let colDY: UnsafeMutablePointer<Float>
    private let colA: UnsafeMutablePointer<Float>
    private let sampleLoss: UnsafeMutablePointer<Double>
    private let tileSquares: UnsafeMutablePointer<Double>

    /// The sum of squared errors (without the L2 term) of the last `evaluate` call.
    public private(set) var lastSquaredError = 0.0
    /// The number of observed entries the last `evaluate` call covered.
    public private(set) var lastEntries = 0
    /// Seconds spent so far in each stage (inputs, encoder, decoder and its backward pass, grouping
    /// by column, weight gradients, the rest), for benchmarks.
    public private(set) var stageSeconds = [Double](repeating: 0, count: 6)
    public static let stageNames = ["inputs", "encoder", "decoder", "grouping", "weight gradients", "loss"]

    public init(data: CSRMatrix, hidden: Int, encoder: Activation, decoder: Activation, l2: Float,
                inputShift: Float = 0, inputScaling: InputScaling = .none, threads: Int = Parallel.defaultThreads) {
        self.inputScaling = inputScaling
        self.data = data
        self.hidden = hidden
        self.encoder = encoder
        self.decoder = decoder
        self.l2 = l2
        self.inputShift = inputShift
        self.threads = max(1, threads)
        tiles = AutoRecParameters.tiles(hidden: hidden)
        func alloc<T>(_ n: Int, _ v: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, n))
            p.initialize(repeating: v, count: max(1, n))
            return p
        }
        zBuf = alloc(data.rows * hidden, 0)
        hBuf = alloc(data.rows * hidden, 0)
        dBuf = alloc(data.rows * hidden, 0)
        yBuf = alloc(data.nonZeros, 0)
        aBuf = alloc(data.nonZeros, 0)
        kBuf = alloc(data.nonZeros, 1)
        colStart = alloc(data.cols + 1, 0)
        colSample = alloc(data.nonZeros, 0)
        colDY = alloc(data.nonZeros, 0)
        colA = alloc(data.nonZeros, 0)
        sampleLoss = alloc(data.rows, 0.0)
        tileSquares = alloc(tiles.count, 0.0)
    }

    deinit {
        zBuf.deallocate(); hBuf.deallocate(); dBuf.deallocate(); yBuf.deallocate(); aBuf.deallocate(); kBuf.deallocate()
        colStart.deallocate(); colSample.deallocate(); colDY.deallocate(); colA.deallocate()
        sampleLoss.deallocate(); tileSquares.deallocate()
    }

    /// Loss over `samples` (all when nil) and its gradient into `grad`. `regularizationScale`
    /// weights the L2 term (1 for full batch, the batch's share for mini-batches).
    /// With `dropout` > 0, each observed input is dropped with that probability (kept ones scaled by
    /// 1/(1-p)) while the loss still covers every observed output: the network must predict ratings
    /// it cannot see, as it must at test time. The mask is a hash of (`maskSeed`, entry), so it does
    /// not depend on threads. `keptWeight` weights the loss of the entries the encoder did see
    /// (1: plain denoising; below 1 emphasises predicting the hidden ones).
    public func evaluate(_ params: [Float], samples: [Int]? = nil, regularizationScale: Float = 1,
                         dropout: Float = 0, maskSeed: UInt64 = 0, keptWeight: Float = 1,
                         gradient grad: inout [Float]) -> Double {
        let n = data.cols, h = hidden
        precondition(params.count == AutoRecParameters.count(inputs: n, hidden: h))
        precondition(grad.count == params.count)
        let list = samples ?? Array(0..<data.rows)
        let batch = list.count
        let enc = encoder, dec = decoder, shift = inputShift, tiles = self.tiles
        let vOff = 0, muOff = n * h, wOff = n * h + h, bOff = 2 * n * h + h
        let Z = zBuf, H = hBuf, D = dBuf, Y = yBuf, A = aBuf, KP = kBuf, L = sampleLoss, SQ = tileSquares
        let CS = colStart, CB = colSample, CY = colDY, CA = colA
        let keepScale: Float = dropout > 0 ? 1 / (1 - dropout) : 1
        // Sample chunks of about equal numbers of entries, one per thread.
        var chunkBounds = [0]
        do {
            var total = 0
            for s in list { total += data.count(ofRow: s) }
            var acc = 0
            for (bi, s) in list.enumerated() {
                acc += data.count(ofRow: s)
                if chunkBounds.count < threads && acc * threads >= total * chunkBounds.count { chunkBounds.append(bi + 1) }
            }
            while chunkBounds.count < threads { chunkBounds.append(batch) }
            chunkBounds.append(batch)
        }
        let sampleChunks = (0..<threads).map { chunkBounds[$0]..<chunkBounds[$0 + 1] }
        let scale = l2 * regularizationScale
        var clock = monotonicSeconds()
        var laps = [Double](repeating: 0, count: 6)
        func lap(_ i: Int) { let now = monotonicSeconds(); laps[i] += now - clock; clock = now }

        params.withUnsafeBufferPointer { pp in
        grad.withUnsafeMutableBufferPointer { gp in
        data.rowStart.withUnsafeBufferPointer { rs in
        data.columns.withUnsafeBufferPointer { cs in
        data.values.withUnsafeBufferPointer { vs in
            let P = pp.baseAddress!, G = gp.baseAddress!, C = cs.baseAddress!
            let V = P + vOff, W = P + wOff

            // Stage 0 (by sample): encoder inputs with the dropout mask; decoder bias per entry.
            Parallel.forEach(threads, threads: threads) { chunk in
                for bi in sampleChunks[chunk] {
                    let s = list[bi]
                    let norm = inputScaling.factor(count: rs[s + 1] - rs[s])
                    for p in rs[s]..<rs[s + 1] {
                        let keep: Float = dropout > 0 ? (DropoutMask.uniform(maskSeed, p) < dropout ? 0 : keepScale) : 1
                        KP[p] = keep
                        A[p] = (vs[p] - shift) * keep * norm
                        Y[p] = P[bOff + Int(C[p])]
                    }
                }
            }
            lap(0)
            // Stage 1 (by tile): encoder z = mu + sum_k a_k V_k, then h = g(z).
            Parallel.forChunks(tiles.count, threads: threads) { _, tileRange in
                for t in tileRange {
                    let lo = tiles[t].lowerBound, w = tiles[t].count
                    let vt = V + n * lo, zt = Z + batch * lo, ht = H + batch * lo
                    for bi in 0..<batch {
                        let s = list[bi], p0 = rs[s]
                        let z = zt + bi * w
                        Kernels.gatherAccumulate(w, z, start: P + muOff + lo, startScale: 1, count: rs[s + 1] - p0,
                                                 indices: C + p0, coefficients: A + p0, base: vt, stride: w)
                        enc.apply(w, z, into: ht + bi * w)
                    }
                }
            }
            lap(1)
            // Stage 2 (by sample): decoder outputs on observed entries, loss, dL/dy, then dL/dh and dL/dz.
            Parallel.forEach(threads, threads: threads) { chunk in
                let range = sampleChunks[chunk]
                for t in tiles {
                    let lo = t.lowerBound, w = t.count
                    let wt = W + n * lo, ht = H + batch * lo
                    for bi in range {
                        let s = list[bi], hv = ht + bi * w
                        for p in rs[s]..<rs[s + 1] { Y[p] += Kernels.dot(w, wt + Int(C[p]) * w, hv) }
                    }
                }
                for bi in range {
                    let s = list[bi]
                    var l = 0.0
                    for p in rs[s]..<rs[s + 1] {
                        let y = Y[p], o = dec.apply(y), e = o - vs[p]
                        let weight: Float = KP[p] != 0 ? keptWeight : 1
                        l += Double(weight * e * e)
                        Y[p] = 2 * weight * e * dec.derivative(input: y, output: o)
                    }
                    L[bi] = l
                }
                for t in tiles {
                    let lo = t.lowerBound, w = t.count
                    let wt = W + n * lo, zt = Z + batch * lo, ht = H + batch * lo, dt = D + batch * lo
                    for bi in range {
                        let s = list[bi], p0 = rs[s]
                        let d = dt + bi * w
                        Kernels.gatherAccumulate(w, d, start: nil, startScale: 0, count: rs[s + 1] - p0,
                                                 indices: C + p0, coefficients: Y + p0, base: wt, stride: w)
                        enc.multiplyByDerivative(w, input: zt + bi * w, output: ht + bi * w, d)
                    }
                }
            }
            lap(2)
            // Group the batch's entries by input column (a counting sort, stable in batch order);
            // the decoder bias gradient falls out on the way.
            for c in 0...n { CS[c] = 0 }
            for bi in 0..<batch {
                let s = list[bi]
                for p in rs[s]..<rs[s + 1] { CS[Int(C[p]) + 1] += 1 }
            }
            for c in 0..<n { CS[c + 1] += CS[c]; G[bOff + c] = 0 }
            for bi in 0..<batch {
                let s = list[bi]
                for p in rs[s]..<rs[s + 1] {
                    let c = Int(C[p])
                    let k = CS[c]
                    CB[k] = Int32(bi); CY[k] = Y[p]; CA[k] = A[p]
                    CS[c] = k + 1
                    G[bOff + c] += Y[p]
                }
            }
            for c in stride(from: n, to: 0, by: -1) { CS[c] = CS[c - 1] }
            CS[0] = 0
            lap(3)
            // Stage 3 (by tile): weight gradients = L2 term + sums over each weight row's entries.
            Parallel.forChunks(tiles.count, threads: threads) { _, tileRange in
                for t in tileRange {
                    let lo = tiles[t].lowerBound, w = tiles[t].count
                    let vt = V + n * lo, wt = W + n * lo, ht = H + batch * lo, dt = D + batch * lo
                    let gvt = G + vOff + n * lo, gwt = G + wOff + n * lo
                    var sq = 0.0
                    for c in 0..<n {
                        let k0 = CS[c], count = CS[c + 1] - k0
                        let v = vt + c * w, wr = wt + c * w
                        Kernels.gatherAccumulate(w, gwt + c * w, start: wr, startScale: scale, count: count,
                                                 indices: CB + k0, coefficients: CY + k0, base: ht, stride: w)
                        Kernels.gatherAccumulate(w, gvt + c * w, start: v, startScale: scale, count: count,
                                                 indices: CB + k0, coefficients: CA + k0, base: dt, stride: w)
                        sq += Double(Kernels.dot(w, v, v) + Kernels.dot(w, wr, wr))
                    }
                    SQ[t] = sq
                    let gmu = G + muOff + lo
                    for j in 0..<w { gmu[j] = 0 }
                    for bi in 0..<batch { Kernels.axpy(w, 1, dt + bi * w, gmu) }
                }
            }
            lap(4)
        }}}}}

        var loss = 0.0, entries = 0
        for bi in 0..<batch { loss += sampleLoss[bi]; entries += data.count(ofRow: list[bi]) }
        lastSquaredError = loss
        lastEntries = entries
        var sq = 0.0
        for t in 0..<tiles.count { sq += tileSquares[t] }
        lap(5)
        for i in 0..<6 { stageSeconds[i] += laps[i] }
        return loss + 0.5 * Double(scale) * sq
    }

    /// Encodes every sample: the hidden codes g(V (r - shift) + mu), one row per sample.
    public static func codes(of data: CSRMatrix, params: AutoRecParameters, encoder: Activation,
                             inputShift shift: Float = 0, inputScaling: InputScaling = .none,
                             threads: Int = Parallel.defaultThreads) -> Matrix {
        let h = params.hidden
        var out = Matrix(rows: data.rows, cols: h)
        var inputs = data.values
        for s in 0..<data.rows {
            let norm = inputScaling.factor(count: data.count(ofRow: s))
            for p in data.rowStart[s]..<data.rowStart[s + 1] { inputs[p] = (inputs[p] - shift) * norm }
        }
        let tiles = AutoRecParameters.tiles(hidden: h)
        let n = data.cols
        params.flat.withUnsafeBufferPointer { pp in
        out.storage.withUnsafeMutableBufferPointer { ob in
        data.rowStart.withUnsafeBufferPointer { rs in
        data.columns.withUnsafeBufferPointer { cs in
        inputs.withUnsafeBufferPointer { vs in
            let P = pp.baseAddress!, O = ob.baseAddress!, C = cs.baseAddress!, A = vs.baseAddress!
            let mu = P + params.encoderBiasOffset
            Parallel.forChunks(tiles.count, threads: threads) { _, tileRange in
                for t in tileRange {
                    let lo = tiles[t].lowerBound, w = tiles[t].count
                    for s in 0..<data.rows {
                        let p0 = rs[s], z = O + s * h + lo
                        Kernels.gatherAccumulate(w, z, start: mu + lo, startScale: 1, count: rs[s + 1] - p0,
                                                 indices: C + p0, coefficients: A + p0, base: P + n * lo, stride: w)
                        encoder.apply(w, z)
                    }
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

/// Scaling of a sample's input vector by its number of observed entries n, so that a user with 700
/// ratings and one with 20 give the encoder inputs of a similar size (as SVD++ does with 1/sqrt(n)).
public enum InputScaling: String, CaseIterable, Sendable, Codable {
    case none, sqrt, count

    @inline(__always) public func factor(count n: Int) -> Float {
        switch self {
        case .none: return 1
        case .sqrt: return n > 0 ? 1 / Float(n).squareRoot() : 1
        case .count: return n > 0 ? 1 / Float(n) : 1
        }
    }
}
