import Linalg
#if canImport(Glibc)
import Glibc
#endif

/// A small multi-label MLP probe: standardised features (with a constant column) -> one tanh layer
/// -> one logit per label, trained by Adam on the full batch with the same positive weighting as
/// the logistic probe (negatives/positives per label) and L2 on the weights. It asks whether an
/// embedding holds the labels non-linearly, where one logistic regression per label cannot tell.
public struct MLPProbe {
    public let inputs: Int, hidden: Int, labels: Int
    /// Weights, flat: W1 (inputs x hidden), then W2 (hidden x labels), then b2 (labels).
    public private(set) var parameters: [Float]

    public var parameterCount: Int { inputs * hidden + hidden * labels + labels }

    public init(inputs: Int, hidden: Int, labels: Int, seed: UInt64) {
        self.inputs = inputs; self.hidden = hidden; self.labels = labels
        var rng = SeededRandom(seed: seed)
        var p = [Float](repeating: 0, count: inputs * hidden + hidden * labels + labels)
        let s1 = 1 / Float(inputs).squareRoot(), s2 = 1 / Float(hidden).squareRoot()
        for j in 0..<(inputs * hidden) { p[j] = rng.normal() * s1 }
        for j in (inputs * hidden)..<(inputs * hidden + hidden * labels) { p[j] = rng.normal() * s2 }
        parameters = p
    }

    /// The weighted cross-entropy (mean over rows) plus L2/2 on W1 and W2, and its gradient.
    /// `targets` is rows x labels of 0/1; `positiveWeights` one weight per label for its positives.
    public func loss(_ p: [Float], x: Matrix, targets: Matrix, positiveWeights: [Float], l2: Float,
                     gradient: inout [Float]) -> Double {
        let (w1, w2, b2) = split(p)
        let n = x.rows
        var a = BLAS.matmul(x, w1)
        for j in 0..<a.storage.count { a.storage[j] = tanhf(a.storage[j]) }
        var z = BLAS.matmul(a, w2)
        var loss = 0.0
        for r in 0..<n {
            for j in 0..<labels {
                let logit = z[r, j] + b2[j], y = targets[r, j]
                let weight = y > 0 ? positiveWeights[j] : 1
                // log(1 + e^-|t|) + max(t, 0) - y t: the cross-entropy without overflow.
                loss += Double(weight * (log1pf(expf(-abs(logit))) + max(logit, 0) - y * logit))
                z[r, j] = weight * (1 / (1 + expf(-logit)) - y) / Float(n)
            }
        }
        loss /= Double(n)
        let gw2 = BLAS.matmul(a, transposeA: true, z)
        var da = BLAS.matmul(z, w2, transposeB: true)
        for j in 0..<da.storage.count { da.storage[j] *= 1 - a.storage[j] * a.storage[j] }
        let gw1 = BLAS.matmul(x, transposeA: true, da)
        let o1 = inputs * hidden, o2 = o1 + hidden * labels
        for j in 0..<o1 { gradient[j] = gw1.storage[j] + l2 * p[j] }
        for j in 0..<(hidden * labels) { gradient[o1 + j] = gw2.storage[j] + l2 * p[o1 + j] }
        for j in 0..<labels { var s: Float = 0; for r in 0..<n { s += z[r, j] }; gradient[o2 + j] = s }
        var squares = 0.0
        for j in 0..<o2 { squares += Double(p[j] * p[j]) }
        return loss + 0.5 * Double(l2) * squares
    }

    /// Trains on `x` (standardised, constant column last) for `iterations` Adam steps.
    public mutating func fit(x: Matrix, targets: Matrix, l2: Float = 1e-3, iterations: Int = 300, learningRate: Float = 0.01) {
        var positiveWeights = [Float](repeating: 1, count: labels)
        for j in 0..<labels {
            var positives: Float = 0
            for r in 0..<x.rows { positives += targets[r, j] }
            if positives > 0 { positiveWeights[j] = (Float(x.rows) - positives) / positives }
        }
        var g = [Float](repeating: 0, count: parameterCount), m = g, v = g
        for t in 1...iterations {
            _ = loss(parameters, x: x, targets: targets, positiveWeights: positiveWeights, l2: l2, gradient: &g)
            let c1 = 1 - powf(0.9, Float(t)), c2 = 1 - powf(0.999, Float(t))
            for j in 0..<parameterCount {
                m[j] = 0.9 * m[j] + 0.1 * g[j]; v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j]
                parameters[j] -= learningRate * (m[j] / c1) / ((v[j] / c2).squareRoot() + 1e-8)
            }
        }
    }

    /// The logits of the rows of `x`, rows x labels (positive: the label is predicted).
    public func logits(_ x: Matrix) -> Matrix {
        let (w1, w2, b2) = split(parameters)
        var a = BLAS.matmul(x, w1)
        for j in 0..<a.storage.count { a.storage[j] = tanhf(a.storage[j]) }
        var z = BLAS.matmul(a, w2)
        for r in 0..<z.rows { for j in 0..<labels { z[r, j] += b2[j] } }
        return z
    }

    private func split(_ p: [Float]) -> (Matrix, Matrix, [Float]) {
        let o1 = inputs * hidden, o2 = o1 + hidden * labels
        return (Matrix(rows: inputs, cols: hidden, storage: Array(p[0..<o1])),
                Matrix(rows: hidden, cols: labels, storage: Array(p[o1..<o2])), Array(p[o2...]))
    }
}
