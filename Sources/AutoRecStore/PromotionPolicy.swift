import Foundation
import AutoRec
import AutoRecModels

/// When the nightly's candidate replaces the active model: both are scored on the same holdout by
/// the `ComparisonMetric` their kinds call for, and the candidate may be worse by at most
/// `maxRegression`. With no active model, or one whose yardstick saw the holdout, it is promoted.
public struct PromotionPolicy: Sendable {
    /// Largest allowed holdout RMSE increase (or Recall@20 decrease) against the active model.
    public var maxRegression = 0.002

    public init(maxRegression: Double = 0.002) { self.maxRegression = maxRegression }

    /// The decision and its sentence for the job's record.
    public struct Decision: Sendable {
        public let promoted: Bool
        public let text: String
    }

    /// Decides on `candidate` against `active` (nil: none); `comparable` is false when the active
    /// model's yardstick trained on the holdout too.
    public func decide(_ metric: ComparisonMetric, candidate: Double, active: Double?, comparable: Bool) -> Decision {
        let name = metric.title
        guard let a = active else {
            return Decision(promoted: true, text: String(format: "promoted: no active model before (holdout \(name) %.4f)", candidate))
        }
        guard comparable else {
            return Decision(promoted: true, text: String(format: "promoted: the active model was trained on the holdout too (its \(name) %.4f there is not a fair yardstick); the candidate (%.4f) becomes the baseline", a, candidate))
        }
        let notWorse = metric.lowerIsBetter ? candidate <= a + maxRegression : candidate >= a - maxRegression
        if notWorse {
            return Decision(promoted: true, text: String(format: "promoted: holdout \(name) %.4f vs active %.4f (margin %.4f)", candidate, a, maxRegression))
        }
        return Decision(promoted: false, text: String(format: "kept the active model: holdout \(name) %.4f vs active %.4f is worse by more than the margin %.4f", candidate, a, maxRegression))
    }
}
