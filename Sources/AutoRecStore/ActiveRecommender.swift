import AutoRec

/// How `recommend` answers from the store: a known user's stored list of the active model when it is
/// long enough (one indexed row, one query), else the active model itself, loaded with the items'
/// titles, to score the user or fold a new one in.
public enum ActiveRecommender {
    /// The store's answer: a stored list, or the active model to score with.
    public enum Answer {
        case stored([(item: String, score: Float, title: String?)])
        case model(any Ranker, titles: [String: String])
    }

    /// `count` items for `user` (nil: a new user, for fold-in); with `storedOnly` a shorter stored
    /// list is answer enough.
    public static func answer(_ connection: Connection, user: String?, count: Int, storedOnly: Bool) throws -> Answer {
        if let user {
            let stored = try RecommendationStore(connection: connection).activeList(user: user, count: count)
            if !stored.isEmpty && (stored.count >= count || storedOnly) {
                return .stored(stored.map { ($0.item, $0.score, $0.title) })
            }
        }
        let registry = ModelRegistry(connection: connection)
        guard let active = try registry.active() else {
            throw StoreError("no active model in the store: pass --model FILE, or train --from-db --register and 'autorec models activate ID'")
        }
        return .model(try registry.loadRanker(active.id), titles: try ItemTitles.read(connection))
    }
}
