/// The metric a kind's validation part is scored with: RMSE for rating models, Recall@20 for top-N.
public enum ValidationMetric: String, Sendable {
    case rmse
    case recall20 = "recall@20"

    /// As people read it ("RMSE", "Recall@20").
    public var label: String { self == .rmse ? "RMSE" : "Recall@20" }
    /// Its key in JSON, file headers and the registry ("validation_rmse").
    public var key: String { "validation_" + rawValue }
    public var higherIsBetter: Bool { self == .recall20 }
}
