import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// Stored top-N lists: one row per (model, user) with `items bigint[]` and `scores real[]`, in the
/// model's own partition of `recommendation_lists` (migration 002).
///
/// A scorer writes into `recommendation_lists_m<id>_next`, a table of its own, in one transaction
/// per shard, and records the shard in `scoring_shards`. When every shard of the run is in, the table
/// is attached as the model's partition in one transaction that drops the partition it replaces:
/// readers see the old lists or the new ones, never a mix, and a scorer killed at any point changes
/// nothing that is served. Retiring a model drops its partition (`ModelRegistry`).
public struct RecommendationStore {
    public let connection: Connection
    public init(connection: Connection) { self.connection = connection }

    /// The partition that serves model `modelID`'s lists.
    static func partition(_ modelID: Int) -> String { "recommendation_lists_m\(modelID)" }
    /// The table a scoring run of `modelID` fills before it is attached.
    static func staging(_ modelID: Int) -> String { "recommendation_lists_m\(modelID)_next" }

    /// Database ids of users or items by external id, compared as bytes; read in binary COPY, so
    /// every id arrives as its bytes, control characters included.
    public func ids(_ table: String) throws -> IDDictionary<Int> {
        precondition(table == "users" || table == "items")
        var out = IDDictionary<Int>()
        try connection.copyOutBinary("COPY (SELECT external_id, id FROM \(table)) TO STDOUT (FORMAT binary)") { row in
            out[row.text(0)] = Int(row.int64(1))
        }
        return out
    }

    /// Creates the staging table of `modelID` when it is missing (several shards may race to it:
    /// an advisory lock on the model makes them take turns).
    func prepareStaging(modelID: Int) throws {
        let table = Self.staging(modelID)
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock(72081527, $1::integer)", [String(modelID)])
            guard try connection.scalar("SELECT to_regclass($1) IS NULL", [table]) == "t" else { return }
            try connection.execute("""
                CREATE TABLE \(table) (LIKE recommendation_lists INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
                """)
            // The check lets ATTACH skip its scan; the key is the partition's own.
            try connection.execute("""
                ALTER TABLE \(table) ADD CONSTRAINT \(table)_model CHECK (model_id = \(modelID)),
                    ADD CONSTRAINT \(table)_pkey PRIMARY KEY (model_id, user_id)
                """)
        }
    }

    /// Writes shard `shard` of `shards` of a model's lists into its staging table in one
    /// transaction (a shard's earlier rows are replaced) and records the shard as done. `write`
    /// streams the rows through the writer. Returns the rows written.
    func writeShard(modelID: Int, shard: Int, of shards: Int, top: Int, users: Int, ratingsAsOf: String,
                    write: (inout BinaryCopyWriter) throws -> Void) throws -> Int {
        try prepareStaging(modelID: modelID)
        let table = Self.staging(modelID)
        return try connection.transaction {
            if let other = try connection.execute("""
                SELECT shard, top_n FROM scoring_shards WHERE model_id = $1 AND shards = $2 AND shard <> $3 AND top_n <> $4 LIMIT 1
                """, [String(modelID), String(shards), String(shard), String(top)]).rows.first {
                throw StoreError("shard \(other[0] ?? "?") of \(shards) of model \(modelID) was scored with --top \(other[1] ?? "?"), this one with --top \(top): every shard of a scoring run must use the same --top")
            }
            if shards == 1 {
                try connection.execute("TRUNCATE \(table)")
            } else {
                try connection.execute("DELETE FROM \(table) WHERE user_id % $1 = $2", [String(shards), String(shard)])
            }
            let rows = try connection.copyInBinary("COPY \(table) (model_id, user_id, items, scores) FROM STDIN (FORMAT binary)", write)
            try connection.execute("""
                INSERT INTO scoring_shards (model_id, shard, shards, top_n, users, ratings_as_of) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (model_id, shards, shard) DO UPDATE
                    SET top_n = EXCLUDED.top_n, users = EXCLUDED.users, ratings_as_of = EXCLUDED.ratings_as_of, finished_at = now()
                """, [String(modelID), String(shard), String(shards), String(top), String(users), ratingsAsOf])
            return rows
        }
    }

    /// Shards of `shards` that have finished writing `modelID`'s lists.
    public func finishedShards(modelID: Int, of shards: Int) throws -> Int {
        Int(try connection.scalar("SELECT count(*) FROM scoring_shards WHERE model_id = $1 AND shards = $2",
                                  [String(modelID), String(shards)]) ?? "0") ?? 0
    }

    /// Attaches the staging table as the model's partition, replacing the one it had, once all
    /// `shards` shards are in; one transaction. Returns false (and changes nothing) while some are missing.
    @discardableResult
    public func publish(modelID: Int, shards: Int = 1) throws -> Bool {
        let partition = Self.partition(modelID), staging = Self.staging(modelID)
        return try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock(72081527, $1::integer)", [String(modelID)])
            guard try finishedShards(modelID: modelID, of: shards) == shards,
                  try connection.scalar("SELECT to_regclass($1) IS NOT NULL", [staging]) == "t" else { return false }
            let tops = try connection.scalar("SELECT count(DISTINCT top_n) FROM scoring_shards WHERE model_id = $1 AND shards = $2",
                                             [String(modelID), String(shards)])
            guard tops == "1" else {
                throw StoreError("the shards of model \(modelID) were scored with different --top values; score them again with one --top")
            }
            try connection.execute("DROP TABLE IF EXISTS \(partition)")
            try connection.execute("ALTER TABLE \(staging) RENAME TO \(partition)")
            try connection.execute("ALTER INDEX \(staging)_pkey RENAME TO \(partition)_pkey")
            try connection.execute("ALTER TABLE \(partition) RENAME CONSTRAINT \(staging)_model TO \(partition)_model")
            try connection.execute("ALTER TABLE recommendation_lists ATTACH PARTITION \(partition) FOR VALUES IN (\(modelID))")
            try connection.execute("""
                UPDATE models SET lists_as_of = s.as_of, lists_top = s.top
                FROM (SELECT min(ratings_as_of) AS as_of, min(top_n) AS top FROM scoring_shards WHERE model_id = $1 AND shards = $2) s
                WHERE id = $1
                """, [String(modelID), String(shards)])
            try connection.execute("DELETE FROM scoring_shards WHERE model_id = $1", [String(modelID)])
            return true
        }
    }

    /// Drops a model's unpublished lists (its staging table and finished shards); true when there was a table.
    @discardableResult
    func dropUnpublished(modelID: Int) throws -> Bool {
        let existed = try connection.scalar("SELECT to_regclass($1) IS NOT NULL", [Self.staging(modelID)]) == "t"
        try connection.execute("DROP TABLE IF EXISTS \(Self.staging(modelID))")
        try connection.execute("DELETE FROM scoring_shards WHERE model_id = $1", [String(modelID)])
        return existed
    }

    /// Staging tables that no scorer is filling and no shard has finished: what a scorer killed
    /// before its first shard committed leaves behind. A table a live scorer holds is skipped (its
    /// lock cannot be taken at once). Returns how many were dropped.
    func dropAbandonedStaging() throws -> Int {
        var dropped = 0
        for table in try stagingTables() where table.finishedShards == 0 {
            let gone: Bool = (try? connection.transaction {
                try connection.execute("SET LOCAL lock_timeout = '100ms'")
                try connection.execute("DROP TABLE IF EXISTS \(Self.staging(table.modelID))")
                return true
            }) ?? false
            if gone { dropped += 1 }
        }
        return dropped
    }

    /// Every staging table (`recommendation_lists_m<id>_next`) with its model and finished shards.
    func stagingTables() throws -> [(modelID: Int, finishedShards: Int)] {
        try connection.execute("""
            SELECT t.model_id, (SELECT count(*) FROM scoring_shards s WHERE s.model_id = t.model_id)
            FROM (SELECT substring(c.relname FROM '^recommendation_lists_m([0-9]+)_next$')::bigint AS model_id
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind = 'r' AND n.nspname = current_schema()
                    AND c.relname ~ '^recommendation_lists_m[0-9]+_next$') t
            ORDER BY 1
            """).rows.compactMap { r in
            guard let m = r[0].flatMap(Int.init), let n = r[1].flatMap(Int.init) else { return nil }
            return (m, n)
        }
    }

    /// Drops a model's lists (its partition and any unfinished staging table); for retired models.
    func dropLists(modelID: Int) throws {
        try connection.execute("DROP TABLE IF EXISTS \(Self.partition(modelID)), \(Self.staging(modelID))")
        try connection.execute("DELETE FROM scoring_shards WHERE model_id = $1", [String(modelID)])
    }

    /// What `scoreAndStore` did.
    public struct ScoringReport: Sendable {
        public var users: Int
        /// Lists written (one row per user).
        public var rows: Int
        /// Seconds computing the lists (matrix products and selection) and writing them.
        public var scoreSeconds: Double
        public var writeSeconds: Double
        /// The scorer's own measurements (GEMM seconds and GFLOP/s, selection seconds, block size).
        public var stats: ScoringStats
        /// Whether the lists were attached (every shard of the run done).
        public var published: Bool
    }

    /// Scores the top `top` items of every user of `model` that the store knows and is in shard
    /// `shard` of `shards` (database user id modulo `shards`) with the streaming scorer, leaving out
    /// every item the user has rated in the store (`RatedItems`), and sends
    /// each block's lists to COPY as soon as they are ready (the server inserts them while the next
    /// block is scored), so memory stays at a few blocks whatever the number of users. The lists are
    /// attached when every shard is in.
    @discardableResult
    public func scoreAndStore(model: some Ranker, modelID: Int, top: Int, shard: Int = 0, of shards: Int = 1,
                              blockSize: Int? = nil,
                              progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> ScoringReport {
        let userIDs = try ids("users"), itemIDs = try ids("items")
        // Every model user's database id (-1: not in the store), the same for this shard's users only.
        let modelUserIDs = (0..<model.users.count).map { Int64(userIDs[model.users.id(at: $0)] ?? -1) }
        let shardUserIDs = modelUserIDs.map { $0 >= 0 && Int($0) % shards == shard ? $0 : -1 }
        let users = shardUserIDs.indices.filter { shardUserIDs[$0] >= 0 }
        let userDatabaseIDs = users.map { shardUserIDs[$0] }
        let itemDatabaseIDs = (0..<model.items.count).map { Int64(itemIDs[model.items.id(at: $0)] ?? -1) }
        guard modelUserIDs.contains(where: { $0 >= 0 }), itemDatabaseIDs.contains(where: { $0 >= 0 }) else {
            throw StoreError("the model matches none of the store's users or items (trained on another catalogue?); nothing was published")
        }
        let started = Date()
        let ratingsAsOf = try connection.scalar("SELECT clock_timestamp()::text") ?? ""
        let rated = try RatedItems.read(connection, userIDs: shardUserIDs, itemIDs: itemDatabaseIDs)
        var measured: ScoringStats?
        let rows = try writeShard(modelID: modelID, shard: shard, of: shards, top: top, users: users.count,
                                  ratingsAsOf: ratingsAsOf) { writer in
            var items: [Int64] = [], scores: [Float] = []
            items.reserveCapacity(top); scores.reserveCapacity(top)
            measured = try model.scoreTopN(users: users, count: top, blockSize: blockSize, excluding: rated) { block in
                for r in 0..<block.users.count {
                    items.removeAll(keepingCapacity: true)
                    scores.removeAll(keepingCapacity: true)
                    for k in (r * block.count)..<(r * block.count + block.length(at: r)) {
                        let item = itemDatabaseIDs[Int(block.items[k])]
                        guard item >= 0 else { continue }
                        items.append(item)
                        scores.append(block.scores[k])
                    }
                    try writer.beginRow(fields: 4)
                    writer.int64(Int64(modelID))
                    writer.int64(userDatabaseIDs[block.offset + r])
                    try items.withUnsafeBufferPointer { try writer.int64Array($0) }
                    try scores.withUnsafeBufferPointer { try writer.float32Array($0) }
                }
                progress?(block.offset + block.users.count, users.count)
            }
        }
        guard let stats = measured else { throw StoreError("the scorer reported nothing") }
        let published = try publish(modelID: modelID, shards: shards)
        let total = Date().timeIntervalSince(started)
        let computing = stats.scoringSeconds + stats.selectionSeconds
        return ScoringReport(users: users.count, rows: rows, scoreSeconds: computing, writeSeconds: total - computing,
                             stats: stats, published: published)
    }

    /// A user's stored list under a model, best first, with titles, without the items the user has
    /// rated since it was written (ranks counted over what is left, as the serving views do; one
    /// probe of the ratings key per listed item, as in migration 005).
    public func list(modelID: Int, user: String, count: Int) throws -> [(rank: Int, item: String, title: String?, score: Float)] {
        try connection.execute("""
            SELECT row_number() OVER (ORDER BY e.position), i.external_id, i.title, e.score
            FROM users u
            JOIN recommendation_lists l ON l.model_id = $1 AND l.user_id = u.id
            CROSS JOIN LATERAL unnest(l.items, l.scores) WITH ORDINALITY AS e (item_id, score, position)
            JOIN items i ON i.id = e.item_id
            WHERE u.external_id = $2
              AND NOT EXISTS (SELECT FROM ratings r WHERE r.user_id = l.user_id AND r.item_id = e.item_id OFFSET 0)
            ORDER BY e.position LIMIT $3
            """, [String(modelID), user, String(count)]).rows.map { r in
            (Int(r[0]!)!, r[1]!, r[2], Float(r[3]!)!)
        }
    }

    /// The active model's stored list of `user` (best first, at most `count`, with titles), read
    /// through the `active_recommendations` view: the serving query any application can use.
    public func activeList(user: String, count: Int, task: String = "default") throws -> [(rank: Int, item: String, title: String?, score: Float)] {
        try connection.execute("""
            SELECT rank, item_external_id, title, score FROM active_recommendations
            WHERE task = $1 AND user_external_id = $2 AND rank <= $3 ORDER BY rank
            """, [task, user, String(count)]).rows.map { r in
            (Int(r[0]!)!, r[1]!, r[2], Float(r[3]!)!)
        }
    }

    /// Number of users with a stored list under a model (0 when it has no partition).
    public func listCount(modelID: Int) throws -> Int {
        Int(try connection.scalar("SELECT count(*) FROM recommendation_lists WHERE model_id = $1", [String(modelID)]) ?? "0") ?? 0
    }
}
