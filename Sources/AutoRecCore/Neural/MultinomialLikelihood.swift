import Linalg
#if canImport(Glibc)
import Glibc
#endif

/// The multinomial likelihood of the top-N autoencoders (Mult-DAE, Mult-VAE, RecVAE): per user,
/// -sum_i x_i log softmax(logits)_i, averaged over the batch, and its gradient.
package enum MultinomialLikelihood {
    /// The batch's mean loss and, when `wantGradient`, dL/dlogits = (softmax * sum(x) - x) / rows
    /// (rows x items; empty otherwise). `logits` is rows x items, row-major.
    package static func loss(logits: [Float], items n: Int, batch s: SparseRows, wantGradient: Bool) -> (loss: Double, dLogits: [Float]) {
        let rows = s.count
        var dLogits = [Float](repeating: 0, count: wantGradient ? rows * n : 0)
        var rowLoss = [Double](repeating: 0, count: rows)
        logits.withUnsafeBufferPointer { lp in
            dLogits.withUnsafeMutableBufferPointer { dp in
                rowLoss.withUnsafeMutableBufferPointer { rl in
                    Parallel.forEach(rows) { r in
                        rl[r] = row(r, logits: lp.baseAddress! + r * n, items: n, batch: s,
                                    gradient: wantGradient ? dp.baseAddress! + r * n : nil, rows: rows)
                    }
                }
            }
        }
        return (rowLoss.reduce(0, +) / Double(max(1, rows)), dLogits)
    }

    /// Row `r`'s loss; its gradient row (already divided by `rows`) into `gradient` when given.
    private static func row(_ r: Int, logits lr: UnsafePointer<Float>, items n: Int, batch s: SparseRows,
                            gradient d: UnsafeMutablePointer<Float>?, rows: Int) -> Double {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, lr[i]) }
        var total: Float = 0, dot = 0.0
        for p in s.rowStart[r]..<s.rowStart[r + 1] {
            total += s.values[p]; dot += Double(s.values[p]) * Double(lr[Int(s.columns[p])])
        }
        var sum: Float = 0
        if let d {
            // exp once, into the gradient row, then scale it to softmax * sum(x) / rows.
            for i in 0..<n { let e = expf(lr[i] - m); d[i] = e; sum += e }
            let scale = total / (Float(rows) * sum)
            for i in 0..<n { d[i] *= scale }
            for p in s.rowStart[r]..<s.rowStart[r + 1] { d[Int(s.columns[p])] -= s.values[p] / Float(rows) }
        } else {
            for i in 0..<n { sum += expf(lr[i] - m) }
        }
        return Double(total) * (Double(m) + log(Double(sum))) - dot
    }

    /// The encoder's input values per entry of `s`: each row scaled to unit length, then dropout
    /// (kept entries scaled by 1/(1-p), the mask drawn from `maskSeed` and the entry's index).
    package static func unitLengthInputs(_ s: SparseRows, dropout: Float, maskSeed: UInt64) -> [Float] {
        var a = [Float](repeating: 0, count: s.values.count)
        let keepScale: Float = dropout > 0 ? 1 / (1 - dropout) : 1
        for r in 0..<s.count {
            var ss: Float = 0
            for p in s.rowStart[r]..<s.rowStart[r + 1] { ss += s.values[p] * s.values[p] }
            let inv: Float = ss > 0 ? 1 / ss.squareRoot() : 0
            for p in s.rowStart[r]..<s.rowStart[r + 1] {
                let keep: Float = dropout > 0 ? (DropoutMask.uniform(maskSeed, p) < dropout ? 0 : keepScale) : 1
                a[p] = s.values[p] * inv * keep
            }
        }
        return a
    }
}
