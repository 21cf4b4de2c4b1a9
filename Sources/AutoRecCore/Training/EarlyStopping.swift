/// Early stopping by a validation score, written once for every trained kind (AutoRec, CF-NADE and
/// the user-batch loop of the top-N models): it keeps the best epoch and its score, and says when
/// `patience` epochs have passed without a better one.
public struct EarlyStopping: Sendable {
    public let metric: ValidationMetric
    /// Epochs without a better score before stopping; 0 never stops.
    public let patience: Int
    /// How much better than the best a score must be to count (AutoRec asks 1e-6 of RMSE).
    public let margin: Double
    /// The best score so far: +infinity (RMSE) or -infinity (Recall@20) before the first.
    public private(set) var bestScore: Double
    /// The epoch that scored it; 0 before the first score.
    public private(set) var bestEpoch = 0

    public init(metric: ValidationMetric, patience: Int, margin: Double = 0) {
        self.metric = metric
        self.patience = patience
        self.margin = margin
        bestScore = metric.higherIsBetter ? -.infinity : .infinity
    }

    /// Records `score` for `epoch`; true when it is the best so far (its weights are the ones to keep).
    public mutating func record(epoch: Int, score: Double) -> Bool {
        let better = metric.higherIsBetter ? score > bestScore + margin : score < bestScore - margin
        if better { bestScore = score; bestEpoch = epoch }
        return better
    }

    /// Whether the run stops after `epoch`: `patience` epochs have passed since the best.
    public func shouldStop(after epoch: Int) -> Bool { patience > 0 && epoch - bestEpoch >= patience }

    /// Why the run stopped early, for reports.
    public var stopReason: String { "validation \(metric.label) did not improve for \(patience) epochs" }

    /// The best score, nil before any finite one.
    public var best: Double? { bestScore.isFinite ? bestScore : nil }
}
