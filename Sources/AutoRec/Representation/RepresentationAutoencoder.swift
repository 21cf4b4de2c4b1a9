import Linalg

/// The rating vectors a representation autoencoder reads: one sparse row per item (its ratings by
/// user) or per user (their ratings by item), values divided by the largest rating so they lie in (0, 1].
public struct RatingVectors: Sendable {
    public enum Of: String, CaseIterable, Sendable { case items, users }
    /// How the values are read: ratings over the top rating, the same scaled to unit length per
    /// row, or 1 for every rating (who rated it, not how).
    public enum Scaling: String, CaseIterable, Sendable { case raw, unit, binary }
    public let of: Of
    /// The ids of the rows.
    public let ids: IDMap
    public let rows: CSRMatrix

    public init(_ ratings: Ratings, of: Of, scaling: Scaling = .raw) {
        self.of = of
        let top = max(ratings.range.upperBound, 1e-9)
        let m = ratings.userItemMatrix()
        let byRow = of == .users ? m : m.transposed()
        var values = byRow.values.map { scaling == .binary ? 1 : $0 / top }
        if scaling == .unit {
            for r in 0..<byRow.rows {
                let range = byRow.rowStart[r]..<byRow.rowStart[r + 1]
                let norm = range.reduce(Float(0)) { $0 + values[$1] * values[$1] }.squareRoot()
                if norm > 0 { for p in range { values[p] /= norm } }
            }
        }
        rows = CSRMatrix(rows: byRow.rows, cols: byRow.cols, rowStart: byRow.rowStart, columns: byRow.columns, values: values)
        ids = of == .users ? ratings.users : ratings.items
    }
}

/// A trained representation autoencoder and the embeddings of the rows it was trained on.
public struct RepresentationAutoencoder: Sendable {
    public let network: RepresentationNetwork
    public let parameters: [Float]

    /// Trains with Adam over shuffled batches of rows; `progress` gets (epoch, mean batch loss).
    public static func fit(_ data: RatingVectors, config c: RepresentationConfig,
                           progress: ((Int, Double) -> Void)? = nil) -> RepresentationAutoencoder {
        let net = RepresentationNetwork(inputs: data.rows.cols, config: c)
        var params = net.initialParameters()
        var adam = Adam(parameterCount: params.count, learningRate: c.learningRate)
        // The adversarial variant's discriminator has its own optimiser and loss, in turn with the autoencoder's.
        var discriminatorAdam = Adam(parameterCount: params.count, learningRate: c.learningRate)
        var grad = [Float](repeating: 0, count: params.count)
        var rng = SeededRandom(seed: c.seed &+ 1)
        var order = Array(0..<data.rows.rows)
        for epoch in 1...max(1, c.epochs) {
            rng.shuffle(&order)
            var total = 0.0, batches = 0, b = 0
            while b < order.count {
                let rows = Array(order[b..<min(order.count, b + max(1, c.batchSize))])
                let batch = SparseRows(data.rows, rows: rows)
                if c.kind == .adversarial {
                    _ = net.discriminatorLoss(params, batch, seed: rng.next(), gradient: &grad)
                    discriminatorAdam.update(&params, gradient: grad)
                }
                total += net.loss(params, batch, corruptionSeed: rng.next(), gradient: &grad)
                adam.update(&params, gradient: grad)
                batches += 1; b += rows.count
            }
            progress?(epoch, total / Double(max(1, batches)))
        }
        return RepresentationAutoencoder(network: net, parameters: params)
    }

    /// The embedding of every row of `data`, in row order.
    public func embed(_ data: RatingVectors) -> Matrix {
        network.codes(parameters, SparseRows(data.rows, rows: Array(0..<data.rows.rows)))
    }

    /// Each row's reconstruction error over its observed entries and over the others.
    public func reconstructionErrors(_ data: RatingVectors) -> (observed: [Double], missing: [Double]) {
        network.reconstructionErrors(parameters, SparseRows(data.rows, rows: Array(0..<data.rows.rows)))
    }
}
