import XCTest
import Foundation
import Linalg
@testable import AutoRec

/// The contract every model kind of the catalogue keeps, run over all of them (as implicit's shared
/// test mixin is): its file round-trips to the same lists, a user's training items never come back,
/// fold-in works or refuses with its reason, a seed fixes the model, and the edge cases of a user
/// with one rating, a user who rated everything and a one-item catalogue train and rank.
final class ModelContractTests: XCTestCase {
    /// A slice of ML-100K with its own small id maps.
    static let ratings: Ratings = TestData.explicitSlice { u, i in u % 6 == 0 && i % 5 == 0 }

    /// `kind` trained briefly on `ratings`.
    static func train(_ kind: ModelKind, _ ratings: Ratings, seed: UInt64 = 1) throws -> any Ranker {
        if let orientation = kind.orientation {
            var config = AutoRecConfig.defaults(for: orientation)
            config.hidden = 8; config.epochs = 3; config.seed = seed
            return AutoRec.fit(ratings, config: config).model
        }
        var spec = try TopNModelSpec(kind: kind.rawValue)
        spec.mult.epochs = 2; spec.cdae.epochs = 2; spec.mult.dims = [16, 4]; spec.cdae.hidden = 6
        spec.setSeed(seed)
        return try spec.fit(ImplicitData(ratings)).0
    }

    /// The training items of user `u` (model indices).
    static func seen(_ model: any Ranker, _ u: Int) -> Set<Int> {
        let h = model.history
        return Set((h.rowStart[u]..<h.rowStart[u + 1]).map { Int(h.columns[$0]) })
    }

    func forEveryKind(_ body: (ModelKind) throws -> Void) rethrows {
        for kind in ModelKind.allCases { try body(kind) }
    }

    func testSaveAndLoadGiveTheSameLists() throws {
        try forEveryKind { kind in
            let model = try Self.train(kind, Self.ratings)
            let loaded = try RankerFile.ranker(from: try ModelFile.decode(try model.modelFile(extraHeader: [:]).encoded(), source: "contract"))
            XCTAssertEqual(loaded.kind, kind.rawValue)
            let users = Array(0..<model.users.count)
            let before = model.topN(users: users, count: 10), after = loaded.topN(users: users, count: 10)
            XCTAssertEqual(before.map { $0.map(\.item) }, after.map { $0.map(\.item) }, kind.rawValue)
            XCTAssertEqual(before.flatMap { $0.map(\.score) }, after.flatMap { $0.map(\.score) }, kind.rawValue)
        }
    }

    func testTrainingItemsNeverComeBack() throws {
        try forEveryKind { kind in
            let model = try Self.train(kind, Self.ratings)
            let lists = model.topN(users: Array(0..<model.users.count), count: 30)
            for (u, list) in lists.enumerated() {
                XCTAssertTrue(Self.seen(model, u).isDisjoint(with: list.map(\.item)), "\(kind.rawValue) user \(u)")
                XCTAssertEqual(list.map(\.score), list.map(\.score).sorted(by: >), "\(kind.rawValue): best first")
            }
        }
    }

    func testFoldInWorksOrRefusesWithItsReason() throws {
        try forEveryKind { kind in
            let model = try Self.train(kind, Self.ratings)
            let given = [0, 3, 5]
            if kind.capabilities.contains(.foldIn) {
                let list = try model.recommend(foldingIn: given, count: 8)
                XCTAssertEqual(list.count, 8, kind.rawValue)
                XCTAssertTrue(Set(list.map(\.item)).isDisjoint(with: given), kind.rawValue)
            } else {
                XCTAssertThrowsError(try model.recommend(foldingIn: given, count: 8)) { error in
                    let refusal = error as? FoldInUnsupported
                    XCTAssertNotNil(refusal, "\(kind.rawValue): \(error)")
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
                           b.topN(users: users, count: 10).flatMap { $0.map(\.score) }, kind.rawValue)
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
            XCTAssertEqual(lists[0].count, 10, kind.rawValue)
            XCTAssertFalse(lists[0].contains { $0.item == 0 }, kind.rawValue)
            XCTAssertTrue(lists[1].isEmpty, "\(kind.rawValue): nothing is left to recommend")
        }
    }

    /// A catalogue of one item: every model trains and has nothing to recommend.
    func testAOneItemCatalogue() throws {
        var ratings = Ratings()
        for u in 0..<30 { ratings.append(user: "u\(u)", item: "only", value: Float(1 + u % 5)) }
        try forEveryKind { kind in
            let model = try Self.train(kind, ratings)
            XCTAssertEqual(model.items.count, 1, kind.rawValue)
            XCTAssertTrue(model.topN(users: Array(0..<model.users.count), count: 5).allSatisfy(\.isEmpty), kind.rawValue)
        }
    }
}
