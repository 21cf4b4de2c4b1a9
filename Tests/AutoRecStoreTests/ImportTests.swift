import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore
@testable import AutoRecCore
@testable import AutoRecModels

/// Imports into a real PostgreSQL (see StoreTests): counts before and after, all or nothing.
final class ImportTests: XCTestCase {
    var connection: Connection!
    var importer: Importer { Importer(connection: connection) }
    static var data: URL { StoreTests.root.appendingPathComponent("data/ml-100k") }

    override func setUpWithError() throws {
        connection = try TestDatabase.fresh()
    }

    func count(_ table: String) throws -> Int { Int(try connection.scalar("SELECT count(*) FROM \(table)")!)! }

    func ratings(_ text: String) throws -> Ratings { try RatingFileReader.parse(text: text, file: "test.tsv") }

    func testMovieLensImportAndReimportChangesNothing() throws {
        let users = try AttributeTable.read(path: Self.data.appendingPathComponent("users.tsv").path, idColumns: ["user"])
        let items = try ItemCatalogue.read(path: Self.data.appendingPathComponent("items.tsv").path)
        let all = try RatingFileReader.read(path: Self.data.appendingPathComponent("ratings.tsv").path)
        XCTAssertEqual(try importer.importUsers(users).inserted, 943)
        XCTAssertEqual(try importer.importItems(items).inserted, 1682)
        let first = try importer.importRatings(all)
        XCTAssertEqual(first.inserted, 100_000)
        XCTAssertEqual(try count("ratings"), 100_000)
        XCTAssertEqual(try connection.scalar("SELECT title FROM items WHERE external_id = '50'"), "Star Wars")
        XCTAssertEqual(try connection.scalar("SELECT array_to_string(genres, ',') FROM items WHERE external_id = '1'"),
                       "Animation,Children's,Comedy")

        let again = try importer.importRatings(all)
        XCTAssertEqual(again.inserted, 0)
        XCTAssertEqual(again.updated, 0)
        XCTAssertEqual(again.unchanged, 100_000)
        XCTAssertEqual(try importer.importItems(items).updated, 0)
        XCTAssertEqual(try importer.importUsers(users).updated, 0)
        XCTAssertEqual(try count("ratings"), 100_000)
        XCTAssertEqual(try count("users"), 943)
        XCTAssertEqual(try count("items"), 1682)
    }

    func testNewerRatingReplacesOlderAndOlderDoesNot() throws {
        try importer.importRatings(try ratings("u1\ti1\t3\t1000\nu1\ti2\t4\t1000\n"))
        let newer = try importer.importRatings(try ratings("u1\ti1\t5\t2000\nu1\ti2\t1\t500\n"))
        XCTAssertEqual(newer.updated, 1)
        XCTAssertEqual(try connection.scalar("""
            SELECT r.rating FROM ratings r JOIN items i ON i.id = r.item_id WHERE i.external_id = 'i1'
            """), "5")
        XCTAssertEqual(try connection.scalar("""
            SELECT r.rating FROM ratings r JOIN items i ON i.id = r.item_id WHERE i.external_id = 'i2'
            """), "4", "an older rating does not replace a newer one")
        // Within one file the newest line of a pair wins.
        try importer.importRatings(try ratings("u2\ti1\t2\t3000\nu2\ti1\t4\t4000\nu2\ti1\t1\t3500\n"))
        XCTAssertEqual(try connection.scalar("""
            SELECT r.rating FROM ratings r JOIN users u ON u.id = r.user_id WHERE u.external_id = 'u2'
            """), "4")
    }

    func testFailedImportLeavesTheTablesAsTheyWere() throws {
        try importer.importRatings(try ratings("u1\ti1\t3\n"))
        let before = try (count("users"), count("items"), count("ratings"))
        // A value the parser would refuse, forced past it: the database's own check fails mid-import,
        // after new users and items were staged, and the whole transaction rolls back.
        var bad = Ratings()
        bad.append(user: "u9", item: "i9", value: 4)
        bad.append(user: "u8", item: "i8", value: .nan)
        XCTAssertThrowsError(try importer.importRatings(bad))
        let after = try (count("users"), count("items"), count("ratings"))
        XCTAssertEqual(before.0, after.0); XCTAssertEqual(before.1, after.1); XCTAssertEqual(before.2, after.2)
    }

    func testMalformedFilesAreRefusedBeforeTheDatabase() throws {
        XCTAssertThrowsError(try ratings("u1\ti1\t3\nu2\ti2\tfive\n")) { error in
            XCTAssertTrue("\(error)".hasPrefix("test.tsv:2:"), "\(error)")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("items-\(UUID().uuidString).tsv").path
        try "item\ttitle\tgenres\n1\tA\tDrama\n2\tB\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ItemCatalogue.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("\(path):3:"), "\(error)")
        }
    }

    func testCopyEscapesTabsNewlinesAndBackslashes() throws {
        let odd = "a\tb\\c\nd\r\ne"
        var r = Ratings()
        r.append(user: odd, item: "i", value: 3)
        try importer.importRatings(r)
        XCTAssertEqual(try connection.scalar("SELECT external_id FROM users"), odd)
    }
}

/// Imports at once from several connections, and the bulk path's rebuilt keys.
final class ConcurrentImportTests: XCTestCase {
    /// Ratings of users `users` on items `items`, one per pair, with value `value`.
    func ratings(users: Range<Int>, items: Range<Int>, value: Float) -> Ratings {
        var r = Ratings()
        for u in users { for i in items { r.append(user: "u\(u)", item: "i\(i)", value: value) } }
        return r
    }

    func testTwoImportsWithOverlappingNewUsersBothLand() throws {
        let setup = try TestDatabase.fresh()
        try Importer(connection: setup).importRatings(ratings(users: 0..<1, items: 0..<1, value: 1))
        // Both files create users u100..u699 (and their own), on items of their own.
        let first = ratings(users: 100..<700, items: 0..<5, value: 3)
        let second = ratings(users: 400..<1000, items: 5..<10, value: 4)
        let url = try TestDatabase.url
        var results = [Result<ImportSummary, Error>?](repeating: nil, count: 2)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let outcome = Result { try Importer(connection: try Connection(url: url)).importRatings(k == 0 ? first : second) }
            lock.lock(); results[k] = outcome; lock.unlock()
        }
        for (k, r) in results.enumerated() {
            switch r! {
            case .success(let s): XCTAssertEqual(s.inserted, 3000, "import \(k)")
            case .failure(let e): XCTFail("import \(k) failed: \(e)")
            }
        }
        XCTAssertEqual(try setup.scalar("SELECT count(*) FROM ratings"), "6001")
        XCTAssertEqual(try setup.scalar("SELECT count(*) FROM users"), "901")
        XCTAssertEqual(try setup.scalar("SELECT count(DISTINCT external_id) FROM users"), "901")
    }

    func testBulkLoadRebuildsKeysAndIndexes() throws {
        let connection = try TestDatabase.fresh()
        let definitions = "SELECT string_agg(pg_get_constraintdef(oid), '; ' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'ratings'::regclass"
        let indexes = "SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'ratings'"
        let before = (try connection.scalar(definitions), try connection.scalar(indexes))
        var importer = Importer(connection: connection)
        importer.bulkLoadMinimum = 100
        var messages: [String] = []
        importer.progress = { messages.append($0) }
        let summary = try importer.importRatings(ratings(users: 0..<30, items: 0..<20, value: 2))
        XCTAssertEqual(summary.inserted, 600)
        XCTAssertTrue(messages.contains { $0.hasPrefix("rebuilt the keys") }, "\(messages)")
        XCTAssertEqual(try connection.scalar(definitions), before.0)
        XCTAssertEqual(try connection.scalar(indexes), before.1)
        XCTAssertThrowsError(try connection.execute("INSERT INTO ratings SELECT user_id, item_id, 1 FROM ratings LIMIT 1"),
                             "the primary key is back")
        XCTAssertThrowsError(try connection.execute("INSERT INTO ratings VALUES (999999, 1, 1)"), "the foreign keys are back")
        // The second import takes the upsert path and finds every rating unchanged.
        let again = try importer.importRatings(ratings(users: 0..<30, items: 0..<20, value: 2))
        XCTAssertEqual(again.unchanged, 600)
        XCTAssertFalse(messages.filter { $0.hasPrefix("rebuilt the keys") }.count > 1)
    }

    func testDuplicatesInOneFileKeepTheNewestThenTheLastLine() throws {
        let connection = try TestDatabase.fresh()
        var importer = Importer(connection: connection)
        importer.bulkLoadMinimum = 1
        let text = "u1\ti1\t2\t3000\nu1\ti1\t4\t4000\nu1\ti1\t1\t3500\nu1\ti2\t1\t0\nu1\ti2\t5\t0\nu1\ti3\t3\t0\nu1\ti3\t2\t10\n"
        // Built line by line (the reader itself keeps one rating per pair by the same rule), so that
        // the importer's own handling of duplicates is what is tested.
        var raw = Ratings()
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t")
            raw.append(user: String(f[0]), item: String(f[1]), value: Float(f[2])!, timestamp: Int64(f[3])!)
        }
        let summary = try importer.importRatings(raw)
        XCTAssertEqual(summary.inserted, 3)
        XCTAssertEqual(summary.rowsRead, 7)
        let stored = try connection.execute("""
            SELECT i.external_id, r.rating FROM ratings r JOIN items i ON i.id = r.item_id ORDER BY 1
            """).rows.map { "\($0[0]!)=\($0[1]!)" }
        XCTAssertEqual(stored, ["i1=4", "i2=5", "i3=2"])
    }
}

/// The optional ratings layout hash-partitioned by user: imports (bulk and upsert) and the snapshot
/// work on it as on the plain table.
final class PartitionedRatingsTests: XCTestCase {
    func testImportAndSnapshotOnHashPartitionedRatings() throws {
        let connection = try TestDatabase.fresh()
        let partitioning = RatingPartitioning(connection: connection)
        XCTAssertNil(try partitioning.partitions())
        var importer = Importer(connection: connection)
        try importer.importRatings(try RatingFileReader.parse(text: "a\tx\t3\nb\ty\t4\n", file: "small.tsv"))
        try partitioning.partitionByUser(count: 4)
        XCTAssertEqual(try partitioning.partitions(), 4)
        XCTAssertThrowsError(try partitioning.partitionByUser(count: 4))
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM ratings"), "2", "the ratings moved")
        try connection.execute("TRUNCATE ratings")
        let all = try RatingFileReader.read(path: ImportTests.data.appendingPathComponent("ratings.tsv").path)
        importer.bulkLoadMinimum = 1000
        XCTAssertEqual(try importer.importRatings(all).inserted, 100_000)
        XCTAssertEqual(try partitioning.partitions(), 4, "the bulk path rebuilt keys, not the layout")
        XCTAssertEqual(try connection.scalar("SELECT count(DISTINCT tableoid) FROM ratings"), "4")
        XCTAssertEqual(try importer.importRatings(all).unchanged, 100_000)
        XCTAssertThrowsError(try connection.execute("INSERT INTO ratings SELECT user_id, item_id, 1 FROM ratings LIMIT 1"))
        let snapshot = try RatingSnapshot.read(connection)
        XCTAssertEqual(snapshot.count, 100_000)
        XCTAssertEqual(Set(snapshot.ratings.users.externalIDs), Set(all.users.externalIDs))
    }
}
