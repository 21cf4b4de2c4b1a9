import Linalg
#if canImport(Glibc)
import Glibc
#endif
import AutoRecCore

/// Adversarially learned inference (Dumoulin et al. 2017; the survey's 6.2) for rating vectors: an
/// encoder q(z|x) (a Gaussian code, mean and log-variance linear in x), a decoder p(x|z) (sigmoid
/// outputs), and a discriminator D(x, z) (one tanh layer over x and z together) that tells encoder
/// pairs (x, z ~ q(z|x)) from decoder pairs (x~ ~ p(x|z), z ~ N(0, I)). They train in turn: D by
/// its loss, the encoder and decoder by the swapped one (to fool it). No reconstruction term: the
/// encoder and decoder meet only through D, which is why ALI is known to reconstruct loosely.
/// Parameters, flat: encoder (W_mu, W_lv: inputs x dim; b_mu, b_lv), decoder (dim x inputs; bias),
/// discriminator (A_x: inputs x width, A_z: dim x width, c, v: width, b).
public struct ALINetwork: Sendable {
    public let inputs: Int, dim: Int, width: Int

    public init(inputs: Int, dim: Int, width: Int) { self.inputs = inputs; self.dim = dim; self.width = width }

    var wMu: Int { 0 }
    var wLv: Int { inputs * dim }
    var bMu: Int { 2 * inputs * dim }
    var bLv: Int { bMu + dim }
    var gW: Int { bLv + dim }
    var gB: Int { gW + dim * inputs }
    var aX: Int { gB + inputs }
    var aZ: Int { aX + inputs * width }
    var dC: Int { aZ + dim * width }
    var dV: Int { dC + width }
    var dB: Int { dV + width }
    public var parameterCount: Int { dB + 1 }
    /// Which parameters each player owns.
    public var encoderDecoder: Range<Int> { 0..<aX }
    public var discriminator: Range<Int> { aX..<parameterCount }

    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var p = [Float](repeating: 0, count: parameterCount)
        let si = 1 / Float(inputs).squareRoot(), sd = 1 / Float(dim).squareRoot()
        for j in 0..<(2 * inputs * dim) { p[j] = rng.normal() * si }
        for j in 0..<dim { p[bLv + j] = -4 }
        for j in gW..<gB { p[j] = rng.normal() * sd }
        for j in aX..<aZ { p[j] = rng.normal() * si }
        for j in aZ..<dC { p[j] = rng.normal() * sd }
        for j in dV..<dB { p[j] = rng.normal() / Float(width).squareRoot() }
        return p
    }

    /// The code's mean and log-variance for the rows of `s` (rows x dim each).
    public func encode(_ p: [Float], _ s: SparseRows) -> (mu: [Float], logVariance: [Float]) {
        var mu = [Float](repeating: 0, count: s.count * dim), lv = mu
        p.withUnsafeBufferPointer { pp in
            s.values.withUnsafeBufferPointer { a in
                mu.withUnsafeMutableBufferPointer { LayerOps.sparseAffine(s, a.baseAddress!, out: dim, w: pp.baseAddress! + wMu, b: pp.baseAddress! + bMu, into: $0.baseAddress!) }
                lv.withUnsafeMutableBufferPointer { LayerOps.sparseAffine(s, a.baseAddress!, out: dim, w: pp.baseAddress! + wLv, b: pp.baseAddress! + bLv, into: $0.baseAddress!) }
            }
        }
        return (mu, lv)
    }

    /// The decoder's outputs (rows x inputs) for codes `z` (rows x dim).
    public func decode(_ p: [Float], codes z: [Float], rows: Int) -> [Float] {
        var y = [Float](repeating: 0, count: rows * inputs)
        p.withUnsafeBufferPointer { pp in
            z.withUnsafeBufferPointer { zp in
                y.withUnsafeMutableBufferPointer {
                    LayerOps.affine(zp.baseAddress!, rows: rows, in: dim, out: inputs, w: pp.baseAddress! + gW, b: pp.baseAddress! + gB, into: $0.baseAddress!)
                }
            }
        }
        for j in 0..<y.count { y[j] = 1 / (1 + expf(-y[j])) }
        return y
    }

    /// D's logits and hidden layer for pairs (x, z): x sparse (`s`) or dense (`dense`, rows x inputs).
    func discriminate(_ p: [Float], sparse s: SparseRows?, dense: [Float]?, z: [Float], rows: Int) -> (logits: [Float], hidden: [Float]) {
        var t = [Float](repeating: 0, count: rows * width)
        p.withUnsafeBufferPointer { pp in
            t.withUnsafeMutableBufferPointer { tp in
                let P = pp.baseAddress!
                if let s {
                    s.values.withUnsafeBufferPointer { a in LayerOps.sparseAffine(s, a.baseAddress!, out: width, w: P + aX, b: P + dC, into: tp.baseAddress!) }
                } else if let dense {
                    dense.withUnsafeBufferPointer { x in LayerOps.affine(x.baseAddress!, rows: rows, in: inputs, out: width, w: P + aX, b: P + dC, into: tp.baseAddress!) }
                }
                z.withUnsafeBufferPointer { zp in
                    BLAS.gemm(m: rows, n: width, k: dim, zp.baseAddress!, lda: dim, P + aZ, ldb: width, tp.baseAddress!, ldc: width, beta: 1)
                }
            }
        }
        for j in 0..<t.count { t[j] = tanhf(t[j]) }
        let logits = (0..<rows).map { r in (0..<width).reduce(p[dB]) { $0 + t[r * width + $1] * p[dV + $1] } }
        return (logits, t)
    }

    /// Back through D for dL/dlogit `g` per row: D's gradients into `gradient` when `ownGradient`,
    /// and dL/dz and (dense x) dL/dx returned.
    func discriminatorBackward(_ p: [Float], sparse s: SparseRows?, dense: [Float]?, z: [Float], hidden t: [Float], g: [Float],
                               ownGradient: Bool, gradient: inout [Float]) -> (dz: [Float], dx: [Float]) {
        let rows = g.count
        var da = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for k in 0..<width { da[r * width + k] = g[r] * p[dV + k] * (1 - t[r * width + k] * t[r * width + k]) }
            if ownGradient {
                gradient[dB] += g[r]
                for k in 0..<width { gradient[dV + k] += g[r] * t[r * width + k]; gradient[dC + k] += da[r * width + k] }
            }
        }
        var dz = [Float](repeating: 0, count: rows * dim)
        var dx = [Float](repeating: 0, count: dense == nil ? 0 : rows * inputs)
        p.withUnsafeBufferPointer { pp in
            gradient.withUnsafeMutableBufferPointer { gp in
                let P = pp.baseAddress!, G = gp.baseAddress!
                da.withUnsafeBufferPointer { dp in
                    z.withUnsafeBufferPointer { zp in
                        if ownGradient { BLAS.gemm(m: dim, n: width, k: rows, zp.baseAddress!, lda: dim, transposeA: true, dp.baseAddress!, ldb: width, G + aZ, ldc: width, beta: 1) }
                        BLAS.gemm(m: rows, n: dim, k: width, dp.baseAddress!, lda: width, P + aZ, ldb: width, transposeB: true, &dz, ldc: dim)
                    }
                    if let s, ownGradient {
                        for r in 0..<rows {
                            for q in s.rowStart[r]..<s.rowStart[r + 1] { Kernels.axpy(width, s.values[q], dp.baseAddress! + r * width, G + aX + Int(s.columns[q]) * width) }
                        }
                    }
                    if let dense {
                        dense.withUnsafeBufferPointer { xp in
                            if ownGradient { BLAS.gemm(m: inputs, n: width, k: rows, xp.baseAddress!, lda: inputs, transposeA: true, dp.baseAddress!, ldb: width, G + aX, ldc: width, beta: 1) }
                        }
                        BLAS.gemm(m: rows, n: inputs, k: width, dp.baseAddress!, lda: width, P + aX, ldb: width, transposeB: true, &dx, ldc: inputs)
                    }
                }
            }
        }
        return (dz, dx)
    }

    /// One step's draws: the encoder's noise and the prior codes, from `seed`.
    func draws(rows: Int, seed: UInt64) -> (eps: [Float], prior: [Float]) {
        var rng = SeededRandom(seed: seed)
        return ((0..<(rows * dim)).map { _ in rng.normal() }, (0..<(rows * dim)).map { _ in rng.normal() })
    }

    /// Both players' losses on the batch for the draws of `seed`: D's (mean softplus(-D(x, z_q)) +
    /// softplus(D(x~, z_p))) when `discriminatorTurn`, else the encoder's and decoder's (the labels
    /// swapped). The gradient (overwritten, when it has the parameters' length) is non-zero on the
    /// player's own parameters only.
    public func loss(_ p: [Float], _ s: SparseRows, seed: UInt64, discriminatorTurn: Bool, gradient: inout [Float]) -> Double {
        let rows = s.count
        let (eps, prior) = draws(rows: rows, seed: seed)
        let (mu, rawLv) = encode(p, s)
        // The log-variance is clamped to [-8, 4] (its gradient is zero outside): an adversary alone
        // can push it to overflow otherwise.
        let lv = rawLv.map { min(max($0, -8), 4) }
        var zq = mu
        for j in 0..<zq.count { zq[j] += eps[j] * expf(0.5 * lv[j]) }
        let fake = decode(p, codes: prior, rows: rows)
        let (lr, tr) = discriminate(p, sparse: s, dense: nil, z: zq, rows: rows)
        let (lf, tf) = discriminate(p, sparse: nil, dense: fake, z: prior, rows: rows)
        func softplus(_ x: Float) -> Float { max(x, 0) + log1pf(expf(-abs(x))) }
        func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
        let m = Double(max(1, rows))
        var loss = 0.0
        for r in 0..<rows { loss += Double(discriminatorTurn ? softplus(-lr[r]) + softplus(lf[r]) : softplus(lr[r]) + softplus(-lf[r])) }
        loss /= m
        guard gradient.count == parameterCount else { return loss }
        for j in 0..<gradient.count { gradient[j] = 0 }
        let gr = lr.map { Float(Double(discriminatorTurn ? sigmoid($0) - 1 : sigmoid($0)) / m) }
        let gf = lf.map { Float(Double(discriminatorTurn ? sigmoid($0) : sigmoid($0) - 1) / m) }
        let real = discriminatorBackward(p, sparse: s, dense: nil, z: zq, hidden: tr, g: gr, ownGradient: discriminatorTurn, gradient: &gradient)
        let made = discriminatorBackward(p, sparse: nil, dense: fake, z: prior, hidden: tf, g: gf, ownGradient: discriminatorTurn, gradient: &gradient)
        if discriminatorTurn { return loss }
        // The encoder, through z_q = mu + eps exp(lv / 2).
        for r in 0..<rows {
            for q in s.rowStart[r]..<s.rowStart[r + 1] {
                let col = Int(s.columns[q]), x = s.values[q]
                for j in 0..<dim {
                    let dz = real.dz[r * dim + j], inside: Float = rawLv[r * dim + j] == lv[r * dim + j] ? 1 : 0
                    gradient[wMu + col * dim + j] += x * dz
                    gradient[wLv + col * dim + j] += inside * x * dz * eps[r * dim + j] * 0.5 * expf(0.5 * lv[r * dim + j])
                }
            }
            for j in 0..<dim {
                let dz = real.dz[r * dim + j], inside: Float = rawLv[r * dim + j] == lv[r * dim + j] ? 1 : 0
                gradient[bMu + j] += dz
                gradient[bLv + j] += inside * dz * eps[r * dim + j] * 0.5 * expf(0.5 * lv[r * dim + j])
            }
        }
        // The decoder, through its sigmoid outputs.
        var dPre = made.dx
        for j in 0..<dPre.count { dPre[j] *= fake[j] * (1 - fake[j]) }
        gradient.withUnsafeMutableBufferPointer { gp in
            prior.withUnsafeBufferPointer { zp in
                dPre.withUnsafeBufferPointer { dp in
                    BLAS.gemm(m: dim, n: inputs, k: rows, zp.baseAddress!, lda: dim, transposeA: true, dp.baseAddress!, ldb: inputs, gp.baseAddress! + gW, ldc: inputs, beta: 1)
                    for r in 0..<rows { Kernels.axpy(inputs, 1, dp.baseAddress! + r * inputs, gp.baseAddress! + gB) }
                }
            }
        }
        return loss
    }

    /// Each row's squared reconstruction error G(mu(x)) against x, over its observed entries and
    /// over the others (where x is 0).
    public func reconstructionErrors(_ p: [Float], _ s: SparseRows) -> (observed: [Double], missing: [Double]) {
        let rows = s.count
        let y = decode(p, codes: encode(p, s).mu, rows: rows)
        var observed = [Double](repeating: 0, count: rows), missing = observed
        for r in 0..<rows {
            var all = 0.0
            for i in 0..<inputs { all += Double(y[r * inputs + i] * y[r * inputs + i]) }
            var seenSquares = 0.0, err = 0.0
            for q in s.rowStart[r]..<s.rowStart[r + 1] {
                let o = y[r * inputs + Int(s.columns[q])]
                seenSquares += Double(o * o); err += Double((o - s.values[q]) * (o - s.values[q]))
            }
            observed[r] = err; missing[r] = all - seenSquares
        }
        return (observed, missing)
    }
}
