import XCTest
import Foundation
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// The streaming top-N (`Ranker.scoreTopN`) against a brute-force reference: every item's score
/// from `blockScorer()`, the user's history left out, NaN left out, a full sort by score then item.
final class StreamingTopNTests: XCTestCase {
    /// The reference list of user `u`.
    static func bruteForce(_ model: any Ranker, user u: Int, count: Int) -> [(item: Int, score: Float)] {
        let scores = model.blockScorer()([u]).storage
        let seen = Set(model.historyItems(ofUser: u))
        let ranked = (0..<scores.count).filter { !seen.contains($0) && !scores[$0].isNaN }
            .sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        return ranked.prefix(count).map { ($0, scores[$0]) }
    }

    /// Streams `users` in blocks of `blockSize` and checks the lists, the padding and the sink's order.
    func assertMatchesBruteForce(_ model: any Ranker, users: [Int], count: Int, blockSize: Int,
                                 _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        var seen: [Int] = []
        var lists: [[(item: Int, score: Float)]] = []
        let stats = model.scoreTopN(users: users, count: count, blockSize: blockSize) { block in
            XCTAssertEqual(block.offset, seen.count, "\(label): blocks in order", file: file, line: line)
            XCTAssertLessThanOrEqual(block.users.count, blockSize, label, file: file, line: line)
            XCTAssertEqual(block.items.count, block.users.count * count, label, file: file, line: line)
            for r in 0..<block.users.count {
                let n = block.length(at: r)
                for j in n..<count {
                    XCTAssertEqual(block.items[r * count + j], -1, label, file: file, line: line)
                    XCTAssertTrue(block.scores[r * count + j].isNaN, label, file: file, line: line)
                }
                lists.append(block.list(at: r))
            }
            seen += block.users
        }
        XCTAssertEqual(seen, users, "\(label): every user once, in order", file: file, line: line)
        XCTAssertEqual(stats.users, users.count, label, file: file, line: line)
        for (u, list) in zip(users, lists) {
            let expected = Self.bruteForce(model, user: u, count: count)
            // The reference scores one user at a time; a GEMM over a block may sum in another order
            // (OpenBLAS's small-matrix kernels on AVX-512), so scores agree to rounding, not to the
            // bit, and items whose scores tie within rounding may swap. Each position must hold an
            // unseen item whose reference score is the reference list's score there.
            let reference = model.blockScorer()([u]).storage
            let seen = Set(model.historyItems(ofUser: u))
            func close(_ a: Float, _ b: Float) -> Bool { abs(a - b) <= 1e-5 * max(1, abs(b)) }
            XCTAssertEqual(list.count, expected.count, "\(label) user \(u)", file: file, line: line)
            XCTAssertEqual(Set(list.map(\.item)).count, list.count, "\(label) user \(u): no item twice", file: file, line: line)
            for (got, want) in zip(list, expected) {
                XCTAssertFalse(seen.contains(got.item), "\(label) user \(u)", file: file, line: line)
                XCTAssertTrue(close(got.score, want.score) && close(reference[got.item], want.score),
                              "\(label) user \(u): item \(got.item) \(got.score) where the reference has \(want.item) \(want.score)",
                              file: file, line: line)
            }
        }
        let wrapped = model.topN(users: users, count: count, blockSize: blockSize)
        XCTAssertEqual(wrapped.map { $0.map(\.item) }, lists.map { $0.map(\.item) }, "\(label): topN", file: file, line: line)
    }

    /// A seventh of the explicit ML-100K training ratings, plus user 0 rating every item but three.
    static func explicitData() throws -> (ratings: Ratings, nearlyFullUser: Int) {
        let all = try RatingFileReader.read(path: TestData.explicitTrain)
        var data = all.subset(Array(stride(from: 0, to: all.count, by: 7)))
        let user = Int(data.userIndex[0])
        let rated = Set((0..<data.count).filter { Int(data.userIndex[$0]) == user }.map { Int(data.itemIndex[$0]) })
        let unrated = (0..<data.items.count).filter { !rated.contains($0) }
        for item in unrated.dropLast(3) {
            data.append(user: data.users.id(at: user), item: data.items.id(at: item), value: 3)
        }
        return (data, user)
    }

    func testAutoRecBothOrientationsAndDecodersMatchBruteForce() throws {
        let (data, fullUser) = try Self.explicitData()
        for orientation in AutoRecOrientation.allCases {
            for decoder in [Activation.identity, .relu, .sigmoid] {
                var c = AutoRecConfig.defaults(for: orientation)
                c.hidden = 24; c.epochs = 4; c.decoder = decoder
                let model = AutoRec.fit(data, config: c).model
                XCTAssertEqual(model.historyItems(ofUser: fullUser).count, model.items.count - 3)
                let users = [fullUser] + Array(stride(from: 1, to: model.users.count, by: 5))
                let label = "\(orientation) \(decoder)"
                assertMatchesBruteForce(model, users: users, count: 20, blockSize: 37, label)
                // Long lists reach the ties of a saturated or clipped decoder.
                assertMatchesBruteForce(model, users: Array(users.prefix(40)), count: 900, blockSize: 16, label + " long")
            }
        }
    }

    func testOtherModelsMatchBruteForce() throws {
        let all = try RatingFileReader.read(path: TestData.implicitTrain)
        let data = ImplicitData(all.subset((0..<all.count).filter { Int(all.userIndex[$0]) % 4 == 0 }))
        for kind in ModelCatalogue.of(.topN) {
            let model = try kind.train(interactions: data, settings: .brief(kind, epochs: 3, dims: [40, 10], hidden: 12)).model
            let users = Array(stride(from: 0, to: model.users.count, by: 3))
            assertMatchesBruteForce(model, users: users, count: 25, blockSize: 19, kind.name)
        }
    }

    func testSelectionMatchesTopNSelectWithTiesNaNsAndLongRows() {
        var random = SeededRandom(seed: 7)
        for trial in 0..<40 {
            let n = 1 + Int(random.next() % 3000)
            let row: [Float] = (0..<n).map { _ in
                let r = random.next() % 20
                return r == 0 ? .nan : r == 1 ? -.infinity : r == 2 ? -0.0 : Float(Int(random.next() % 50) - 25) / 4
            }
            for capacity in [1, 5, 100, 1000] {
                let selection = TopNSelection(capacity: capacity)
                let kept = row.withUnsafeBufferPointer { selection.select($0.baseAddress!, count: n, offsets: nil) }
                let expected = TopN.select(row, count: capacity)
                XCTAssertEqual((0..<kept).map { Int(selection.item(at: $0)) }, expected, "trial \(trial) capacity \(capacity)")
                XCTAssertEqual((0..<kept).map { selection.key(at: $0) }, expected.map { row[$0] }, "trial \(trial) capacity \(capacity)")
            }
        }
    }
}
