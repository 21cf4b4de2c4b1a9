/// One epoch of any kind's training, for progress lines.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var loss: Double
    /// The rating models' RMSE on the ratings trained on.
    public var trainRMSE: Double?
    public var validation: Double?
    public var metric: ValidationMetric
    public var seconds: Double
    /// True for the epochs of a final refit on all the data.
    public var refitting = false
    /// How many more epochs the run may take at most (nil: not known).
    public var mostEpochsLeft: Int?

    public init(epoch: Int, loss: Double, trainRMSE: Double? = nil, validation: Double?, metric: ValidationMetric,
                seconds: Double, refitting: Bool = false, mostEpochsLeft: Int? = nil) {
        self.epoch = epoch; self.loss = loss; self.trainRMSE = trainRMSE; self.validation = validation
        self.metric = metric; self.seconds = seconds; self.refitting = refitting; self.mostEpochsLeft = mostEpochsLeft
    }

    /// The progress line `train` prints ("epoch 3  loss 0.41  validation RMSE 0.93  0.120 s").
    public var line: String {
        func fixed(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
        var parts = ["\(refitting ? "refit epoch" : "epoch") \(epoch)", "loss \(String(format: "%.5g", loss))"]
        if let r = trainRMSE { parts.append("train RMSE \(fixed(r))") }
        if let v = validation { parts.append("validation \(metric.label) \(fixed(v))") }
        parts.append("\(fixed(seconds, 3)) s")
        if let left = mostEpochsLeft, !refitting { parts.append("(at most \(left) more)") }
        return parts.joined(separator: "  ")
    }
}
