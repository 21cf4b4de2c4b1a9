import XCTest
import Foundation
@testable import AutoRecStore

/// Tests against a real PostgreSQL server: tools/test starts a private one and names a scratch
/// database in AUTOREC_TEST_DATABASE_URL. Each test starts from an empty schema.
final class StoreTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var migrations: String { root.appendingPathComponent("migrations").path }

    var connection: Connection!

    override func setUpWithError() throws {
        connection = try TestDatabase.fresh(migrated: false)
    }

    func testMigrationsTwiceChangeNothing() throws {
        let migrator = try Migrator(connection: connection, directory: Self.migrations)
        XCTAssertEqual(try migrator.version(), 0)
        let first = try migrator.migrate()
        XCTAssertEqual(first, Array(1...migrator.migrations.count))
        let tablesAfterFirst = try connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1").rows
        XCTAssertEqual(try migrator.migrate(), [], "a second run applies nothing")
        XCTAssertEqual(try connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1").rows, tablesAfterFirst)
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM schema_migrations"), String(migrator.migrations.count))
        for (table, rows) in try StoreStatus.counts(connection) { XCTAssertEqual(rows, 0, table) }
    }

    func testFailedMigrationIsRolledBackWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("autorec-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "CREATE TABLE a (x int);".write(to: dir.appendingPathComponent("001_a.sql"), atomically: true, encoding: .utf8)
        try "CREATE TABLE b (x int); SELECT no_such_function();".write(
            to: dir.appendingPathComponent("002_b.sql"), atomically: true, encoding: .utf8)
        let migrator = try Migrator(connection: connection, directory: dir.path)
        XCTAssertThrowsError(try migrator.migrate()) { error in
            XCTAssertTrue("\(error)".contains("migration 2 (b) failed and was rolled back"), "\(error)")
        }
        XCTAssertEqual(try migrator.version(), 1)
        XCTAssertEqual(try connection.scalar("SELECT to_regclass('a') IS NOT NULL"), "t")
        XCTAssertEqual(try connection.scalar("SELECT to_regclass('b') IS NOT NULL"), "f", "the failed file left nothing behind")
    }

    func testMigrationFilesMustBeNumberedWithoutGaps() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("autorec-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "SELECT 1;".write(to: dir.appendingPathComponent("001_a.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: dir.appendingPathComponent("003_c.sql"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Migrator.load(directory: dir.path)) { error in
            XCTAssertTrue("\(error)".contains("expected migration 2"), "\(error)")
        }
    }

    func testValuesTravelAsParametersNotSQL() throws {
        try Migrator(connection: connection, directory: Self.migrations).migrate()
        let hostile = "x'); DROP TABLE users; --"
        try connection.execute("INSERT INTO users (external_id) VALUES ($1)", [hostile])
        XCTAssertEqual(try connection.scalar("SELECT external_id FROM users"), hostile)
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM users"), "1")
    }

    func testTransactionRollsBackOnError() throws {
        try Migrator(connection: connection, directory: Self.migrations).migrate()
        XCTAssertThrowsError(try connection.transaction {
            try connection.execute("INSERT INTO users (external_id) VALUES ($1)", ["u1"])
            try connection.execute("INSERT INTO users (external_id) VALUES ($1)", ["u1"])  // unique violation
        })
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM users"), "0")
    }

    func testOnlyOneActiveModelPerTask() throws {
        try Migrator(connection: connection, directory: Self.migrations).migrate()
        let insert = "INSERT INTO models (kind, status, artifact) VALUES ('i-autorec', $1, '\\x00')"
        try connection.execute(insert, ["active"])
        try connection.execute(insert, ["candidate"])
        XCTAssertThrowsError(try connection.execute(insert, ["active"]))
    }

    func testTheTestsRefuseADatabaseNotNamedAsATestOne() {
        XCTAssertEqual(TestDatabase.databaseName("postgresql:///autorec_test?host=/tmp&port=5439"), "autorec_test")
        XCTAssertEqual(TestDatabase.databaseName("postgresql://u:p@h:5432/autorec"), "autorec")
        XCTAssertEqual(TestDatabase.databaseName("host=/tmp dbname=shop_test user=x"), "shop_test")
        XCTAssertNil(TestDatabase.databaseName("host=/tmp user=x"))
    }

    /// A store never migrated: the server says only that a relation is missing; autorec says what to run.
    func testAnUnmigratedStoreSaysToMigrate() throws {
        let connection = try TestDatabase.fresh(migrated: false)
        XCTAssertThrowsError(try RecommendationStore(connection: connection).activeList(user: "1", count: 5)) { error in
            XCTAssertTrue("\(error)".contains("autorec db migrate"), "\(error)")
        }
        XCTAssertThrowsError(try ModelRegistry(connection: connection).active()) { error in
            XCTAssertTrue("\(error)".contains("autorec db migrate"), "\(error)")
        }
    }

    func testPasswordsNeverShow() throws {
        XCTAssertEqual(ConnectionURL.redact("postgresql://bob:s3cret@db.example:5432/x"), "postgresql://bob:***@db.example:5432/x")
        XCTAssertEqual(ConnectionURL.redact("host=db password=s3cret user=bob"), "host=db password=*** user=bob")
        // Found by trying: the keyword form with spaces or quotes, and a password holding '@'.
        XCTAssertEqual(ConnectionURL.redact("host=db password = secret user=bob"), "host=db password = *** user=bob")
        XCTAssertEqual(ConnectionURL.redact("host=db password='my secret' user=bob"), "host=db password=*** user=bob")
        XCTAssertEqual(ConnectionURL.redact("password='it\\'s here' dbname=x"), "password=*** dbname=x")
        XCTAssertEqual(ConnectionURL.redact("cannot connect to postgresql://u:sec@ret@host/db: refused"),
                       "cannot connect to postgresql://u:***@host/db: refused")
        XCTAssertEqual(ConnectionURL.redact("postgres://u@host/db?password=x&sslmode=off"), "postgres://u@host/db?password=***&sslmode=off")
        XCTAssertThrowsError(try Connection(url: "postgresql://bob:s3cret@127.0.0.1:1/x?connect_timeout=2")) { error in
            XCTAssertFalse("\(error)".contains("s3cret"), "\(error)")
            XCTAssertTrue("\(error)".contains("cannot connect"), "\(error)")
        }
    }
}
