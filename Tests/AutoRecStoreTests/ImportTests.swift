import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore

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
