import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore
@testable import AutoRecCore
@testable import AutoRecModels

/// The scratch database the store tests share: tools/test starts a private PostgreSQL and names a
/// database in AUTOREC_TEST_DATABASE_URL. Every test starts from an empty schema.
enum TestDatabase {
    static var url: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["AUTOREC_TEST_DATABASE_URL"] else {
                throw XCTSkip("no test database: run tools/test, which starts PostgreSQL and sets AUTOREC_TEST_DATABASE_URL")
            }
            // Every test drops the schema: never on a database that is not named as a test one.
            guard let name = databaseName(url), name.hasSuffix("_test") else {
                throw NotATestDatabase(url: ConnectionURL.redact(url))
            }
            return url
        }
    }

    struct NotATestDatabase: Error, CustomStringConvertible {
        let url: String
        var description: String {
            "refusing to run the store tests on \(url): they drop its public schema, so its database name must end in _test"
        }
    }

    /// The database a connection string names: the path of a URL, or `dbname=` of the keyword form.
    static func databaseName(_ url: String) -> String? {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard let components = URLComponents(string: url) else { return nil }
            let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
            return path.isEmpty ? nil : path.removingPercentEncoding
        }
        for pair in url.split(separator: " ") where pair.hasPrefix("dbname=") {
            return String(pair.dropFirst("dbname=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        return nil
    }

    /// A connection to an emptied schema, migrated unless told otherwise.
    static func fresh(migrated: Bool = true) throws -> Connection {
        let connection = try Connection(url: try url)
        try connection.executeScript("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        if migrated { try Migrator(connection: connection, directory: StoreTests.migrations).migrate() }
        return connection
    }

    /// The first `count` ratings of ML-100K, imported.
    @discardableResult
    static func importRatings(_ connection: Connection, count: Int? = nil) throws -> Ratings {
        let all = try RatingFileReader.read(path: ImportTests.data.appendingPathComponent("ratings.tsv").path)
        let slice = count.map { all.subset(Array(0..<$0)) } ?? all
        try Importer(connection: connection).importRatings(slice)
        return slice
    }

    /// A small, quickly trained I-AutoRec.
    static func smallModel(_ ratings: Ratings, epochs: Int = 5, seed: UInt64 = 1) -> AutoRec {
        var c = AutoRecConfig.defaults(for: .item)
        c.hidden = 16; c.epochs = epochs; c.seed = seed
        return AutoRec.fit(ratings, config: c).model
    }

    /// Registers `model` as a candidate; returns its id.
    static func register(_ model: AutoRec, _ connection: Connection, ratingCount: Int) throws -> Int {
        try ModelRegistry(connection: connection).register(kind: model.config.orientation.rawValue,
                                                           artifact: try model.modelFile().encoded(), hyperparameters: [:],
                                                           metrics: [:], ratingCount: ratingCount, newestRating: 0)
    }
}
