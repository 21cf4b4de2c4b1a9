/// Error metrics for rating prediction: root mean squared error and mean absolute error.
public struct RatingMetrics: Sendable {
    public let rmse: Double
    public let mae: Double
    public let count: Int

    public init(predictions: [Float], truth: [Float]) {
        precondition(predictions.count == truth.count, "predictions and truth differ in length")
        var se = 0.0, ae = 0.0
        for k in 0..<truth.count {
            let e = Double(predictions[k]) - Double(truth[k])
            se += e * e
            ae += abs(e)
        }
        let n = Double(max(1, truth.count))
        rmse = (se / n).squareRoot()
        mae = ae / n
        count = truth.count
    }
}
