import AutoRecCore

/// A trained model as `train` and the nightly job keep it: a kind trained on ratings, and its model file
/// stamped with where the ratings came from, how many there were and the newest one's time. The
/// ratings are handed over (the rating models free them once their matrices are built).
public struct StampedModel {
    public let trained: TrainedModel
    public let file: ModelFile
    public let ratingCount: Int
    /// Unix seconds of the newest rating trained on (0 when the ratings carry no times).
    public let newestRating: Int64

    public init(kind: ModelKind, ratings: consuming Ratings, settings: ModelSettings, source: String,
                extraHeader: [String: Any] = [:], progress: ((TrainingProgress) -> Void)? = nil) throws {
        let newest = ratings.timestamps.max() ?? 0, count = ratings.count
        trained = try kind.train(consume ratings, settings: settings, progress: progress)
        var header: [String: Any] = ["trained_on": source, "train_ratings": count, "newest_rating": newest]
        for (key, value) in extraHeader { header[key] = value }
        file = trained.modelFile(extraHeader: header)
        ratingCount = count
        newestRating = newest
    }

    /// The model file's header without what describes the data rather than the model: what the
    /// registry keeps as the model's hyperparameters.
    public var hyperparameters: [String: Any] {
        file.header.filter { !["users", "items", "trained_on"].contains($0.key) }
    }
}
