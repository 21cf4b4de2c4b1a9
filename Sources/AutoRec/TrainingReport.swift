import AutoRecCore

/// What a finished training run of any kind reports.
public struct TrainingReport {
    /// Every epoch run, a refit's included (0 for closed-form models); those of a final refit on all
    /// the data (0 without one); the epoch validation liked best.
    public var epochs = 0, refitEpochs = 0, bestEpoch = 0
    public var trainSeconds = 0.0, secondsPerEpoch = 0.0, medianEpochSeconds = 0.0
    public var metric: ValidationMetric
    /// The best validation score, when a validation part was held out.
    public var validation: Double?
    /// Why training stopped, where the kind says.
    public var stopReason: String?
    /// Every epoch's loss and validation score (nil for closed-form kinds).
    public var curve: LearningCurve?
    /// Entries the model file's header keeps beside the caller's (training time, validation score).
    public var header: [String: Any] = [:]
    /// The kind's own figures for `train --json` (its settings, stage times, stop reason).
    public var details: [String: Any] = [:]

    public init(metric: ValidationMetric) { self.metric = metric }

    /// A report of an epoch loop's figures.
    public init(metric: ValidationMetric, epochs: Int, bestEpoch: Int, trainSeconds: Double, secondsPerEpoch: Double,
                medianEpochSeconds: Double, validation: Double?) {
        self.metric = metric
        (self.epochs, self.bestEpoch, self.validation) = (epochs, bestEpoch, validation)
        (self.trainSeconds, self.secondsPerEpoch, self.medianEpochSeconds) = (trainSeconds, secondsPerEpoch, medianEpochSeconds)
    }

    /// The line `train` prints for a model of `kind`.
    public func summary(kind: String) -> String {
        var line = "trained \(kind) in \(String(format: "%.2f", trainSeconds)) s"
        if epochs > 0 {
            let refit = refitEpochs > 0 ? " (\(refitEpochs) of them refitting on all ratings)" : ""
            line += ": \(epochs) epochs\(refit), \(String(format: "%.4f", secondsPerEpoch)) s per epoch"
        }
        if let v = validation {
            line += ", validation \(metric.label) \(String(format: "%.4f", v))" + (epochs > 0 ? " at epoch \(bestEpoch)" : "")
        }
        return line + (stopReason.map { "; \($0)" } ?? "")
    }

    /// What the registry keeps as the model's metrics.
    public var registryMetrics: [String: Any] {
        var m: [String: Any] = ["train_seconds": trainSeconds, "epochs": epochs]
        if let v = validation { m[metric.key] = v }
        return m
    }
}

/// A trained model of any kind and its report.
public struct TrainedModel {
    public var model: any Ranker
    public var report: TrainingReport

    /// The model's file: the report's header entries, then `extraHeader` (the caller's).
    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        var header = report.header
        for (key, value) in extraHeader { header[key] = value }
        return model.modelFile(extraHeader: header)
    }
}
