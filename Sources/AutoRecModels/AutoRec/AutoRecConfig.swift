import Linalg
import AutoRecCore

/// Which way AutoRec reads the rating matrix: I-AutoRec encodes each item's vector of user ratings,
/// U-AutoRec each user's vector of item ratings.
public enum AutoRecOrientation: String, CaseIterable, Sendable, Codable {
    case item
    case user
}

/// The optimisers AutoRec can train with.
public enum OptimizerKind: String, CaseIterable, Sendable, Codable {
    case adam, lbfgs
}

/// Hyperparameters of one AutoRec training run.
public struct AutoRecConfig: Equatable, Sendable, Codable {
    public var orientation: AutoRecOrientation
    public var hidden = 500
    public var encoder: Activation = .sigmoid
    public var decoder: Activation = .identity
    /// L2 weight lambda on the encoder and decoder weights (the paper's lambda, loss summed over ratings).
    public var l2: Float = 100
    /// Most epochs (L-BFGS: iterations); early stopping may end sooner.
    public var epochs = 200
    public var optimizer: OptimizerKind = .lbfgs
    public var learningRate: Float = 1e-3
    /// Samples per Adam step; 0 means all of them (one step per epoch). Full batches keep an
    /// epoch's cost linear in the data: every step also touches every weight once.
    public var batchSize = 0
    public var seed: UInt64 = 1
    /// Share of the training ratings held out for early stopping (0 turns it off).
    public var validationFraction = 0.05
    /// Epochs without a better validation RMSE before training stops.
    public var patience = 20
    public var lbfgsMemory = 5
    /// Feed ratings minus the training mean to the encoder, so a missing entry reads as "average"
    /// rather than "zero stars". Targets stay the raw ratings.
    public var centerInputs = false
    /// Input dropout probability (Adam only): hides observed ratings from the encoder while still
    /// asking the decoder to reconstruct them.
    public var inputDropout: Float = 0
    /// Adam only: evaluate and keep an exponential moving average of the weights with this decay
    /// per step (0 turns it off). Averaging smooths out the last steps' noise.
    public var weightAveraging: Float = 0
    /// With input dropout: the loss weight of the ratings the encoder saw (the hidden ones weigh 1).
    /// Below 1 it stresses predicting unseen ratings, the task the model faces at test time.
    public var keptLossWeight: Float = 1
    /// Scale each input vector by its number of ratings (none, sqrt: 1/sqrt(n), count: 1/n).
    public var inputScaling: InputScaling = .none
    /// After early stopping picks the best epoch count on the validation part, train again from
    /// the start on all the ratings for that many epochs.
    public var refit = false
    /// Adam only: how the first moment and the weight average are stored (`auto`: compact for
    /// models of 64M parameters and more, e.g. I-AutoRec on 138k users, where it saves 550 MB).
    public var optimizerState: OptimizerStatePrecision = .auto

    /// The documented defaults for an orientation, chosen on a validation part (5%) of the
    /// ML-100K 90/10 training split, never on its test part (docs/RESULTS.md lists the search).
    /// Full-batch Adam with masked denoising (a share of the inputs hidden,
    /// the loss on the hidden ones weighted over the seen ones), weight averaging and a refit on
    /// all ratings beat full-batch L-BFGS on validation RMSE. U-AutoRec reads ratings minus the mean.
    public static func defaults(for orientation: AutoRecOrientation, optimizer: OptimizerKind = .adam) -> AutoRecConfig {
        var c = AutoRecConfig(orientation: orientation)
        c.refit = true
        if optimizer == .lbfgs {
            // The paper's recipe: full-batch L-BFGS, lambda chosen on the same validation part.
            c.optimizer = .lbfgs
            c.l2 = 300
            c.epochs = 500
            c.patience = 20
            return c
        }
        c.optimizer = .adam
        c.epochs = 300
        c.patience = 15
        c.learningRate = 1e-2
        c.batchSize = 0
        c.weightAveraging = 0.9
        switch orientation {
        case .item:
            c.l2 = 50
            c.inputDropout = 0.5
            c.keptLossWeight = 0.3
        case .user:
            c.l2 = 30
            c.inputDropout = 0.25
            c.keptLossWeight = 0.1
            c.centerInputs = true
        }
        return c
    }

    public init(orientation: AutoRecOrientation) { self.orientation = orientation }
}
