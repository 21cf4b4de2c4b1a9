import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore
@testable import AutoRecCore
@testable import AutoRecModels

/// The model registry and the training snapshot against a real PostgreSQL (see StoreTests).
final class RegistryTests: XCTestCase {
    var connection: Connection!
    var registry: ModelRegistry { ModelRegistry(connection: connection) }

    override func setUpWithError() throws {
        connection = try TestDatabase.fresh()
    }

    func importSlice() throws -> Ratings { try TestDatabase.importRatings(connection, count: 8000) }
    func smallModel(_ ratings: Ratings, seed: UInt64 = 1) -> AutoRec { TestDatabase.smallModel(ratings, seed: seed) }

    func testSnapshotHoldsWhatWasImported() throws {
        let slice = try importSlice()
        let snap = try RatingSnapshot.read(connection)
        XCTAssertEqual(snap.count, slice.count)
        XCTAssertEqual(snap.newest, slice.timestamps.max())
        XCTAssertEqual(Double(snap.ratings.mean), Double(slice.mean), accuracy: 1e-4)
        // subset() keeps the full id maps: compare the users that actually rated.
        XCTAssertEqual(Set(snap.ratings.users.externalIDs), Set(slice.userIndex.map { slice.users.id(at: Int($0)) }))
    }

    func testRegistryRoundTripAndOneActiveModel() throws {
        let slice = try importSlice()
        let model = smallModel(slice)
        let bytes = try model.modelFile().encoded()
        let a = try registry.register(kind: "i-autorec", artifact: bytes, hyperparameters: ["hidden": 16],
                                      metrics: ["validation_rmse": 0.95], ratingCount: slice.count, newestRating: 893286638)
        let b = try registry.register(kind: "i-autorec", artifact: try smallModel(slice, seed: 2).modelFile().encoded(),
                                      hyperparameters: [:], metrics: [:], ratingCount: slice.count, newestRating: 0)
        XCTAssertEqual(try registry.list().map(\.status), ["candidate", "candidate"])
        XCTAssertEqual(try registry.artifact(a), bytes, "the artifact comes back byte for byte")
        let loaded = try registry.loadModel(a)
        XCTAssertEqual(loaded.parameters, model.parameters)

        try registry.activate(a)
        XCTAssertEqual(try registry.active()?.id, a)
        try registry.activate(b)
        XCTAssertEqual(try registry.active()?.id, b)
        XCTAssertEqual(try registry.show(a).status, "retired")
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM models WHERE status = 'active'"), "1")
        try registry.retire(b)
        XCTAssertNil(try registry.active())
        XCTAssertThrowsError(try registry.show(999)) { XCTAssertTrue("\($0)".contains("no model 999")) }
    }

    func testLargeArtifactsGoInChunksAndOldSingleValuesStillLoad() throws {
        var bytes = Data(count: 2 * ModelRegistry.chunkBytes + 12345)
        bytes.withUnsafeMutableBytes { raw in for k in stride(from: 0, to: raw.count, by: 4093) { raw[k] = UInt8(k % 251) } }
        let id = try registry.register(kind: "popularity", artifact: bytes, hyperparameters: [:], metrics: [:],
                                       ratingCount: 0, newestRating: 0)
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM model_artifacts WHERE model_id = $1", [String(id)]), "3")
        XCTAssertEqual(try registry.artifact(id), bytes)
        try connection.execute("DELETE FROM model_artifacts WHERE model_id = $1 AND chunk = 1", [String(id)])
        XCTAssertThrowsError(try registry.artifact(id)) { XCTAssertTrue("\($0)".contains("chunk 1"), "\($0)") }
        // A model registered before migration 3 keeps its bytes in models.artifact.
        let old = try connection.scalar("INSERT INTO models (kind, artifact) VALUES ('popularity', '\\x0102ff') RETURNING id")!
        XCTAssertEqual(try registry.artifact(Int(old)!), Data([1, 2, 255]))
    }

    func testAStoreBeforeMigrationThreeIsToldToMigrate() throws {
        let old = try TestDatabase.fresh(migrated: false)
        try Migrator(connection: old, directory: StoreTests.migrations).migrate(upTo: 2)
        XCTAssertThrowsError(try ModelRegistry(connection: old).register(kind: "popularity", artifact: Data([1]), hyperparameters: [:],
                                                                          metrics: [:], ratingCount: 0, newestRating: 0)) {
            XCTAssertTrue("\($0)".contains("run 'autorec db migrate'"), "\($0)")
        }
    }

    func testDamagedArtifactIsRefused() throws {
        let slice = try importSlice()
        let id = try TestDatabase.register(smallModel(slice), connection, ratingCount: slice.count)
        try connection.execute("UPDATE model_artifacts SET bytes = set_byte(bytes, 200, get_byte(bytes, 200) # 255) WHERE model_id = $1 AND chunk = 0", [String(id)])
        XCTAssertThrowsError(try registry.loadModel(id)) { error in
            XCTAssertTrue("\(error)".contains("checksum mismatch") || "\(error)".contains("damaged"), "\(error)")
        }
    }
}

/// Stored top-N lists: what the scorer writes equals the in-memory model's lists, and a failed
/// write leaves the previous lists as they were.
final class RecommendationStoreTests: XCTestCase {
    var connection: Connection!

    override func setUpWithError() throws {
        connection = try TestDatabase.fresh()
    }

    /// Each user's stored list under `id`, as external item ids.
    func storedLists(_ id: Int) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for r in try connection.execute("""
            SELECT u.external_id, i.external_id FROM recommendations r JOIN users u ON u.id = r.user_id
            JOIN items i ON i.id = r.item_id WHERE r.model_id = $1 ORDER BY r.user_id, r.rank
            """, [String(id)]).rows {
            out[r[0]!, default: []].append(r[1]!)
        }
        return out
    }

    func testStoredListsMatchTheModelAndFailedWritesChangeNothing() throws {
        let slice = try TestDatabase.importRatings(connection, count: 8000)
        let model = TestDatabase.smallModel(try RatingSnapshot.read(connection).ratings)
        let id = try TestDatabase.register(model, connection, ratingCount: slice.count)
        let store = RecommendationStore(connection: connection)
        let report = try store.scoreAndStore(model: model, modelID: id, top: 10, blockSize: 37)
        XCTAssertTrue(report.published)
        XCTAssertEqual(report.rows, model.users.count, "one row per user")
        let lists = model.topN(users: Array(0..<model.users.count), count: 10)
        for u in stride(from: 0, to: model.users.count, by: 9) {
            let external = model.users.id(at: u)
            let stored = try store.list(modelID: id, user: external, count: 10)
            XCTAssertEqual(stored.map(\.item), lists[u].map { model.items.id(at: $0.item) }, "user \(external)")
            XCTAssertEqual(stored.map(\.rank), Array(1...10))
        }
        // A write that fails halfway rolls back whole, and the served lists stay as they were.
        let before = try storedLists(id)
        struct Interrupted: Error {}
        XCTAssertThrowsError(try store.writeShard(modelID: id, shard: 0, of: 1, top: 10, users: 1, ratingsAsOf: "now") { writer in
            try writer.beginRow(fields: 4)
            writer.int64(Int64(id)); writer.int64(1)
            try [Int64(1)].withUnsafeBufferPointer { try writer.int64Array($0) }
            try [Float(1)].withUnsafeBufferPointer { try writer.float32Array($0) }
            throw Interrupted()
        })
        XCTAssertEqual(try storedLists(id), before)
        XCTAssertFalse(try store.publish(modelID: id), "no finished run to attach")
        XCTAssertEqual(try storedLists(id), before)
    }

    func testFourShardScorersAtOnceGiveTheListsOfOne() throws {
        let slice = try TestDatabase.importRatings(connection, count: 8000)
        let model = TestDatabase.smallModel(try RatingSnapshot.read(connection).ratings)
        let single = try TestDatabase.register(model, connection, ratingCount: slice.count)
        let sharded = try TestDatabase.register(model, connection, ratingCount: slice.count)
        try RecommendationStore(connection: connection).scoreAndStore(model: model, modelID: single, top: 15)
        let url = try TestDatabase.url
        var published = [Bool](repeating: false, count: 4)
        var failures: [String] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 4) { shard in
            do {
                let report = try RecommendationStore(connection: try Connection(url: url))
                    .scoreAndStore(model: model, modelID: sharded, top: 15, shard: shard, of: 4, blockSize: 50)
                lock.lock(); published[shard] = report.published; lock.unlock()
            } catch {
                lock.lock(); failures.append("shard \(shard): \(error)"); lock.unlock()
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(published.filter { $0 }.count, 1, "the last shard to finish attaches the lists")
        let one = try storedLists(single), four = try storedLists(sharded)
        XCTAssertEqual(one.count, model.users.count)
        XCTAssertEqual(four, one)
    }

    func testRescoringSwapsThePartitionAndRetiringDropsIt() throws {
        let slice = try TestDatabase.importRatings(connection, count: 8000)
        let model = TestDatabase.smallModel(try RatingSnapshot.read(connection).ratings)
        let id = try TestDatabase.register(model, connection, ratingCount: slice.count)
        let registry = ModelRegistry(connection: connection), store = RecommendationStore(connection: connection)
        try registry.activate(id)
        let partition = "SELECT c.oid FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid WHERE h.inhparent = 'recommendation_lists'::regclass"
        try store.scoreAndStore(model: model, modelID: id, top: 5)
        let first = try connection.execute(partition).rows
        try store.scoreAndStore(model: model, modelID: id, top: 5)
        let second = try connection.execute(partition).rows
        XCTAssertEqual(first.count, 1); XCTAssertEqual(second.count, 1)
        XCTAssertNotEqual(first, second, "a new table replaced the old one: its rows were never updated or deleted")
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM active_lists"), String(model.users.count))
        let user = model.users.id(at: 0)
        XCTAssertEqual(try connection.scalar("SELECT cardinality(items) FROM active_lists WHERE user_external_id = $1", [user]), "5")
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM active_recommendations WHERE user_external_id = $1", [user]), "5")
        let other = try TestDatabase.register(model, connection, ratingCount: slice.count)
        try store.scoreAndStore(model: model, modelID: other, top: 5)
        try registry.activate(other)
        XCTAssertEqual(try connection.scalar("SELECT to_regclass('recommendation_lists_m\(id)') IS NULL"), "t",
                       "the retired model's partition is dropped")
        XCTAssertEqual(try store.listCount(modelID: other), model.users.count)
        try registry.retire(other)
        XCTAssertEqual(try connection.execute(partition).rows.count, 0)
    }

    func testMigrationTwoCarriesVersionOneListsOver() throws {
        let connection = try TestDatabase.fresh(migrated: false)
        let migrator = try Migrator(connection: connection, directory: StoreTests.migrations)
        try migrator.migrate(upTo: 1)
        try connection.executeScript("""
            INSERT INTO users (external_id) VALUES ('a'), ('b');
            INSERT INTO items (external_id, title) VALUES ('x', 'X'), ('y', 'Y'), ('z', 'Z');
            INSERT INTO models (kind, artifact) VALUES ('popularity', '\\x00'), ('ease', '\\x00');
            INSERT INTO recommendations VALUES (1, 1, 1, 3, 0.9), (1, 1, 2, 1, 0.5), (1, 2, 1, 2, 0.7), (2, 2, 1, 1, 0.2);
            """)
        try migrator.migrate()
        let lists = try connection.execute("SELECT model_id, user_id, items::text, scores::text FROM recommendation_lists ORDER BY 1, 2").rows
        XCTAssertEqual(lists.map { $0.compactMap { $0 } }, [["1", "1", "{3,1}", "{0.9,0.5}"], ["1", "2", "{2}", "{0.7}"], ["2", "2", "{1}", "{0.2}"]])
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'recommendation_lists'::regclass"), "2")
        XCTAssertEqual(try connection.execute("SELECT rank, item_id FROM recommendations WHERE model_id = 1 AND user_id = 1 ORDER BY rank").rows,
                       [["1", "3"], ["2", "1"]])
    }
}
