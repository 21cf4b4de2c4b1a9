import Dispatch
import Linalg
import AutoRecCore

/// What one epoch of training reports (for progress display and the `--json` summary).
public struct EpochReport: Sendable {
    public var epoch: Int
    /// Root mean squared error on the ratings trained on, from the epoch's loss.
    public var trainRMSE: Double
    /// The full objective (squared error plus L2) summed over the epoch.
    public var objective: Double
    public var validationRMSE: Double?
    public var seconds: Double
    /// True for the epochs of the final refit on all ratings.
    public var refitting: Bool
}

/// Summary of a finished training run.
public struct TrainingSummary: Sendable {
    /// Every epoch run, the refit's included.
    public var epochs: Int
    /// Epochs of the final refit on all ratings (0 without refit).
    public var refitEpochs: Int
    public var bestEpoch: Int
    public var trainSeconds: Double
    public var secondsPerEpoch: Double
    public var validationRMSE: Double?
    public var functionEvaluations: Int
    public var stopReason: String
    /// Seconds per stage of the loss and gradient passes (`AutoRecObjective.stageNames`), all epochs.
    public var stageSeconds: [Double] = []
}

extension AutoRec {
    /// Trains AutoRec on `ratings`. A seeded share of the ratings (config.validationFraction) is held
    /// out for early stopping; the model keeps the weights of the best validation epoch, or with
    /// `config.refit` is trained again on all ratings for that many epochs. It encodes from all the
    /// training ratings. A caller that passes `consume ratings` lets the entry arrays be freed once the
    /// matrices are built, before the weights are allocated.
    public static func fit(_ ratings: consuming Ratings, config: AutoRecConfig,
                           progress: ((EpochReport) -> Void)? = nil) -> (model: AutoRec, summary: TrainingSummary) {
        precondition(ratings.count > 0, "no ratings to train on")
        let orient: (CSRMatrix) -> CSRMatrix = { config.orientation == .item ? $0.transposed() : $0 }
        let info = RatingsInfo(ratings)
        let start = monotonicSeconds()
        var outcome: TrainingOutcome
        let all: CSRMatrix
        if config.validationFraction > 0 && ratings.count >= 20 {
            // The matrix of all ratings is built only after this run, from its two parts: during the
            // run it would be a third copy of the ratings (160 MB at 20M).
            let (matrix, heldOut) = validationData(ratings, config: config, orient: orient)
            ratings = Ratings()
            outcome = validationOutcome(matrix: matrix, heldOut: heldOut, info: info, config: config, progress: progress)
            all = config.orientation == .item
                ? matrix.adding(rows: heldOut.itemIndex, columns: heldOut.userIndex, values: heldOut.values)
                : matrix.adding(rows: heldOut.userIndex, columns: heldOut.itemIndex, values: heldOut.values)
            if config.refit && outcome.bestEpoch > 0 {
                // The first run's arrays are gone by now: only its epoch count is carried over.
                let again = TrainingRun(config: config, info: info, matrix: all, validation: nil, refitting: true)
                    .outcome(epochs: outcome.bestEpoch, progress: progress)
                outcome.absorbRefit(again)
            } else if config.refit {
                // No epoch was scored: the result is the initial weights, as a run that kept them would give.
                outcome.weights = AutoRecParameters(inputs: all.cols, hidden: config.hidden, seed: config.seed).flat
            }
        } else {
            all = orient(ratings.userItemMatrix())
            ratings = Ratings()  // (an explicit value frees the arrays now; `_ = consume` may wait)
            outcome = TrainingRun(config: config, info: info, matrix: all, validation: nil, refitting: false)
                .outcome(epochs: config.epochs, progress: progress)
        }
        let trainSeconds = monotonicSeconds() - start
        let model = AutoRec(config: config,
                            parameters: AutoRecParameters(inputs: all.cols, hidden: config.hidden, flat: outcome.weights),
                            users: info.users, items: info.items, inputs: all,
                            mean: info.mean, ratingRange: info.range)
        let summary = TrainingSummary(epochs: outcome.epochsRun, refitEpochs: outcome.refitEpochs, bestEpoch: outcome.bestEpoch,
                                      trainSeconds: trainSeconds,
                                      secondsPerEpoch: trainSeconds / Double(max(1, outcome.epochsRun)),
                                      validationRMSE: outcome.bestRMSE.isFinite ? outcome.bestRMSE : nil,
                                      functionEvaluations: outcome.evaluations, stopReason: outcome.stopReason,
                                      stageSeconds: outcome.stageSeconds)
        return (model, summary)
    }

    /// The early-stopping run on `matrix`, scored on `heldOut`. With `config.refit` its weights are
    /// not kept (the refit replaces them), which saves a copy of the parameters.
    static func validationOutcome(matrix: CSRMatrix, heldOut: Ratings, info: RatingsInfo, config: AutoRecConfig,
                                  progress: ((EpochReport) -> Void)?) -> TrainingOutcome {
        // A temporary, not a variable: the consuming call then takes it without a copy, which would
        // otherwise share the weights and cost a full copy at the first update.
        TrainingRun(config: config, info: info, matrix: matrix, validation: heldOut, refitting: false,
                    keepsBest: !config.refit)
            .outcome(epochs: config.epochs, progress: progress)
    }
}

/// The matrix of the ratings the validation run trains on and the held-out ones (the split's
/// training part is freed on return).
private func validationData(_ ratings: borrowing Ratings, config: AutoRecConfig,
                            orient: (CSRMatrix) -> CSRMatrix) -> (matrix: CSRMatrix, heldOut: Ratings) {
    let split = ratings.randomSplit(fraction: config.validationFraction, seed: config.seed &+ 0x5EED)
    return (orient(split.rest.userItemMatrix()), split.heldOut)
}

/// What a finished run hands back: its result weights and its counts. Holding only this, the run's
/// objective and optimiser state are freed before the next run starts.
struct TrainingOutcome {
    var weights: [Float]
    var bestRMSE: Double
    var bestEpoch: Int
    var epochsRun: Int
    var refitEpochs = 0
    var evaluations: Int
    var stopReason: String
    var stageSeconds: [Double]

    /// Takes the refit's weights, adds its epochs, evaluations and stage times to this run's.
    mutating func absorbRefit(_ refit: TrainingOutcome) {
        weights = refit.weights
        epochsRun += refit.epochsRun
        refitEpochs = refit.epochsRun
        evaluations += refit.evaluations
        stageSeconds = zip(stageSeconds, refit.stageSeconds).map { $0 + $1 }
    }
}

/// What a run needs of the ratings besides their matrix: the id maps, the mean and the range.
struct RatingsInfo {
    let users: IDMap
    let items: IDMap
    let mean: Float
    let range: ClosedRange<Float>

    init(_ ratings: borrowing Ratings) {
        users = ratings.users
        items = ratings.items
        mean = ratings.mean
        range = ratings.range
    }
}

/// One optimisation run over one matrix, with optional validation-based early stopping.
struct TrainingRun {
    let config: AutoRecConfig
    let info: RatingsInfo
    let matrix: CSRMatrix
    let validation: Ratings?
    let refitting: Bool
    let objective: AutoRecObjective
    var params: [Float]
    var best: [Float]
    /// Validation RMSE must improve by more than 1e-6 to count as better.
    var stopping: EarlyStopping
    var epochsRun = 0
    var evaluations = 0
    var stopReason = "reached the epoch limit"
    /// Whether the best validation epoch's weights are copied aside (a full copy of the parameters);
    /// off when a refit will replace them, and unused without validation (the last weights are the result).
    let keepsBest: Bool

    init(config: AutoRecConfig, info: RatingsInfo, matrix: CSRMatrix, validation: Ratings?, refitting: Bool,
         keepsBest: Bool = true) {
        self.config = config
        self.keepsBest = keepsBest
        self.info = info
        self.matrix = matrix
        self.validation = validation
        self.refitting = refitting
        stopping = EarlyStopping(metric: .rmse, patience: config.patience, margin: 1e-6)
        objective = AutoRecObjective(data: matrix, hidden: config.hidden, encoder: config.encoder,
                                     decoder: config.decoder, l2: config.l2,
                                     inputShift: config.centerInputs ? info.mean : 0,
                                     inputScaling: config.inputScaling)
        params = AutoRecParameters(inputs: matrix.cols, hidden: config.hidden, seed: config.seed).flat
        best = []
    }

    /// Trains for at most `epochs` and hands back the result, consuming the run.
    consuming func outcome(epochs: Int, progress: ((EpochReport) -> Void)?) -> TrainingOutcome {
        if validating && keepsBest { best = params }
        // What the setup freed (the ratings, the matrices' scratch, an earlier run) stays in the C
        // heap and would count on top of this run's arrays (1.2 GB at 20M ratings) until returned.
        Memory.returnFreedPages()
        train(epochs: epochs, progress: progress)
        params = []
        return TrainingOutcome(weights: best, bestRMSE: stopping.bestScore, bestEpoch: validating ? stopping.bestEpoch : epochsRun,
                               epochsRun: epochsRun,
                               evaluations: evaluations, stopReason: stopReason, stageSeconds: objective.stageSeconds)
    }

    /// Whether epochs are scored on held-out ratings (else the last weights are the result).
    var validating: Bool { (validation?.count ?? 0) > 0 }

    /// Validation RMSE of `flat`, encoding from the ratings this run trains on.
    func validationRMSE(_ flat: [Float]) -> Double? {
        guard let val = validation, val.count > 0 else { return nil }
        let m = AutoRec(config: config, parameters: AutoRecParameters(inputs: matrix.cols, hidden: config.hidden, flat: flat),
                        users: info.users, items: info.items, inputs: matrix,
                        mean: info.mean, ratingRange: info.range, keepsHistory: false)
        let preds = m.predictAll(indexed: val)
        return RatingMetrics(predictions: preds, truth: val.values).rmse
    }

    /// Copies `weights` into `best`'s own storage. Assigning the array instead would share it, and the
    /// next update would copy the whole vector into fresh pages (267 MB at 10M synthetic ratings).
    mutating func keepBest(_ weights: [Float]) {
        guard best.count == weights.count else { best = weights; return }
        best.withUnsafeMutableBufferPointer { b in
            weights.withUnsafeBufferPointer { w in b.baseAddress!.update(from: w.baseAddress!, count: w.count) }
        }
    }

    /// Records an epoch; false when early stopping says to stop.
    mutating func finishEpoch(_ epoch: Int, weights: [Float], objectiveValue: Double, squaredError: Double,
                              entries: Int, started: Double, progress: ((EpochReport) -> Void)?) -> Bool {
        let rmse = validationRMSE(weights)
        progress?(EpochReport(epoch: epoch, trainRMSE: (squaredError / Double(max(1, entries))).squareRoot(),
                              objective: objectiveValue, validationRMSE: rmse,
                              seconds: monotonicSeconds() - started, refitting: refitting))
        epochsRun = epoch
        // Without validation the last weights are the result; `train` takes them when it ends.
        guard let r = rmse else { return true }
        if stopping.record(epoch: epoch, score: r) {
            if keepsBest { keepBest(weights) }
            return true
        }
        if stopping.shouldStop(after: epoch) {
            stopReason = stopping.stopReason
            return false
        }
        return true
    }

    /// Runs `body` with the weights that count as this epoch's result: the average when there is
    /// one, else the weights. A compact average is added into the weights for the call and taken out
    /// again (no second parameter-sized array).
    mutating func withAveragedWeights<R>(_ average: WeightAverage, _ body: (inout TrainingRun, [Float]) -> R) -> R {
        if let full = average.fullValues { return body(&self, full) }
        guard average.isCompact else { let weights = params; return body(&self, weights) }
        average.addOffset(to: &params)
        let weights = params
        let result = body(&self, weights)
        _ = consume weights
        average.subtractOffset(from: &params)
        return result
    }

    /// Runs the configured optimiser for up to `epochs` epochs (fewer when early stopping says so).
    mutating func train(epochs: Int, progress: ((EpochReport) -> Void)?) {
        switch config.optimizer {
        case .adam: trainWithAdam(epochs: epochs, progress: progress)
        case .lbfgs: trainWithLBFGS(epochs: epochs, progress: progress)
        }
    }

    /// Adam over shuffled mini-batches (one full batch when `batchSize` is 0), each step fused into
    /// the gradient pass, with the optional moving average of the weights as the epoch's result.
    private mutating func trainWithAdam(epochs: Int, progress: ((EpochReport) -> Void)?) {
        let compact = config.optimizerState.isCompact(parameterCount: params.count)
        var adam = Adam(parameterCount: params.count, learningRate: config.learningRate, compact: compact)
        var rng = SeededRandom(seed: config.seed &+ 0xADA)
        var order = Array(0..<matrix.rows)
        let batch = config.batchSize > 0 ? config.batchSize : max(1, matrix.rows)
        let decay = config.weightAveraging
        var average = decay > 0 ? WeightAverage(startingAt: params, compact: compact) : .none
        for epoch in 1...max(1, epochs) {
            let t0 = monotonicSeconds()
            // A full batch sums over every sample: its order would change only the rounding, and
            // keeping it lets the objective reuse its grouping of the entries from epoch to epoch.
            if batch < order.count { rng.shuffle(&order) }
            var total = 0.0, se = 0.0, entries = 0
            var b = 0
            while b < order.count {
                let slice = Array(order[b..<min(order.count, b + batch)])
                let scale = Float(slice.count) / Float(order.count)
                // The step is fused into the gradient pass: each tile's weights are stepped as soon
                // as their gradient is final, so no full gradient vector is ever held.
                let objective = self.objective, dropout = config.inputDropout, keptWeight = config.keptLossWeight
                let maskSeed = config.seed &* 0x1000193 &+ UInt64(epoch) &* 0x100000001B3 &+ UInt64(b)
                let stepDecay: Float = adam.step == 0 ? 0 : decay
                total += adam.withStep(average: &average, decay: stepDecay) { step in
                    objective.evaluate(&params, samples: slice, regularizationScale: scale, dropout: dropout,
                                       maskSeed: maskSeed, keptWeight: keptWeight) { range, p, g in
                        step.apply(range, params: p, gradient: g)
                    }
                }
                se += objective.lastSquaredError
                entries += objective.lastEntries
                evaluations += 1
                b += batch
            }
            let goOn = withAveragedWeights(average) { run, weights in
                run.finishEpoch(epoch, weights: weights, objectiveValue: total, squaredError: se,
                                entries: entries, started: t0, progress: progress)
            }
            if !goOn { break }
        }
        if !validating {
            if average.isCompact { average.addOffset(to: &params) }
            best = average.fullValues ?? params
        }
    }

    /// L-BFGS on the full batch, one line-searched step an epoch, until it finds no decrease.
    private mutating func trainWithLBFGS(epochs: Int, progress: ((EpochReport) -> Void)?) {
        var grad = [Float](repeating: 0, count: params.count)
        var opt = LBFGS(memory: config.lbfgsMemory)
        var f = objective.evaluate(params, gradient: &grad)
        evaluations += 1
        for epoch in 1...max(1, epochs) {
            let t0 = monotonicSeconds()
            let objective = self.objective
            let step = opt.step(x: &params, loss: &f, gradient: &grad) { x, g in objective.evaluate(x, gradient: &g) }
            evaluations += step.evaluations
            if !step.improved {
                stopReason = "L-BFGS line search found no further decrease"
                if !validating { best = params }
                break
            }
            if !finishEpoch(epoch, weights: params, objectiveValue: f, squaredError: objective.lastSquaredError,
                            entries: objective.lastEntries, started: t0, progress: progress) { break }
        }
        if !validating { best = params }
    }
}
