import Linalg
import AutoRecCore

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
    /// The ALI variant's own network (its parameters are `parameters`); nil for the others.
    public var ali: ALINetwork? = nil

    /// Trains with Adam over shuffled batches of rows; `progress` gets (epoch, mean batch loss).
    public static func fit(_ data: RatingVectors, config c: RepresentationConfig,
                           progress: ((Int, Double) -> Void)? = nil) -> RepresentationAutoencoder {
        if c.kind == .ali { return fitALI(data, config: c, progress: progress) }
        let net = RepresentationNetwork(inputs: data.rows.cols, config: c)
        var params = net.initialParameters()
        var adam = Adam(parameterCount: params.count, learningRate: c.learningRate)
        // The adversarial variant's discriminator has its own optimiser and loss, in turn with the autoencoder's.
        var discriminatorAdam = Adam(parameterCount: params.count, learningRate: c.learningRate)
        var grad = [Float](repeating: 0, count: params.count)
        trainEpochs(data, c, progress: progress) { batch, rng in
            if c.kind == .adversarial {
                _ = net.discriminatorLoss(params, batch, seed: rng.next(), gradient: &grad)
                discriminatorAdam.update(&params, gradient: grad)
            }
            let loss = net.loss(params, batch, corruptionSeed: rng.next(), gradient: &grad)
            adam.update(&params, gradient: grad)
            return loss
        }
        return RepresentationAutoencoder(network: net, parameters: params)
    }

    /// ALI: the discriminator and the encoder with the decoder, in turn, each with its own Adam.
    static func fitALI(_ data: RatingVectors, config c: RepresentationConfig,
                       progress: ((Int, Double) -> Void)?) -> RepresentationAutoencoder {
        let ali = ALINetwork(inputs: data.rows.cols, dim: c.dim, width: 4 * c.discriminatorWidth)
        var params = ali.initialParameters(seed: c.seed)
        var adam = Adam(parameterCount: params.count, learningRate: c.learningRate)
        var discriminatorAdam = Adam(parameterCount: params.count, learningRate: c.learningRate)
        var grad = [Float](repeating: 0, count: params.count)
        trainEpochs(data, c, progress: progress) { batch, rng in
            let seed = rng.next()
            _ = ali.loss(params, batch, seed: seed, discriminatorTurn: true, gradient: &grad)
            discriminatorAdam.update(&params, gradient: grad)
            let loss = ali.loss(params, batch, seed: seed, discriminatorTurn: false, gradient: &grad)
            // L2 on the encoder and decoder weights, as the other variants have.
            for j in ali.encoderDecoder { grad[j] += c.l2 * params[j] }
            adam.update(&params, gradient: grad)
            return loss
        }
        var model = RepresentationAutoencoder(network: RepresentationNetwork(inputs: data.rows.cols, config: c), parameters: params)
        model.ali = ali
        return model
    }

    /// The epoch loop every variant shares: the rows shuffled each epoch (a seeded generator the
    /// step also draws from), cut into batches; `step` trains on one and returns its loss.
    private static func trainEpochs(_ data: RatingVectors, _ c: RepresentationConfig, progress: ((Int, Double) -> Void)?,
                                    step: (SparseRows, inout SeededRandom) -> Double) {
        var rng = SeededRandom(seed: c.seed &+ 1)
        var order = Array(0..<data.rows.rows)
        for epoch in 1...max(1, c.epochs) {
            rng.shuffle(&order)
            var total = 0.0, batches = 0, b = 0
            while b < order.count {
                let rows = Array(order[b..<min(order.count, b + max(1, c.batchSize))])
                total += step(SparseRows(data.rows, rows: rows), &rng)
                batches += 1; b += rows.count
            }
            progress?(epoch, total / Double(max(1, batches)))
        }
    }

    /// The embedding of every row of `data`, in row order (the code's mean for the Gaussian codes).
    public func embed(_ data: RatingVectors) -> Matrix {
        let s = SparseRows(data.rows, rows: Array(0..<data.rows.rows))
        if let ali { return Matrix(rows: s.count, cols: ali.dim, storage: ali.encode(parameters, s).mu) }
        return network.codes(parameters, s)
    }

    /// Each row's reconstruction error over its observed entries and over the others.
    public func reconstructionErrors(_ data: RatingVectors) -> (observed: [Double], missing: [Double]) {
        let s = SparseRows(data.rows, rows: Array(0..<data.rows.rows))
        if let ali { return ali.reconstructionErrors(parameters, s) }
        return network.reconstructionErrors(parameters, s)
    }

    /// The root mean squared reconstruction error over the observed entries of `data` (values in
    /// the vectors' own scale, ratings over the top rating).
    public func observedReconstructionRMSE(_ data: RatingVectors) -> Double {
        (reconstructionErrors(data).observed.reduce(0, +) / Double(max(1, data.rows.nonZeros))).squareRoot()
    }

    /// The code size.
    public var codeSize: Int { ali?.dim ?? network.config.dim }

    /// The decoder's outputs for codes `z` (rows x code size).
    public func decode(codes z: Matrix) -> Matrix {
        if let ali { return Matrix(rows: z.rows, cols: ali.inputs, storage: ali.decode(parameters, codes: z.storage, rows: z.rows)) }
        return network.decode(parameters, codes: z)
    }
}
