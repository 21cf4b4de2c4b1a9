import Linalg
#if canImport(Glibc)
import Glibc
#endif
import AutoRecCore

/// The network shared by Mult-DAE and Mult-VAE (Liang et al. 2018) and its loss and gradient.
/// Encoder items -> d1 -> ... -> dk (tanh layers; the VAE's last layer gives mean and log-variance
/// of a k-dimensional code), decoder dk -> ... -> d1 -> items (tanh, then logits). The input is the
/// user's interaction vector scaled to unit length, then dropout; the first layer multiplies only
/// the observed entries. Loss per user: the multinomial negative log-likelihood
/// -sum_i x_i log softmax(logits)_i, plus beta x KL(q(z|x) || N(0, I)) for the VAE; averaged over the
/// batch, plus (l2 / 2) |W|^2 over the weight matrices.
public struct MultNetwork: Sendable {
    public let items: Int
    public let dims: [Int]
    public let variational: Bool
    /// Per layer: its shape and where its weights and bias lie in the parameters.
    public let layers: [DenseLayer]
    public let parameterCount: Int

    public init(items: Int, dims: [Int], variational: Bool) {
        precondition(items > 0 && !dims.isEmpty && dims.allSatisfy { $0 > 0 })
        precondition(Self.parameterCount(items: items, dims: dims, variational: variational) != nil, "layer sizes overflow")
        self.items = items; self.dims = dims; self.variational = variational
        var layout = ParameterLayout()
        layers = Self.shapes(items: items, dims: dims, variational: variational).map { layout.dense(inputs: $0.0, outputs: $0.1) }
        parameterCount = layout.count
    }

    /// (inputs, outputs) of each layer: the encoder from the items to the code (twice as wide for
    /// the VAE's means and log-variances), then the decoder back.
    static func shapes(items: Int, dims: [Int], variational: Bool) -> [(Int, Int)] {
        var shapes: [(Int, Int)] = []
        var prev = items
        for (l, d) in dims.enumerated() {
            shapes.append((prev, l == dims.count - 1 && variational ? 2 * d : d)); prev = d
        }
        prev = dims.last!
        for d in dims.dropLast().reversed() + [items] { shapes.append((prev, d)); prev = d }
        return shapes
    }

    /// The number of parameters for sizes read from a file: nil when the sizes are not positive or
    /// the count overflows.
    public static func parameterCount(items: Int, dims: [Int], variational: Bool) -> Int? {
        guard items > 0, !dims.isEmpty, dims.allSatisfy({ $0 > 0 && $0 <= Int.max / 4 }) else { return nil }
        var total = CheckedSize(0)
        for (i, o) in shapes(items: items, dims: dims, variational: variational) {
            total = total + CheckedSize(i) * CheckedSize(o) + CheckedSize(o)
        }
        return total.value
    }

    var encoderLayers: Int { dims.count }
    var code: Int { dims.last! }

    /// Xavier-uniform weights, zero biases (reproducible for a seed).
    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var p = [Float](repeating: 0, count: parameterCount)
        for l in layers {
            let limit = (6 / Float(l.inputs + l.outputs)).squareRoot()
            rng.fillUniform(&p, offset: l.w, count: l.inputs * l.outputs, limit: limit)
        }
        return p
    }

    /// Options of one loss evaluation.
    public struct Pass {
        public var dropout: Float = 0
        public var maskSeed: UInt64 = 0
        /// VAE: sample the code with noise from this seed; nil uses the mean (scoring).
        public var noiseSeed: UInt64? = nil
        public var beta: Float = 0
        public var l2: Float = 0
        /// DFC-VAE: the frozen feature network and the weight of the feature term |phi(x) - phi(pi)|^2.
        public var features: FeatureNetwork? = nil
        public var featureWeight: Float = 0
        public init(dropout: Float = 0, maskSeed: UInt64 = 0, noiseSeed: UInt64? = nil, beta: Float = 0, l2: Float = 0,
                    features: FeatureNetwork? = nil, featureWeight: Float = 0) {
            self.dropout = dropout; self.maskSeed = maskSeed; self.noiseSeed = noiseSeed; self.beta = beta; self.l2 = l2
            self.features = features; self.featureWeight = featureWeight
        }
    }

    /// Logits (rows x items) for the batch: the scores of every item, no dropout, the VAE's mean code.
    public func logits(_ params: [Float], _ s: SparseRows) -> Matrix {
        var out = Matrix(rows: s.count, cols: items)
        out.storage = forward(params, s, Pass()).outputs[layers.count - 1]
        return out
    }

    /// The loss of the batch and, when `gradient` has the parameters' length, its gradient (overwritten).
    public func loss(_ params: [Float], _ s: SparseRows, _ pass: Pass, gradient: inout [Float]) -> Double {
        precondition(params.count == parameterCount)
        let wantGrad = gradient.count == parameterCount
        let trace = forward(params, s, pass)
        let (loss, dLogits0) = lossTerms(params, s, pass, trace, wantGradient: wantGrad)
        var dLogits = dLogits0
        guard wantGrad else { return loss }
        backward(params, s, pass, trace, dLogits: &dLogits, gradient: &gradient)
        return loss
    }

    /// What the forward pass keeps for the backward one: the encoder's input values, each layer's
    /// output after its activation (rows x outputs), and the VAE's code and noise (rows x code).
    struct Trace {
        var inputs: [Float]
        var outputs: [[Float]]
        var z: [Float]
        var eps: [Float]
    }

    /// The layers on the batch: tanh between them, the VAE's reparameterised code in the middle.
    private func forward(_ params: [Float], _ s: SparseRows, _ pass: Pass) -> Trace {
        let rows = s.count, E = encoderLayers, k = code
        var trace = Trace(inputs: MultinomialLikelihood.unitLengthInputs(s, dropout: pass.dropout, maskSeed: pass.maskSeed),
                          outputs: layers.map { [Float](repeating: 0, count: rows * $0.outputs) },
                          z: [Float](repeating: 0, count: variational ? rows * k : 0),
                          eps: [Float](repeating: 0, count: variational ? rows * k : 0))
        if variational, let seed = pass.noiseSeed {
            var rng = SeededRandom(seed: seed)
            for j in 0..<trace.eps.count { trace.eps[j] = rng.normal() }
        }
        params.withUnsafeBufferPointer { pp in
            let P = pp.baseAddress!
            trace.inputs.withUnsafeBufferPointer { ap in
                trace.outputs[0].withUnsafeMutableBufferPointer { o in
                    LayerOps.sparseAffine(s, ap.baseAddress!, out: layers[0].outputs, w: P + layers[0].w, b: P + layers[0].b, into: o.baseAddress!)
                }
            }
            for l in 0..<layers.count {
                if l > 0 {
                    let input: [Float] = (l == E && variational) ? trace.z : trace.outputs[l - 1]
                    input.withUnsafeBufferPointer { x in
                        trace.outputs[l].withUnsafeMutableBufferPointer { o in
                            LayerOps.affine(x.baseAddress!, rows: rows, in: layers[l].inputs, out: layers[l].outputs,
                                            w: P + layers[l].w, b: P + layers[l].b, into: o.baseAddress!)
                        }
                    }
                }
                if l == layers.count - 1 { break }
                if l == E - 1 && variational {
                    // z = mu + eps * exp(logvar / 2); without noise, z = mu.
                    for r in 0..<rows {
                        for j in 0..<k {
                            let mu = trace.outputs[l][r * 2 * k + j], lv = trace.outputs[l][r * 2 * k + k + j]
                            trace.z[r * k + j] = mu + trace.eps[r * k + j] * expf(0.5 * lv)
                        }
                    }
                } else {
                    trace.outputs[l].withUnsafeMutableBufferPointer { o in LayerOps.tanhInPlace(o.baseAddress!, o.count) }
                }
            }
        }
        return trace
    }

    /// The multinomial likelihood, DFC-VAE's feature term, the VAE's KL term and the L2 term; with
    /// `wantGradient`, dL/dlogits of the first two.
    private func lossTerms(_ params: [Float], _ s: SparseRows, _ pass: Pass, _ trace: Trace,
                           wantGradient: Bool) -> (loss: Double, dLogits: [Float]) {
        let rows = s.count, k = code, last = trace.outputs[layers.count - 1]
        var (loss, dLogits) = MultinomialLikelihood.loss(logits: last, items: items, batch: s, wantGradient: wantGradient)
        if let phi = pass.features, pass.featureWeight > 0 {
            loss += phi.addTerm(logits: last, batch: s, weight: pass.featureWeight, dLogits: &dLogits)
        }
        if variational && pass.beta > 0 {
            let c = trace.outputs[encoderLayers - 1]
            var kl = 0.0
            for r in 0..<rows {
                for j in 0..<k {
                    let mu = c[r * 2 * k + j], lv = c[r * 2 * k + k + j]
                    kl += 0.5 * Double(expf(lv) + mu * mu - 1 - lv)
                }
            }
            loss += Double(pass.beta) * kl / Double(max(1, rows))
        }
        var sq = 0.0
        params.withUnsafeBufferPointer { pp in
            for l in layers { sq += LayerOps.sumOfSquares(pp.baseAddress! + l.w, l.inputs * l.outputs) }
        }
        return (loss + 0.5 * Double(pass.l2) * sq, dLogits)
    }

    /// Backward, layer by layer, from dL/dlogits into `gradient` (overwritten); `d` holds
    /// dL/d(pre-activation) of the layer at hand.
    private func backward(_ params: [Float], _ s: SparseRows, _ pass: Pass, _ trace: Trace,
                          dLogits d: inout [Float], gradient: inout [Float]) {
        let rows = s.count, E = encoderLayers
        params.withUnsafeBufferPointer { pp in
            gradient.withUnsafeMutableBufferPointer { gp in
                for l in layers {
                    let w = pp.baseAddress! + l.w, g = gp.baseAddress! + l.w, l2 = pass.l2
                    for j in 0..<(l.inputs * l.outputs) { g[j] = l2 * w[j] }
                    (gp.baseAddress! + l.b).update(repeating: 0, count: l.outputs)
                }
            }
        }
        params.withUnsafeBufferPointer { pp in
        gradient.withUnsafeMutableBufferPointer { gp in
            let P = pp.baseAddress!, G = gp.baseAddress!
            for l in stride(from: layers.count - 1, through: 1, by: -1) {
                let lay = layers[l]
                let input: [Float] = (l == E && variational) ? trace.z : trace.outputs[l - 1]
                var dIn = [Float](repeating: 0, count: rows * lay.inputs)
                input.withUnsafeBufferPointer { x in
                    d.withUnsafeBufferPointer { dp in
                        dIn.withUnsafeMutableBufferPointer { di in
                            LayerOps.affineBackward(x.baseAddress!, rows: rows, in: lay.inputs, out: lay.outputs,
                                                    w: P + lay.w, dY: dp.baseAddress!, gW: G + lay.w, gb: G + lay.b,
                                                    dX: di.baseAddress!)
                        }
                    }
                }
                if l == E && variational {
                    d = backThroughCode(dIn, trace, beta: pass.beta, rows: rows)
                } else {
                    trace.outputs[l - 1].withUnsafeBufferPointer { h in
                        dIn.withUnsafeMutableBufferPointer { di in LayerOps.tanhBackward(h.baseAddress!, di.baseAddress!, di.count) }
                    }
                    d = dIn
                }
            }
            trace.inputs.withUnsafeBufferPointer { ap in
                d.withUnsafeBufferPointer { dp in
                    LayerOps.sparseAffineBackward(s, ap.baseAddress!, inputs: items, out: layers[0].outputs,
                                                  dY: dp.baseAddress!, gW: G + layers[0].w, gb: G + layers[0].b)
                }
            }
        }}
    }

    /// The VAE's dL/dz back through the reparameterisation to the mean and log-variance, plus the KL term's.
    private func backThroughCode(_ dZ: [Float], _ trace: Trace, beta: Float, rows: Int) -> [Float] {
        let k = code, c = trace.outputs[encoderLayers - 1]
        var dc = [Float](repeating: 0, count: rows * 2 * k)
        let bk = beta / Float(rows)
        for r in 0..<rows {
            for j in 0..<k {
                let mu = c[r * 2 * k + j], lv = c[r * 2 * k + k + j], dz = dZ[r * k + j]
                let sd = expf(0.5 * lv)
                dc[r * 2 * k + j] = dz + bk * mu
                dc[r * 2 * k + k + j] = dz * trace.eps[r * k + j] * 0.5 * sd + bk * 0.5 * (expf(lv) - 1)
            }
        }
        return dc
    }
}
