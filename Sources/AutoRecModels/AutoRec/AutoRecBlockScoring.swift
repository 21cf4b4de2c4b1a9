import Linalg
import AutoRecCore

/// AutoRec's blocks for the streaming top-N: one GEMM of the block's user factor rows against every
/// item's factors, written into the scorer's buffer. Only the item side is materialised (I-AutoRec:
/// the codes as they are; U-AutoRec: the decoder rows); a block's user rows are gathered per block,
/// so scoring holds no users x hidden copy.
struct AutoRecBlockScoring: Sendable {
    let model: AutoRec
    /// items x hidden: I-AutoRec's item codes, U-AutoRec's decoder rows.
    let itemFactors: Matrix
    /// I-AutoRec's output bias, one per user (nil for U-AutoRec).
    let userBias: [Float]?
    /// U-AutoRec's output bias, one per item (nil for I-AutoRec).
    let itemBias: [Float]?

    init(model: AutoRec) {
        self.model = model
        let p = model.parameters
        let bias = Array(p.flat[p.decoderBiasOffset..<(p.decoderBiasOffset + p.inputs)])
        if model.config.orientation == .item {
            (itemFactors, userBias, itemBias) = (model.codes, bias, nil)
        } else {
            (itemFactors, userBias, itemBias) = (BatchScorer.factors(model).items, nil, bias)
        }
    }

    /// With an identity or ReLU decoder (monotone in Float arithmetic too) the GEMM's outputs are the
    /// ranking keys and only kept items are decoded; other decoders are applied to the whole block.
    func blockScoring() -> BlockScoring {
        let decoder = model.config.decoder
        let ranksOnKeys = decoder == .identity || decoder == .relu
        let userBias = self.userBias
        let keyScores = ranksOnKeys ? KeyScores(itemOffsets: itemBias) { user, key in
            decoder.apply(userBias.map { key + $0[user] } ?? key)
        } : nil
        let hidden = model.parameters.hidden
        return BlockScoring(itemCount: itemFactors.rows, flopsPerUser: 2 * Double(itemFactors.rows) * Double(hidden),
                            keyScores: keyScores) { users, buffer in
            product(users, into: buffer)
            if !ranksOnKeys { decode(users, buffer) }
        }
    }

    /// The block's user factor rows (users.count x hidden): I-AutoRec's decoder rows, read from
    /// their tiles; U-AutoRec's codes.
    func userRows(_ users: [Int]) -> [Float] {
        let p = model.parameters, hidden = p.hidden
        if model.config.orientation == .user {
            return users.flatMap { u in model.codes.storage[(u * hidden)..<((u + 1) * hidden)] }
        }
        var rows = [Float](repeating: 0, count: users.count * hidden)
        for (r, u) in users.enumerated() {
            for j in 0..<hidden {
                rows[r * hidden + j] = p.flat[p.decoderOffset + AutoRecParameters.index(row: u, unit: j, inputs: p.inputs, hidden: hidden)]
            }
        }
        return rows
    }

    /// buffer = the users' factor rows x item factors^T (users.count x items).
    func product(_ users: [Int], into buffer: UnsafeMutablePointer<Float>) {
        let hidden = model.parameters.hidden, nItems = itemFactors.rows
        userRows(users).withUnsafeBufferPointer { a in
            itemFactors.storage.withUnsafeBufferPointer { b in
                BLAS.gemm(m: users.count, n: nItems, k: hidden, a.baseAddress!, lda: hidden,
                          b.baseAddress!, ldb: hidden, transposeB: true, buffer, ldc: nItems)
            }
        }
    }

    /// Adds the output bias and applies the decoder to every score of the block, in place.
    func decode(_ users: [Int], _ buffer: UnsafeMutablePointer<Float>) {
        let nItems = itemFactors.rows, decoder = model.config.decoder
        Parallel.forEach(users.count) { r in
            let row = buffer + r * nItems
            if let b = userBias { let shift = b[users[r]]; for i in 0..<nItems { row[i] += shift } }
            if let b = itemBias { for i in 0..<nItems { row[i] += b[i] } }
            decoder.apply(nItems, row)
        }
    }
}
