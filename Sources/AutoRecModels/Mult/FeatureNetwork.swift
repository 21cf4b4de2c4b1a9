import Foundation
import Linalg
import AutoRecCore

/// The frozen feature network phi of the feature-consistent VAE (Hou et al. 2017, DFC-VAE; the
/// survey's 6.4), for rating vectors: the first layer of a trained Mult-DAE (or Mult-VAE),
/// phi(x) = tanh(W^T x / |x| + b). Its weights never change while the VAE trains.
public struct FeatureNetwork: Sendable {
    public let items: Int
    public let width: Int
    /// items x width, input-major (row i: what item i adds to every feature).
    public let weights: [Float]
    public let bias: [Float]

    public init(items: Int, width: Int, weights: [Float], bias: [Float]) {
        precondition(weights.count == items * width && bias.count == width)
        self.items = items; self.width = width; self.weights = weights; self.bias = bias
    }

    /// The first layer of `model`, its rows aligned with `itemIDs` (an item it never saw gets zeros).
    public init(firstLayerOf model: MultAutoencoder, itemIDs: IDMap) {
        let layer = model.network.layers[0]
        var w = [Float](repeating: 0, count: itemIDs.count * layer.outputs)
        for i in 0..<itemIDs.count {
            guard let j = model.items.index(of: itemIDs.id(at: i)).map(Int.init) else { continue }
            for f in 0..<layer.outputs { w[i * layer.outputs + f] = model.parameters[layer.w + j * layer.outputs + f] }
        }
        self.init(items: itemIDs.count, width: layer.outputs, weights: w,
                  bias: Array(model.parameters[layer.b..<(layer.b + layer.outputs)]))
    }

    /// The feature term weight x mean over rows of |phi(x) - phi(pi)|^2, where x are the batch's
    /// interactions and pi = softmax(logits) the decoder's distribution; adds its gradient w.r.t.
    /// the logits to `dLogits` (when it has rows x items values) and returns the term.
    func addTerm(logits: [Float], batch s: SparseRows, weight: Float, dLogits: inout [Float]) -> Double {
        let rows = s.count
        let target = targetFeatures(s)
        let decoded = Self.normalizedSoftmax(logits, rows: rows, items: items)
        let features = decodedFeatures(decoded.unit, rows: rows)
        var term = 0.0
        for j in 0..<target.count { let d = features[j] - target[j]; term += Double(d * d) }
        term *= Double(weight) / Double(max(1, rows))
        guard dLogits.count == rows * items else { return term }
        addGradient(features: features, target: target, decoded, weight: weight, rows: rows, dLogits: &dLogits)
        return term
    }

    /// phi(x) (rows x width): the batch's interaction rows at unit length through the frozen layer.
    private func targetFeatures(_ s: SparseRows) -> [Float] {
        var unit = [Float](repeating: 0, count: s.values.count)
        for r in 0..<s.count {
            let range = s.rowStart[r]..<s.rowStart[r + 1]
            let norm = range.reduce(Float(0)) { $0 + s.values[$1] * s.values[$1] }.squareRoot()
            for p in range { unit[p] = norm > 0 ? s.values[p] / norm : 0 }
        }
        var target = [Float](repeating: 0, count: s.count * width)
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                unit.withUnsafeBufferPointer { u in
                    target.withUnsafeMutableBufferPointer { t in
                        LayerOps.sparseAffine(s, u.baseAddress!, out: width, w: w.baseAddress!, b: b.baseAddress!, into: t.baseAddress!)
                    }
                }
            }
        }
        for j in 0..<target.count { target[j] = tanhf(target[j]) }
        return target
    }

    /// The decoder's distribution per row: pi = softmax(logits), its length and pi / |pi| (rows x items).
    private struct NormalizedSoftmax {
        var pi: [Float], unit: [Float], norms: [Float]
    }

    /// pi, |pi| and pi / |pi| for each row of `logits` (rows x items).
    private static func normalizedSoftmax(_ logits: [Float], rows: Int, items n: Int) -> NormalizedSoftmax {
        var pi = [Float](repeating: 0, count: rows * n), piUnit = pi, norms = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var top = -Float.infinity
            for i in 0..<n { top = max(top, logits[r * n + i]) }
            var sum: Float = 0
            for i in 0..<n { let e = expf(logits[r * n + i] - top); pi[r * n + i] = e; sum += e }
            var sq: Float = 0
            for i in 0..<n { pi[r * n + i] /= sum; sq += pi[r * n + i] * pi[r * n + i] }
            norms[r] = max(sq.squareRoot(), 1e-12)
            for i in 0..<n { piUnit[r * n + i] = pi[r * n + i] / norms[r] }
        }
        return NormalizedSoftmax(pi: pi, unit: piUnit, norms: norms)
    }

    /// phi(pi / |pi|) (rows x width) through the frozen layer.
    private func decodedFeatures(_ piUnit: [Float], rows: Int) -> [Float] {
        var features = [Float](repeating: 0, count: rows * width)
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                piUnit.withUnsafeBufferPointer { x in
                    features.withUnsafeMutableBufferPointer { y in
                        LayerOps.affine(x.baseAddress!, rows: rows, in: items, out: width, w: w.baseAddress!, b: b.baseAddress!, into: y.baseAddress!)
                    }
                }
            }
        }
        for j in 0..<features.count { features[j] = tanhf(features[j]) }
        return features
    }

    /// Adds the term's dL/dlogits: back through tanh, the frozen layer, the normalisation and the softmax.
    private func addGradient(features: [Float], target: [Float], _ decoded: NormalizedSoftmax, weight: Float, rows: Int,
                             dLogits: inout [Float]) {
        let n = items, f = width, pi = decoded.pi, piUnit = decoded.unit
        var dz = [Float](repeating: 0, count: rows * f)
        for j in 0..<dz.count { dz[j] = 2 * weight / Float(rows) * (features[j] - target[j]) * (1 - features[j] * features[j]) }
        var dUnit = [Float](repeating: 0, count: rows * n)
        weights.withUnsafeBufferPointer { w in
            BLAS.gemm(m: rows, n: n, k: f, dz, lda: f, w.baseAddress!, ldb: f, transposeB: true, &dUnit, ldc: n)
        }
        for r in 0..<rows {
            var along: Float = 0
            for i in 0..<n { along += piUnit[r * n + i] * dUnit[r * n + i] }
            var piDotDPi: Float = 0
            for i in 0..<n {
                let dPi = (dUnit[r * n + i] - piUnit[r * n + i] * along) / decoded.norms[r]
                dUnit[r * n + i] = dPi
                piDotDPi += pi[r * n + i] * dPi
            }
            for i in 0..<n { dLogits[r * n + i] += pi[r * n + i] * (dUnit[r * n + i] - piDotDPi) }
        }
    }
}
