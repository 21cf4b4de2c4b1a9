import Linalg
import AutoRecCore

/// Hyperparameters of Mult-DAE and Mult-VAE. Defaults per variant come from `defaults(variational:)`.
public struct MultConfig: Sendable, Equatable, Codable {
    public var variational: Bool
    /// Encoder widths, items -> dims[0] -> ... -> dims.last (the code); the decoder mirrors them.
    public var dims = [600, 200]
    public var epochs = 100
    public var batchSize = 100
    public var learningRate: Float = 1e-3
    public var l2: Float = 0
    public var dropout: Float = 0.5
    /// VAE: the KL weight grows linearly by 1/annealSteps per update up to this cap.
    public var betaCap: Float = 0.2
    public var annealSteps = 2000
    public var seed: UInt64 = 1
    /// Share of each user's training items held out to report validation Recall@20 per epoch
    /// (and keep the best epoch's weights); 0 trains on everything.
    public var validationFraction = 0.0
    /// With a validation share: epochs without a better validation Recall@20 before stopping (0: none).
    public var patience = 0
    /// Decay of an exponential moving average of the weights after each update, which the model
    /// keeps instead of the last weights; 0 is off.
    public var averaging: Float = 0
    /// DFC-VAE: the weight of the feature term (0: none; needs a feature network at training).
    public var featureWeight: Float = 0
    /// With a validation share: train again on all the interactions for the best epoch count.
    public var refit = true

    public init(variational: Bool) { self.variational = variational }

    /// The defaults, chosen on a validation part of the ML-100K implicit training split (20% of
    /// each user's items held out; docs/RESULTS.md): batches of 500 users, Adam at 1e-3, weight
    /// averaging. The epoch count is found by early stopping on 10% of each user's items (then
    /// refitted on all): a fixed count tuned on ML-100K did not carry to larger catalogues.
    public static func defaults(variational: Bool) -> MultConfig {
        var c = MultConfig(variational: variational)
        c.batchSize = 500
        c.epochs = TopNDefaults.mostEpochs; c.validationFraction = TopNDefaults.validation; c.patience = TopNDefaults.patience
        if variational {
            c.l2 = 0; c.dropout = 0.5; c.betaCap = 0.5; c.annealSteps = 200; c.averaging = 0.9
        } else {
            c.l2 = 0.003; c.dropout = 0.6; c.averaging = 0.97
        }
        return c
    }
}

/// The early stopping every neural top-N model trains with by default: a validation share of each
/// user's items, the patience, and the most epochs (docs/RESULTS.md, "Early stopping and the
/// defaults on other catalogues").
public enum TopNDefaults {
    public static let validation = 0.1
    public static let patience = 30
    public static let mostEpochs = 300
}

/// Mult-DAE or Mult-VAE: a trained network with the data it ranks for.
public struct MultAutoencoder: InteractionEncoder {
    public let config: MultConfig
    public let network: MultNetwork
    public let parameters: [Float]
    public let users: IDMap
    public let items: IDMap
    public let history: CSRMatrix
    public var kind: String
    /// The kind name its files carry; the catalogue registers the kinds under them.
    public static func kindName(variational: Bool) -> String { variational ? "mult-vae" : "mult-dae" }

    init(config: MultConfig, parameters: [Float], users: IDMap, items: IDMap, history: CSRMatrix) {
        self.config = config
        self.kind = Self.kindName(variational: config.variational)
        self.network = MultNetwork(items: items.count, dims: config.dims, variational: config.variational)
        self.parameters = parameters
        self.users = users; self.items = items; self.history = history
    }

    /// Trains on `data` with Adam over shuffled user batches; `progress` sees every epoch.
    public static func fit(_ data: ImplicitData, config c: MultConfig, features: FeatureNetwork? = nil,
                           progress: ((RankingEpochReport) -> Void)? = nil) -> (MultAutoencoder, RankingTrainingSummary) {
        let net = MultNetwork(items: data.items.count, dims: c.dims, variational: c.variational)
        let loop = UserBatchTraining(epochs: c.epochs, batchSize: c.batchSize, learningRate: c.learningRate,
                                     averaging: c.averaging, validationFraction: c.validationFraction, patience: c.patience, seed: c.seed)
        let (params, summary) = loop.run(data, initial: net.initialParameters(seed: c.seed), step: { params, _, batch, step, rng, grad in
            let beta = c.variational ? min(c.betaCap, Float(step) / Float(max(1, c.annealSteps))) : 0
            let pass = MultNetwork.Pass(dropout: c.dropout, maskSeed: rng.next(), noiseSeed: rng.next(), beta: beta, l2: c.l2,
                                        features: features, featureWeight: c.featureWeight)
            return net.loss(params, batch, pass, gradient: &grad)
        }, model: { MultAutoencoder(config: c, parameters: $0, users: data.users, items: data.items, history: $1) },
        progress: progress)
        return (MultAutoencoder(config: c, parameters: params, users: data.users, items: data.items, history: data.matrix), summary)
    }

    package func scores(of rows: SparseRows) -> Matrix { network.logits(parameters, rows) }

    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        let c = config
        return RankerFile.file(kind: kind, users: users, items: items, history: history, configuration: c,
                               extraHeader: extraHeader, arrays: [("parameters", parameters)])
    }

    /// Reads a verified file of the variant `variational` names (the catalogue's registration knows it).
    /// Files written before configurations were whole spell the layer sizes "600,200"; anything
    /// but positive whole numbers is left as it is, for the decoder to refuse.
    private static func legacyLayerSizes(_ header: inout [String: Any]) {
        guard let text = header["dims"] as? String else { return }
        let sizes = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        if !sizes.isEmpty, sizes.allSatisfy({ $0 != nil }) { header["dims"] = sizes.map { $0! } }
    }

    public init(modelFile f: ModelFile, path: String = "model", variational: Bool) throws {
        let (u, i, h) = try RankerFile.common(f, path: path)
        var c = try f.configuration(MultConfig.self, defaults: MultConfig(variational: variational), path: path,
                                    legacy: Self.legacyLayerSizes)
        c.variational = variational
        let dims = c.dims
        guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 }) else {
            throw ModelFileError(path: path, message: "bad layer sizes \(dims) in the header")
        }
        guard let count = MultNetwork.parameterCount(items: i.count, dims: dims, variational: c.variational) else {
            throw ModelFileError(path: path, message: "layer sizes \(dims) with \(i.count) items overflow or are empty")
        }
        self.init(config: c, parameters: try RankerFile.array(f, "parameters", count: count, path: path), users: u, items: i, history: h)
    }
}
