import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore

/// Kills `autorec score` at several moments, writing its lists included, and checks that the
/// stored lists are always either the complete old set or the complete new set.
final class KilledScorerTests: XCTestCase {
    static var binary: String {
        let bundleDir = Bundle(for: KilledScorerTests.self).bundleURL.deletingLastPathComponent()
        for candidate in [bundleDir.appendingPathComponent("autorec").path,
                          StoreTests.root.appendingPathComponent(".build/release/autorec").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "autorec"
    }

    func testAKilledScorerLeavesThePreviousLists() throws {
        let url = try TestDatabase.url
        let connection = try TestDatabase.fresh()
        let all = try TestDatabase.importRatings(connection)
        let model = TestDatabase.smallModel(try RatingSnapshot.read(connection).ratings, epochs: 3)
        try ModelRegistry(connection: connection).activate(try TestDatabase.register(model, connection, ratingCount: all.count))

        func score(top: Int, killAfter seconds: Double?) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.binary)
            p.arguments = ["score", "--top", String(top), "--database", url]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            if let s = seconds {
                Thread.sleep(forTimeInterval: s)
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            }
            p.waitUntilExit()
            return p.terminationStatus
        }
        /// Users by the length of their stored list.
        func listSizes() throws -> [String: Int] {
            var out: [String: Int] = [:]
            for r in try connection.execute("SELECT max(rank)::text FROM recommendations GROUP BY user_id").rows {
                out[r[0]!, default: 0] += 1
            }
            return out
        }
        XCTAssertEqual(try score(top: 20, killAfter: nil), 0)
        XCTAssertEqual(try listSizes(), ["20": 943], "every user has a complete list of 20")

        // Kill runs that would write lists of 200 at moments spread over their run, write included.
        for delay in [0.05, 0.3, 0.6, 1.0, 1.5, 2.5] {
            _ = try score(top: 200, killAfter: delay)
            let sizes = try listSizes()
            XCTAssertTrue(sizes == ["20": 943] || sizes == ["200": 943],
                          "after a kill at \(delay) s the lists must be the old set or the new one, not \(sizes)")
            if sizes == ["200": 943] {
                // Finished before the kill: put the old lists back for the next round.
                XCTAssertEqual(try score(top: 20, killAfter: nil), 0)
            }
        }
    }
}
