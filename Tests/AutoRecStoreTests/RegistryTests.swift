import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore

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

    func testDamagedArtifactIsRefused() throws {
        let slice = try importSlice()
        let id = try TestDatabase.register(smallModel(slice), connection, ratingCount: slice.count)
        try connection.execute("UPDATE models SET artifact = set_byte(artifact, 200, get_byte(artifact, 200) # 255) WHERE id = $1", [String(id)])
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

    func testStoredListsMatchTheModelAndFailedWritesChangeNothing() throws {
        let slice = try TestDatabase.importRatings(connection, count: 8000)
        let model = TestDatabase.smallModel(try RatingSnapshot.read(connection).ratings)
        let id = try TestDatabase.register(model, connection, ratingCount: slice.count)
        let store = RecommendationStore(connection: connection)
        let userIDs = try store.ids("users"), itemIDs = try store.ids("items")
        let users = Array(0..<model.users.count)
        let lists = BatchScorer(model: model).topN(users: users, count: 10)
        var rows: [(user: Int, rank: Int, item: Int, score: Float)] = []
        for (u, list) in zip(users, lists) {
            for (r, e) in list.enumerated() {
                rows.append((userIDs[model.users.id(at: u)]!, r + 1, itemIDs[model.items.id(at: e.item)]!, e.score))
            }
        }
        XCTAssertEqual(try store.replace(modelID: id, rows: rows), rows.count)
        for u in stride(from: 0, to: users.count, by: 9) {
            let external = model.users.id(at: u)
            let stored = try store.list(modelID: id, user: external, count: 10)
            XCTAssertEqual(stored.map(\.item), model.recommend(user: external, count: 10)!.map(\.item), "user \(external)")
        }
        // A write that fails halfway (an item id that does not exist) rolls back whole.
        let before = try connection.scalar("SELECT count(*) FROM recommendations")
        var broken = rows
        broken[rows.count / 2].item = 999_999_999
        XCTAssertThrowsError(try store.replace(modelID: id, rows: broken))
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM recommendations"), before)
        let first = model.users.id(at: 0)
        XCTAssertEqual(try store.list(modelID: id, user: first, count: 10).map(\.item),
                       model.recommend(user: first, count: 10)!.map(\.item), "the previous lists are intact")
    }
}
