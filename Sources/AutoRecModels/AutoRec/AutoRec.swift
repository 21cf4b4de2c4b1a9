import Linalg
import AutoRecCore

/// A trained AutoRec model: weights, id maps, the training ratings it encodes from, and their codes.
/// Predicts ratings for known users and items, falls back to the training mean otherwise.
public struct AutoRec: Sendable {
    /// Its kind's name: i-autorec or u-autorec by orientation, unless the catalogue names it.
    public var kind: String
    /// The kind name its files carry by orientation; the catalogue registers the kinds under them.
    public static func kindName(_ orientation: AutoRecOrientation) -> String { orientation == .item ? "i-autorec" : "u-autorec" }
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
        self.kind = Self.kindName(config.orientation)
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
