import Foundation
import AutoRec

/// What an import did.
public struct ImportSummary: Sendable {
    public var kind: String
    public var rowsRead: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    public var seconds: Double
}

/// Loads ratings, items or users into the store: the file is parsed and validated first (a bad line
/// is named by file and line before the database is touched), then COPY fills a staging table and
/// one upsert moves it in, all in one transaction, so a failure leaves the tables as they were.
/// External ids are text; a newer rating of the same user and item replaces the older one, and
/// importing the same file again changes nothing.
public struct Importer {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Counts of rows inserted and updated from `RETURNING (xmax = 0)`.
    private func tally(_ r: QueryResult) -> (inserted: Int, updated: Int) {
        let inserted = r.rows.filter { $0.first == "t" }.count
        return (inserted, r.rows.count - inserted)
    }

    public func importRatings(_ ratings: Ratings) throws -> ImportSummary {
        let t0 = Date()
        let result: (Int, Int) = try connection.transaction {
            try connection.execute("""
                CREATE TEMP TABLE staging_ratings (line bigint, user_ext text, item_ext text, rating real, rated_at bigint)
                ON COMMIT DROP
                """)
            var rows: [[String?]] = []
            rows.reserveCapacity(ratings.count)
            for k in 0..<ratings.count {
                let ts = ratings.timestamps[k]
                rows.append([String(k), ratings.users.id(at: Int(ratings.userIndex[k])), ratings.items.id(at: Int(ratings.itemIndex[k])),
                             String(ratings.values[k]), ts == 0 ? nil : String(ts)])
            }
            try connection.copyIn("COPY staging_ratings (line, user_ext, item_ext, rating, rated_at) FROM STDIN", rows: rows)
            try connection.execute("""
                INSERT INTO users (external_id) SELECT DISTINCT user_ext FROM staging_ratings ON CONFLICT DO NOTHING
                """)
            try connection.execute("""
                INSERT INTO items (external_id) SELECT DISTINCT item_ext FROM staging_ratings ON CONFLICT DO NOTHING
                """)
            // Within the file, the newest rating of a pair wins (the later line on a tie).
            let r = try connection.execute("""
                INSERT INTO ratings (user_id, item_id, rating, rated_at)
                SELECT u.id, i.id, s.rating, to_timestamp(s.rated_at)
                FROM (SELECT DISTINCT ON (user_ext, item_ext) * FROM staging_ratings
                      ORDER BY user_ext, item_ext, rated_at DESC NULLS LAST, line DESC) s
                JOIN users u ON u.external_id = s.user_ext
                JOIN items i ON i.external_id = s.item_ext
                ON CONFLICT (user_id, item_id) DO UPDATE
                    SET rating = EXCLUDED.rating, rated_at = EXCLUDED.rated_at
                    WHERE (EXCLUDED.rated_at IS NOT NULL AND (ratings.rated_at IS NULL OR EXCLUDED.rated_at > ratings.rated_at))
                       OR (EXCLUDED.rated_at IS NULL AND ratings.rated_at IS NULL AND EXCLUDED.rating <> ratings.rating)
                RETURNING (xmax = 0)
                """)
            let t = tally(r)
            return (t.inserted, t.updated)
        }
        let distinct = Set((0..<ratings.count).map { "\(ratings.userIndex[$0]) \(ratings.itemIndex[$0])" }).count
        return ImportSummary(kind: "ratings", rowsRead: ratings.count, inserted: result.0, updated: result.1,
                             unchanged: distinct - result.0 - result.1, seconds: Date().timeIntervalSince(t0))
    }

    public func importItems(_ catalogue: ItemCatalogue) throws -> ImportSummary {
        let t0 = Date()
        let ids = catalogue.order
        let result: (Int, Int) = try connection.transaction {
            try connection.execute("CREATE TEMP TABLE staging_items (external_id text, title text, genres text, attributes jsonb) ON COMMIT DROP")
            let rows: [[String?]] = try ids.map { id in
                let attrs = try JSONSerialization.data(withJSONObject: catalogue.attributes[id] ?? [:], options: [.sortedKeys])
                return [id, catalogue.titles[id], (catalogue.genres[id] ?? []).joined(separator: "|"), String(decoding: attrs, as: UTF8.self)]
            }
            try connection.copyIn("COPY staging_items (external_id, title, genres, attributes) FROM STDIN", rows: rows)
            let r = try connection.execute("""
                INSERT INTO items (external_id, title, genres, attributes)
                SELECT DISTINCT ON (external_id) external_id, title,
                       CASE WHEN genres = '' THEN '{}'::text[] ELSE string_to_array(genres, '|') END, attributes
                FROM staging_items
                ON CONFLICT (external_id) DO UPDATE
                    SET title = EXCLUDED.title, genres = EXCLUDED.genres, attributes = EXCLUDED.attributes
                    WHERE (items.title, items.genres, items.attributes) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.genres, EXCLUDED.attributes)
                RETURNING (xmax = 0)
                """)
            let t = tally(r)
            return (t.inserted, t.updated)
        }
        return ImportSummary(kind: "items", rowsRead: ids.count, inserted: result.0, updated: result.1,
                             unchanged: Set(ids).count - result.0 - result.1, seconds: Date().timeIntervalSince(t0))
    }

    public func importUsers(_ table: AttributeTable) throws -> ImportSummary {
        let t0 = Date()
        let result: (Int, Int) = try connection.transaction {
            try connection.execute("CREATE TEMP TABLE staging_users (external_id text, attributes jsonb) ON COMMIT DROP")
            let rows: [[String?]] = try table.rows.map { row in
                let attrs = try JSONSerialization.data(withJSONObject: row.attributes, options: [.sortedKeys])
                return [row.id, String(decoding: attrs, as: UTF8.self)]
            }
            try connection.copyIn("COPY staging_users (external_id, attributes) FROM STDIN", rows: rows)
            let r = try connection.execute("""
                INSERT INTO users (external_id, attributes)
                SELECT DISTINCT ON (external_id) external_id, attributes FROM staging_users
                ON CONFLICT (external_id) DO UPDATE SET attributes = EXCLUDED.attributes
                    WHERE users.attributes IS DISTINCT FROM EXCLUDED.attributes
                RETURNING (xmax = 0)
                """)
            let t = tally(r)
            return (t.inserted, t.updated)
        }
        return ImportSummary(kind: "users", rowsRead: table.rows.count, inserted: result.0, updated: result.1,
                             unchanged: Set(table.rows.map(\.id)).count - result.0 - result.1, seconds: Date().timeIntervalSince(t0))
    }
}
