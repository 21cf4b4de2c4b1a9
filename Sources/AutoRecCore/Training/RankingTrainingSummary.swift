/// What a training run reports, for every ranking model alike.
public struct RankingTrainingSummary: Sendable {
    public var epochs = 0
    public var trainSeconds = 0.0
    public var epochSeconds: [Double] = []
    /// Validation Recall@20 per epoch, when a validation share was held out.
    public var validationRecall: [Double] = []
    public var bestEpoch = 0
    /// Why the run stopped before its last epoch (early stopping), if it did.
    public var stopReason: String?
    public var secondsPerEpoch: Double { epochs > 0 ? trainSeconds / Double(epochs) : 0 }
    public var medianEpochSeconds: Double { epochSeconds.isEmpty ? 0 : epochSeconds.sorted()[epochSeconds.count / 2] }
    public var bestValidationRecall: Double? { validationRecall.isEmpty ? nil : validationRecall.max() }
    public init() {}
}

/// One epoch's report during training.
public struct RankingEpochReport: Sendable {
    public let epoch: Int
    public let loss: Double
    public let seconds: Double
    public let validationRecall: Double?
}
