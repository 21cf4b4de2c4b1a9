import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// How `recommend --user` answers from the store, never with an item the user has rated (in the
/// store, now): the user's stored list of the active model when it is long enough (one indexed row
/// through the serving view, which drops items rated since scoring); else the active model, loaded
/// with the items' titles: it scores a user it knows, folds in a user who arrived after it was
/// trained from their ratings in the store where the kind can, and otherwise gives the most popular
/// items the user has not rated. The answer says which.
public enum ActiveRecommender {
    /// Where an answer came from.
    public enum Source: String, Sendable {
        case stored = "stored list"
        case model = "active model"
        case foldIn = "fold-in from the store's ratings"
        case popular = "most popular unrated items"
    }

    public struct Recommendation {
        public var items: [(item: String, score: Float, title: String?)]
        public var source: Source
        /// Why the answer is not the model's own, for a person (nil when it is).
        public var note: String?
    }

    /// A user the store has never seen (no row in `users`).
    public struct UnknownUser: Error, CustomStringConvertible {
        public let user: String
        public var description: String {
            "unknown user '\(user)': the store has no such user (for a new user pass --liked or --ratings)"
        }
    }

    /// `count` items for `user`, a user of the store; with `storedOnly` a shorter stored list is answer enough.
    public static func recommend(_ connection: Connection, user: String, count: Int, storedOnly: Bool,
                                 task: String = "default") throws -> Recommendation {
        let stored = try RecommendationStore(connection: connection).activeList(user: user, count: count, task: task)
        if !stored.isEmpty && (stored.count >= count || storedOnly) {
            return Recommendation(items: stored.map { ($0.item, $0.score, $0.title) }, source: .stored)
        }
        let rated = try ratings(of: user, connection)
        guard let rated else { throw UnknownUser(user: user) }
        let (model, titles, positive) = try activeModel(connection, task: task)
        let list = try rank(for: user, rated: rated, model: model, positive: positive, count: count)
        return Recommendation(items: list.items.map { ($0.item, $0.score, titles[$0.item]) }, source: list.source, note: list.note)
    }

    /// The active model of `task` with the items' titles and, for a top-N model, its positive threshold.
    public static func activeModel(_ connection: Connection, task: String = "default") throws
        -> (model: any Ranker, titles: IDDictionary<String>, positive: Float?) {
        let registry = ModelRegistry(connection: connection)
        guard let active = try registry.active(task: task) else {
            throw StoreError("no active model in the store: pass --model FILE, or train --from-db --register and 'autorec models activate ID'")
        }
        let hyperparameters = (try? JSONSerialization.jsonObject(with: Data(active.hyperparameters.utf8))) as? [String: Any]
        let positive = (hyperparameters?["positive_threshold"] as? NSNumber).map { $0.floatValue }
        return (try registry.loadRanker(active.id), try ItemTitles.read(connection), positive)
    }

    /// The user's ratings in the store by item id, or nil when the store has no such user.
    static func ratings(of user: String, _ connection: Connection) throws -> [(item: String, rating: Float)]? {
        let rows = try connection.execute("""
            SELECT i.external_id, r.rating FROM users u
            LEFT JOIN ratings r ON r.user_id = u.id LEFT JOIN items i ON i.id = r.item_id
            WHERE u.external_id = $1
            """, [user]).rows
        guard !rows.isEmpty else { return nil }
        return rows.compactMap { row in row[0].flatMap { item in row[1].flatMap(Float.init).map { (item, $0) } } }
    }

    /// The model's answer for `user`, leaving out every item in `rated`.
    static func rank(for user: String, rated: [(item: String, rating: Float)], model: any Ranker, positive: Float?,
                     count: Int) throws -> (items: [(item: String, score: Float)], source: Source, note: String?) {
        let ratedItems = Set(rated.compactMap { model.items.index(of: $0.item).map(Int.init) })
        func unrated(_ list: [(item: Int, score: Float)]) -> [(item: String, score: Float)] {
            list.filter { !ratedItems.contains($0.item) }.prefix(count).map { (model.items.id(at: $0.item), $0.score) }
        }
        if let u = model.users.index(of: user) {
            return (unrated(model.topN(users: [Int(u)], count: count + ratedItems.count)[0]), .model, nil)
        }
        let liked = rated.filter { positive == nil || model is RatingPredictor || $0.rating >= positive! }
        let profile = FoldInProfile(model: model, items: liked.map(\.item), ratings: liked.map { Optional($0.rating) })
        if !profile.items.isEmpty, let scores = try? model.foldIn(items: profile.items, values: profile.values) {
            let list = TopN.select(scores, count: count + ratedItems.count, excluding: ratedItems).map { ($0, scores[$0]) }
            return (unrated(list), .foldIn, "\(user) arrived after the active model was trained: folded in from \(profile.items.count) rating(s) in the store")
        }
        return (unrated(popular(model)), .popular,
                "\(user) arrived after the active model was trained and it cannot fold them in: the most popular items they have not rated")
    }

    /// Every item by its number of training interactions, most first; the score is that number.
    static func popular(_ model: any Ranker) -> [(item: Int, score: Float)] {
        var counts = [Int](repeating: 0, count: model.items.count)
        for column in model.history.columns { counts[Int(column)] += 1 }
        return counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.map { ($0, Float(counts[$0])) }
    }
}
