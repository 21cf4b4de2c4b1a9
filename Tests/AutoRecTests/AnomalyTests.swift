import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels
@testable import AutoRecRepresentation

final class AnomalyTests: XCTestCase {
    func testAUC() {
        XCTAssertEqual(ROC.auc(scores: [0.9, 0.8, 0.1, 0.2], positives: [true, true, false, false]), 1)
        XCTAssertEqual(ROC.auc(scores: [0.1, 0.2, 0.9, 0.8], positives: [true, true, false, false]), 0)
        XCTAssertEqual(ROC.auc(scores: [0.5, 0.5, 0.5, 0.5], positives: [true, false, true, false]), 0.5)
        XCTAssertEqual(ROC.auc(scores: [3, 1, 2], positives: [true, false, true]), 1)
    }

    func testInjectedProfilesHaveTheirShape() throws {
        let train = try RatingFileReader.read(path: TestData.explicitTrain)
        let (r, attackers) = ShillingAttack.average.inject(into: train, count: 3, target: "1", filler: 40, seed: 1)
        XCTAssertEqual(r.count, train.count + 3 * 41)
        XCTAssertEqual(attackers.count, 3)
        let u = r.users.index(of: attackers[0])!
        let mine = (0..<r.count).filter { r.userIndex[$0] == u }
        XCTAssertEqual(mine.count, 41)
        XCTAssertTrue(mine.contains { r.items.id(at: Int(r.itemIndex[$0])) == "1" && r.values[$0] == 5 })
        XCTAssertTrue(mine.allSatisfy { (1...5).contains(r.values[$0]) })
    }

    /// 30 shilling profiles (15 random, 15 average attacks pushing item 1 to 5 stars) injected into
    /// ML-100K's training ratings are ranked above the real users: ROC AUC >= 0.9.
    func testShillingProfilesAreFound() throws {
        let train = try RatingFileReader.read(path: TestData.explicitTrain)
        let (r1, a1) = ShillingAttack.random.inject(into: train, count: 15, target: "1", seed: 3)
        let (ratings, a2) = ShillingAttack.average.inject(into: r1, count: 15, target: "1", seed: 4)
        let attackers = Set(a1 + a2)
        let data = RatingVectors(ratings, of: .users)
        let isAttacker = (0..<data.ids.count).map { attackers.contains(data.ids.id(at: $0)) }
        for kind in [RepresentationKind.denoising, .plain] {
            let scores = AnomalyScores.scores(data, config: RepresentationConfig(kind: kind))
            let auc = ROC.auc(scores: scores, positives: isAttacker)
            print("\(kind) anomaly ranking: ROC AUC \(auc)")
            XCTAssertGreaterThanOrEqual(auc, 0.9, kind.rawValue)
        }
    }
}
