import XCTest
import Foundation
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// The contract every model kind of the catalogue keeps, run over all of them (as implicit's shared
/// test mixin is): its file round-trips to the same lists, a user's training items never come back,
/// fold-in works or refuses with its reason, a seed fixes the model, and the edge cases of a user
/// with one rating, a user who rated everything and a one-item catalogue train and rank.
final class ModelContractTests: XCTestCase {
    /// A slice of ML-100K with its own small id maps.
    static let ratings: Ratings = TestData.explicitSlice { u, i in u % 6 == 0 && i % 5 == 0 }

    /// `kind` trained briefly on `ratings`.
    static func train(_ kind: ModelKind, _ ratings: Ratings, seed: UInt64 = 1) throws -> any Ranker {
        let epochs = kind.task == .rating ? 3 : 2, hidden = kind.task == .rating ? 8 : 6
        return try kind.train(ratings, settings: .brief(kind, epochs: epochs, hidden: hidden, seed: seed)).model
    }

    /// The training items of user `u` (model indices).
    static func seen(_ model: any Ranker, _ u: Int) -> Set<Int> {
        let h = model.history
        return Set((h.rowStart[u]..<h.rowStart[u + 1]).map { Int(h.columns[$0]) })
    }

    /// Every kind of the catalogue, the test target's own registrations included.
    func forEveryKind(_ body: (ModelKind) throws -> Void) rethrows {
        TestRegistrations.registerOnce()
        for kind in ModelCatalogue.kinds { try body(kind) }
    }

    func testSaveAndLoadGiveTheSameLists() throws {
        try forEveryKind { kind in
            let model = try Self.train(kind, Self.ratings)
            let loaded = try ModelCatalogue.load(try ModelFile.decode(try model.modelFile(extraHeader: [:]).encoded(), source: "contract"))
            XCTAssertEqual(loaded.kind, kind.name)
            let users = Array(0..<model.users.count)
            let before = model.topN(users: users, count: 10), after = loaded.topN(users: users, count: 10)
            XCTAssertEqual(before.map { $0.map(\.item) }, after.map { $0.map(\.item) }, kind.name)
            XCTAssertEqual(before.flatMap { $0.map(\.score) }, after.flatMap { $0.map(\.score) }, kind.name)
        }
    }

    func testTrainingItemsNeverComeBack() throws {
        try forEveryKind { kind in
            let model = try Self.train(kind, Self.ratings)
            let lists = model.topN(users: Array(0..<model.users.count), count: 30)
            for (u, list) in lists.enumerated() {
                XCTAssertTrue(Self.seen(model, u).isDisjoint(with: list.map(\.item)), "\(kind.name) user \(u)")
                XCTAssertEqual(list.map(\.score), list.map(\.score).sorted(by: >), "\(kind.name): best first")
            }
        }
    }

    func testFoldInWorksOrRefusesWithItsReason() throws {
        try forEveryKind { kind in
            let model = try Self.train(kind, Self.ratings)
            let given = [0, 3, 5]
            if kind.capabilities.contains(.foldIn) {
                let list = try model.recommend(foldingIn: given, count: 8)
                XCTAssertEqual(list.count, 8, kind.name)
                XCTAssertTrue(Set(list.map(\.item)).isDisjoint(with: given), kind.name)
            } else {
                XCTAssertThrowsError(try model.recommend(foldingIn: given, count: 8)) { error in
                    let refusal = error as? FoldInUnsupported
                    XCTAssertNotNil(refusal, "\(kind.name): \(error)")
                    XCTAssertFalse(refusal?.reason.isEmpty ?? true)
                }
            }
        }
    }

    func testTheSameSeedGivesTheSameModel() throws {
        try forEveryKind { kind in
            let a = try Self.train(kind, Self.ratings, seed: 5), b = try Self.train(kind, Self.ratings, seed: 5)
            let users = Array(0..<a.users.count)
            XCTAssertEqual(a.topN(users: users, count: 10).flatMap { $0.map(\.score) },
                           b.topN(users: users, count: 10).flatMap { $0.map(\.score) }, kind.name)
        }
    }

    /// One user with a single rating, one who rated every item of the table: both train and rank.
    func testAUserWithOneRatingAndAUserWhoRatedEverything() throws {
        var ratings = Self.ratings
        ratings.append(user: "one-rating", item: ratings.items.id(at: 0), value: 4)
        for i in 0..<ratings.items.count { ratings.append(user: "rated-everything", item: ratings.items.id(at: i), value: 3) }
        try forEveryKind { kind in
            let model = try Self.train(kind, ratings)
            let one = try XCTUnwrap(model.users.index(of: "one-rating").map(Int.init))
            let all = try XCTUnwrap(model.users.index(of: "rated-everything").map(Int.init))
            let lists = model.topN(users: [one, all], count: 10)
            XCTAssertEqual(lists[0].count, 10, kind.name)
            XCTAssertFalse(lists[0].contains { $0.item == 0 }, kind.name)
            XCTAssertTrue(lists[1].isEmpty, "\(kind.name): nothing is left to recommend")
        }
    }

    /// A catalogue of one item: every model trains and has nothing to recommend.
    func testAOneItemCatalogue() throws {
        var ratings = Ratings()
        for u in 0..<30 { ratings.append(user: "u\(u)", item: "only", value: Float(1 + u % 5)) }
        try forEveryKind { kind in
            let model = try Self.train(kind, ratings)
            XCTAssertEqual(model.items.count, 1, kind.name)
            XCTAssertTrue(model.topN(users: Array(0..<model.users.count), count: 5).allSatisfy(\.isEmpty), kind.name)
        }
    }
}
