/// The face of a model that predicts rating values (AutoRec today): a rating for a (user, item)
/// pair, and for every pair of a table at once, clipped to the training range. Evaluation by RMSE
/// and the nightly job's comparison of rating models use this and nothing model-specific.
public protocol RatingPredictor: Ranker {
    /// The rating for known ids; an unknown user or item gets the model's fallback (the training mean).
    func predict(user: String, item: String) -> Float
    /// Predictions for every (user, item) pair of `pairs`, in its order; their values are ignored.
    func predictAll(_ pairs: Ratings) -> [Float]
}

extension AutoRec: RatingPredictor {}
