import XCTest
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Ranking metrics on hand-computed cases.
final class RankingMetricsTests: XCTestCase {
    func testOneUserByHand() {
        var m = RankingMetrics(k: [1, 3], catalogueSize: 10)
        // Ranked 5, 2, 7, 1; relevant {2, 1, 9}.
        m.add(ranked: [5, 2, 7, 1], relevant: [2, 1, 9])
        XCTAssertEqual(m.users, 1)
        // k = 1: no hit.
        XCTAssertEqual(m.recall[1], 0)
        XCTAssertEqual(m.ndcg[1], 0)
        // k = 3: one hit at rank 2 of min(3, 3) = 3 relevant.
        XCTAssertEqual(m.recall[3]!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.precision[3]!, 1.0 / 3, accuracy: 1e-12)
        let idcg = 1 + 1 / log2(3.0) + 1 / log2(4.0)
        XCTAssertEqual(m.ndcg[3]!, (1 / log2(3.0)) / idcg, accuracy: 1e-12)
        XCTAssertEqual(m.map[3]!, (1.0 / 2) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.coverage[3]!, 0.3, accuracy: 1e-12)
    }

    func testRecallDividesByMinOfKAndTestItemsAndAveragesOverUsers() {
        var m = RankingMetrics(k: [2], catalogueSize: 100)
        m.add(ranked: [1, 2, 3], relevant: [1, 2, 3, 4, 5])  // 2 hits of min(2, 5) = 2: recall 1
        m.add(ranked: [7, 8, 9], relevant: [9])              // 0 hits in the top 2: recall 0
        m.add(ranked: [1, 2], relevant: [])                 // no test items: skipped
        XCTAssertEqual(m.users, 2)
        XCTAssertEqual(m.recall[2]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.ndcg[2]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.dictionary["recall@2"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.dictionary["users"], 2)
    }

    func testImplicitReadingKeepsPositives() throws {
        let r = try RatingFileReader.parse(text: "u1\ti1\t5\nu1\ti2\t3\nu2\ti1\t4\n", file: "t.tsv")
        let positives = r.implicit(threshold: 4)
        XCTAssertEqual(positives.count, 2)
        XCTAssertEqual(positives.values, [1, 1])
        XCTAssertEqual(positives.items.id(at: Int(positives.itemIndex[1])), "i1")
        XCTAssertEqual(r.implicit(threshold: nil).count, 3)
    }
}
