/// How two models are compared on the same held-out ratings: RMSE when every model predicts
/// ratings, Recall@20 on the held-out positives otherwise. `evaluate` and the nightly job choose
/// the same way.
public enum ComparisonMetric: String, Sendable {
    case rmse
    case recall20 = "recall@20"

    /// The metric for models of these tasks.
    public static func between(_ tasks: [ModelKind.Task]) -> ComparisonMetric {
        tasks.allSatisfy { $0 == .rating } ? .rmse : .recall20
    }

    public var lowerIsBetter: Bool { self == .rmse }
    /// The name a person reads.
    public var title: String { self == .rmse ? "RMSE" : "Recall@20" }
}
