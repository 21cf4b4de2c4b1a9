import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// Writes one import's ratings (already deduplicated and sorted, `ImportOrder`) inside the
/// importer's transaction: straight into an empty table with its keys rebuilt after (`bulkLoad`),
/// or through a staging table and one upsert (`upsert`).
struct RatingLoader {
    let connection: Connection
    let ratings: Ratings
    let order: ImportOrder
    let userIDs: [Int64]
    let itemIDs: [Int64]
    let progress: ((String) -> Void)?

    /// Sends the ratings as binary COPY rows (user_id, item_id, rating, rated_at) to `copySQL`.
    private func copyRatings(_ copySQL: String) throws -> Int {
        let started = Date()
        let copied = try connection.copyInBinary(copySQL) { writer in
            for p in order.positions {
                let k = Int(p)
                try writer.beginRow(fields: 4)
                writer.int64(userIDs[Int(ratings.userIndex[k])])
                writer.int64(itemIDs[Int(ratings.itemIndex[k])])
                writer.float32(ratings.values[k])
                let t = ratings.timestamps[k]
                if t == 0 { writer.null() } else { writer.timestamp(unixSeconds: t) }
            }
        }
        progress?("copied \(copied) ratings in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        return copied
    }

    /// Locks the ratings table against every other reader and writer (until the transaction ends)
    /// when it is empty, and says whether it was; leaves it unlocked otherwise.
    func lockIfEmpty() throws -> Bool {
        guard try connection.scalar("SELECT NOT EXISTS (SELECT 1 FROM ratings)") == "t" else { return false }
        try connection.execute("LOCK TABLE ratings IN ACCESS EXCLUSIVE MODE")
        return try connection.scalar("SELECT NOT EXISTS (SELECT 1 FROM ratings)") == "t"
    }

    /// The table's keys and indexes as SQL that recreates them, read from the catalogue so that a
    /// later migration's indexes (or a partitioned table's) come back too.
    private func keysAndIndexes() throws -> (drop: [String], create: [String]) {
        let constraints = try connection.execute("""
            SELECT quote_ident(conname), contype, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = 'ratings'::regclass AND contype IN ('p', 'u', 'f')
            ORDER BY contype = 'f', conname
            """).rows
        let indexes = try connection.execute("""
            SELECT quote_ident(c.relname), pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'ratings'::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
            ORDER BY c.relname
            """).rows
        let dropConstraints = constraints.reversed().map { "ALTER TABLE ratings DROP CONSTRAINT \($0[0]!)" }
        let dropIndexes = indexes.map { "DROP INDEX \($0[0]!)" }
        let keys = constraints.filter { $0[1] != "f" }.map { "ALTER TABLE ratings ADD CONSTRAINT \($0[0]!) \($0[2]!)" }
        let foreign = constraints.filter { $0[1] == "f" }.map { "ALTER TABLE ratings ADD CONSTRAINT \($0[0]!) \($0[2]!)" }
        // A partitioned table's index definition reads "ON ONLY": rebuild it on every partition.
        let createIndexes = indexes.map { $0[1]!.replacingOccurrences(of: " ON ONLY ", with: " ON ") }
        return (dropConstraints + dropIndexes, keys + createIndexes + foreign)
    }

    /// Copies into the empty, locked table without keys, then rebuilds them (sorted input makes the
    /// primary key's build a merge). Returns the rows inserted.
    func bulkLoad() throws -> Int {
        let ddl = try keysAndIndexes()
        // The table is empty and locked: truncating it in this transaction lets a server with
        // wal_level=minimal write the copy without WAL (the private server's setting).
        try connection.execute("TRUNCATE ratings")
        for statement in ddl.drop { try connection.execute(statement) }
        let copied = try copyRatings("COPY ratings (user_id, item_id, rating, rated_at) FROM STDIN (FORMAT binary)")
        let started = Date()
        try connection.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in ddl.create { try connection.execute(statement) }
        progress?("rebuilt the keys and indexes in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        return copied
    }

    /// A staged rating replaces the stored one when it has a newer timestamp, or when neither has
    /// one and the value differs. `new` and `old` are the staged and stored rows' names.
    static func replaces(new: String, old: String) -> String {
        """
        (\(new).rated_at IS NOT NULL AND (\(old).rated_at IS NULL OR \(new).rated_at > \(old).rated_at))
        OR (\(new).rated_at IS NULL AND \(old).rated_at IS NULL AND \(new).rating <> \(old).rating)
        """
    }

    /// Stages the ratings, then inserts the new pairs and updates the replaced ones in one statement
    /// (unchanged ones are filtered out by a join first, so they are neither written nor locked).
    func upsert() throws -> (inserted: Int, updated: Int) {
        try connection.execute("""
            CREATE TEMP TABLE import_ratings (user_id bigint, item_id bigint, rating real, rated_at timestamptz) ON COMMIT DROP
            """)
        defer { _ = try? connection.execute("DROP TABLE IF EXISTS import_ratings") }
        _ = try copyRatings("COPY import_ratings (user_id, item_id, rating, rated_at) FROM STDIN (FORMAT binary)")
        try connection.execute("ANALYZE import_ratings")
        // Both sides are sorted by the key: a merge join reads them in order (16 s for 20M against
        // 20M here), where the planner's hash join spills to disk (37 s).
        try connection.execute("SET LOCAL enable_hashjoin = off")
        let started = Date()
        let counts = try connection.countWritten("""
            INSERT INTO ratings (user_id, item_id, rating, rated_at)
            SELECT user_id, item_id, rating, rated_at FROM changed ORDER BY user_id, item_id
            ON CONFLICT (user_id, item_id) DO UPDATE SET rating = EXCLUDED.rating, rated_at = EXCLUDED.rated_at, imported_at = now()
                WHERE \(Self.replaces(new: "EXCLUDED", old: "ratings"))
            """, with: """
            changed AS (
                SELECT s.user_id, s.item_id, s.rating, s.rated_at FROM import_ratings s
                LEFT JOIN ratings r ON r.user_id = s.user_id AND r.item_id = s.item_id
                WHERE r.user_id IS NULL OR \(Self.replaces(new: "s", old: "r"))
            )
            """)
        progress?("upsert: \(counts.inserted) new, \(counts.updated) updated in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        return counts
    }
}
