import Foundation
import AutoRec

/// Stored top-N lists. A model's lists (or one shard's) are replaced in one transaction, so a
/// reader sees the old lists or the new ones, never a mix; a scorer that dies midway changes nothing.
public struct RecommendationStore {
    public let connection: Connection
    public init(connection: Connection) { self.connection = connection }

    /// Database ids of users or items by external id.
    public func ids(_ table: String) throws -> [String: Int] {
        precondition(table == "users" || table == "items")
        var out: [String: Int] = [:]
        try connection.copyOut("COPY (SELECT external_id, id FROM \(table)) TO STDOUT") { row in
            if let e = row[0], let v = row[1].flatMap(Int.init) { out[e] = v }
        }
        return out
    }

    /// Replaces the model's lists for the users of shard `shard` of `shards` (database user id
    /// modulo `shards`) with `rows` (user id, rank, item id, score), all in one transaction.
    /// Returns the rows written.
    @discardableResult
    public func replace(modelID: Int, shard: Int = 0, of shards: Int = 1,
                        rows: [(user: Int, rank: Int, item: Int, score: Float)]) throws -> Int {
        try connection.transaction {
            try connection.execute("DELETE FROM recommendations WHERE model_id = $1 AND user_id % $2 = $3",
                                   [String(modelID), String(shards), String(shard)])
            return try connection.copyIn("COPY recommendations (model_id, user_id, rank, item_id, score) FROM STDIN",
                                         rows: rows.map { [String(modelID), String($0.user), String($0.rank), String($0.item), String($0.score)] })
        }
    }

    /// What `scoreAndReplace` did.
    public struct ScoringReport: Sendable {
        public var users: Int
        public var rows: Int
        public var scoreSeconds: Double
        public var writeSeconds: Double
    }

    /// Scores the top `top` items of every user of `model` that the store knows and is in shard
    /// `shard` of `shards`, and replaces the lists stored under `modelID` for that shard.
    public func scoreAndReplace(model: some Ranker, modelID: Int, top: Int, shard: Int = 0, of shards: Int = 1,
                                progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> ScoringReport {
        let userIDs = try ids("users"), itemIDs = try ids("items")
        let users = (0..<model.users.count).filter { u in
            guard let id = userIDs[model.users.id(at: u)] else { return false }
            return id % shards == shard
        }
        let t0 = Date()
        let lists = model.topN(users: users, count: top) { progress?($0, users.count) }
        let t1 = Date()
        var rows: [(user: Int, rank: Int, item: Int, score: Float)] = []
        rows.reserveCapacity(users.count * top)
        for (u, list) in zip(users, lists) {
            let uid = userIDs[model.users.id(at: u)]!
            for (r, e) in list.enumerated() {
                if let iid = itemIDs[model.items.id(at: e.item)] { rows.append((uid, r + 1, iid, e.score)) }
            }
        }
        let written = try replace(modelID: modelID, shard: shard, of: shards, rows: rows)
        return ScoringReport(users: users.count, rows: written, scoreSeconds: t1.timeIntervalSince(t0),
                             writeSeconds: Date().timeIntervalSince(t1))
    }

    /// A user's stored list under a model, best first, with titles.
    public func list(modelID: Int, user: String, count: Int) throws -> [(rank: Int, item: String, title: String?, score: Float)] {
        try connection.execute("""
            SELECT r.rank, i.external_id, i.title, r.score
            FROM recommendations r JOIN users u ON u.id = r.user_id JOIN items i ON i.id = r.item_id
            WHERE r.model_id = $1 AND u.external_id = $2 ORDER BY r.rank LIMIT $3
            """, [String(modelID), user, String(count)]).rows.map { r in
            (Int(r[0]!)!, r[1]!, r[2], Float(r[3]!)!)
        }
    }
}
