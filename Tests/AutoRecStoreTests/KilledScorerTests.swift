import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore
@testable import AutoRecModels

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

        // A kill proven to land mid-write: the scorer reports each block once its lists are sent to
        // the server, and is killed at its first report, while later blocks are still to come.
        var midWrite: [String] = []
        for _ in 0..<5 where midWrite.isEmpty {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.binary)
            p.arguments = ["score", "--top", "200", "--block", "10", "--progress", "--database", url]
            p.standardOutput = FileHandle.nullDevice
            let err = Pipe()
            p.standardError = err
            try p.run()
            var seen = ""
            while !seen.contains("users") {
                let chunk = err.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
            }
            let running = p.isRunning
            if running { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            if running, let line = seen.split(separator: "\n").first(where: { $0.contains("scored") && !$0.contains("943/943") }) {
                midWrite.append(String(line))
            }
            let sizes = try listSizes()
            if sizes == ["200": 943] { XCTAssertEqual(try score(top: 20, killAfter: nil), 0) } else {
                XCTAssertEqual(sizes, ["20": 943], "a scorer killed after '\(seen)' must leave the old lists")
            }
        }
        XCTAssertFalse(midWrite.isEmpty, "no kill landed while the scorer was writing")
        XCTAssertEqual(try listSizes(), ["20": 943], "killed after \(midWrite): the old lists still serve")

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

    func testAKilledNightlyLeavesTheActiveListsServing() throws {
        let url = try TestDatabase.url
        let connection = try TestDatabase.fresh()
        try TestDatabase.importRatings(connection)
        func nightly(killAfter seconds: Double?) throws -> (status: Int32, killedWhileRunning: Bool) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.binary)
            p.arguments = ["nightly", "--epochs", "4", "--top", "20", "--database", url]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            var killed = false
            if let s = seconds {
                Thread.sleep(forTimeInterval: s)
                if p.isRunning { kill(p.processIdentifier, SIGKILL); killed = true }
            }
            p.waitUntilExit()
            return (p.terminationStatus, killed)
        }
        func served() throws -> (model: String?, lists: [[String?]]) {
            (try connection.scalar("SELECT id FROM models WHERE status = 'active'"),
             try connection.execute("SELECT user_id, items::text FROM active_lists ORDER BY user_id").rows)
        }
        XCTAssertEqual(try nightly(killAfter: nil).status, 0)
        let before = try served()
        XCTAssertEqual(before.lists.count, 943)
        var kills = 0
        for delay in [0.2, 0.8, 1.5, 2.5, 4.0] {
            let run = try nightly(killAfter: delay)
            let after = try served()
            XCTAssertEqual(after.lists.count, 943, "after a kill at \(delay) s every user still has a served list")
            if after.model == before.model {
                XCTAssertEqual(after.lists, before.lists, "after a kill at \(delay) s the active lists are unchanged")
            }
            if run.killedWhileRunning {
                kills += 1
                XCTAssertEqual(try connection.scalar("SELECT status FROM job_runs ORDER BY id DESC LIMIT 1"), "running",
                               "the kill at \(delay) s landed before the run finished")
            }
        }
        XCTAssertGreaterThan(kills, 0, "at least one kill landed mid-run")
        // The next run closes the interrupted ones and serves again.
        XCTAssertEqual(try nightly(killAfter: nil).status, 0)
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM job_runs WHERE status = 'running'"), "0")
        XCTAssertEqual(try served().lists.count, 943)
    }
}
