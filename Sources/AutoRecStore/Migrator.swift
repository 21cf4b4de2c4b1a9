import Foundation

/// One numbered SQL file of `migrations/`: `NNN_name.sql`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
}

/// Applies the numbered SQL files in order, each in its own transaction, and records them in
/// `schema_migrations`, so running it again changes nothing. An advisory lock keeps two runs apart.
public struct Migrator {
    public let connection: Connection
    public let migrations: [Migration]

    public init(connection: Connection, directory: String) throws {
        self.connection = connection
        self.migrations = try Migrator.load(directory: directory)
    }

    /// Reads `NNN_name.sql` files; refuses gaps in numbering and duplicate numbers.
    public static func load(directory: String) throws -> [Migration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw StoreError("cannot read the migrations folder \(directory)")
        }
        var out: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let stem = name.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let v = Int(stem[..<underscore]) else {
                throw StoreError("\(directory)/\(name): migration files are named NNN_description.sql")
            }
            let sql = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
            out.append(Migration(version: v, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        for (i, m) in out.enumerated() where m.version != i + 1 {
            throw StoreError("\(directory): expected migration \(i + 1), found \(m.version) (\(m.name))")
        }
        return out
    }

    static let lockKey = "7208152701"  // pg_advisory_lock key for migrations

    /// The versions already applied.
    public func applied() throws -> Set<Int> {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """)
        return Set(try connection.execute("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap(Int.init) })
    }

    /// Applies what is missing (up to `target` when given); returns the versions applied now.
    @discardableResult
    public func migrate(upTo target: Int? = nil) throws -> [Int] {
        try connection.execute("SELECT pg_advisory_lock($1)", [Migrator.lockKey])
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [Migrator.lockKey]) }
        let done = try applied()
        var now: [Int] = []
        for m in migrations where !done.contains(m.version) && m.version <= (target ?? Int.max) {
            do {
                try connection.transaction {
                    try connection.executeScript(m.sql)
                    try connection.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(m.version), m.name])
                }
            } catch {
                throw StoreError("migration \(m.version) (\(m.name)) failed and was rolled back: \(error)")
            }
            now.append(m.version)
        }
        return now
    }

    /// The highest applied version (0 for none).
    public func version() throws -> Int { try applied().max() ?? 0 }
}

/// Row counts of the store's tables, for `autorec db status`.
public enum StoreStatus {
    public static let tables = ["users", "items", "ratings", "models", "recommendation_lists", "item_embeddings",
                                "clusters", "evaluations", "job_runs"]

    public static func counts(_ c: Connection) throws -> [(table: String, rows: Int?)] {
        try tables.map { t in
            let exists = try c.scalar("SELECT to_regclass($1) IS NOT NULL", [t]) == "t"
            return (t, exists ? Int(try c.scalar("SELECT count(*) FROM \(t)") ?? "0") : nil)
        }
    }
}
