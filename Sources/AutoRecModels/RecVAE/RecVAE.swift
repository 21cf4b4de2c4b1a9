import Linalg
import AutoRecCore

/// RecVAE's hyperparameters (Shenbin et al. 2020): the paper's, except a smaller encoder, a
/// stronger KL weight and more dropout, chosen on ML-100K's validation share (its 600 x 5 layers,
/// gamma 0.005 and dropout 0.5 were tuned on ML-20M; docs/RESULTS.md), with the early stopping
/// every top-N model trains with.
public struct RecVAEConfig: Sendable, Equatable, Codable {
    public var hidden = 300
    public var latent = 200
    /// Encoder layers, each seeing every earlier one's output.
    public var depth = 2
    /// The KL weight per interaction: a user with n items weighs the KL term gamma x n.
    public var gamma: Float = 0.02
    /// Passes over the users that update the encoder, then the decoder, in each epoch.
    public var encoderPasses = 3
    public var decoderPasses = 1
    public var epochs = TopNDefaults.mostEpochs
    public var batchSize = 500
    public var learningRate: Float = 5e-4
    public var l2: Float = 0
    public var dropout: Float = 0.6
    public var averaging: Float = 0
    public var seed: UInt64 = 1
    public var validationFraction = TopNDefaults.validation
    public var patience = TopNDefaults.patience
    public var refit = true

    public init() {}
}

/// RecVAE: a trained network with the data it ranks for. It trains in the shared user-batch loop,
/// each epoch alternating encoder passes (whose prior's previous posterior is the encoder as the
/// passes began) and decoder passes (no dropout), each part with its own Adam.
public struct RecVAE: InteractionEncoder {
    public let config: RecVAEConfig
    public let network: RecVAENetwork
    public let parameters: [Float]
    public let users: IDMap
    public let items: IDMap
    public let history: CSRMatrix
    /// The kind name its files carry; the catalogue registers the kind under it.
    public static let kindName = "recvae"
    public var kind = Self.kindName

    init(config: RecVAEConfig, parameters: [Float], users: IDMap, items: IDMap, history: CSRMatrix) {
        self.config = config
        network = RecVAENetwork(items: items.count, hidden: config.hidden, latent: config.latent, depth: config.depth)
        self.parameters = parameters
        self.users = users; self.items = items; self.history = history
    }

    /// Trains on `data`; `progress` sees every epoch.
    public static func fit(_ data: ImplicitData, config c: RecVAEConfig,
                           progress: ((RankingEpochReport) -> Void)? = nil) -> (RecVAE, RankingTrainingSummary) {
        let net = RecVAENetwork(items: data.items.count, hidden: c.hidden, latent: c.latent, depth: c.depth)
        let loop = UserBatchTraining(epochs: c.epochs, batchSize: c.batchSize, learningRate: c.learningRate, averaging: c.averaging,
                                     validationFraction: c.validationFraction, patience: c.patience, seed: c.seed)
        let (params, summary) = loop.run(data, initial: net.initialParameters(seed: c.seed), phases: phases(net, c),
                                         model: { RecVAE(config: c, parameters: $0, users: data.users, items: data.items, history: $1) },
                                         progress: progress)
        return (RecVAE(config: c, parameters: params, users: data.users, items: data.items, history: data.matrix), summary)
    }

    /// An epoch: the encoder's passes against the composite prior, then the decoder's without dropout.
    static func phases(_ net: RecVAENetwork, _ c: RecVAEConfig) -> [UserBatchTraining.Phase] {
        let encoder = UserBatchTraining.Phase(passes: c.encoderPasses, updates: net.encoderPart) { start in
            { params, _, batch, _, rng, gradient in
                let pass = RecVAENetwork.Pass(dropout: c.dropout, maskSeed: rng.next(), noiseSeed: rng.next(), gamma: c.gamma,
                                              prior: start, l2: c.l2, part: .encoder)
                return net.loss(params, batch, pass, gradient: &gradient)
            }
        }
        let decoder = UserBatchTraining.Phase(passes: c.decoderPasses, updates: net.decoderPart) { _ in
            { params, _, batch, _, rng, gradient in
                let pass = RecVAENetwork.Pass(noiseSeed: rng.next(), l2: c.l2, part: .decoder)
                return net.loss(params, batch, pass, gradient: &gradient)
            }
        }
        return [encoder, decoder]
    }

    package func scores(of rows: SparseRows) -> Matrix { network.logits(parameters, rows) }

    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        RankerFile.file(kind: kind, users: users, items: items, history: history, configuration: config,
                        extraHeader: extraHeader, arrays: [("parameters", parameters)])
    }

    /// Reads a verified RecVAE file.
    public init(modelFile f: ModelFile, path: String = "model") throws {
        let (u, i, h) = try RankerFile.common(f, path: path)
        let c = try f.configuration(RecVAEConfig.self, path: path)
        guard let count = RecVAENetwork.parameterCount(items: i.count, hidden: c.hidden, latent: c.latent, depth: c.depth) else {
            throw ModelFileError(path: path, message: "RecVAE sizes hidden \(c.hidden), latent \(c.latent), depth \(c.depth) with \(i.count) items are empty or overflow")
        }
        self.init(config: c, parameters: try RankerFile.array(f, "parameters", count: count, path: path), users: u, items: i, history: h)
    }
}
