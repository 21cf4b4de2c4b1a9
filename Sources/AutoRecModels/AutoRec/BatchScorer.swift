import Linalg

/// Scores of every item for blocks of users from a trained AutoRec with one GEMM per block
/// (scores = user factors x item factors^T), not one user at a time. `AutoRec.blockScorer()` and
/// through it the shared `Ranker.topN` use this.
public struct BatchScorer: Sendable {
    public let model: AutoRec
    let userFactors: Matrix
    let itemFactors: Matrix
    let userBias: [Float]?
    let itemBias: [Float]?

    public init(model: AutoRec) {
        self.model = model
        (userFactors, itemFactors, userBias, itemBias) = BatchScorer.factors(model)
    }

    /// The factor matrices whose product gives the decoder's pre-activations: for I-AutoRec a user's
    /// decoder row against an item's code, for U-AutoRec a user's code against an item's decoder row.
    static func factors(_ model: AutoRec) -> (users: Matrix, items: Matrix, userBias: [Float]?, itemBias: [Float]?) {
        let p = model.parameters
        let h = p.hidden
        var decoder = Matrix(rows: p.inputs, cols: h)
        for r in 0..<p.inputs {
            for j in 0..<h {
                decoder[r, j] = p.flat[p.decoderOffset + AutoRecParameters.index(row: r, unit: j, inputs: p.inputs, hidden: h)]
            }
        }
        let bias = Array(p.flat[p.decoderBiasOffset..<(p.decoderBiasOffset + p.inputs)])
        return model.config.orientation == .item
            ? (decoder, model.codes, bias, nil)
            : (model.codes, decoder, nil, bias)
    }

    /// The network's outputs for every item, one row per user of `block` (dense indices).
    public func scores(users block: [Int]) -> Matrix {
        let h = userFactors.cols, nItems = itemFactors.rows
        var a = Matrix(rows: block.count, cols: h)
        for (r, u) in block.enumerated() {
            for j in 0..<h { a.storage[r * h + j] = userFactors.storage[u * h + j] }
        }
        var product = Matrix(rows: block.count, cols: nItems)
        BLAS.gemm(a, itemFactors, transposeB: true, into: &product)
        let decoder = model.config.decoder
        product.storage.withUnsafeMutableBufferPointer { s in
            Parallel.forEach(block.count) { r in
                let u = block[r]
                for i in 0..<nItems {
                    var y = s[r * nItems + i]
                    if let b = userBias { y += b[u] }
                    if let b = itemBias { y += b[i] }
                    s[r * nItems + i] = decoder.apply(y)
                }
            }
        }
        return product
    }

    /// Top `count` unrated items per user (kept for callers of the AutoRec-only API).
    public func topN(users: [Int], count: Int, progress: ((Int) -> Void)? = nil) -> [[(item: Int, score: Float)]] {
        model.topN(users: users, count: count, progress: progress)
    }
}
