import Foundation
import Linalg
import AutoRecCore

/// Hyperparameters of CF-NADE. Item-based by default (each item's ratings by user are one sample),
/// as in the paper's best results. The defaults were chosen on the validation part (5%) of the
/// ML-100K 90/10 training split: the ordinal cost, L2 30 and the weight average each lowered its RMSE.
public struct CFNADEConfig: Sendable, Equatable, Codable {
    public var orientation: AutoRecOrientation = .item
    public var hidden = 500
    public var epochs = 150
    /// Samples per Adam step; 0 splits the samples into `stepsPerEpoch` batches. Every step touches
    /// every weight (Adam, the effective weights), so a fixed number of steps keeps an epoch's cost
    /// linear in the ratings where a fixed batch size would grow with samples x inputs.
    public var batchSize = 0
    /// Adam steps per epoch when `batchSize` is 0 (26: batches of 65 items on ML-100K).
    public var stepsPerEpoch = 26
    public var learningRate: Float = 1e-3
    /// L2 weight on W and V (summed cost; scaled by the batch's share of the samples).
    public var l2: Float = 30
    /// Weight of the ordinal cost (0: the softmax cost alone; 1: the ordinal cost alone).
    public var ordinal: Float = 1
    /// The paper's weight sharing across rating levels (a rating of r uses the weights of 1..r).
    public var sharing = true
    /// Share of the ratings held out for early stopping by validation RMSE; 0 turns it off.
    public var validationFraction = 0.05
    public var patience = 15
    /// Decay per step of the moving average of the weights the model keeps; 0 keeps the last weights.
    public var averaging: Float = 0.998
    /// After early stopping picks the epoch count, train again on all ratings for that many epochs.
    public var refit = true
    /// How a sample's input sum is scaled by its number of ratings (none, sqrt or count).
    public var inputScaling: InputScaling = .none
    public var seed: UInt64 = 1
    public init() {}
}

/// A trained CF-NADE: the network, its weights, the rating levels, and the training ratings it
/// conditions on (each sample's code comes from all of them). The predicted rating of a pair is the
/// expected level under the sample's distribution at the pair's output.
public struct CFNADE: Sendable {
    /// The kind name its files carry; the catalogue registers the kind under it.
    public static let kindName = "cf-nade"
    public var kind = Self.kindName
    public let config: CFNADEConfig
    public let network: CFNADENetwork
    public let parameters: [Float]
    public let users: IDMap
    public let items: IDMap
    /// The training ratings as users x items.
    public let history: CSRMatrix
    /// The rating value of each level, ascending.
    public let levelValues: [Float]
    /// Each sample's code (items x hidden when item-based, users x hidden when user-based).
    let codes: Matrix
    let effective: CFNADENetwork.Effective
    /// The training mean: the prediction for an unknown user or item.
    public let mean: Float

    init(config: CFNADEConfig, parameters: [Float], users: IDMap, items: IDMap, history: CSRMatrix, levelValues: [Float]) {
        self.config = config; self.parameters = parameters; self.users = users; self.items = items
        self.history = history; self.levelValues = levelValues
        let samples = config.orientation == .item ? history.transposed() : history
        network = CFNADENetwork(inputs: samples.cols, hidden: config.hidden, levels: levelValues.count,
                                sharing: config.sharing, ordinal: config.ordinal, inputScaling: config.inputScaling)
        effective = network.effective(parameters)
        codes = network.codes(effective, data: samples, level: Self.levels(samples.values, levelValues))
        mean = history.values.isEmpty ? 0 : history.values.reduce(0, +) / Float(history.values.count)
    }

    /// The level index of each rating value (the nearest level).
    static func levels(_ values: [Float], _ levelValues: [Float]) -> [UInt8] {
        values.map { v in UInt8(levelValues.indices.min { abs(levelValues[$0] - v) < abs(levelValues[$1] - v) } ?? 0) }
    }

    /// The distinct rating values of `ratings`, ascending; refuses more than 20 (CF-NADE models
    /// discrete levels).
    static func levelValues(_ values: [Float]) throws -> [Float] {
        let distinct = Array(Set(values)).sorted()
        guard distinct.count <= 20 else {
            throw SettingError("cf-nade models discrete rating levels; these ratings take \(distinct.count) distinct values (at most 20)")
        }
        return distinct
    }

    /// The expected rating of user u for item i (dense indices).
    public func predict(user u: Int, item i: Int) -> Float {
        var levels = [Float](repeating: 0, count: levelValues.count)
        return predict(user: u, item: i, levels: &levels)
    }

    /// The same with the caller's buffer for the level probabilities (one per thread when scoring).
    func predict(user u: Int, item i: Int, levels p: inout [Float]) -> Float {
        let (sample, output) = config.orientation == .item ? (i, u) : (u, i)
        codes.storage.withUnsafeBufferPointer { c in
            network.distribution(effective, code: c.baseAddress! + sample * network.hidden, output: output, into: &p)
        }
        var expected: Float = 0
        for t in 0..<levelValues.count { expected += p[t] * levelValues[t] }
        return expected
    }
}

extension CFNADE: RatingPredictor {
    public var ratingRange: ClosedRange<Float> {
        let lowest = levelValues.min() ?? 1
        return lowest...max(lowest, levelValues.max() ?? lowest)
    }

    public func predict(user: String, item: String) -> Float {
        guard let u = users.index(of: user), let i = items.index(of: item) else { return mean }
        return predict(user: Int(u), item: Int(i))
    }

    public func predictAll(_ pairs: Ratings) -> [Float] {
        let dense = denseIndices(of: pairs)
        var out = [Float](repeating: mean, count: pairs.count)
        out.withUnsafeMutableBufferPointer { op in
            Parallel.forChunks(pairs.count) { _, range in
                var levels = [Float](repeating: 0, count: levelValues.count)
                for k in range { if let (u, i) = dense[k] { op[k] = predict(user: u, item: i, levels: &levels) } }
            }
        }
        return out
    }

    public func blockScorer() -> @Sendable ([Int]) -> Matrix {
        let model = self
        return { block in
            var m = Matrix(rows: block.count, cols: model.items.count)
            m.storage.withUnsafeMutableBufferPointer { mp in
                Parallel.forEach(block.count) { r in
                    var levels = [Float](repeating: 0, count: model.levelValues.count)
                    for i in 0..<model.items.count { mp[r * model.items.count + i] = model.predict(user: block[r], item: i, levels: &levels) }
                }
            }
            return m
        }
    }

    /// User-based CF-NADE encodes the new user's ratings; item-based cannot (a user is an output unit).
    public func foldIn(items given: [Int], values: [Float]) throws -> [Float] {
        guard config.orientation == .user else {
            throw FoldInUnsupported(kind: kind, reason: "item-based CF-NADE predicts a user through the user's own output unit, fixed at training; train it with --orientation user to fold in")
        }
        let row = CSRMatrix(rows: 1, cols: items.count, entries: zip(given, values).map { (row: 0, col: $0.0, value: $0.1) })
        let code = network.codes(effective, data: row, level: Self.levels(row.values, levelValues))
        var p = [Float](repeating: 0, count: levelValues.count)
        return code.storage.withUnsafeBufferPointer { c in
            (0..<items.count).map { i in
                network.distribution(effective, code: c.baseAddress!, output: i, into: &p)
                return zip(p, levelValues).reduce(0) { $0 + $1.0 * $1.1 }
            }
        }
    }

    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        RankerFile.file(kind: kind, users: users, items: items, history: history, configuration: config, extraHeader: extraHeader,
                        arrays: [("parameters", parameters), ("levels", levelValues)])
    }

    public init(modelFile f: ModelFile, path: String = "model") throws {
        let (u, i, h) = try RankerFile.common(f, path: path)
        func fail(_ m: String) -> ModelFileError { ModelFileError(path: path, message: m) }
        let c = try f.configuration(CFNADEConfig.self, defaults: CFNADEConfig(), path: path)
        let orientation = c.orientation
        let levels = try f.array("levels")
        guard c.hidden >= 1, !levels.isEmpty, levels.count <= 20, levels.allSatisfy(\.isFinite),
              zip(levels, levels.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw fail("hidden \(c.hidden) or the \(levels.count) rating levels are not valid")
        }
        let inputs = orientation == .item ? u.count : i.count
        guard let count = CFNADENetwork.checkedCount(inputs: inputs, hidden: c.hidden, levels: levels.count) else {
            throw fail("header sizes hidden=\(c.hidden) with \(inputs) inputs and \(levels.count) levels overflow")
        }
        let parameters = try RankerFile.array(f, "parameters", count: count, path: path)
        guard parameters.allSatisfy(\.isFinite) else { throw fail("weights are not finite numbers") }
        self.init(config: c, parameters: parameters, users: u, items: i, history: h, levelValues: levels)
    }
}
