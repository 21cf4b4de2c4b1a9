import Linalg
#if canImport(Glibc)
import Glibc
#endif
import AutoRecCore

/// RecVAE's network (Shenbin et al. 2020) and its loss and gradient. The encoder reads a user's
/// items scaled to unit length, after dropout, through `depth` layers of `hidden` units: each is
/// swish, then layer norm, and each after the first also adds every earlier layer's output (dense
/// connections); a last layer gives the code's mean and log-variance. The decoder is one linear
/// layer, code -> items. Loss per user: the multinomial NLL plus gamma x (the user's interactions)
/// x a one-sample estimate of KL(q(z|x) || p(z)), where p is the composite prior
/// 3/20 N(0, I) + 3/4 q_old(z|x) + 1/10 N(0, e^10 I) and q_old the encoder as its phase began.
public struct RecVAENetwork: Sendable {
    public let items: Int, hidden: Int, latent: Int, depth: Int
    /// The encoder's layers (items -> hidden, then hidden -> hidden), each with its norm's gain and bias.
    let layers: [DenseLayer]
    let norms: [(gain: Int, bias: Int)]
    /// hidden -> the code's means, then its log-variances.
    let head: DenseLayer
    /// code -> items.
    let decoder: DenseLayer
    public let parameterCount: Int
    /// The encoder's parameters and the decoder's, which RecVAE updates in turn.
    var encoderPart: Range<Int> { 0..<decoder.w }
    var decoderPart: Range<Int> { decoder.w..<parameterCount }

    static let normEpsilon: Float = 0.1
    /// The composite prior's weights and its wide component's log-variance.
    static let priorWeights: (standard: Float, previous: Float, wide: Float) = (3.0 / 20, 3.0 / 4, 1.0 / 10)
    static let wideLogVariance: Float = 10

    public init(items: Int, hidden: Int, latent: Int, depth: Int) {
        precondition(Self.parameterCount(items: items, hidden: hidden, latent: latent, depth: depth) != nil, "layer sizes overflow")
        self.items = items; self.hidden = hidden; self.latent = latent; self.depth = depth
        var layout = ParameterLayout()
        var layers: [DenseLayer] = [], norms: [(gain: Int, bias: Int)] = []
        for l in 0..<depth {
            layers.append(layout.dense(inputs: l == 0 ? items : hidden, outputs: hidden))
            norms.append((layout.reserve(hidden).lowerBound, layout.reserve(hidden).lowerBound))
        }
        self.layers = layers; self.norms = norms
        head = layout.dense(inputs: hidden, outputs: 2 * latent)
        decoder = layout.dense(inputs: latent, outputs: items)
        parameterCount = layout.count
    }

    /// The number of parameters for sizes read from a file: nil when a size is not positive or the count overflows.
    public static func parameterCount(items: Int, hidden: Int, latent: Int, depth: Int) -> Int? {
        guard items > 0, hidden > 0, latent > 0, depth > 0, latent <= Int.max / 4, depth <= 1000 else { return nil }
        let i = CheckedSize(items), h = CheckedSize(hidden), k = CheckedSize(latent), d = CheckedSize(depth)
        let first: CheckedSize = i * h
        let later: CheckedSize = CheckedSize(depth - 1) * h * h
        let biasesAndNorms: CheckedSize = d * CheckedSize(3) * h
        let code: CheckedSize = h * CheckedSize(2) * k + CheckedSize(2) * k
        let decoder: CheckedSize = k * i + i
        return (first + later + biasesAndNorms + code + decoder).value
    }

    /// Xavier-uniform weights, zero biases, unit norm gains (reproducible for a seed).
    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var p = [Float](repeating: 0, count: parameterCount)
        for l in layers + [head, decoder] {
            rng.fillUniform(&p, offset: l.w, count: l.inputs * l.outputs, limit: (6 / Float(l.inputs + l.outputs)).squareRoot())
        }
        for n in norms { for j in 0..<hidden { p[n.gain + j] = 1 } }
        return p
    }

    /// Which parameters a loss evaluation differentiates (the others' gradient is left at zero).
    enum Part { case all, encoder, decoder }

    /// Options of one loss evaluation.
    struct Pass {
        var dropout: Float = 0
        var maskSeed: UInt64 = 0
        /// Sample the code with noise from this seed; nil uses the mean (scoring).
        var noiseSeed: UInt64? = nil
        /// The KL weight per interaction of the user.
        var gamma: Float = 0
        /// Parameters whose encoder is the prior's previous posterior; nil leaves the KL term out
        /// (the decoder's updates: it does not depend on the decoder).
        var prior: [Float]? = nil
        var l2: Float = 0
        var part: Part = .all
    }

    /// Logits (rows x items) for the batch: no dropout, the mean code.
    public func logits(_ params: [Float], _ s: SparseRows) -> Matrix {
        let trace = encode(params, s, inputs: MultinomialLikelihood.unitLengthInputs(s, dropout: 0, maskSeed: 0))
        let means = (0..<s.count).flatMap { r in trace.code[(r * 2 * latent)..<(r * 2 * latent + latent)] }
        var out = Matrix(rows: s.count, cols: items)
        out.storage = decode(params, means, rows: s.count)
        return out
    }

    /// The batch's loss and, when `gradient` has the parameters' length, its gradient (overwritten).
    func loss(_ params: [Float], _ s: SparseRows, _ pass: Pass, gradient: inout [Float]) -> Double {
        precondition(params.count == parameterCount)
        let rows = s.count, k = latent
        let wantGrad = gradient.count == parameterCount
        let inputs = MultinomialLikelihood.unitLengthInputs(s, dropout: pass.dropout, maskSeed: pass.maskSeed)
        let trace = encode(params, s, inputs: inputs)
        var eps = [Float](repeating: 0, count: rows * k)
        if let seed = pass.noiseSeed {
            var rng = SeededRandom(seed: seed)
            for j in eps.indices { eps[j] = rng.normal() }
        }
        var z = [Float](repeating: 0, count: rows * k)
        for r in 0..<rows {
            for j in 0..<k {
                z[r * k + j] = trace.code[r * 2 * k + j] + eps[r * k + j] * expf(0.5 * trace.code[r * 2 * k + k + j])
            }
        }
        let logits = decode(params, z, rows: rows)
        var (loss, dLogits) = MultinomialLikelihood.loss(logits: logits, items: items, batch: s, wantGradient: wantGrad)
        var dZ = [Float](repeating: 0, count: wantGrad ? rows * k : 0)
        var dLogVariance = [Float](repeating: 0, count: wantGrad ? rows * k : 0)
        if let prior = pass.prior, pass.gamma > 0 {
            loss += klTerm(prior, s, z: z, eps: eps, code: trace.code, gamma: pass.gamma, dZ: &dZ, dLogVariance: &dLogVariance)
        }
        loss += 0.5 * Double(pass.l2) * squaredWeights(params, pass.part)
        guard wantGrad else { return loss }
        for j in gradient.indices { gradient[j] = 0 }
        addL2(params, pass, into: &gradient)
        backDecoder(params, z: z, dLogits: dLogits, pass.part, dZ: &dZ, gradient: &gradient)
        guard pass.part != .decoder else { return loss }
        var dCode = [Float](repeating: 0, count: rows * 2 * k)
        for r in 0..<rows {
            for j in 0..<k {
                let lv = trace.code[r * 2 * k + k + j], dz = dZ[r * k + j]
                dCode[r * 2 * k + j] = dz
                dCode[r * 2 * k + k + j] = dz * eps[r * k + j] * 0.5 * expf(0.5 * lv) + dLogVariance[r * k + j]
            }
        }
        backEncoder(params, s, inputs: inputs, trace: trace, dCode: dCode, gradient: &gradient)
        return loss
    }

    /// What the encoder's forward pass keeps for the backward one, per layer (rows x hidden each):
    /// the sums before swish, the normalised values and each row's 1/sd, the outputs; and the code.
    struct Trace {
        var sums: [[Float]] = [], normalised: [[Float]] = [], inverseSD: [[Float]] = [], outputs: [[Float]] = []
        var code: [Float] = []
    }

    /// The encoder on the batch with per-entry input values `inputs`.
    func encode(_ params: [Float], _ s: SparseRows, inputs: [Float]) -> Trace {
        let rows = s.count, h = hidden
        var trace = Trace()
        params.withUnsafeBufferPointer { pp in
            let P = pp.baseAddress!
            for (l, layer) in layers.enumerated() {
                var sum = [Float](repeating: 0, count: rows * h)
                sum.withUnsafeMutableBufferPointer { o in
                    if l == 0 {
                        inputs.withUnsafeBufferPointer { a in
                            LayerOps.sparseAffine(s, a.baseAddress!, out: h, w: P + layer.w, b: P + layer.b, into: o.baseAddress!)
                        }
                    } else {
                        trace.outputs[l - 1].withUnsafeBufferPointer { x in
                            LayerOps.affine(x.baseAddress!, rows: rows, in: h, out: h, w: P + layer.w, b: P + layer.b, into: o.baseAddress!)
                        }
                        for earlier in trace.outputs { for j in 0..<(rows * h) { o[j] += earlier[j] } }
                    }
                }
                trace.sums.append(sum)
                let (normalised, inverseSD, output) = swishThenNorm(sum, rows: rows, gain: P + norms[l].gain, bias: P + norms[l].bias)
                trace.normalised.append(normalised); trace.inverseSD.append(inverseSD); trace.outputs.append(output)
            }
            var code = [Float](repeating: 0, count: rows * 2 * latent)
            trace.outputs[depth - 1].withUnsafeBufferPointer { x in
                code.withUnsafeMutableBufferPointer { o in
                    LayerOps.affine(x.baseAddress!, rows: rows, in: h, out: 2 * latent, w: P + head.w, b: P + head.b, into: o.baseAddress!)
                }
            }
            trace.code = code
        }
        return trace
    }

    /// swish(sum), then layer norm per row with `gain` and `bias`.
    private func swishThenNorm(_ sum: [Float], rows: Int, gain: UnsafePointer<Float>, bias: UnsafePointer<Float>)
        -> (normalised: [Float], inverseSD: [Float], output: [Float]) {
        let h = hidden
        var normalised = [Float](repeating: 0, count: rows * h), inverseSD = [Float](repeating: 0, count: rows)
        var output = [Float](repeating: 0, count: rows * h)
        for r in 0..<rows {
            var mean: Float = 0
            for j in 0..<h { let x = sum[r * h + j]; let u = x / (1 + expf(-x)); normalised[r * h + j] = u; mean += u }
            mean /= Float(h)
            var variance: Float = 0
            for j in 0..<h { let d = normalised[r * h + j] - mean; variance += d * d }
            let inv = 1 / (variance / Float(h) + Self.normEpsilon).squareRoot()
            inverseSD[r] = inv
            for j in 0..<h {
                let x = (normalised[r * h + j] - mean) * inv
                normalised[r * h + j] = x
                output[r * h + j] = gain[j] * x + bias[j]
            }
        }
        return (normalised, inverseSD, output)
    }

    /// The decoder's logits (rows x items) of codes `z` (rows x latent).
    func decode(_ params: [Float], _ z: [Float], rows: Int) -> [Float] {
        var logits = [Float](repeating: 0, count: rows * items)
        params.withUnsafeBufferPointer { pp in
            z.withUnsafeBufferPointer { x in
                logits.withUnsafeMutableBufferPointer { o in
                    LayerOps.affine(x.baseAddress!, rows: rows, in: latent, out: items, w: pp.baseAddress! + decoder.w,
                                    b: pp.baseAddress! + decoder.b, into: o.baseAddress!)
                }
            }
        }
        return logits
    }

    /// The KL term's mean over the batch; adds its gradient with respect to the code and the
    /// log-variances to `dZ` and `dLogVariance` (when they are not empty).
    private func klTerm(_ prior: [Float], _ s: SparseRows, z: [Float], eps: [Float], code: [Float], gamma: Float,
                        dZ: inout [Float], dLogVariance: inout [Float]) -> Double {
        let rows = s.count, k = latent, wantGrad = !dZ.isEmpty
        let previous = encode(prior, s, inputs: MultinomialLikelihood.unitLengthInputs(s, dropout: 0, maskSeed: 0)).code
        let logTwoPi = Float(log(2 * Double.pi)), w = Self.priorWeights, wideVariance = expf(Self.wideLogVariance)
        var total = 0.0
        for r in 0..<rows {
            var interactions: Float = 0
            for p in s.rowStart[r]..<s.rowStart[r + 1] { interactions += s.values[p] }
            let weight = gamma * interactions, scale = weight / Float(rows)
            var rowKL = 0.0
            for j in 0..<k {
                let x = z[r * k + j], lv = code[r * 2 * k + k + j]
                let oldMean = previous[r * 2 * k + j], oldLV = previous[r * 2 * k + k + j], oldVariance = expf(oldLV)
                let logQ = -0.5 * (lv + logTwoPi + eps[r * k + j] * eps[r * k + j])
                let c1 = logf(w.standard) - 0.5 * (logTwoPi + x * x)
                let c2 = logf(w.previous) - 0.5 * (oldLV + logTwoPi + (x - oldMean) * (x - oldMean) / oldVariance)
                let c3 = logf(w.wide) - 0.5 * (Self.wideLogVariance + logTwoPi + x * x / wideVariance)
                let top = max(c1, max(c2, c3))
                let e1 = expf(c1 - top), e2 = expf(c2 - top), e3 = expf(c3 - top), mixture = e1 + e2 + e3
                rowKL += Double(logQ) - (Double(top) + log(Double(mixture)))
                guard wantGrad else { continue }
                let dLogP = (e1 * -x + e2 * -(x - oldMean) / oldVariance + e3 * -x / wideVariance) / mixture
                dZ[r * k + j] -= scale * dLogP
                dLogVariance[r * k + j] -= scale * 0.5
            }
            total += Double(weight) * rowKL
        }
        return total / Double(max(1, rows))
    }

    /// The weight matrices a part's L2 reads.
    private func weightLayers(_ part: Part) -> [DenseLayer] {
        switch part {
        case .all: return layers + [head, decoder]
        case .encoder: return layers + [head]
        case .decoder: return [decoder]
        }
    }

    private func squaredWeights(_ params: [Float], _ part: Part) -> Double {
        params.withUnsafeBufferPointer { pp in
            weightLayers(part).reduce(0.0) { $0 + LayerOps.sumOfSquares(pp.baseAddress! + $1.w, $1.inputs * $1.outputs) }
        }
    }

    private func addL2(_ params: [Float], _ pass: Pass, into gradient: inout [Float]) {
        guard pass.l2 > 0 else { return }
        for layer in weightLayers(pass.part) { for j in layer.weights { gradient[j] += pass.l2 * params[j] } }
    }

    /// Back through the decoder: its weights' gradient unless only the encoder is asked, and dZ += dLogits W^T
    /// unless only the decoder is.
    private func backDecoder(_ params: [Float], z: [Float], dLogits: [Float], _ part: Part, dZ: inout [Float], gradient: inout [Float]) {
        let rows = z.count / latent
        params.withUnsafeBufferPointer { pp in
            gradient.withUnsafeMutableBufferPointer { gp in
                z.withUnsafeBufferPointer { x in
                    dLogits.withUnsafeBufferPointer { dy in
                        let P = pp.baseAddress!, G = gp.baseAddress!
                        if part != .encoder {
                            LayerOps.affineBackward(x.baseAddress!, rows: rows, in: latent, out: items, w: P + decoder.w,
                                                    dY: dy.baseAddress!, gW: G + decoder.w, gb: G + decoder.b, dX: nil)
                        }
                        if part != .decoder {
                            dZ.withUnsafeMutableBufferPointer { dz in
                                BLAS.gemm(m: rows, n: latent, k: items, dy.baseAddress!, lda: items, P + decoder.w, ldb: items,
                                          transposeB: true, dz.baseAddress!, ldc: latent, beta: 1)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Back through the code's layer and the encoder's layers, last first, into `gradient`.
    private func backEncoder(_ params: [Float], _ s: SparseRows, inputs: [Float], trace: Trace, dCode: [Float], gradient: inout [Float]) {
        let rows = s.count, h = hidden
        var dOutputs = [[Float]](repeating: [Float](repeating: 0, count: rows * h), count: depth)
        params.withUnsafeBufferPointer { pp in
            gradient.withUnsafeMutableBufferPointer { gp in
                let P = pp.baseAddress!, G = gp.baseAddress!
                trace.outputs[depth - 1].withUnsafeBufferPointer { x in
                    dCode.withUnsafeBufferPointer { dy in
                        LayerOps.affineBackward(x.baseAddress!, rows: rows, in: h, out: 2 * latent, w: P + head.w, dY: dy.baseAddress!,
                                                gW: G + head.w, gb: G + head.b, dX: nil)
                        dOutputs[depth - 1].withUnsafeMutableBufferPointer { dx in
                            BLAS.gemm(m: rows, n: h, k: 2 * latent, dy.baseAddress!, lda: 2 * latent, P + head.w, ldb: 2 * latent,
                                      transposeB: true, dx.baseAddress!, ldc: h, beta: 1)
                        }
                    }
                }
                for l in stride(from: depth - 1, through: 0, by: -1) {
                    let dSum = backSwishThenNorm(dOutputs[l], trace: trace, layer: l, params: P, gradient: G)
                    for earlier in 0..<l { for j in 0..<(rows * h) { dOutputs[earlier][j] += dSum[j] } }
                    backLayer(l, dSum: dSum, s, inputs: inputs, trace: trace, params: P, gradient: G, dInput: &dOutputs)
                }
            }
        }
    }

    /// Back through layer `l`'s weights: their gradient, and the previous layer's output gradient.
    private func backLayer(_ l: Int, dSum: [Float], _ s: SparseRows, inputs: [Float], trace: Trace,
                           params P: UnsafePointer<Float>, gradient G: UnsafeMutablePointer<Float>, dInput: inout [[Float]]) {
        let layer = layers[l], rows = s.count, h = hidden
        dSum.withUnsafeBufferPointer { dy in
            if l == 0 {
                inputs.withUnsafeBufferPointer { a in
                    LayerOps.sparseAffineBackward(s, a.baseAddress!, inputs: items, out: h, dY: dy.baseAddress!,
                                                  gW: G + layer.w, gb: G + layer.b)
                }
                return
            }
            trace.outputs[l - 1].withUnsafeBufferPointer { x in
                LayerOps.affineBackward(x.baseAddress!, rows: rows, in: h, out: h, w: P + layer.w, dY: dy.baseAddress!,
                                        gW: G + layer.w, gb: G + layer.b, dX: nil)
            }
            dInput[l - 1].withUnsafeMutableBufferPointer { dx in
                BLAS.gemm(m: rows, n: h, k: h, dy.baseAddress!, lda: h, P + layer.w, ldb: h, transposeB: true,
                          dx.baseAddress!, ldc: h, beta: 1)
            }
        }
    }

    /// Back through layer `l`'s norm (adding its gain's and bias' gradient) and swish: dL/d(sum).
    private func backSwishThenNorm(_ dOutput: [Float], trace: Trace, layer l: Int,
                                   params P: UnsafePointer<Float>, gradient G: UnsafeMutablePointer<Float>) -> [Float] {
        let h = hidden, rows = dOutput.count / h, gain = P + norms[l].gain
        let gGain = G + norms[l].gain, gBias = G + norms[l].bias
        let normalised = trace.normalised[l], sums = trace.sums[l]
        var dSum = [Float](repeating: 0, count: rows * h)
        for r in 0..<rows {
            var meanD: Float = 0, meanDX: Float = 0
            for j in 0..<h {
                let dy = dOutput[r * h + j], x = normalised[r * h + j], dx = dy * gain[j]
                gGain[j] += dy * x; gBias[j] += dy
                meanD += dx; meanDX += dx * x
            }
            meanD /= Float(h); meanDX /= Float(h)
            let inv = trace.inverseSD[l][r]
            for j in 0..<h {
                let x = normalised[r * h + j], dx = dOutput[r * h + j] * gain[j]
                let du = inv * (dx - meanD - x * meanDX)
                let t = sums[r * h + j], sigmoid = 1 / (1 + expf(-t))
                dSum[r * h + j] = du * sigmoid * (1 + t * (1 - sigmoid))
            }
        }
        return dSum
    }
}
