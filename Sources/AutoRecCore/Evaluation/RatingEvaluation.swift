/// A rating model evaluated on a test table: RMSE and MAE over every test rating (unknown users
/// and items get the training mean), and how many test ratings had a user or an item the model
/// never saw, which tells whether the test file belongs to the model's split.
public struct RatingEvaluation: Sendable {
    public let metrics: RatingMetrics
    public let unknownUserRatings: Int
    public let unknownItemRatings: Int

    public init(_ model: any RatingPredictor, test: Ratings) {
        metrics = RatingMetrics(predictions: model.predictAll(test), truth: test.values)
        let knownUser = (0..<test.users.count).map { model.users.index(of: test.users.id(at: $0)) != nil }
        let knownItem = (0..<test.items.count).map { model.items.index(of: test.items.id(at: $0)) != nil }
        var users = 0, items = 0
        for k in 0..<test.count {
            if !knownUser[Int(test.userIndex[k])] { users += 1 }
            if !knownItem[Int(test.itemIndex[k])] { items += 1 }
        }
        unknownUserRatings = users
        unknownItemRatings = items
    }

    /// Whether no test rating is from a user the model knows (the figures would mean nothing).
    public var knowsNoTestUser: Bool { unknownUserRatings == metrics.count }
}
