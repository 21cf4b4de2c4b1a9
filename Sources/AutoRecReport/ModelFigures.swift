import Foundation
import Linalg
import AutoRecCore
import AutoRec

/// What the report shows of one model, measured on a test part: the ranking metrics at every
/// cut-off, Recall@20 (and RMSE, for rating models on rated test data) by user activity, how
/// popular its recommended items are, and its learning curve from the model file.
public struct ModelFigures: Sendable {
    public var name: String
    public var kind: String
    public var metrics: RankingMetrics
    /// Recall@20 per `ActivityBuckets` bucket (NaN where the bucket has no test user), and its users.
    public var recallByActivity: [Double]
    public var usersByActivity: [Int]
    /// RMSE per activity bucket, for a `RatingPredictor` on a test part with rating values.
    public var rmseByActivity: [Double]?
    /// Share of all top-20 slots taken by each popularity decile (0: the most popular 10% of items).
    public var popularityShare: [Double]
    public var curve: LearningCurve?
    public var trainSeconds: Double?

    /// The cut-offs of the curves and the table.
    public static let cutOffs = [1, 2, 3, 5, 10, 15, 20, 30, 40, 50, 75, 100]
    static let listLength = 20

    /// Ranks every known test user once (lists of `cutOffs.max()`) and measures everything from those lists.
    public static func measure(_ model: any Ranker, name: String, header: [String: Any], test: Ratings,
                               cutOffs: [Int] = cutOffs) -> ModelFigures {
        let parts = RankingEvaluation.relevantItems(for: model, test: test)
        let users = parts.relevant.keys.sorted()
        let lists = model.topN(users: users, count: cutOffs.max()!)
        var all = RankingMetrics(k: cutOffs, catalogueSize: model.items.count)
        var byActivity = ActivityBuckets.lowerBounds.map { _ in RankingMetrics(k: [listLength], catalogueSize: model.items.count) }
        let popularity = PopularityDeciles(model)
        var slots = [Int](repeating: 0, count: 10)
        for (u, list) in zip(users, lists) {
            let ranked = list.map(\.item), relevant = parts.relevant[u]!
            all.add(ranked: ranked, relevant: relevant)
            byActivity[ActivityBuckets.bucket(of: model.history.count(ofRow: u))].add(ranked: ranked, relevant: relevant)
            for item in ranked.prefix(listLength) { slots[popularity.decile[item]] += 1 }
        }
        let totalSlots = Double(max(1, slots.reduce(0, +)))
        return ModelFigures(name: name, kind: model.kind, metrics: all,
                            recallByActivity: byActivity.map { $0.users > 0 ? $0.recall[listLength]! : .nan },
                            usersByActivity: byActivity.map(\.users),
                            rmseByActivity: (model as? any RatingPredictor).flatMap { rmseByActivity($0, test: test) },
                            popularityShare: slots.map { Double($0) / totalSlots },
                            curve: LearningCurve(header: header[LearningCurve.headerKey]),
                            trainSeconds: ModelFile.real(from: header["train_seconds"] as Any))
    }

    /// RMSE per activity bucket over the test pairs the model knows; nil when the test part carries
    /// no rating values (every value the same, as in an implicit split).
    static func rmseByActivity(_ model: any RatingPredictor, test: Ratings) -> [Double]? {
        guard let first = test.values.first, test.values.contains(where: { $0 != first }) else { return nil }
        let predicted = model.predictAll(test)
        let pairs = model.denseIndices(of: test)
        var squared = [Double](repeating: 0, count: ActivityBuckets.lowerBounds.count), counts = squared
        for (k, pair) in pairs.enumerated() {
            guard let pair else { continue }
            let b = ActivityBuckets.bucket(of: model.history.count(ofRow: pair.user))
            let error = Double(predicted[k] - test.values[k])
            squared[b] += error * error; counts[b] += 1
        }
        return zip(squared, counts).map { $1 > 0 ? ($0 / $1).squareRoot() : .nan }
    }
}

/// Items ranked by training interactions, cut in ten equal parts (0 is the most popular tenth),
/// and each part's share of the interactions: the catalogue's own popularity curve.
public struct PopularityDeciles: Sendable {
    public let decile: [Int]
    public let interactionShare: [Double]

    /// From a ranker's training interactions.
    public init(_ model: any Ranker) {
        self.init(itemCounts: ImplicitData(users: model.users, items: model.items, matrix: model.history).itemCounts())
    }

    public init(itemCounts counts: [Int]) {
        let order = counts.indices.sorted { (a: Int, b: Int) -> Bool in
            counts[a] != counts[b] ? counts[a] > counts[b] : a < b
        }
        var decile = [Int](repeating: 0, count: counts.count), share = [Double](repeating: 0, count: 10)
        for (rank, item) in order.enumerated() {
            decile[item] = min(9, rank * 10 / max(1, counts.count))
            share[decile[item]] += Double(counts[item])
        }
        let total = max(1, share.reduce(0, +))
        self.decile = decile
        interactionShare = share.map { $0 / total }
    }
}
