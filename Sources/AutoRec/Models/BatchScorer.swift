import Linalg

/// Every user's top-N unrated items from a trained AutoRec, computed with one GEMM per block of
/// users (scores = user factors x item factors^T), not one user at a time.
public struct BatchScorer {
    public let model: AutoRec
    /// Users per GEMM block: a block's scores are block x items floats.
    public var blockSize = 256

    public init(model: AutoRec) { self.model = model }

    /// The factor matrices whose product gives the decoder's pre-activations: for I-AutoRec a user's
    /// decoder row against an item's code, for U-AutoRec a user's code against an item's decoder row.
    func factors() -> (users: Matrix, items: Matrix, userBias: [Float]?, itemBias: [Float]?) {
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

    /// Top `count` items per user for the dense user indices `users`, best first; `progress` gets
    /// the number of users done after each block.
    public func topN(users: [Int], count: Int, progress: ((Int) -> Void)? = nil) -> [[(item: Int, score: Float)]] {
        let (uf, itf, ub, ib) = factors()
        let h = uf.cols, nItems = itf.rows
        var out: [[(item: Int, score: Float)]] = []
        out.reserveCapacity(users.count)
        var start = 0
        while start < users.count {
            let block = Array(users[start..<min(users.count, start + blockSize)])
            var a = Matrix(rows: block.count, cols: h)
            for (r, u) in block.enumerated() {
                for j in 0..<h { a.storage[r * h + j] = uf.storage[u * h + j] }
            }
            var product = Matrix(rows: block.count, cols: nItems)
            BLAS.gemm(a, itf, transposeB: true, into: &product)
            let s = product
            var lists = [[(item: Int, score: Float)]](repeating: [], count: block.count)
            lists.withUnsafeMutableBufferPointer { listBuffer in
            Parallel.forEach(block.count) { r in
                let u = block[r]
                var row = [Float](repeating: 0, count: nItems)
                for i in 0..<nItems {
                    var y = s.storage[r * nItems + i]
                    if let b = ub { y += b[u] }
                    if let b = ib { y += b[i] }
                    row[i] = model.config.decoder.apply(y)
                }
                let best = TopN.select(row, count: count, excluding: model.ratedItems(ofUser: u))
                listBuffer[r] = best.map { ($0, row[$0]) }
            }
            }
            out.append(contentsOf: lists)
            start += block.count
            progress?(start)
        }
        return out
    }
}
