import Linalg
#if canImport(Glibc)
import Glibc
#endif
import AutoRecCore

/// A one-layer autoencoder over sparse input rows: code h = sigmoid(x W1 + b1) (the embedding),
/// reconstruction y = h W2 + b2 over every input column. Loss per row: 1/2 |y - x|^2 over all
/// columns (missing entries are zeros), averaged over the batch, plus (l2 / 2)(|W1|^2 + |W2|^2) and
/// the variant's term:
/// - sparse: beta sum_j KL(rho || rhoHat_j), rhoHat_j the batch mean of h_j;
/// - contractive: lambda / rows sum_r sum_j (h_rj (1 - h_rj))^2 sum_i W1_ij^2, the squared Frobenius
///   norm of dh/dx, exact for the sigmoid code;
/// - denoising: the encoder sees the observed entries masked (probability p) and perturbed with
///   N(0, sigma^2); the target stays the clean row;
/// - vae, beta-vae: the first layer gives mean and log-variance of a Gaussian code (no sigmoid),
///   the decoder reads a sample mu + eps exp(logvar / 2) while training (the mean otherwise), and
///   beta x KL(N(mu, sigma^2) || N(0, I)) per row joins the loss; the embedding is the mean;
/// - wasserstein: a linear code z and lambda x MMD^2(z, prior samples) with the inverse multiquadric
///   kernel k(a, b) = C / (C + |a - b|^2), C = 2 dim (the unbiased estimate, prior samples drawn
///   from the pass's seed; without a seed the term is left out);
/// - adversarial: a linear code and lambda x mean softplus(-D(z)) (the encoder fools the
///   discriminator D(z) = w . tanh(z Wd + bd) + c); D itself is trained by `discriminatorLoss`, in turn.
/// With `hiddenUnits` H > 0 the network is deeper: t = tanh(x W1 + b1) (H units), code from t Wc + bc,
/// and the decoder mirrors it: u = tanh(h Wh + bh), y = u W2 + b2. The penalties act on the code as before.
/// The first layer reads only observed entries; the others are GEMMs.
public struct RepresentationNetwork: Sendable {
    public let inputs: Int
    public let config: RepresentationConfig
    var dim: Int { config.dim }
    var hiddenUnits: Int { config.kind == .contractive ? 0 : config.hiddenUnits }
    var deep: Bool { hiddenUnits > 0 }
    /// Width of the code layer: the code, or its mean and log-variance.
    var encoderWidth: Int { config.kind.isVariational ? 2 * dim : dim }
    /// Width of the first (sparse) layer, and the input width of the last.
    var firstWidth: Int { deep ? hiddenUnits : encoderWidth }
    var lastWidth: Int { deep ? hiddenUnits : dim }
    var w1: Int { 0 }
    var b1: Int { inputs * firstWidth }
    var w2: Int { b1 + firstWidth }
    var b2: Int { w2 + lastWidth * inputs }
    /// The deep layers (H > 0 only): Wc (H x encoderWidth), bc, Wh (dim x H), bh.
    var wc: Int { b2 + inputs }
    var bc: Int { wc + hiddenUnits * encoderWidth }
    var wh: Int { bc + (deep ? encoderWidth : 0) }
    var bh: Int { wh + dim * hiddenUnits }
    var deepEnd: Int { bh + hiddenUnits }
    /// The discriminator (adversarial only): Wd (dim x width), bd (width), w (width), c (1).
    var dw1: Int { deepEnd }
    var db1: Int { dw1 + dim * discriminatorWidth }
    var dw2: Int { db1 + discriminatorWidth }
    var db2: Int { dw2 + discriminatorWidth }
    var discriminatorWidth: Int { config.kind == .adversarial ? config.discriminatorWidth : 0 }
    public var parameterCount: Int { config.kind == .adversarial ? db2 + 1 : deepEnd }

    public init(inputs: Int, config: RepresentationConfig) {
        self.inputs = inputs
        self.config = config
    }

    public func initialParameters() -> [Float] {
        var rng = SeededRandom(seed: config.seed)
        var p = [Float](repeating: 0, count: parameterCount)
        let limit = (6 / Float(inputs + firstWidth)).squareRoot()
        rng.fillUniform(&p, offset: w1, count: inputs * firstWidth, limit: limit)
        rng.fillUniform(&p, offset: w2, count: inputs * lastWidth, limit: (6 / Float(inputs + lastWidth)).squareRoot())
        if deep {
            let dl = (6 / Float(hiddenUnits + dim)).squareRoot()
            rng.fillUniform(&p, offset: wc, count: hiddenUnits * encoderWidth, limit: dl)
            rng.fillUniform(&p, offset: wh, count: dim * hiddenUnits, limit: dl)
        }
        if config.kind == .adversarial {
            let dl = (6 / Float(dim + discriminatorWidth)).squareRoot()
            rng.fillUniform(&p, offset: dw1, count: dim * discriminatorWidth, limit: dl)
            rng.fillUniform(&p, offset: dw2, count: discriminatorWidth, limit: dl)
        }
        // A VAE starts with small variances (log-variance bias -4), so that early samples stay near the mean.
        if config.kind.isVariational { for j in dim..<(2 * dim) { p[(deep ? bc : b1) + j] = -4 } }
        return p
    }

    /// The encoder's input per entry: the clean value, or for the denoising variant (when
    /// `corruptionSeed` is given) masked and perturbed, reproducibly per entry.
    func corrupted(_ s: SparseRows, seed: UInt64?) -> [Float] {
        guard let seed, config.kind == .denoising else { return s.values }
        var out = s.values
        for p in 0..<out.count {
            if DropoutMask.uniform(seed, p) < config.maskProbability { out[p] = 0; continue }
            var rng = SeededRandom(seed: seed ^ (UInt64(p) &* 0x9E37_79B9_7F4A_7C15))
            out[p] += config.noise * rng.normal()
        }
        return out
    }

    /// The codes (rows x dim) of the rows, without corruption (a VAE's means).
    public func codes(_ params: [Float], _ s: SparseRows) -> Matrix {
        let e = encoderWidth
        var t: [Float] = []
        let pre = encode(params, s, inputs: s.values, hidden: &t)
        var h = Matrix(rows: s.count, cols: dim)
        for r in 0..<s.count { for j in 0..<dim { h.storage[r * dim + j] = pre[r * e + j] } }
        if !config.kind.hasLinearCode { h.storage.withUnsafeMutableBufferPointer { Activation.sigmoid.apply($0.count, $0.baseAddress!) } }
        return h
    }

    /// Decodes codes (rows x dim) to reconstructions (rows x inputs): how a VAE generates profiles.
    public func decode(_ params: [Float], codes z: Matrix) -> Matrix {
        var u: [Float] = []
        return Matrix(rows: z.rows, cols: inputs, storage: decodeRows(params, z.storage, rows: z.rows, hidden: &u))
    }

    /// The code layer's output (rows x encoderWidth) for per-entry inputs `a`; `t` gets the deep
    /// encoder's tanh layer (empty for one layer).
    func encode(_ params: [Float], _ s: SparseRows, inputs a: [Float], hidden t: inout [Float]) -> [Float] {
        let rows = s.count, e = encoderWidth, f = firstWidth
        var first = [Float](repeating: 0, count: rows * f)
        params.withUnsafeBufferPointer { pp in
            a.withUnsafeBufferPointer { ap in
                first.withUnsafeMutableBufferPointer { fp in
                    LayerOps.sparseAffine(s, ap.baseAddress!, out: f, w: pp.baseAddress! + w1, b: pp.baseAddress! + b1, into: fp.baseAddress!)
                }
            }
        }
        guard deep else { t = []; return first }
        first.withUnsafeMutableBufferPointer { LayerOps.tanhInPlace($0.baseAddress!, $0.count) }
        t = first
        var pre = [Float](repeating: 0, count: rows * e)
        params.withUnsafeBufferPointer { pp in
            t.withUnsafeBufferPointer { tp in
                pre.withUnsafeMutableBufferPointer { hp in
                    LayerOps.affine(tp.baseAddress!, rows: rows, in: hiddenUnits, out: e, w: pp.baseAddress! + wc, b: pp.baseAddress! + bc, into: hp.baseAddress!)
                }
            }
        }
        return pre
    }

    /// Reconstructions (rows x inputs) of codes `h` (rows x dim); `u` gets the deep decoder's tanh layer.
    func decodeRows(_ params: [Float], _ h: [Float], rows: Int, hidden u: inout [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: rows * inputs)
        params.withUnsafeBufferPointer { pp in
            let P = pp.baseAddress!
            if deep {
                u = [Float](repeating: 0, count: rows * hiddenUnits)
                h.withUnsafeBufferPointer { hp in
                    u.withUnsafeMutableBufferPointer { up in
                        LayerOps.affine(hp.baseAddress!, rows: rows, in: dim, out: hiddenUnits, w: P + wh, b: P + bh, into: up.baseAddress!)
                        LayerOps.tanhInPlace(up.baseAddress!, up.count)
                    }
                }
            } else {
                u = []
            }
            (deep ? u : h).withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    LayerOps.affine(xp.baseAddress!, rows: rows, in: lastWidth, out: inputs, w: P + w2, b: P + b2, into: yp.baseAddress!)
                }
            }
        }
        return y
    }

    /// The reconstruction error of each row, without corruption: 1/2 |y - x|^2 over the observed
    /// entries, and over the others (where x is 0).
    public func reconstructionErrors(_ params: [Float], _ s: SparseRows) -> (observed: [Double], missing: [Double]) {
        var g: [Float] = []
        var errors: [Double] = []
        var observed: [Double] = []
        _ = run(params, s, corruptionSeed: nil, gradient: &g, rowErrors: &errors, observedErrors: &observed)
        return (observed, zip(errors, observed).map { $0 - $1 })
    }

    /// The loss of the batch and, when `gradient` has the parameters' length, its gradient.
    public func loss(_ params: [Float], _ s: SparseRows, corruptionSeed: UInt64?, gradient: inout [Float]) -> Double {
        var unused: [Double] = [], unusedObserved: [Double] = []
        return run(params, s, corruptionSeed: corruptionSeed, gradient: &gradient, rowErrors: &unused, observedErrors: &unusedObserved)
    }

    /// D(z) for each row of `z` (rows x dim), and the hidden activations.
    func discriminate(_ params: [Float], _ z: [Float], rows: Int) -> (logits: [Float], hidden: [Float]) {
        let d = dim, w = discriminatorWidth
        var t = [Float](repeating: 0, count: rows * w), out = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var o = params[db2]
            for k in 0..<w {
                var a = params[db1 + k]
                for j in 0..<d { a += z[r * d + j] * params[dw1 + j * w + k] }
                let tv = tanhf(a)
                t[r * w + k] = tv
                o += tv * params[dw2 + k]
            }
            out[r] = o
        }
        return (out, t)
    }

    /// Backward of `discriminate` for rows with dL/dlogit `g`: adds to the discriminator's
    /// gradient when `into` is given, and returns dL/dz.
    func discriminatorBackward(_ params: [Float], _ z: [Float], hidden t: [Float], rows: Int, _ g: [Float],
                               into grad: UnsafeMutablePointer<Float>?) -> [Float] {
        let d = dim, w = discriminatorWidth
        var dz = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows where g[r] != 0 {
            if let grad { grad[db2] += g[r] }
            for k in 0..<w {
                let tv = t[r * w + k]
                if let grad { grad[dw2 + k] += g[r] * tv }
                let da = g[r] * params[dw2 + k] * (1 - tv * tv)
                if let grad { grad[db1 + k] += da }
                for j in 0..<d {
                    if let grad { grad[dw1 + j * w + k] += da * z[r * d + j] }
                    dz[r * d + j] += da * params[dw1 + j * w + k]
                }
            }
        }
        return dz
    }

    /// The discriminator's loss on the batch: mean softplus(-D(p)) over prior samples p (from the
    /// seed, as many as rows) plus mean softplus(D(z)) over the batch's codes; with `gradient` of
    /// the parameters' length, its gradient, non-zero on the discriminator only.
    public func discriminatorLoss(_ params: [Float], _ s: SparseRows, seed: UInt64, gradient: inout [Float]) -> Double {
        precondition(config.kind == .adversarial)
        let rows = s.count, d = dim
        let z = codes(params, s).storage
        var rng = SeededRandom(seed: seed ^ 0xD15C_0000)
        let prior = (0..<(rows * d)).map { _ in rng.normal() }
        let (lp, tp) = discriminate(params, prior, rows: rows), (lz, tz) = discriminate(params, z, rows: rows)
        func softplus(_ x: Float) -> Float { max(x, 0) + log1pf(expf(-abs(x))) }
        func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
        var loss = 0.0
        for r in 0..<rows { loss += Double(softplus(-lp[r]) + softplus(lz[r])) }
        loss /= Double(max(1, rows))
        guard gradient.count == parameterCount else { return loss }
        for j in 0..<gradient.count { gradient[j] = 0 }
        let m = Float(max(1, rows))
        gradient.withUnsafeMutableBufferPointer { gp in
            _ = discriminatorBackward(params, prior, hidden: tp, rows: rows, lp.map { (sigmoid($0) - 1) / m }, into: gp.baseAddress!)
            _ = discriminatorBackward(params, z, hidden: tz, rows: rows, lz.map { sigmoid($0) / m }, into: gp.baseAddress!)
        }
        return loss
    }

    /// Back through a dense layer (`input` rows x `in`, weights and bias at those offsets): adds its
    /// weight and bias gradients for dL/d(output) `dY` and returns dL/d(input).
    private func denseBackward(_ params: [Float], _ gradient: inout [Float], input x: [Float], rows: Int, in width: Int,
                               out: Int, weights: Int, bias: Int, dY: [Float]) -> [Float] {
        var dX = [Float](repeating: 0, count: rows * width)
        params.withUnsafeBufferPointer { pp in
            gradient.withUnsafeMutableBufferPointer { gp in
                x.withUnsafeBufferPointer { xp in
                    dY.withUnsafeBufferPointer { yp in
                        dX.withUnsafeMutableBufferPointer { dp in
                            LayerOps.affineBackward(xp.baseAddress!, rows: rows, in: width, out: out, w: pp.baseAddress! + weights,
                                                    dY: yp.baseAddress!, gW: gp.baseAddress! + weights, gb: gp.baseAddress! + bias,
                                                    dX: dp.baseAddress!)
                        }
                    }
                }
            }
        }
        return dX
    }

    /// d *= 1 - y^2, the tanh derivative from the layer's output y.
    private static func tanhDerivative(_ d: inout [Float], output y: [Float]) {
        y.withUnsafeBufferPointer { yp in d.withUnsafeMutableBufferPointer { LayerOps.tanhBackward(yp.baseAddress!, $0.baseAddress!, $0.count) } }
    }

    /// The loss of the batch, each row's reconstruction errors and, when `gradient` has the parameters'
    /// length, the gradient: forward pass, the loss's terms in a fixed order, then the backward pass.
    private func run(_ params: [Float], _ s: SparseRows, corruptionSeed: UInt64?, gradient: inout [Float],
                     rowErrors: inout [Double], observedErrors: inout [Double]) -> Double {
        let rows = s.count
        let pass = forward(params, s, corruptionSeed: corruptionSeed)
        rowErrors = pass.rowErrors
        observedErrors = pass.observedErrors
        var loss = pass.rowErrors.reduce(0, +) / Double(max(1, rows))
        let scale = 1 / Float(max(1, rows))
        var penalties = PenaltyGradients()
        if config.kind == .sparse {
            let sparsity = sparsityPenalty(pass.code, rows: rows, scale: scale)
            // Added unit by unit, in the order the loss has always summed them.
            for term in sparsity.unitLosses { loss += term }
            penalties.sparsity = sparsity.gradient
        }
        if config.kind == .contractive {
            let contraction = contractivePenalty(params, pass.code, rows: rows, scale: scale)
            loss += contraction.loss
            penalties.contraction = contraction.gradient
            penalties.contractionPerUnit = contraction.perUnit
        }
        if config.kind.isVariational {
            let kl = variationalPenalty(pass.preCode, rows: rows, scale: scale)
            loss += kl.loss
            penalties.divergence = kl.gradient
        }
        if config.kind == .wasserstein, let seed = corruptionSeed, rows > 1 {
            let mmd = wassersteinPenalty(pass.code, rows: rows, seed: seed)
            loss += mmd.loss
            penalties.priorMatch = mmd.gradient
        }
        if config.kind == .adversarial {
            let adversarial = adversarialPenalty(params, pass.code, rows: rows, scale: scale)
            loss += adversarial.loss
            penalties.priorMatch = adversarial.gradient
        }
        loss += weightDecayPenalty(params)
        guard gradient.count == parameterCount else { return loss }
        backward(params, s, pass, penalties, scale: scale, gradient: &gradient)
        return loss
    }

    // MARK: - Forward pass

    /// What the forward pass keeps for the penalties and the backward pass.
    private struct ForwardPass {
        /// The encoder's input per entry (masked and perturbed for the denoising variant).
        var inputs: [Float]
        /// The deep encoder's and decoder's tanh layers (empty for one layer).
        var encoderHidden: [Float], decoderHidden: [Float]
        /// The code layer's output (rows x encoderWidth): the code, or a VAE's mean and log-variance.
        var preCode: [Float]
        /// The decoder's input (rows x dim): the sigmoid or linear code, or the VAE's sample.
        var code: [Float]
        /// The VAE's noise behind the sample (rows x dim; empty otherwise).
        var noise: [Float]
        /// y - x per output (rows x inputs), x the clean row with zeros where nothing was observed.
        var residual: [Float]
        /// Each row's 1/2 |y - x|^2 over all columns, and over the observed entries alone.
        var rowErrors: [Double], observedErrors: [Double]
    }

    /// Encodes the (corrupted) rows, turns the code layer's output into the decoder's input,
    /// decodes, and measures the residuals against the clean rows.
    private func forward(_ params: [Float], _ s: SparseRows, corruptionSeed: UInt64?) -> ForwardPass {
        let inputs = corrupted(s, seed: corruptionSeed)
        var encoderHidden: [Float] = [], decoderHidden: [Float] = []
        let preCode = encode(params, s, inputs: inputs, hidden: &encoderHidden)
        let (code, noise) = activateCode(preCode, rows: s.count, corruptionSeed: corruptionSeed)
        var residual = decodeRows(params, code, rows: s.count, hidden: &decoderHidden)
        let (rowErrors, observedErrors) = subtractTargets(&residual, s)
        return ForwardPass(inputs: inputs, encoderHidden: encoderHidden, decoderHidden: decoderHidden, preCode: preCode,
                           code: code, noise: noise, residual: residual, rowErrors: rowErrors, observedErrors: observedErrors)
    }

    /// The decoder's input from the code layer's output: a VAE's sample mean + eps exp(logvar / 2)
    /// (eps drawn per row from the seed, 0 without one) with its noise, else the code through its sigmoid.
    private func activateCode(_ preCode: [Float], rows: Int, corruptionSeed: UInt64?) -> (code: [Float], noise: [Float]) {
        guard config.kind.isVariational else {
            var code = preCode
            if !config.kind.hasLinearCode { code.withUnsafeMutableBufferPointer { Activation.sigmoid.apply($0.count, $0.baseAddress!) } }
            return (code, [])
        }
        let d = dim, width = encoderWidth
        var code = [Float](repeating: 0, count: rows * d)
        var noise = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows {
            var rng = SeededRandom(seed: (corruptionSeed ?? 0) &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15)
            for j in 0..<d {
                let e: Float = corruptionSeed == nil ? 0 : rng.normal()
                noise[r * d + j] = e
                code[r * d + j] = preCode[r * width + j] + e * expf(0.5 * preCode[r * width + d + j])
            }
        }
        return (code, noise)
    }

    /// Turns reconstructions `y` into residuals y - x (x the clean row) and returns each row's
    /// 1/2 squared error over all columns and over its observed entries.
    private func subtractTargets(_ y: inout [Float], _ s: SparseRows) -> (all: [Double], observed: [Double]) {
        let rows = s.count, n = inputs
        var errors = [Double](repeating: 0, count: rows), observed = errors
        for r in 0..<rows {
            for p in s.rowStart[r]..<s.rowStart[r + 1] {
                let k = r * n + Int(s.columns[p])
                y[k] -= s.values[p]
                observed[r] += 0.5 * Double(y[k] * y[k])
            }
            var e = 0.0
            for i in 0..<n { e += Double(y[r * n + i] * y[r * n + i]) }
            errors[r] = 0.5 * e
        }
        return (errors, observed)
    }

    // MARK: - Penalties

    /// What the penalties add to the backward pass; each is empty unless its variant is on.
    private struct PenaltyGradients {
        /// Sparse: dL/dh per code unit, the same for every row.
        var sparsity: [Float] = []
        /// Contractive: dL/dh per code entry (rows x dim), and sum_r (h(1-h))^2 per unit for W1's gradient.
        var contraction: [Float] = [], contractionPerUnit: [Float] = []
        /// VAE: the KL term's dL/d(mean, log-variance) per entry of the code layer (rows x 2 dim).
        var divergence: [Float] = []
        /// Wasserstein or adversarial: the term's dL/dz per code entry (rows x dim; empty when left out).
        var priorMatch: [Float] = []
    }

    /// Sparse: beta KL(rho || rhoHat_j) for each code unit j (rhoHat_j the batch mean of h_j), and
    /// its dL/dh_j.
    private func sparsityPenalty(_ code: [Float], rows: Int, scale: Float) -> (unitLosses: [Double], gradient: [Float]) {
        let d = dim, rho = config.sparsityTarget, beta = config.sparsityWeight
        var meanActivation = [Float](repeating: 0, count: d)
        for r in 0..<rows { for j in 0..<d { meanActivation[j] += code[r * d + j] } }
        var unitLosses = [Double](repeating: 0, count: d), gradient = [Float](repeating: 0, count: d)
        for j in 0..<d {
            let rhoHat = min(max(meanActivation[j] * scale, 1e-6), 1 - 1e-6)
            unitLosses[j] = Double(beta) * Double(rho * logf(rho / rhoHat) + (1 - rho) * logf((1 - rho) / (1 - rhoHat)))
            gradient[j] = beta * (-rho / rhoHat + (1 - rho) / (1 - rhoHat)) * scale
        }
        return (unitLosses, gradient)
    }

    /// Contractive: lambda / rows sum_r sum_j (h_rj (1 - h_rj))^2 |W1_j|^2, its dL/dh per entry, and
    /// sum_r (h(1-h))^2 per unit, which W1's part of the gradient needs.
    private func contractivePenalty(_ params: [Float], _ code: [Float], rows: Int,
                                    scale: Float) -> (loss: Double, gradient: [Float], perUnit: [Float]) {
        let n = inputs, d = dim, lambda = config.contraction
        var columnNorms = [Float](repeating: 0, count: d)   // sum_i W1_ij^2
        for i in 0..<n { for j in 0..<d { let w = params[w1 + i * d + j]; columnNorms[j] += w * w } }
        var sum = 0.0
        var gradient = [Float](repeating: 0, count: rows * d), perUnit = [Float](repeating: 0, count: d)
        for r in 0..<rows {
            for j in 0..<d {
                let hv = code[r * d + j], g = hv * (1 - hv)
                sum += Double(g * g * columnNorms[j])
                // d/dh (h(1-h))^2 = 2 h(1-h)(1-2h), times |W1_j|^2.
                gradient[r * d + j] = lambda * scale * 2 * g * (1 - 2 * hv) * columnNorms[j]
                perUnit[j] += g * g
            }
        }
        return (Double(lambda) * sum * Double(scale), gradient, perUnit)
    }

    /// VAE: beta x the mean over rows of KL(N(mu, sigma^2) || N(0, I)), and its dL/d(mean, log-variance).
    private func variationalPenalty(_ preCode: [Float], rows: Int, scale: Float) -> (loss: Double, gradient: [Float]) {
        let d = dim, width = encoderWidth, beta = config.effectiveKLWeight
        var kl = 0.0
        var gradient = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for j in 0..<d {
                let mu = preCode[r * width + j], lv = preCode[r * width + d + j]
                kl += 0.5 * Double(expf(lv) + mu * mu - 1 - lv)
                gradient[r * width + j] = beta * scale * mu
                gradient[r * width + d + j] = beta * scale * 0.5 * (expf(lv) - 1)
            }
        }
        return (Double(beta) * kl * Double(scale), gradient)
    }

    /// Wasserstein: lambda x MMD^2 between the codes and as many prior samples (drawn from `seed`),
    /// the unbiased estimate with the inverse multiquadric kernel, and its dL/dz per code.
    private func wassersteinPenalty(_ code: [Float], rows: Int, seed: UInt64) -> (loss: Double, gradient: [Float]) {
        let d = dim
        var rng = SeededRandom(seed: seed ^ 0x5EED_0F_9A55)
        let prior = (0..<(rows * d)).map { _ in rng.normal() }
        let c = Float(2 * d), m = Float(rows)
        var gradient = [Float](repeating: 0, count: rows * d)
        var priorPairs = 0.0, codePairs = 0.0, mixedPairs = 0.0
        for i in 0..<rows {
            for j in 0..<rows {
                if i != j {
                    priorPairs += Double(c / (c + squaredDistance(prior, i, prior, j)))
                    let codeDistance = squaredDistance(code, i, code, j), k = c / (c + codeDistance)
                    codePairs += Double(k)
                    // d k(z_i, z_j) / d z_i = -2 C (z_i - z_j) / (C + r^2)^2, counted for i and for j.
                    let g = -2 * c / ((c + codeDistance) * (c + codeDistance)) * 2 / (m * (m - 1))
                    for t in 0..<d { gradient[i * d + t] += g * (code[i * d + t] - code[j * d + t]) }
                }
                let mixedDistance = squaredDistance(code, i, prior, j)
                mixedPairs += Double(c / (c + mixedDistance))
                let g = 2 * c / ((c + mixedDistance) * (c + mixedDistance)) * 2 / (m * m)
                for t in 0..<d { gradient[i * d + t] += g * (code[i * d + t] - prior[j * d + t]) }
            }
        }
        let mmd = (priorPairs + codePairs) / Double(m * (m - 1)) - 2 * mixedPairs / Double(m * m)
        for k in 0..<gradient.count { gradient[k] *= config.mmdWeight }
        return (Double(config.mmdWeight) * mmd, gradient)
    }

    /// |x_i - y_j|^2 between row i of `x` and row j of `y` (rows of `dim` values).
    private func squaredDistance(_ x: [Float], _ i: Int, _ y: [Float], _ j: Int) -> Float {
        let d = dim
        var sum: Float = 0
        for t in 0..<d { let v = x[i * d + t] - y[j * d + t]; sum += v * v }
        return sum
    }

    /// Adversarial: lambda x mean softplus(-D(z)) with the discriminator held fixed, and its dL/dz.
    private func adversarialPenalty(_ params: [Float], _ code: [Float], rows: Int, scale: Float) -> (loss: Double, gradient: [Float]) {
        let (logits, hidden) = discriminate(params, code, rows: rows)
        var sum = 0.0
        for r in 0..<rows { sum += Double(max(-logits[r], 0) + log1pf(expf(-abs(logits[r])))) }
        let dLogits = logits.map { config.adversarialWeight * scale * (1 / (1 + expf(-$0)) - 1) }
        let gradient = discriminatorBackward(params, code, hidden: hidden, rows: rows, dLogits, into: nil)
        return (Double(config.adversarialWeight) * sum * Double(scale), gradient)
    }

    /// (l2 / 2) x the squared weights of the autoencoder's layers (not their biases, not the discriminator).
    private func weightDecayPenalty(_ params: [Float]) -> Double {
        let n = inputs
        var sq = 0.0
        params.withUnsafeBufferPointer { pp in
            sq = LayerOps.sumOfSquares(pp.baseAddress! + w1, n * firstWidth) + LayerOps.sumOfSquares(pp.baseAddress! + w2, n * lastWidth)
            if deep { sq += LayerOps.sumOfSquares(pp.baseAddress! + wc, hiddenUnits * encoderWidth) + LayerOps.sumOfSquares(pp.baseAddress! + wh, dim * hiddenUnits) }
        }
        return 0.5 * Double(config.l2) * sq
    }

    // MARK: - Backward pass

    /// The gradient (overwritten): the L2 term's, then back through the decoder, the code layer
    /// with the penalties' terms, and the encoder.
    private func backward(_ params: [Float], _ s: SparseRows, _ pass: ForwardPass, _ penalties: PenaltyGradients,
                          scale: Float, gradient: inout [Float]) {
        if config.kind == .adversarial { for j in dw1..<parameterCount { gradient[j] = 0 } }
        for range in [w1..<b1, w2..<b2, wc..<bc, wh..<bh] { for j in range { gradient[j] = config.l2 * params[j] } }
        for range in [b1..<w2, b2..<wc, bc..<wh, bh..<deepEnd] { for j in range { gradient[j] = 0 } }
        let dh = decoderBackward(params, pass, rows: s.count, scale: scale, gradient: &gradient)
        var dz = codeLayerBackward(dh, pass, penalties, rows: s.count)
        if config.kind == .contractive {
            let n = inputs, d = dim, lambda = config.contraction, perUnit = penalties.contractionPerUnit
            for i in 0..<n { for j in 0..<d { gradient[w1 + i * d + j] += lambda * scale * perUnit[j] * 2 * params[w1 + i * d + j] } }
        }
        encoderBackward(params, s, pass, dz: &dz, gradient: &gradient)
    }

    /// Back through the decoder from dL/dy = (y - x) / rows: its weight gradients, and dL/dh
    /// (deep: through its tanh layer too).
    private func decoderBackward(_ params: [Float], _ pass: ForwardPass, rows: Int, scale: Float,
                                 gradient: inout [Float]) -> [Float] {
        var dY = pass.residual
        for j in 0..<dY.count { dY[j] *= scale }
        var dh = denseBackward(params, &gradient, input: deep ? pass.decoderHidden : pass.code, rows: rows, in: lastWidth,
                               out: inputs, weights: w2, bias: b2, dY: dY)
        if deep {
            Self.tanhDerivative(&dh, output: pass.decoderHidden)
            dh = denseBackward(params, &gradient, input: pass.code, rows: rows, in: dim, out: hiddenUnits, weights: wh, bias: bh, dY: dh)
        }
        return dh
    }

    /// dL/d(code layer output) (rows x encoderWidth) from dL/dh and the penalties: through a VAE's
    /// sample, a linear code, or the sigmoid.
    private func codeLayerBackward(_ dh: [Float], _ pass: ForwardPass, _ penalties: PenaltyGradients, rows: Int) -> [Float] {
        if config.kind.isVariational { return variationalCodeBackward(dh, pass, penalties, rows: rows) }
        let d = dim
        var dz = [Float](repeating: 0, count: rows * encoderWidth)
        if config.kind.hasLinearCode {
            let priorMatch = penalties.priorMatch
            for r in 0..<rows {
                for j in 0..<d { dz[r * d + j] = dh[r * d + j] + (priorMatch.isEmpty ? 0 : priorMatch[r * d + j]) }
            }
            return dz
        }
        for r in 0..<rows {
            for j in 0..<d {
                let hv = pass.code[r * d + j], g = hv * (1 - hv)
                var dhv = dh[r * d + j]
                if config.kind == .sparse { dhv += penalties.sparsity[j] }
                if config.kind == .contractive { dhv += penalties.contraction[r * d + j] }
                dz[r * d + j] = dhv * g
            }
        }
        return dz
    }

    /// A VAE's dL/dh back through the sample mean + eps exp(logvar / 2) to the mean and the
    /// log-variance, plus the KL term's.
    private func variationalCodeBackward(_ dh: [Float], _ pass: ForwardPass, _ penalties: PenaltyGradients, rows: Int) -> [Float] {
        let d = dim, width = encoderWidth, divergence = penalties.divergence
        var dz = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for j in 0..<d {
                let lv = pass.preCode[r * width + d + j], dhv = dh[r * d + j]
                dz[r * width + j] = dhv + divergence[r * width + j]
                dz[r * width + d + j] = dhv * pass.noise[r * d + j] * 0.5 * expf(0.5 * lv) + divergence[r * width + d + j]
            }
        }
        return dz
    }

    /// Back from dL/d(code layer output) through the encoder: (deep) the code layer and its tanh
    /// layer, then the sparse first layer's weight gradients.
    private func encoderBackward(_ params: [Float], _ s: SparseRows, _ pass: ForwardPass, dz: inout [Float],
                                 gradient: inout [Float]) {
        if deep {
            dz = denseBackward(params, &gradient, input: pass.encoderHidden, rows: s.count, in: hiddenUnits, out: encoderWidth,
                               weights: wc, bias: bc, dY: dz)
            Self.tanhDerivative(&dz, output: pass.encoderHidden)
        }
        gradient.withUnsafeMutableBufferPointer { gp in
            pass.inputs.withUnsafeBufferPointer { ap in
                dz.withUnsafeBufferPointer { dp in
                    LayerOps.sparseAffineBackward(s, ap.baseAddress!, inputs: inputs, out: firstWidth, dY: dp.baseAddress!,
                                                  gW: gp.baseAddress! + w1, gb: gp.baseAddress! + b1)
                }
            }
        }
    }
}
