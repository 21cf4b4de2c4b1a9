import Linalg
#if canImport(Glibc)
import Glibc
#endif
import AutoRecCore

/// CF-NADE's network (Zheng et al. 2016): a sample's ratings read one at a time in a random order,
/// each predicted as a distribution over the K rating levels from the ones before it.
///   h(r_<i) = tanh(c + sum_{j<i} U^{r_j}[o_j]),   U^r = sum_{k<=r} W^k   (weight sharing; U^r = W^r without)
///   p(r_i = k | r_<i) = softmax_k(S^k),  S^k = B^k[o_i] + Vc^k[o_i] . h,   Vc^k = sum_{j<=k} V^j, B^k likewise
/// Training is orderless (Uria et al. 2014): per sample one random order and one split d; the first
/// d ratings are the input, the loss is D / (D - d) times the cost of every later one, an unbiased
/// estimate of the cost over all orders. The cost is (1 - ordinal) x the softmax's negative log
/// likelihood plus ordinal x the paper's ordinal cost. One pass costs O(ratings x hidden x K).
/// Parameters, flat: W (K x inputs x hidden), c (hidden), V (K x inputs x hidden), b (K x inputs).
public struct CFNADENetwork: Sendable {
    public let inputs: Int
    public let hidden: Int
    public let levels: Int
    public let sharing: Bool
    public let ordinal: Float
    /// How the sum of a sample's input rows is scaled by their number (training conditions on a
    /// random prefix, prediction on every rating: scaling keeps the two on one scale).
    public let inputScaling: InputScaling

    public init(inputs: Int, hidden: Int, levels: Int, sharing: Bool, ordinal: Float, inputScaling: InputScaling = .none) {
        self.inputs = inputs; self.hidden = hidden; self.levels = levels; self.sharing = sharing; self.ordinal = ordinal
        self.inputScaling = inputScaling
    }

    var weightBlock: Int { levels * inputs * hidden }
    var cOffset: Int { weightBlock }
    var vOffset: Int { weightBlock + hidden }
    var bOffset: Int { 2 * weightBlock + hidden }
    public var parameterCount: Int { 2 * weightBlock + hidden + levels * inputs }

    /// `parameterCount` for sizes read from a file: nil when it overflows.
    public static func checkedCount(inputs: Int, hidden: Int, levels: Int) -> Int? {
        let i = CheckedSize(inputs), h = CheckedSize(hidden), k = CheckedSize(levels)
        return (CheckedSize(2) * k * i * h + h + k * i).value
    }

    /// Small random weights, zero biases.
    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var p = [Float](repeating: 0, count: parameterCount)
        let scale = 1 / Float(hidden).squareRoot() * 0.1
        for j in 0..<weightBlock { p[j] = rng.normal() * scale; p[vOffset + j] = rng.normal() * scale }
        return p
    }

    /// The effective weights of one call: U (input rows per rating level), Vc and Bc (output rows
    /// per level), the cumulative sums of W, V and b when weights are shared.
    struct Effective {
        var u: [Float], c: [Float], vc: [Float], bc: [Float]
    }

    func effective(_ p: [Float]) -> Effective {
        var e = Effective(u: [], c: [], vc: [], bc: [])
        fillEffective(p, into: &e)
        return e
    }

    /// The effective weights of `p` into `e`, reusing its buffers when they have the size.
    func fillEffective(_ p: [Float], into e: inout Effective) {
        let block = inputs * hidden
        if e.u.count != weightBlock {
            e = Effective(u: [Float](repeating: 0, count: weightBlock), c: [Float](repeating: 0, count: hidden),
                          vc: [Float](repeating: 0, count: weightBlock), bc: [Float](repeating: 0, count: levels * inputs))
        }
        for j in 0..<weightBlock { e.u[j] = p[j]; e.vc[j] = p[vOffset + j] }
        for j in 0..<hidden { e.c[j] = p[cOffset + j] }
        for j in 0..<(levels * inputs) { e.bc[j] = p[bOffset + j] }
        guard sharing else { return }
        for k in 1..<max(1, levels) {
            for j in 0..<block { e.u[k * block + j] += e.u[(k - 1) * block + j]; e.vc[k * block + j] += e.vc[(k - 1) * block + j] }
            for j in 0..<inputs { e.bc[k * inputs + j] += e.bc[(k - 1) * inputs + j] }
        }
    }

    /// Buffers one training run reuses from step to step: the effective weights and each chunk's
    /// gradient of them (at 10M ratings each is 1.4 GB; allocating them per step cost page faults).
    public final class Workspace {
        var effective = Effective(u: [], c: [], vc: [], bc: [])
        var partials: [[Float]] = []
        public init() {}
    }

    /// One sample's training draw: entry positions in their random order and the split.
    public struct Draw: Sendable {
        public var order: [Int]
        public var split: Int
    }

    /// The draw of a sample of `count` ratings from `seed` (an order and a split in 0..<count).
    public static func draw(count: Int, seed: UInt64) -> Draw {
        var rng = SeededRandom(seed: seed)
        var order = Array(0..<count)
        rng.shuffle(&order)
        return Draw(order: order, split: count > 0 ? rng.int(below: count) : 0)
    }

    /// The orderless cost of `samples` (rows of `data`, samples x inputs; `level[p]` the rating
    /// level of entry p) with their draws, summed, and its gradient (added to `gradient`, which the
    /// caller zeroes), plus l2/2 |W|^2 + |V|^2 scaled by `regularizationScale`.
    public func loss(_ p: [Float], data: CSRMatrix, level: [UInt8], samples: [Int], draws: [Draw], l2: Float,
                     regularizationScale: Float = 1, threads: Int = Parallel.defaultThreads, workspace: Workspace = Workspace(),
                     gradient: inout [Float]) -> Double {
        fillEffective(p, into: &workspace.effective)
        let e = workspace.effective
        let block = inputs * hidden, size = 2 * weightBlock + hidden + levels * inputs
        let chunks = max(1, min(threads, samples.count))
        while workspace.partials.count < chunks { workspace.partials.append([Float](repeating: 0, count: size)) }
        var partialLoss = [Double](repeating: 0, count: chunks)
        // Per chunk of samples: gradients of the effective weights and of c (rows are shared between samples).
        var partial = workspace.partials
        workspace.partials = []
        partial.withUnsafeMutableBufferPointer { parts in
            partialLoss.withUnsafeMutableBufferPointer { losses in
                Parallel.forChunks(samples.count, threads: chunks) { chunk, range in
                    parts[chunk].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                    var total = 0.0
                    for bi in range {
                        total += sampleCost(e, data: data, level: level, sample: samples[bi], draw: draws[bi], gradient: &parts[chunk])
                    }
                    losses[chunk] = total
                }
            }
        }
        // The effective gradients, summed in chunk order into the first, back to W, V and b.
        for c in 1..<chunks { for j in 0..<size { partial[0][j] += partial[c][j] } }
        let gcOffset = weightBlock, gvOffset = weightBlock + hidden, gbOffset = 2 * weightBlock + hidden
        partial[0].withUnsafeMutableBufferPointer { gu in
            if sharing {
                for k in stride(from: levels - 2, through: 0, by: -1) {
                    for j in 0..<block { gu[k * block + j] += gu[(k + 1) * block + j]; gu[gvOffset + k * block + j] += gu[gvOffset + (k + 1) * block + j] }
                    for j in 0..<inputs { gu[gbOffset + k * inputs + j] += gu[gbOffset + (k + 1) * inputs + j] }
                }
            }
        }
        let gu = partial[0]
        workspace.partials = partial
        let scale = l2 * regularizationScale
        var squares = 0.0
        for j in 0..<weightBlock {
            gradient[j] += gu[j] + scale * p[j]
            gradient[vOffset + j] += gu[gvOffset + j] + scale * p[vOffset + j]
            squares += Double(p[j] * p[j] + p[vOffset + j] * p[vOffset + j])
        }
        for j in 0..<hidden { gradient[cOffset + j] += gu[gcOffset + j] }
        for j in 0..<(levels * inputs) { gradient[bOffset + j] += gu[gbOffset + j] }
        return partialLoss.reduce(0, +) + 0.5 * Double(scale) * squares
    }

    /// One sample's cost; its gradient w.r.t. (U, c, Vc, Bc) added to `g` (laid out as the parameters).
    private func sampleCost(_ e: Effective, data: CSRMatrix, level: [UInt8], sample s: Int, draw: Draw,
                            gradient g: inout [Float]) -> Double {
        let lo = data.rowStart[s], count = data.rowStart[s + 1] - lo
        guard count > 0 else { return 0 }
        let split = draw.split, targets = count - split
        let weight = Float(count) / Float(targets)
        let block = inputs * hidden, gvOffset = weightBlock + hidden, gbOffset = 2 * weightBlock + hidden
        var h = [Float](repeating: 0, count: hidden), dh = h
        var scores = [Float](repeating: 0, count: levels), ds = scores
        var total = 0.0
        e.u.withUnsafeBufferPointer { u in
            e.vc.withUnsafeBufferPointer { vc in
                g.withUnsafeMutableBufferPointer { gp in
                    // h = tanh(c + sum of the input rows of the first `split` ratings).
                    for j in 0..<hidden { h[j] = 0 }
                    h.withUnsafeMutableBufferPointer { hp in
                        for k in 0..<split {
                            let q = lo + draw.order[k]
                            Kernels.axpy(hidden, 1, u.baseAddress! + Int(level[q]) * block + Int(data.columns[q]) * hidden, hp.baseAddress!)
                        }
                    }
                    let norm = inputScaling.factor(count: split)
                    for j in 0..<hidden { h[j] = tanhf(norm * h[j] + e.c[j]) }
                    for j in 0..<hidden { dh[j] = 0 }
                    for k in split..<count {
                        let q = lo + draw.order[k], col = Int(data.columns[q]), truth = Int(level[q])
                        for t in 0..<levels {
                            scores[t] = e.bc[t * inputs + col] + Kernels.dot(hidden, vc.baseAddress! + t * block + col * hidden, h)
                        }
                        total += Double(weight) * cost(scores, truth: truth, gradient: &ds)
                        for t in 0..<levels {
                            let d = weight * ds[t]
                            gp[gbOffset + t * inputs + col] += d
                            Kernels.axpy(hidden, d, h, gp.baseAddress! + gvOffset + t * block + col * hidden)
                            Kernels.axpy(hidden, d, vc.baseAddress! + t * block + col * hidden, &dh)
                        }
                    }
                    // Back through tanh to c and the input rows.
                    for j in 0..<hidden { dh[j] *= 1 - h[j] * h[j]; gp[weightBlock + j] += dh[j] }
                    for k in 0..<split {
                        let q = lo + draw.order[k]
                        Kernels.axpy(hidden, norm, dh, gp.baseAddress! + Int(level[q]) * block + Int(data.columns[q]) * hidden)
                    }
                }
            }
        }
        return total
    }

    /// The cost of one target's level scores and its gradient w.r.t. the scores.
    func cost(_ s: [Float], truth: Int, gradient ds: inout [Float]) -> Double {
        for t in 0..<levels { ds[t] = 0 }
        var total = 0.0
        if ordinal < 1 { total += Double(1 - ordinal) * softmaxCost(s, range: 0..<levels, target: truth, scale: 1 - ordinal, into: &ds) }
        if ordinal > 0 {
            // The paper's ordinal cost: the true level over every higher one in turn, and over every lower one.
            for j in truth..<levels { total += Double(ordinal) * softmaxCost(s, range: j..<levels, target: j, scale: ordinal, into: &ds) }
            for j in 0...truth { total += Double(ordinal) * softmaxCost(s, range: 0..<(j + 1), target: j, scale: ordinal, into: &ds) }
        }
        return total
    }

    /// -log softmax over `range` at `target`; adds scale x its gradient to `ds`.
    private func softmaxCost(_ s: [Float], range: Range<Int>, target: Int, scale: Float, into ds: inout [Float]) -> Double {
        var top = -Float.infinity
        for t in range { top = max(top, s[t]) }
        var sum: Float = 0
        for t in range { sum += expf(s[t] - top) }
        for t in range { ds[t] += scale * (expf(s[t] - top) / sum - (t == target ? 1 : 0)) }
        return Double(logf(sum) + top - s[target])
    }

    /// Each level's probability for output `col` given a sample's code `h`.
    func distribution(_ e: Effective, code h: UnsafePointer<Float>, output col: Int, into p: inout [Float]) {
        let block = inputs * hidden
        var top = -Float.infinity
        e.vc.withUnsafeBufferPointer { vc in
            for t in 0..<levels {
                p[t] = e.bc[t * inputs + col] + Kernels.dot(hidden, vc.baseAddress! + t * block + col * hidden, h)
                top = max(top, p[t])
            }
        }
        var sum: Float = 0
        for t in 0..<levels { p[t] = expf(p[t] - top); sum += p[t] }
        for t in 0..<levels { p[t] /= sum }
    }

    /// The code of every sample from all its ratings (samples x hidden).
    func codes(_ e: Effective, data: CSRMatrix, level: [UInt8]) -> Matrix {
        var out = Matrix(rows: data.rows, cols: hidden)
        let block = inputs * hidden
        out.storage.withUnsafeMutableBufferPointer { op in
            e.u.withUnsafeBufferPointer { u in
                Parallel.forEach(data.rows) { s in
                    let h = op.baseAddress! + s * hidden
                    for q in data.rowStart[s]..<data.rowStart[s + 1] {
                        Kernels.axpy(hidden, 1, u.baseAddress! + Int(level[q]) * block + Int(data.columns[q]) * hidden, h)
                    }
                    let norm = inputScaling.factor(count: data.rowStart[s + 1] - data.rowStart[s])
                    for j in 0..<hidden { h[j] = tanhf(norm * h[j] + e.c[j]) }
                }
            }
        }
        return out
    }
}
