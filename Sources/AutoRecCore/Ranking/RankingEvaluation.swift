/// The ranking protocol, the same for every model: for each test user the model knows, rank every
/// item the user has no training interaction with, and compare the top k with the user's test items.
public enum RankingEvaluation {
    /// The outcome: the metrics plus what could not be ranked.
    public struct Result: Sendable {
        public var metrics: RankingMetrics
        /// Test users absent from training (not ranked, not in the means).
        public var unknownUsers: Int
        /// Test interactions on items absent from training: they count as relevant (in min(k, |test|))
        /// but can never be hit.
        public var unknownItemInteractions: Int
        /// Users ranked per second, scoring and selection together.
        public var usersPerSecond: Double
    }

    /// Evaluates `ranker` on `test` (read as implicit: every entry is a relevant item) at cut-offs `k`.
    public static func evaluate(_ ranker: some Ranker, test: Ratings, k: [Int]) -> Result {
        let parts = relevantItems(for: ranker, test: test)
        let t0 = monotonicSeconds()
        let metrics = evaluate(ranker, relevant: parts.relevant, k: k)
        let seconds = max(1e-9, monotonicSeconds() - t0)
        return Result(metrics: metrics, unknownUsers: parts.unknownUsers, unknownItemInteractions: parts.unknownItemInteractions,
                      usersPerSecond: Double(metrics.users) / seconds)
    }

    /// `test` in the ranker's dense indices: each known user's relevant items (an item the ranker
    /// does not know gets a negative placeholder of its own: relevant, never ranked), and what was
    /// left out.
    public static func relevantItems(for ranker: some Ranker, test: Ratings)
        -> (relevant: [Int: Set<Int>], unknownUsers: Int, unknownItemInteractions: Int) {
        var relevant: [Int: Set<Int>] = [:]
        var unknownUsers = Set<ExternalID>(), unknownItems = 0
        for e in 0..<test.count {
            let uid = test.users.id(at: Int(test.userIndex[e]))
            guard let u = ranker.users.index(of: uid) else { unknownUsers.insert(ExternalID(uid)); continue }
            let iid = test.items.id(at: Int(test.itemIndex[e]))
            let i = ranker.items.index(of: iid).map(Int.init) ?? -1 - Int(test.itemIndex[e])
            if i < 0 { unknownItems += 1 }
            relevant[Int(u), default: []].insert(i)
        }
        return (relevant, unknownUsers.count, unknownItems)
    }

    /// The core every caller shares: `relevant` maps dense user indices to their relevant items.
    public static func evaluate(_ ranker: some Ranker, relevant: [Int: Set<Int>], k: [Int]) -> RankingMetrics {
        let users = relevant.keys.sorted()
        let lists = ranker.topN(users: users, count: k.max() ?? 0)
        var metrics = RankingMetrics(k: k, catalogueSize: ranker.items.count)
        for (u, list) in zip(users, lists) { metrics.add(ranked: list.map(\.item), relevant: relevant[u]!) }
        return metrics
    }
}
