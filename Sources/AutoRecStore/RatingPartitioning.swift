import Foundation

/// The optional layout of the ratings table hash-partitioned by user (`autorec db partition-ratings
/// --partitions N`): the same columns, keys and indexes, with each user's ratings in one of N
/// partitions. It is the single-server form of spreading users over servers (docs/SCALING.md): with
/// postgres_fdw the partitions can live on other servers, and Citus distributes by the same column.
/// Everything else (import, snapshot, the nightly job) works on either layout.
public struct RatingPartitioning {
    public let connection: Connection
    public init(connection: Connection) { self.connection = connection }

    /// The number of hash partitions of the ratings table, or nil when it is a plain table.
    public func partitions() throws -> Int? {
        guard try connection.scalar("SELECT relkind FROM pg_class WHERE oid = 'ratings'::regclass") == "p" else { return nil }
        return Int(try connection.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'ratings'::regclass") ?? "0")
    }

    /// Rebuilds the ratings table as `count` hash partitions by user, moving every rating, in one
    /// transaction under the import lock (imports wait; readers of the old table finish first).
    public func partitionByUser(count: Int) throws {
        guard (2...1024).contains(count) else { throw StoreError("--partitions takes 2 to 1024, got \(count)") }
        if let existing = try partitions() {
            throw StoreError("the ratings table is already partitioned (\(existing) partitions)")
        }
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock($1::bigint)", [Importer.lockKey])
            try connection.execute("LOCK TABLE ratings IN ACCESS EXCLUSIVE MODE")
            // The serving views read the ratings (to drop rated items): set aside, rebuilt on the new table.
            let views = try Self.viewsReadingRatings(connection)
            for view in views.reversed() { try connection.execute("DROP VIEW \(view.name)") }
            try connection.execute("ALTER TABLE ratings RENAME TO ratings_unpartitioned")
            try connection.execute("ALTER TABLE ratings_unpartitioned RENAME CONSTRAINT ratings_pkey TO ratings_unpartitioned_pkey")
            try connection.execute("ALTER INDEX ratings_item RENAME TO ratings_unpartitioned_item")
            try connection.execute("""
                CREATE TABLE ratings (LIKE ratings_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
                PARTITION BY HASH (user_id)
                """)
            for remainder in 0..<count {
                try connection.execute("""
                    CREATE TABLE ratings_p\(remainder) PARTITION OF ratings FOR VALUES WITH (MODULUS \(count), REMAINDER \(remainder))
                    """)
            }
            try connection.execute("INSERT INTO ratings SELECT * FROM ratings_unpartitioned")
            try connection.execute("DROP TABLE ratings_unpartitioned")
            try connection.execute("SET LOCAL maintenance_work_mem = '512MB'")
            try connection.execute("""
                ALTER TABLE ratings ADD CONSTRAINT ratings_pkey PRIMARY KEY (user_id, item_id),
                    ADD CONSTRAINT ratings_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
                    ADD CONSTRAINT ratings_item_id_fkey FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE
                """)
            try connection.execute("CREATE INDEX ratings_item ON ratings (item_id)")
            for view in views { try connection.execute("CREATE VIEW \(view.name) AS \(view.definition)") }
        }
    }

    /// The views that read the ratings table, directly or through another such view, in an order
    /// that creates each after the views it reads, with their definitions.
    static func viewsReadingRatings(_ connection: Connection) throws -> [(name: String, definition: String)] {
        try connection.execute("""
            WITH RECURSIVE reading (oid, depth) AS (
                SELECT DISTINCT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
                WHERE d.refobjid = 'ratings'::regclass AND r.ev_class <> 'ratings'::regclass
                UNION ALL
                SELECT DISTINCT r.ev_class, reading.depth + 1 FROM reading
                JOIN pg_depend d ON d.refobjid = reading.oid JOIN pg_rewrite r ON r.oid = d.objid
                WHERE r.ev_class <> reading.oid
            )
            SELECT quote_ident(c.relname), pg_get_viewdef(c.oid) FROM pg_class c
            JOIN (SELECT oid, max(depth) AS depth FROM reading GROUP BY oid) v ON v.oid = c.oid
            WHERE c.relkind = 'v' ORDER BY v.depth, c.relname
            """).rows.map { ($0[0]!, $0[1]!) }
    }
}
