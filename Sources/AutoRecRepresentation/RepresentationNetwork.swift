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

    private func run(_ params: [Float], _ s: SparseRows, corruptionSeed: UInt64?, gradient: inout [Float],
                     rowErrors: inout [Double], observedErrors: inout [Double]) -> Double {
        let rows = s.count, n = inputs, d = dim, ew = encoderWidth
        let variational = config.kind.isVariational
        let wantGrad = gradient.count == parameterCount
        let a = corrupted(s, seed: corruptionSeed)
        // pre: the code layer's output; h: the decoder's input (sigmoid code, or the VAE's sample);
        // t and u: the deep encoder's and decoder's tanh layers.
        var t: [Float] = [], u: [Float] = []
        let pre = encode(params, s, inputs: a, hidden: &t)
        var h = [Float](repeating: 0, count: rows * d)
        var eps = [Float](repeating: 0, count: variational ? rows * d : 0)
        do {
            if variational {
                for r in 0..<rows {
                    var rng = SeededRandom(seed: (corruptionSeed ?? 0) &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15)
                    for j in 0..<d {
                        let e: Float = corruptionSeed == nil ? 0 : rng.normal()
                        eps[r * d + j] = e
                        h[r * d + j] = pre[r * ew + j] + e * expf(0.5 * pre[r * ew + d + j])
                    }
                }
            } else {
                h = pre
                if !config.kind.hasLinearCode { h.withUnsafeMutableBufferPointer { Activation.sigmoid.apply($0.count, $0.baseAddress!) } }
            }
        }
        var y = decodeRows(params, h, rows: rows, hidden: &u)
        // dL/dy = (y - x) / rows, with x the clean row (zeros where nothing was observed).
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
        rowErrors = errors
        observedErrors = observed
        var loss = errors.reduce(0, +) / Double(max(1, rows))
        let scale = 1 / Float(max(1, rows))
        // Code statistics for the penalties.
        var rhoHat = [Float](repeating: 0, count: d)
        var colNorm = [Float](repeating: 0, count: d)   // sum_i W1_ij^2
        if config.kind == .sparse {
            for r in 0..<rows { for j in 0..<d { rhoHat[j] += h[r * d + j] } }
            let rho = config.sparsityTarget
            for j in 0..<d {
                rhoHat[j] = min(max(rhoHat[j] * scale, 1e-6), 1 - 1e-6)
                loss += Double(config.sparsityWeight) * Double(rho * logf(rho / rhoHat[j]) + (1 - rho) * logf((1 - rho) / (1 - rhoHat[j])))
            }
        }
        if config.kind == .contractive {
            for i in 0..<n { for j in 0..<d { let w = params[w1 + i * d + j]; colNorm[j] += w * w } }
            var c = 0.0
            for r in 0..<rows { for j in 0..<d { let g = h[r * d + j] * (1 - h[r * d + j]); c += Double(g * g * colNorm[j]) } }
            loss += Double(config.contraction) * c * Double(scale)
        }
        let beta = config.effectiveKLWeight
        if variational {
            var kl = 0.0
            for r in 0..<rows {
                for j in 0..<d {
                    let mu = pre[r * ew + j], lv = pre[r * ew + d + j]
                    kl += 0.5 * Double(expf(lv) + mu * mu - 1 - lv)
                }
            }
            loss += Double(beta) * kl * Double(scale)
        }
        // Wasserstein: MMD^2 between the codes and as many prior samples, and its gradient per code.
        var dMMD = [Float](repeating: 0, count: config.kind == .wasserstein ? rows * d : 0)
        if config.kind == .wasserstein, let seed = corruptionSeed, rows > 1 {
            var rng = SeededRandom(seed: seed ^ 0x5EED_0F_9A55)
            let prior = (0..<(rows * d)).map { _ in rng.normal() }
            let c = Float(2 * d), m = Float(rows)
            func dist2(_ x: [Float], _ i: Int, _ y: [Float], _ j: Int) -> Float {
                var s: Float = 0
                for t in 0..<d { let v = x[i * d + t] - y[j * d + t]; s += v * v }
                return s
            }
            var pp = 0.0, zz = 0.0, zp = 0.0
            for i in 0..<rows {
                for j in 0..<rows {
                    if i != j {
                        pp += Double(c / (c + dist2(prior, i, prior, j)))
                        let dzz = dist2(h, i, h, j), k = c / (c + dzz)
                        zz += Double(k)
                        // d k(z_i, z_j) / d z_i = -2 C (z_i - z_j) / (C + r^2)^2, counted for i and for j.
                        let g = -2 * c / ((c + dzz) * (c + dzz)) * 2 / (m * (m - 1))
                        for t in 0..<d { dMMD[i * d + t] += g * (h[i * d + t] - h[j * d + t]) }
                    }
                    let dzp = dist2(h, i, prior, j)
                    zp += Double(c / (c + dzp))
                    let g = 2 * c / ((c + dzp) * (c + dzp)) * 2 / (m * m)
                    for t in 0..<d { dMMD[i * d + t] += g * (h[i * d + t] - prior[j * d + t]) }
                }
            }
            let mmd = (pp + zz) / Double(m * (m - 1)) - 2 * zp / Double(m * m)
            loss += Double(config.mmdWeight) * mmd
            for k in 0..<dMMD.count { dMMD[k] *= config.mmdWeight }
        } else {
            dMMD = []
        }
        // Adversarial: lambda x mean softplus(-D(z)) with the discriminator fixed; its dL/dz joins dMMD's slot.
        if config.kind == .adversarial {
            let (lz, tz) = discriminate(params, h, rows: rows)
            var adv = 0.0
            for r in 0..<rows { adv += Double(max(-lz[r], 0) + log1pf(expf(-abs(lz[r])))) }
            loss += Double(config.adversarialWeight) * adv * Double(scale)
            let g = lz.map { config.adversarialWeight * scale * (1 / (1 + expf(-$0)) - 1) }
            dMMD = discriminatorBackward(params, h, hidden: tz, rows: rows, g, into: nil)
        }
        var sq = 0.0
        params.withUnsafeBufferPointer { pp in
            sq = LayerOps.sumOfSquares(pp.baseAddress! + w1, n * firstWidth) + LayerOps.sumOfSquares(pp.baseAddress! + w2, n * lastWidth)
            if deep { sq += LayerOps.sumOfSquares(pp.baseAddress! + wc, hiddenUnits * ew) + LayerOps.sumOfSquares(pp.baseAddress! + wh, d * hiddenUnits) }
        }
        loss += 0.5 * Double(config.l2) * sq
        guard wantGrad else { return loss }

        if config.kind == .adversarial { for j in dw1..<parameterCount { gradient[j] = 0 } }
        for range in [w1..<b1, w2..<b2, wc..<bc, wh..<bh] { for j in range { gradient[j] = config.l2 * params[j] } }
        for range in [b1..<w2, b2..<wc, bc..<wh, bh..<deepEnd] { for j in range { gradient[j] = 0 } }
        for j in 0..<y.count { y[j] *= scale }
        // Back through the decoder: dL/d(its input), then (deep) through its tanh layer to dL/dh.
        var dh = denseBackward(params, &gradient, input: deep ? u : h, rows: rows, in: lastWidth, out: n,
                               weights: w2, bias: b2, dY: y)
        if deep {
            Self.tanhDerivative(&dh, output: u)
            dh = denseBackward(params, &gradient, input: h, rows: rows, in: d, out: hiddenUnits, weights: wh, bias: bh, dY: dh)
        }
        if config.kind == .sparse {
            let rho = config.sparsityTarget, beta = config.sparsityWeight
            for j in 0..<d {
                let dk = beta * (-rho / rhoHat[j] + (1 - rho) / (1 - rhoHat[j])) * scale
                for r in 0..<rows { dh[r * d + j] += dk }
            }
        }
        // Through the sigmoid; the contractive term adds d/dh (h(1-h))^2 = 2 h(1-h)(1-2h) times |W1_j|^2.
        // A VAE goes through the sample to mean and log-variance instead, plus the KL term.
        var dz = [Float](repeating: 0, count: rows * ew)
        let lambda = config.contraction
        var gPerUnit = [Float](repeating: 0, count: d)   // sum_r (h(1-h))^2 per unit, for the W1 term
        for r in 0..<rows where variational {
            for j in 0..<d {
                let mu = pre[r * ew + j], lv = pre[r * ew + d + j], dhv = dh[r * d + j]
                dz[r * ew + j] = dhv + beta * scale * mu
                dz[r * ew + d + j] = dhv * eps[r * d + j] * 0.5 * expf(0.5 * lv) + beta * scale * 0.5 * (expf(lv) - 1)
            }
        }
        for r in 0..<rows where config.kind == .wasserstein || config.kind == .adversarial {
            for j in 0..<d { dz[r * d + j] = dh[r * d + j] + (dMMD.isEmpty ? 0 : dMMD[r * d + j]) }
        }
        for r in 0..<rows where !config.kind.hasLinearCode {
            for j in 0..<d {
                let hv = h[r * d + j], g = hv * (1 - hv)
                var dhv = dh[r * d + j]
                if config.kind == .contractive {
                    dhv += lambda * scale * 2 * g * (1 - 2 * hv) * colNorm[j]
                    gPerUnit[j] += g * g
                }
                dz[r * d + j] = dhv * g
            }
        }
        if config.kind == .contractive {
            for i in 0..<n { for j in 0..<d { gradient[w1 + i * d + j] += lambda * scale * gPerUnit[j] * 2 * params[w1 + i * d + j] } }
        }
        // Deep: back through the code layer and the encoder's tanh layer to the first layer's output.
        if deep {
            dz = denseBackward(params, &gradient, input: t, rows: rows, in: hiddenUnits, out: ew, weights: wc, bias: bc, dY: dz)
            Self.tanhDerivative(&dz, output: t)
        }
        gradient.withUnsafeMutableBufferPointer { gp in
            a.withUnsafeBufferPointer { ap in
                dz.withUnsafeBufferPointer { dp in
                    LayerOps.sparseAffineBackward(s, ap.baseAddress!, inputs: n, out: firstWidth, dY: dp.baseAddress!,
                                                  gW: gp.baseAddress! + w1, gb: gp.baseAddress! + b1)
                }
            }
        }
        return loss
    }
}
