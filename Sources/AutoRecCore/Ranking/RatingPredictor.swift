/// The face of a model that predicts rating values (AutoRec today): a rating for a (user, item)
/// pair, and for every pair of a table at once, clipped to the training range. Evaluation by RMSE
/// and the nightly job's comparison of rating models use this and nothing model-specific.
public protocol RatingPredictor: Ranker {
    /// The rating for known ids; an unknown user or item gets the model's fallback (the training mean).
    func predict(user: String, item: String) -> Float
    /// Predictions for every (user, item) pair of `pairs`, in its order; their values are ignored.
    func predictAll(_ pairs: Ratings) -> [Float]
    /// The training ratings' range; a new user's item named without a rating counts as its top.
    var ratingRange: ClosedRange<Float> { get }
}

extension Ranker {
    /// Each pair of `pairs` in this model's dense indices, nil where the user or the item is unknown.
    package func denseIndices(of pairs: Ratings) -> [(user: Int, item: Int)?] {
        let userMap = (0..<pairs.users.count).map { users.index(of: pairs.users.id(at: $0)).map(Int.init) }
        let itemMap = (0..<pairs.items.count).map { items.index(of: pairs.items.id(at: $0)).map(Int.init) }
        return (0..<pairs.count).map { k in
            guard let u = userMap[Int(pairs.userIndex[k])], let i = itemMap[Int(pairs.itemIndex[k])] else { return nil }
            return (u, i)
        }
    }
}
