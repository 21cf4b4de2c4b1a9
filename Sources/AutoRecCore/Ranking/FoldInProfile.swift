/// A new user's items as a model reads them for fold-in: the known items' indices with the value
/// each one gets, and the ids the model does not know (skipped). Implicit models see 1 per item;
/// rating models (U-AutoRec, user-based CF-NADE) see the given rating, or their top rating when
/// only items are named.
public struct FoldInProfile: Sendable {
    public var items: [Int] = []
    public var values: [Float] = []
    public var unknown: [String] = []

    public init(model: any Ranker, items ids: [String], ratings: [Float?]) {
        precondition(ids.count == ratings.count)
        let ratingModel = model as? any RatingPredictor
        for (id, rating) in zip(ids, ratings) {
            guard let i = model.items.index(of: id) else { unknown.append(id); continue }
            items.append(Int(i))
            values.append(ratingModel.map { rating ?? $0.ratingRange.upperBound } ?? 1)
        }
    }
}
