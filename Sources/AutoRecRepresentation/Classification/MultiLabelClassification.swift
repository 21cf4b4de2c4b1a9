import Linalg
#if canImport(Glibc)
import Glibc
#endif

/// Multi-label classification of embeddings (genres of items): one L2-regularised logistic
/// regression per label on standardised features, with positives weighted by the label's
/// negative/positive ratio, scored by k-fold cross-validation (micro- and macro-averaged F1).
public enum MultiLabelClassification {
    public struct Scores: Sendable { public var microF1: Double; public var macroF1: Double }

    /// `labels[r]` are the label indices of row r of `features`; rows without labels are skipped.
    public static func crossValidate(features: Matrix, labels: [[Int]], labelCount: Int, folds: Int = 5,
                                     l2: Float = 1e-2, iterations: Int = 300, seed: UInt64 = 1) -> Scores {
        let rows = (0..<features.rows).filter { !labels[$0].isEmpty }
        var order = rows
        var rng = SeededRandom(seed: seed)
        rng.shuffle(&order)
        var tp = [Int](repeating: 0, count: labelCount), fp = tp, fn = tp
        for f in 0..<folds {
            let test = Set(order.enumerated().filter { $0.offset % folds == f }.map(\.element))
            let train = order.filter { !test.contains($0) }
            let (x, mean, sd) = standardise(features, rows: train)
            for j in 0..<labelCount {
                let y = train.map { labels[$0].contains(j) ? Float(1) : 0 }
                let w = fit(x, y: y, l2: l2, iterations: iterations)
                for r in test {
                    let p = predict(features.row(r), mean: mean, sd: sd, w: w) > 0
                    let truth = labels[r].contains(j)
                    if p && truth { tp[j] += 1 } else if p { fp[j] += 1 } else if truth { fn[j] += 1 }
                }
            }
        }
        return scores(tp: tp, fp: fp, fn: fn)
    }

    /// F1 from per-label counts: micro pools the counts, macro averages the per-label F1 (labels
    /// that never occur and are never predicted are left out of the average).
    public static func scores(tp: [Int], fp: [Int], fn: [Int]) -> Scores {
        let t = tp.reduce(0, +), p = fp.reduce(0, +), n = fn.reduce(0, +)
        let micro = t == 0 ? 0 : 2 * Double(t) / Double(2 * t + p + n)
        var per: [Double] = []
        for j in 0..<tp.count where tp[j] + fp[j] + fn[j] > 0 {
            per.append(2 * Double(tp[j]) / Double(2 * tp[j] + fp[j] + fn[j]))
        }
        return Scores(microF1: micro, macroF1: per.isEmpty ? 0 : per.reduce(0, +) / Double(per.count))
    }

    /// The majority baseline: every row gets the most frequent label, scored on the same rows.
    public static func majority(labels: [[Int]], labelCount: Int) -> Scores {
        var counts = [Int](repeating: 0, count: labelCount)
        for l in labels { for j in l { counts[j] += 1 } }
        let top = counts.indices.max { counts[$0] < counts[$1] } ?? 0
        var tp = [Int](repeating: 0, count: labelCount), fp = tp, fn = tp
        for l in labels where !l.isEmpty {
            for j in 0..<labelCount {
                let p = j == top, truth = l.contains(j)
                if p && truth { tp[j] += 1 } else if p { fp[j] += 1 } else if truth { fn[j] += 1 }
            }
        }
        return scores(tp: tp, fp: fp, fn: fn)
    }

    /// Features of `rows` standardised by their own mean and deviation, with a constant 1 appended.
    static func standardise(_ m: Matrix, rows: [Int]) -> (Matrix, [Float], [Float]) {
        let d = m.cols
        var mean = [Float](repeating: 0, count: d), sd = [Float](repeating: 0, count: d)
        for r in rows { for j in 0..<d { mean[j] += m[r, j] } }
        for j in 0..<d { mean[j] /= Float(max(1, rows.count)) }
        for r in rows { for j in 0..<d { let v = m[r, j] - mean[j]; sd[j] += v * v } }
        for j in 0..<d { sd[j] = max((sd[j] / Float(max(1, rows.count))).squareRoot(), 1e-6) }
        var x = Matrix(rows: rows.count, cols: d + 1)
        for (k, r) in rows.enumerated() {
            for j in 0..<d { x[k, j] = (m[r, j] - mean[j]) / sd[j] }
            x[k, d] = 1
        }
        return (x, mean, sd)
    }

    /// Logistic regression by full-batch gradient descent with a diagonal Newton step size,
    /// positives weighted by negatives/positives.
    static func fit(_ x: Matrix, y: [Float], l2: Float, iterations: Int) -> [Float] {
        let n = x.rows, d = x.cols
        let positives = y.reduce(0, +)
        let posWeight: Float = positives > 0 ? (Float(n) - positives) / positives : 1
        var w = [Float](repeating: 0, count: d)
        var m = [Float](repeating: 0, count: d), v = [Float](repeating: 0, count: d)
        let lr: Float = 0.05
        var z = [Float](repeating: 0, count: n), e = [Float](repeating: 0, count: n)
        var g = [Float](repeating: 0, count: d)
        for t in 1...iterations {
            BLAS.gemv(x, w, into: &z)
            for r in 0..<n {
                let p = 1 / (1 + expf(-z[r]))
                e[r] = (y[r] > 0 ? posWeight : 1) * (p - y[r]) / Float(n)
            }
            BLAS.gemv(x, transpose: true, e, into: &g)
            for j in 0..<(d - 1) { g[j] += l2 * w[j] }
            // Adam on a convex loss: robust to the feature scales the embeddings come with.
            let c1 = 1 - powf(0.9, Float(t)), c2 = 1 - powf(0.999, Float(t))
            for j in 0..<d {
                m[j] = 0.9 * m[j] + 0.1 * g[j]; v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j]
                w[j] -= lr * (m[j] / c1) / ((v[j] / c2).squareRoot() + 1e-8)
            }
        }
        return w
    }

    static func predict(_ f: [Float], mean: [Float], sd: [Float], w: [Float]) -> Float {
        var z = w[f.count]
        for j in 0..<f.count { z += (f[j] - mean[j]) / sd[j] * w[j] }
        return z
    }
}
