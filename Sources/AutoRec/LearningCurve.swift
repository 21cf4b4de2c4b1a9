import Foundation
import AutoRecCore

/// Every epoch a training run reported: its loss and validation score, and whether it belonged to
/// the final refit. Kept in the model file's header (`learning_curve`), so that a report can draw
/// the curves of a model trained long before.
public struct LearningCurve: Sendable, Equatable {
    public static let headerKey = "learning_curve"
    public var metric: ValidationMetric
    public var epochs: [Int] = []
    public var loss: [Double] = []
    public var validation: [Double?] = []
    public var refit: [Bool] = []

    public init(metric: ValidationMetric) { self.metric = metric }

    /// Appends one epoch; an epoch number that does not grow starts the refit (every kind numbers a
    /// refit's epochs from 1 again).
    public mutating func record(_ p: TrainingProgress) {
        let restarted = (epochs.last ?? 0) >= p.epoch
        metric = p.metric
        epochs.append(p.epoch)
        loss.append(p.loss)
        validation.append(p.validation)
        refit.append(p.refitting || restarted || (refit.last ?? false))
    }

    /// As the header keeps it: non-finite numbers become null (JSON has no NaN).
    public var header: [String: Any] {
        func number(_ x: Double?) -> Any { x.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }
        return ["metric": metric.rawValue, "epoch": epochs, "loss": loss.map(number), "validation": validation.map(number),
                "refit": refit]
    }

    /// Reads a header's entry; nil when absent or not of this shape (an older or foreign file).
    public init?(header value: Any?) {
        guard let entry = value as? [String: Any], let metricName = entry["metric"] as? String,
              let metric = ValidationMetric(rawValue: metricName),
              let epochs = entry["epoch"] as? [Any], let loss = entry["loss"] as? [Any],
              let validation = entry["validation"] as? [Any], let refit = entry["refit"] as? [Any],
              loss.count == epochs.count, validation.count == epochs.count, refit.count == epochs.count else { return nil }
        self.metric = metric
        self.epochs = epochs.map { ModelFile.integer(from: $0) ?? 0 }
        self.loss = loss.map { ModelFile.real(from: $0) ?? .nan }
        self.validation = validation.map { ModelFile.real(from: $0) }
        self.refit = refit.map { ModelFile.boolean(from: $0) ?? false }
    }
}
