import XCTest
import Foundation
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// The top-N models on small data: fold-in, model files, the shared ranking path.
final class TopNModelTests: XCTestCase {
    static var data: ImplicitData!

    override class func setUp() {
        super.setUp()
        let all = try! RatingFileReader.read(path: TestData.implicitTrain)
        // A third of the users keeps these tests quick.
        data = ImplicitData(all.subset((0..<all.count).filter { Int(all.userIndex[$0]) % 3 == 0 }))
    }

    /// Every kind, trained briefly.
    func models() throws -> [any Ranker] {
        var out: [any Ranker] = []
        for kind in ModelCatalogue.of(.topN) {
            out.append(try kind.train(interactions: Self.data, settings: .brief(kind, epochs: 3, dims: [40, 10], hidden: 12)).model)
        }
        return out
    }

    func testFoldInOfAKnownUsersItemsMatchesTheirScores() throws {
        for model in try models() where model.kind != "cdae" {
            let score = model.blockScorer()
            for u in [0, 5, 17] {
                let items = model.historyItems(ofUser: u)
                let folded = try model.foldIn(items: items, values: [Float](repeating: 1, count: items.count))
                let direct = score([u]).storage
                XCTAssertEqual(folded.count, model.items.count)
                for i in 0..<folded.count { XCTAssertEqual(folded[i], direct[i], accuracy: 1e-4 * max(1, abs(direct[i])), "\(model.kind) user \(u) item \(i)") }
            }
        }
    }

    func testFoldInListsLeaveOutTheGivenItems() throws {
        for model in try models() {
            let given = [0, 3, 7, 11]
            let list = try model.recommend(foldingIn: given, count: 25)
            XCTAssertEqual(list.count, 25, model.kind)
            XCTAssertTrue(Set(list.map(\.item)).isDisjoint(with: given), model.kind)
            XCTAssertTrue(list.allSatisfy { $0.score.isFinite }, model.kind)
            XCTAssertEqual(list.map(\.score), list.map(\.score).sorted(by: >), "\(model.kind): best first")
        }
    }

    func testTopNLeavesOutTrainingItemsAndIsTheSameInAnyBlockSize() throws {
        for model in try models() {
            let users = Array(0..<min(60, model.users.count))
            let a = model.topN(users: users, count: 10, blockSize: 256)
            let b = model.topN(users: users, count: 10, blockSize: 7)
            XCTAssertEqual(a.map { $0.map(\.item) }, b.map { $0.map(\.item) }, model.kind)
            for (u, list) in zip(users, a) {
                XCTAssertTrue(Set(list.map(\.item)).isDisjoint(with: model.historyItems(ofUser: u)), "\(model.kind) user \(u)")
            }
        }
    }

    func testModelFilesRoundTripAndRefuseDamage() throws {
        for model in try models() {
            let bytes = try model.modelFile(extraHeader: [:]).encoded()
            let back = try ModelCatalogue.load(try ModelFile.decode(bytes, source: "mem"), path: "mem")
            XCTAssertEqual(back.kind, model.kind)
            XCTAssertEqual(back.blockScorer()([1, 2]).storage, model.blockScorer()([1, 2]).storage, model.kind)
            var damaged = bytes
            damaged[damaged.count / 2] ^= 0x40
            XCTAssertThrowsError(try ModelFile.decode(damaged, source: "mem"), model.kind)
        }
    }

    func testTrainingIsReproducibleForASeed() throws {
        for kind in [ModelKind.multVAE, .cdae] {
            let settings = ModelSettings.brief(kind, epochs: 2, dims: [30, 8], hidden: 8)
            let a = try kind.train(interactions: Self.data, settings: settings).model.blockScorer()([0, 1, 2]).storage
            let b = try kind.train(interactions: Self.data, settings: settings).model.blockScorer()([0, 1, 2]).storage
            XCTAssertEqual(a, b, kind.name)
        }
    }

    /// `--refit yes` with a validation share: the first run chooses the epoch count, a second one
    /// on all the interactions trains for exactly that many epochs; without a share it changes nothing.
    func testRefitTrainsAgainForTheBestEpochCount() throws {
        for kind in [ModelKind.multDAE, .cdae] {
            let settings = ModelSettings.brief(kind, epochs: 4, dims: [20, 8], hidden: 8, extra: ["--validation": "0.2", "--refit": "yes"])
            let report = try kind.train(interactions: Self.data, settings: settings).report
            XCTAssertGreaterThan(report.bestEpoch, 0, kind.name)
            XCTAssertEqual(report.refitEpochs, report.bestEpoch, kind.name)
            XCTAssertEqual(report.epochs, 4 + report.bestEpoch, kind.name)
            XCTAssertNotNil(report.validation, kind.name)
            let plain = try kind.train(interactions: Self.data, settings: .brief(kind, epochs: 4, dims: [20, 8], hidden: 8,
                                                                                  extra: ["--validation": "0", "--refit": "yes"])).report
            XCTAssertEqual(plain.refitEpochs, 0, "\(kind.name): no validation share, nothing to choose")
            XCTAssertEqual(plain.epochs, 4, kind.name)
        }
    }

    /// The defaults of every neural top-N kind stop early: a validation share, a patience, a refit.
    /// With a patience of 2 the first run ends 2 epochs after its best one and says why; the refit
    /// then runs exactly the best epoch count.
    func testNeuralTopNKindsStopEarlyByDefault() throws {
        for kind in [ModelKind.multDAE, .multVAE, .cdae] {
            let settings = ModelSettings.brief(kind, epochs: 300, dims: [20, 8], hidden: 8, extra: ["--patience": "2", "--lr": "0.01"])
            let report = try kind.train(interactions: Self.data, settings: settings).report
            XCTAssertNotNil(report.validation, "\(kind.name): a validation share by default")
            XCTAssertEqual(report.refitEpochs, report.bestEpoch, "\(kind.name): refitted by default")
            XCTAssertEqual(report.epochs - report.refitEpochs, report.bestEpoch + 2, kind.name)
            XCTAssertLessThan(report.epochs, 300, kind.name)
            XCTAssertTrue(report.stopReason?.contains("did not improve for 2 epochs") == true, "\(kind.name): \(report.stopReason ?? "none")")
        }
        let closedForm = try ModelKind.ease.train(interactions: Self.data, settings: ModelSettings(["--seed": "1"])).report
        XCTAssertNil(closedForm.validation, "EASE keeps no validation share unless asked")
    }

    func testIAutoRecSaysWhyItCannotFoldIn() throws {
        let ratings = try RatingFileReader.read(path: TestData.explicitTrain)
        var c = AutoRecConfig.defaults(for: .item); c.hidden = 8; c.epochs = 2
        let model = AutoRec.fit(ratings.subset(Array(0..<3000)), config: c).model
        XCTAssertThrowsError(try model.foldIn(items: [0, 1], values: [5, 4])) { e in
            XCTAssertTrue("\(e)".contains("cannot recommend for a new user"), "\(e)")
        }
        var u = c; u.orientation = .user
        let user = AutoRec.fit(ratings.subset(Array(0..<3000)), config: u).model
        XCTAssertEqual(try user.foldIn(items: [0, 1], values: [5, 4]).count, user.items.count)
    }

    /// The ranking protocol on a hand-made case: one user, known scores, known test items.
    func testEvaluationCountsHitsAgainstTheTestFile() throws {
        var r = Ratings()
        for (u, i) in [("a", "1"), ("a", "2"), ("b", "1"), ("b", "3"), ("c", "1"), ("c", "4"), ("d", "5")] { r.append(user: u, item: i, value: 1) }
        let pop = Popularity.fit(ImplicitData(r))  // item 1 most popular, then the others by index order
        var test = Ratings()
        test.append(user: "d", item: "1", value: 1)   // a hit at rank 1
        test.append(user: "d", item: "9", value: 1)   // unknown item: relevant, never rankable
        test.append(user: "z", item: "1", value: 1)   // unknown user: skipped
        let result = RankingEvaluation.evaluate(pop, test: test, k: [1, 2])
        XCTAssertEqual(result.metrics.users, 1)
        XCTAssertEqual(result.unknownUsers, 1)
        XCTAssertEqual(result.unknownItemInteractions, 1)
        XCTAssertEqual(result.metrics.recall[1]!, 1.0, accuracy: 1e-9)       // 1 hit / min(1, 2)
        XCTAssertEqual(result.metrics.recall[2]!, 0.5, accuracy: 1e-9)       // 1 hit / min(2, 2)
    }
}
