import Linalg

/// The training loop every neural top-N model shares: shuffled batches of users, Adam, an optional
/// moving average of the weights, and, with a validation share, Recall@20 on each user's held-out
/// items after every epoch (the best epoch's weights are kept, and the run stops once `patience`
/// epochs pass without a better one).
struct UserBatchTraining {
    /// The most epochs; with a validation share and a patience, the run may stop earlier.
    var epochs: Int
    var batchSize: Int
    var learningRate: Float
    var averaging: Float
    var validationFraction: Double
    /// Epochs without a better validation Recall@20 before stopping; 0 runs every epoch.
    var patience: Int
    var seed: UInt64

    /// The loss of one batch with its gradient written into `gradient`: the parameters, the batch's
    /// user indices and interactions, the 1-based update count, and the run's random stream.
    typealias Step = (_ params: [Float], _ users: [Int], _ batch: SparseRows, _ step: Int,
                      _ rng: inout SeededRandom, _ gradient: inout [Float]) -> Double

    /// Trains from `initial`; `model` builds a ranker of some weights over a history (for validation).
    func run(_ data: ImplicitData, initial: [Float], step lossAndGradient: Step,
             model: ([Float], CSRMatrix) -> any Ranker,
             progress: ((RankingEpochReport) -> Void)?) -> (parameters: [Float], summary: RankingTrainingSummary) {
        var params = initial
        var trainMatrix = data.matrix
        var heldOut: [Int: Set<Int>] = [:]
        if validationFraction > 0 { (trainMatrix, heldOut) = data.holdOut(fraction: validationFraction, seed: seed &+ 7) }
        var order = (0..<trainMatrix.rows).filter { trainMatrix.count(ofRow: $0) > 0 }
        var rng = SeededRandom(seed: seed &+ 1)
        var adam = Adam(parameterCount: params.count, learningRate: learningRate)
        var grad = [Float](repeating: 0, count: params.count)
        var summary = RankingTrainingSummary()
        var best: [Float]? = nil
        var average = averaging > 0 ? WeightAverage(startingAt: params, compact: false) : .none, step = 0
        let start = monotonicSeconds()
        for epoch in 1...max(1, epochs) {
            let t0 = monotonicSeconds()
            rng.shuffle(&order)
            var lossSum = 0.0, batches = 0, b = 0
            while b < order.count {
                let users = Array(order[b..<min(order.count, b + max(1, batchSize))])
                step += 1
                lossSum += lossAndGradient(params, users, SparseRows(trainMatrix, rows: users), step, &rng, &grad)
                if averaging > 0 {
                    adam.update(&params, gradient: grad, average: &average, decay: step == 1 ? 0 : averaging)
                } else {
                    adam.update(&params, gradient: grad)
                }
                batches += 1; b += users.count
            }
            let seconds = monotonicSeconds() - t0
            summary.epochSeconds.append(seconds)
            var recall: Double? = nil
            if !heldOut.isEmpty {
                let current = averaging > 0 ? average.fullValues! : params
                let r = RankingEvaluation.evaluate(model(current, trainMatrix), relevant: heldOut, k: [20]).recall[20] ?? 0
                if r > (summary.bestValidationRecall ?? -1) { best = current; summary.bestEpoch = epoch }
                summary.validationRecall.append(r)
                recall = r
            }
            summary.epochs = epoch
            progress?(RankingEpochReport(epoch: epoch, loss: lossSum / Double(max(1, batches)), seconds: seconds, validationRecall: recall))
            if recall != nil, patience > 0, epoch - summary.bestEpoch >= patience {
                summary.stopReason = "validation Recall@20 did not improve for \(patience) epochs"
                break
            }
        }
        summary.trainSeconds = monotonicSeconds() - start
        if summary.bestEpoch == 0 { summary.bestEpoch = summary.epochs }
        return (best ?? (averaging > 0 ? average.fullValues! : params), summary)
    }
}
