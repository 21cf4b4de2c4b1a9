import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// What an import did.
public struct ImportSummary: Sendable {
    public var kind: String
    public var rowsRead: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    public var seconds: Double
}

extension Connection {
    /// Runs `INSERT ... ON CONFLICT ...` (without RETURNING), after the `WITH` items in `with` when
    /// given, and counts its inserted and updated rows in SQL, not one row per write to the client.
    func countWritten(_ insertSQL: String, with: String? = nil) throws -> (inserted: Int, updated: Int) {
        let row = try execute("""
            WITH \(with.map { $0 + ", " } ?? "")written AS (\(insertSQL) RETURNING (xmax = 0) AS inserted)
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
            """).rows.first
        return (Int(row?[0] ?? "0") ?? 0, Int(row?[1] ?? "0") ?? 0)
    }
}

/// Loads ratings, items or users into the store, all or nothing, one import at a time.
///
/// Ratings arrive parsed and validated (`RatingFileReader` names a bad line by file and line before
/// anything is sent). In one transaction, under an advisory lock that queues concurrent imports:
/// the file's users and items get database ids (created in sorted order), the ratings are
/// deduplicated and sorted by (user id, item id) on the client, and COPY in binary format sends them
/// in 1 MB chunks from the parsed columns. Into an empty ratings table (a first load of at least
/// `bulkLoadMinimum` ratings) they go straight in, with the keys and indexes rebuilt after;
/// otherwise into a staging table and one upsert that writes only new and newer ratings. The counts
/// come from SQL aggregates. A newer rating of a pair replaces the older one; importing the same
/// file again changes nothing.
public struct Importer {
    public let connection: Connection
    /// A first load into an empty ratings table of at least this many ratings drops the table's keys
    /// and indexes, copies, and rebuilds them (about 3x faster than maintaining them row by row).
    public var bulkLoadMinimum = 50_000
    /// Stage messages ("users: 138000 ids, 138000 new"), for progress on a terminal.
    public var progress: ((String) -> Void)?
    /// The advisory lock key that makes imports take turns (the nightly job's is 7208152702).
    static let lockKey = "7208152703"

    public init(connection: Connection, progress: ((String) -> Void)? = nil) {
        self.connection = connection
        self.progress = progress
    }

    /// Waits for any other import to finish; released at the end of this transaction.
    private func takeImportLock() throws {
        try connection.execute("SELECT pg_advisory_xact_lock($1::bigint)", [Self.lockKey])
    }

    /// Database ids of `externalIDs` in `table` (users or items), creating the missing ones in
    /// sorted order (two imports that share new ids wait for each other instead of deadlocking).
    /// Returns the ids in the order given and how many were new.
    func ensureIDs(table: String, _ externalIDs: [String]) throws -> (ids: [Int64], created: Int) {
        precondition(table == "users" || table == "items")
        try connection.execute("CREATE TEMP TABLE import_ids (position integer, external_id text) ON COMMIT DROP")
        defer { _ = try? connection.execute("DROP TABLE IF EXISTS import_ids") }
        try connection.copyIn("COPY import_ids (position, external_id) FROM STDIN",
                              rows: externalIDs.enumerated().map { [String($0.offset), $0.element] })
        let created = try connection.execute("""
            INSERT INTO \(table) (external_id) SELECT external_id FROM import_ids ORDER BY external_id
            ON CONFLICT (external_id) DO NOTHING
            """).affected
        var ids = [Int64](repeating: 0, count: externalIDs.count)
        try connection.copyOut("COPY (SELECT s.position, t.id FROM import_ids s JOIN \(table) t USING (external_id)) TO STDOUT") { row in
            guard let p = row[0].flatMap(Int.init), p < ids.count, let id = row[1].flatMap(Int64.init) else {
                throw StoreError("unexpected row while looking up \(table) ids")
            }
            ids[p] = id
        }
        progress?("\(table): \(externalIDs.count) ids, \(created) new")
        return (ids, created)
    }

    public func importRatings(_ ratings: Ratings) throws -> ImportSummary {
        let t0 = Date()
        let (distinct, counts): (Int, (inserted: Int, updated: Int)) = try connection.transaction {
            try takeImportLock()
            let users = try ensureIDs(table: "users", ratings.users.externalIDs).ids
            let items = try ensureIDs(table: "items", ratings.items.externalIDs).ids
            let order = ImportOrder(ratings, userIDs: users, itemIDs: items)
            progress?("\(order.positions.count) distinct (user, item) pairs of \(ratings.count) lines, sorted")
            let loader = RatingLoader(connection: connection, ratings: ratings, order: order, userIDs: users,
                                      itemIDs: items, progress: progress)
            if order.positions.count >= bulkLoadMinimum, try loader.lockIfEmpty() {
                return (order.positions.count, (try loader.bulkLoad(), 0))
            }
            return (order.positions.count, try loader.upsert())
        }
        return ImportSummary(kind: "ratings", rowsRead: ratings.count, inserted: counts.inserted, updated: counts.updated,
                             unchanged: distinct - counts.inserted - counts.updated, seconds: Date().timeIntervalSince(t0))
    }

    public func importItems(_ catalogue: ItemCatalogue) throws -> ImportSummary {
        let t0 = Date()
        let ids = catalogue.order
        let result: (Int, Int) = try connection.transaction {
            try takeImportLock()
            try connection.execute("CREATE TEMP TABLE staging_items (external_id text, title text, genres text, attributes jsonb) ON COMMIT DROP")
            let rows: [[String?]] = try ids.map { id in
                let attrs = try JSONSerialization.data(withJSONObject: catalogue.attributes[id] ?? [:], options: [.sortedKeys])
                return [id, catalogue.titles[id], (catalogue.genres[id] ?? []).joined(separator: "|"), String(decoding: attrs, as: UTF8.self)]
            }
            try connection.copyIn("COPY staging_items (external_id, title, genres, attributes) FROM STDIN", rows: rows)
            return try connection.countWritten("""
                INSERT INTO items (external_id, title, genres, attributes)
                SELECT DISTINCT ON (external_id) external_id, title,
                       CASE WHEN genres = '' THEN '{}'::text[] ELSE string_to_array(genres, '|') END, attributes
                FROM staging_items ORDER BY external_id
                ON CONFLICT (external_id) DO UPDATE
                    SET title = EXCLUDED.title, genres = EXCLUDED.genres, attributes = EXCLUDED.attributes
                    WHERE (items.title, items.genres, items.attributes) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.genres, EXCLUDED.attributes)
                """)
        }
        return ImportSummary(kind: "items", rowsRead: ids.count, inserted: result.0, updated: result.1,
                             unchanged: Set(ids.map(ExternalID.init)).count - result.0 - result.1, seconds: Date().timeIntervalSince(t0))
    }

    public func importUsers(_ table: AttributeTable) throws -> ImportSummary {
        let t0 = Date()
        let result: (Int, Int) = try connection.transaction {
            try takeImportLock()
            try connection.execute("CREATE TEMP TABLE staging_users (external_id text, attributes jsonb) ON COMMIT DROP")
            let rows: [[String?]] = try table.rows.map { row in
                let attrs = try JSONSerialization.data(withJSONObject: row.attributes, options: [.sortedKeys])
                return [row.id, String(decoding: attrs, as: UTF8.self)]
            }
            try connection.copyIn("COPY staging_users (external_id, attributes) FROM STDIN", rows: rows)
            return try connection.countWritten("""
                INSERT INTO users (external_id, attributes)
                SELECT DISTINCT ON (external_id) external_id, attributes FROM staging_users ORDER BY external_id
                ON CONFLICT (external_id) DO UPDATE SET attributes = EXCLUDED.attributes
                    WHERE users.attributes IS DISTINCT FROM EXCLUDED.attributes
                """)
        }
        return ImportSummary(kind: "users", rowsRead: table.rows.count, inserted: result.0, updated: result.1,
                             unchanged: Set(table.rows.map { ExternalID($0.id) }).count - result.0 - result.1, seconds: Date().timeIntervalSince(t0))
    }
}
