import Linalg

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

/// A trained AutoRec model: weights, id maps, the training ratings it encodes from, and their codes.
/// Predicts ratings for known users and items, falls back to the training mean otherwise.
public struct AutoRec: Sendable {
    /// Its kind's name: i-autorec or u-autorec by orientation, unless the catalogue names it.
    public var kind: String
    public let config: AutoRecConfig
    public let parameters: AutoRecParameters
    public let users: IDMap
    public let items: IDMap
    /// The training ratings as samples x inputs (items x users for I-AutoRec, users x items for U-AutoRec).
    public let inputs: CSRMatrix
    /// Hidden code of each sample, from its training ratings.
    public let codes: Matrix
    public let mean: Float
    public let ratingRange: ClosedRange<Float>
    /// The training ratings as users x items, whatever the orientation.
    public let history: CSRMatrix

    public init(config: AutoRecConfig, parameters: AutoRecParameters, users: IDMap, items: IDMap,
                inputs: CSRMatrix, mean: Float, ratingRange: ClosedRange<Float>) {
        self.init(config: config, parameters: parameters, users: users, items: items, inputs: inputs,
                  mean: mean, ratingRange: ratingRange, keepsHistory: true)
    }

    /// With `keepsHistory` false, `history` is left empty: for a model that only predicts ratings and
    /// is then dropped (each validation epoch), where I-AutoRec's users x items copy would cost a matrix.
    init(config: AutoRecConfig, parameters: AutoRecParameters, users: IDMap, items: IDMap,
         inputs: CSRMatrix, mean: Float, ratingRange: ClosedRange<Float>, keepsHistory: Bool) {
        self.config = config
        self.kind = (config.orientation == .item ? ModelKind.iAutoRec : .uAutoRec).name
        self.parameters = parameters
        self.users = users
        self.items = items
        self.inputs = inputs
        self.mean = mean
        self.ratingRange = ratingRange
        if config.orientation == .user {
            self.history = inputs
        } else {
            self.history = keepsHistory ? inputs.transposed() : CSRMatrix(rows: 0, cols: 0, rowStart: [0], columns: [], values: [])
        }
        self.codes = AutoRecObjective.codes(of: inputs, params: parameters, encoder: config.encoder,
                                            inputShift: config.centerInputs ? mean : 0, inputScaling: config.inputScaling)
        self.tiles = AutoRecParameters.tiles(hidden: parameters.hidden)
        var seen = [Bool](repeating: false, count: inputs.cols)
        for c in inputs.columns { seen[Int(c)] = true }
        self.outputSeen = seen
    }

    /// The training-data sample index of (user, item) and the output unit that predicts it.
    @inline(__always) func sampleAndOutput(user u: Int, item i: Int) -> (sample: Int, output: Int) {
        config.orientation == .item ? (i, u) : (u, i)
    }

    /// Whether each output unit had at least one training rating (others fall back to the mean).
    let outputSeen: [Bool]
    /// Hidden-unit tiles of the weight layout.
    let tiles: [Range<Int>]

    /// The raw network output for dense indices, before clipping.
    public func rawPrediction(user u: Int, item i: Int) -> Float {
        let (s, o) = sampleAndOutput(user: u, item: i)
        return parameters.flat.withUnsafeBufferPointer { pp in
            codes.storage.withUnsafeBufferPointer { cp in
                config.decoder.apply(decoderOutput(pp.baseAddress!, unit: o, code: cp.baseAddress! + s * parameters.hidden))
            }
        }
    }

    /// W_o . code + b_o, reading the decoder row of output unit `o` tile by tile.
    @inline(__always) func decoderOutput(_ P: UnsafePointer<Float>, unit o: Int, code: UnsafePointer<Float>) -> Float {
        let n = parameters.inputs, w0 = P + parameters.decoderOffset
        var y = P[parameters.decoderBiasOffset + o]
        for t in tiles {
            let lo = t.lowerBound, w = t.count
            y += Kernels.dot(w, w0 + n * lo + o * w, code + lo)
        }
        return y
    }

    /// Clips to the rating range seen in training.
    @inline(__always) public func clip(_ x: Float) -> Float {
        min(max(x, ratingRange.lowerBound), ratingRange.upperBound)
    }

    /// Predicts by external ids; unknown users or items get the training mean.
    public func predict(user: String, item: String) -> Float {
        guard let u = users.index(of: user), let i = items.index(of: item) else { return mean }
        return predict(user: Int(u), item: Int(i))
    }

    /// Predicts by dense indices, clipped to the rating range.
    public func predict(user u: Int, item i: Int) -> Float {
        clip(rawPrediction(user: u, item: i))
    }

    /// Predictions for many (user, item) external-id pairs at once; unknown ids and ids without
    /// training ratings get the training mean.
    public func predictAll(_ pairs: Ratings) -> [Float] {
        let dense = denseIndices(of: pairs)
        return predict(count: pairs.count) { dense[$0] }
    }

    /// Predictions for pairs already in this model's dense indices (same id maps).
    func predictAll(indexed pairs: Ratings) -> [Float] {
        predict(count: pairs.count) { k in (Int(pairs.userIndex[k]), Int(pairs.itemIndex[k])) }
    }

    private func predict(count: Int, pair: (Int) -> (Int, Int)?) -> [Float] {
        var out = [Float](repeating: mean, count: count)
        for k in 0..<count {
            guard let (u, i) = pair(k) else { continue }
            let (s, o) = sampleAndOutput(user: u, item: i)
            if inputs.count(ofRow: s) == 0 || !outputSeen[o] { continue }
            out[k] = predict(user: u, item: i)
        }
        return out
    }
}

/// Picks the highest-scoring indices, best first, ties broken by lower index.
public enum TopN {
    public static func select(_ scores: [Float], count n: Int, excluding: Set<Int> = []) -> [Int] {
        var heap: [(Float, Int)] = []  // a small sorted buffer is fine for the n used here
        heap.reserveCapacity(n + 1)
        for (i, s) in scores.enumerated() where !excluding.contains(i) && !s.isNaN {
            if heap.count == n, let last = heap.last, !(s > last.0) { continue }
            var pos = heap.count
            while pos > 0 && (heap[pos - 1].0 < s) { pos -= 1 }
            heap.insert((s, i), at: pos)
            if heap.count > n { heap.removeLast() }
        }
        return heap.map { $0.1 }
    }
}
