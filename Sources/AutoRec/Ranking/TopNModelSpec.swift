import Linalg

/// Which top-N model to train and with what settings: one value that the CLI, the nightly job and
/// benchmarks hand to `fit`, whatever the kind.
public struct TopNModelSpec: Sendable {
    /// A top-N kind of the catalogue, by name.
    public var kind: String
    /// The same as the catalogue's value.
    public var modelKind: ModelKind { ModelKind.named(kind)! }
    public var mult: MultConfig
    public var cdae = CDAEConfig()
    public var easeLambda: Float = EASE.defaultLambda
    /// Ratings of at least this value are interactions; nil takes every rating.
    public var positive: Float? = nil

    public static var kinds: [String] { ModelKind.of(.topN).map(\.rawValue) }

    /// The defaults of `kind`; throws for a kind that is not a top-N model.
    public init(kind: String) throws {
        guard Self.kinds.contains(kind) else {
            throw FoldInUnsupported(kind: kind, reason: "not a top-N model kind (\(Self.kinds.joined(separator: ", ")))")
        }
        self.kind = kind
        mult = MultConfig.defaults(variational: kind == ModelKind.multVAE.rawValue)
    }

    /// Sets the seed of whichever model this is.
    public mutating func setSeed(_ seed: UInt64) { mult.seed = seed; cdae.seed = seed }

    /// Sets the validation share (held out of each user's items, Recall@20 reported per epoch).
    public mutating func setValidation(_ fraction: Double) { mult.validationFraction = fraction; cdae.validationFraction = fraction }

    /// Trains on `data`; `progress` sees each epoch of the models that have epochs.
    public func fit(_ data: ImplicitData, progress: ((RankingEpochReport) -> Void)? = nil) throws -> (any Ranker, RankingTrainingSummary) {
        switch modelKind {
        case .multVAE, .multDAE:
            let (m, s) = MultAutoencoder.fit(data, config: mult, progress: progress)
            return (m, s)
        case .cdae:
            let (m, s) = CDAE.fit(data, config: cdae, progress: progress)
            return (m, s)
        default:
            var summary = RankingTrainingSummary()
            let validation = mult.validationFraction
            if validation > 0 {
                // No epochs to stop early: report the Recall@20 of a fit on the rest, then fit on all.
                let (rest, heldOut) = data.holdOut(fraction: validation, seed: mult.seed &+ 7)
                let probe = try closedForm(ImplicitData(users: data.users, items: data.items, matrix: rest))
                summary.validationRecall = [RankingEvaluation.evaluate(probe, relevant: heldOut, k: [20]).recall[20] ?? 0]
            }
            let start = monotonicSeconds()
            let model = try closedForm(data)
            summary.trainSeconds = monotonicSeconds() - start
            return (model, summary)
        }
    }

    /// A Float as the Double with the same shortest decimal form (0.01, not 0.009999999776).
    private func shortest(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

    private func closedForm(_ data: ImplicitData) throws -> any Ranker {
        modelKind == .ease ? try EASE.fit(data, lambda: easeLambda) : Popularity.fit(data)
    }

    /// The settings that matter for this kind, for reports.
    public var settings: [String: Any] {
        switch modelKind {
        case .multVAE, .multDAE:
            let c = mult
            var s: [String: Any] = ["dims": c.dims.map { String($0) }.joined(separator: ","), "epochs": c.epochs, "batch": c.batchSize,
                                    "lr": shortest(c.learningRate), "l2": shortest(c.l2), "dropout": shortest(c.dropout)]
            if c.variational { s["beta_cap"] = shortest(c.betaCap); s["anneal_steps"] = c.annealSteps }
            s["averaging"] = shortest(c.averaging)
            return s
        case .cdae:
            let c = cdae
            return ["hidden": c.hidden, "epochs": c.epochs, "batch": c.batchSize, "lr": shortest(c.learningRate),
                    "l2": shortest(c.l2), "dropout": shortest(c.dropout), "negatives": c.negatives, "loss": c.loss.rawValue,
                    "averaging": shortest(c.averaging), "normalize": c.normalizeInput,
                    "activation": c.activation.rawValue]
        case .ease: return ["l2": shortest(easeLambda)]
        default: return [:]
        }
    }
}
