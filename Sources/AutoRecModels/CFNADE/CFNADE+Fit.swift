import Foundation
import Linalg
import AutoRecCore

/// What a CF-NADE run reports.
public struct CFNADESummary: Sendable {
    /// Every epoch run, the refit's included.
    public var epochs = 0
    public var refitEpochs = 0
    public var bestEpoch = 0
    public var trainSeconds = 0.0
    public var epochSeconds: [Double] = []
    public var validationRMSE: Double?
    public var stopReason = ""
}

extension CFNADE {
    /// Trains by Adam over shuffled batches of samples, each with a fresh order and split per epoch,
    /// keeping a moving average of the weights. A seeded share of the ratings is held out to choose
    /// the epoch count by validation RMSE; with `refit` the model is trained again on all ratings
    /// for that many epochs, else it keeps the best epoch's weights. It conditions on all of `ratings`.
    public static func fit(_ ratings: Ratings, config c: CFNADEConfig,
                           progress: ((TrainingProgress) -> Void)? = nil) throws -> (CFNADE, CFNADESummary) {
        guard ratings.count > 0 else { throw SettingError("no ratings to train on") }
        let levelValues = try CFNADE.levelValues(ratings.values)
        let start = monotonicSeconds()
        var summary = CFNADESummary()
        var weights: [Float]
        if c.validationFraction > 0 && ratings.count >= 20 {
            let split = ratings.randomSplit(fraction: c.validationFraction, seed: c.seed &+ 0x5EED)
            let run = TrainingRun(config: c, ratings: split.rest, levelValues: levelValues)
            let outcome = run.train(epochs: c.epochs, validation: split.heldOut, summary: &summary, progress: progress)
            weights = outcome.weights
            summary.bestEpoch = outcome.bestEpoch
            summary.validationRMSE = outcome.bestRMSE
            if c.refit {
                let again = TrainingRun(config: c, ratings: ratings, levelValues: levelValues)
                var refit = CFNADESummary()
                weights = again.train(epochs: outcome.bestEpoch, validation: nil, summary: &refit, progress: progress, refitting: true).weights
                summary.refitEpochs = refit.epochs
                summary.epochs += refit.epochs
                summary.epochSeconds += refit.epochSeconds
            }
        } else {
            weights = TrainingRun(config: c, ratings: ratings, levelValues: levelValues)
                .train(epochs: c.epochs, validation: nil, summary: &summary, progress: progress).weights
            summary.bestEpoch = summary.epochs
            summary.stopReason = "reached the epoch limit (no validation part)"
        }
        let model = CFNADE(config: c, parameters: weights, users: ratings.users, items: ratings.items,
                           history: ratings.userItemMatrix(), levelValues: levelValues)
        summary.trainSeconds = monotonicSeconds() - start
        return (model, summary)
    }

    /// One run of the epoch loop on a fixed training table.
    struct TrainingRun {
        let config: CFNADEConfig
        let ratings: Ratings
        let levelValues: [Float]
        let history: CSRMatrix
        let samples: CSRMatrix
        let level: [UInt8]
        let network: CFNADENetwork

        init(config: CFNADEConfig, ratings: Ratings, levelValues: [Float]) {
            self.config = config; self.ratings = ratings; self.levelValues = levelValues
            history = ratings.userItemMatrix()
            samples = config.orientation == .item ? history.transposed() : history
            level = CFNADE.levels(samples.values, levelValues)
            network = CFNADENetwork(inputs: samples.cols, hidden: config.hidden, levels: levelValues.count,
                                    sharing: config.sharing, ordinal: config.ordinal, inputScaling: config.inputScaling)
        }

        /// Up to `epochs` epochs; with `validation`, early stopping and the best epoch's averaged weights.
        func train(epochs: Int, validation: Ratings?, summary: inout CFNADESummary,
                   progress: ((TrainingProgress) -> Void)?, refitting: Bool = false) -> (weights: [Float], bestEpoch: Int, bestRMSE: Double?) {
            let c = config
            var params = network.initialParameters(seed: c.seed)
            var average = params
            var adam = Adam(parameterCount: params.count, learningRate: c.learningRate)
            var gradient = [Float](repeating: 0, count: params.count)
            let workspace = CFNADENetwork.Workspace()
            var stopping = EarlyStopping(metric: .rmse, patience: c.patience), bestWeights = params
            var rng = SeededRandom(seed: c.seed &+ 0xC0DE)
            let withRatings = (0..<samples.rows).filter { samples.count(ofRow: $0) > 0 }
            let batchSize = c.batchSize > 0 ? c.batchSize : max(1, (withRatings.count + c.stepsPerEpoch - 1) / max(1, c.stepsPerEpoch))
            for epoch in 1...max(1, epochs) {
                let epochStart = monotonicSeconds()
                var order = withRatings
                rng.shuffle(&order)
                var loss = 0.0
                for batchStart in stride(from: 0, to: order.count, by: batchSize) {
                    let batch = Array(order[batchStart..<min(order.count, batchStart + batchSize)])
                    let draws = batch.map { CFNADENetwork.draw(count: samples.count(ofRow: $0), seed: c.seed &+ UInt64(epoch) &* 0x9E37_79B9 &+ UInt64($0)) }
                    for j in 0..<gradient.count { gradient[j] = 0 }
                    loss += network.loss(params, data: samples, level: level, samples: batch, draws: draws, l2: c.l2,
                                         regularizationScale: Float(batch.count) / Float(max(1, order.count)), workspace: workspace,
                                         gradient: &gradient)
                    adam.update(&params, gradient: gradient)
                    let d = c.averaging
                    if d > 0 { for j in 0..<params.count { average[j] = d * average[j] + (1 - d) * params[j] } } else { average = params }
                }
                summary.epochs = epoch
                var rmse: Double? = nil
                if let validation {
                    let probe = CFNADE(config: c, parameters: average, users: ratings.users, items: ratings.items,
                                       history: history, levelValues: levelValues)
                    rmse = RatingMetrics(predictions: probe.predictAll(validation), truth: validation.values).rmse
                    if stopping.record(epoch: epoch, score: rmse!) { bestWeights = average }
                }
                let seconds = monotonicSeconds() - epochStart
                summary.epochSeconds.append(seconds)
                progress?(TrainingProgress(epoch: epoch, loss: loss, validation: rmse, metric: .rmse, seconds: seconds,
                                           refitting: refitting, mostEpochsLeft: epochs - epoch))
                if validation != nil && stopping.shouldStop(after: epoch) {
                    summary.stopReason = stopping.stopReason
                    break
                }
            }
            if validation == nil { return (average, epochs, nil) }
            if summary.stopReason.isEmpty { summary.stopReason = "reached the epoch limit" }
            return (bestWeights, stopping.bestEpoch, stopping.bestScore)
        }
    }
}
