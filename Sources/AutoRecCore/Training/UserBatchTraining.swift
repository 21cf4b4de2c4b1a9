import Linalg

/// The training loop every neural top-N model shares: shuffled batches of users, Adam, an optional
/// moving average of the weights, and, with a validation share, Recall@20 on each user's held-out
/// items after every epoch (the best epoch's weights are kept, and the run stops once `patience`
/// epochs pass without a better one). An epoch is one pass over the users, or the `Phase`s a model
/// alternates (RecVAE: encoder passes, then decoder passes), each with its own Adam.
package struct UserBatchTraining {
    /// The most epochs; with a validation share and a patience, the run may stop earlier.
    var epochs: Int
    var batchSize: Int
    var learningRate: Float
    var averaging: Float
    var validationFraction: Double
    /// Epochs without a better validation Recall@20 before stopping; 0 runs every epoch.
    var patience: Int
    var seed: UInt64

    package init(epochs: Int, batchSize: Int, learningRate: Float, averaging: Float, validationFraction: Double,
                 patience: Int, seed: UInt64) {
        self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate; self.averaging = averaging
        self.validationFraction = validationFraction; self.patience = patience; self.seed = seed
    }

    /// The loss of one batch with its gradient written into `gradient`: the parameters, the batch's
    /// user indices and interactions, the 1-based update count, and the run's random stream.
    package typealias Step = (_ params: [Float], _ users: [Int], _ batch: SparseRows, _ step: Int,
                      _ rng: inout SeededRandom, _ gradient: inout [Float]) -> Double

    /// One part of an epoch: `passes` passes over the shuffled users that update only the
    /// parameters in `updates`, with this phase's own Adam. `begin` sees the parameters as the
    /// phase starts (RecVAE's prior reads the encoder as it was) and gives the phase's step.
    package struct Phase {
        var passes: Int
        var updates: Range<Int>
        var begin: (_ parametersAtStart: [Float]) -> Step

        package init(passes: Int, updates: Range<Int>, begin: @escaping (_ parametersAtStart: [Float]) -> Step) {
            self.passes = passes; self.updates = updates; self.begin = begin
        }
    }

    /// Trains from `initial` with one step over all parameters, one pass an epoch.
    package func run(_ data: ImplicitData, initial: [Float], step: @escaping Step,
             model: ([Float], CSRMatrix) -> any Ranker,
             progress: ((RankingEpochReport) -> Void)?) -> (parameters: [Float], summary: RankingTrainingSummary) {
        run(data, initial: initial, phases: [Phase(passes: 1, updates: 0..<initial.count, begin: { _ in step })],
            model: model, progress: progress)
    }

    /// Trains from `initial`, every epoch running `phases` in order; `model` builds a ranker of
    /// some weights over a history (for validation).
    package func run(_ data: ImplicitData, initial: [Float], phases: [Phase],
             model: ([Float], CSRMatrix) -> any Ranker,
             progress: ((RankingEpochReport) -> Void)?) -> (parameters: [Float], summary: RankingTrainingSummary) {
        var state = State(self, data: data, initial: initial, phases: phases.count)
        let start = monotonicSeconds()
        for epoch in 1...max(1, epochs) {
            let t0 = monotonicSeconds()
            var lossSum = 0.0, batches = 0
            for (index, phase) in phases.enumerated() {
                let step = phase.begin(state.params)
                for _ in 0..<max(0, phase.passes) {
                    let pass = state.pass(step, phase: index, updates: phase.updates, averaging: averaging)
                    lossSum += pass.loss; batches += pass.batches
                }
            }
            let seconds = monotonicSeconds() - t0
            let recall = state.validate(epoch: epoch, seconds: seconds, model: model)
            progress?(RankingEpochReport(epoch: epoch, loss: lossSum / Double(max(1, batches)), seconds: seconds, validationRecall: recall))
            if recall != nil, state.stopping.shouldStop(after: epoch) {
                state.summary.stopReason = state.stopping.stopReason
                break
            }
        }
        state.summary.trainSeconds = monotonicSeconds() - start
        if state.summary.bestEpoch == 0 { state.summary.bestEpoch = state.summary.epochs }
        return (state.best ?? state.current, state.summary)
    }

    /// What a run carries from update to update.
    private struct State {
        var params: [Float]
        let trainMatrix: CSRMatrix
        let heldOut: [Int: Set<Int>]
        var order: [Int]
        var rng: SeededRandom
        var optimizers: [Adam]
        var gradient: [Float]
        var average: WeightAverage
        var updates = 0
        let batchSize: Int
        var summary = RankingTrainingSummary()
        var best: [Float]? = nil
        var stopping: EarlyStopping

        init(_ loop: UserBatchTraining, data: ImplicitData, initial: [Float], phases: Int) {
            params = initial
            stopping = EarlyStopping(metric: .recall20, patience: loop.patience)
            var matrix = data.matrix, heldOut: [Int: Set<Int>] = [:]
            if loop.validationFraction > 0 { (matrix, heldOut) = data.holdOut(fraction: loop.validationFraction, seed: loop.seed &+ 7) }
            trainMatrix = matrix; self.heldOut = heldOut
            order = (0..<matrix.rows).filter { matrix.count(ofRow: $0) > 0 }
            rng = SeededRandom(seed: loop.seed &+ 1)
            optimizers = (0..<max(1, phases)).map { _ in Adam(parameterCount: initial.count, learningRate: loop.learningRate) }
            gradient = [Float](repeating: 0, count: initial.count)
            average = loop.averaging > 0 ? WeightAverage(startingAt: initial, compact: false) : .none
            batchSize = max(1, loop.batchSize)
        }

        /// The weights the model keeps: the average when averaging, else the weights.
        var current: [Float] { average.fullValues ?? params }

        /// One pass over the shuffled users with phase `phase`'s step and optimizer.
        mutating func pass(_ step: UserBatchTraining.Step, phase: Int, updates part: Range<Int>,
                           averaging: Float) -> (loss: Double, batches: Int) {
            rng.shuffle(&order)
            var lossSum = 0.0, batches = 0, b = 0
            while b < order.count {
                let users = Array(order[b..<min(order.count, b + batchSize)])
                updates += 1
                lossSum += step(params, users, SparseRows(trainMatrix, rows: users), updates, &rng, &gradient)
                optimizers[phase].update(&params, gradient: gradient, within: part, average: &average,
                                         decay: averaging > 0 && updates > 1 ? averaging : 0)
                batches += 1; b += users.count
            }
            return (lossSum, batches)
        }

        /// Records the epoch; with held-out items, its validation Recall@20 (keeping the best weights).
        mutating func validate(epoch: Int, seconds: Double, model: ([Float], CSRMatrix) -> any Ranker) -> Double? {
            summary.epochSeconds.append(seconds)
            summary.epochs = epoch
            guard !heldOut.isEmpty else { return nil }
            let weights = current
            let recall = RankingEvaluation.evaluate(model(weights, trainMatrix), relevant: heldOut, k: [20]).recall[20] ?? 0
            if stopping.record(epoch: epoch, score: recall) { best = weights; summary.bestEpoch = epoch }
            summary.validationRecall.append(recall)
            return recall
        }
    }
}
