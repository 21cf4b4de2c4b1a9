import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecModels
@testable import AutoRecRepresentation

final class KMeansTests: XCTestCase {
    /// Three well-separated blobs are found exactly, with a silhouette near 1 and purity 1.
    func testSeparatedBlobs() {
        var rng = SeededRandom(seed: 1)
        var x = Matrix(rows: 90, cols: 2)
        var truth: [Int] = []
        for r in 0..<90 {
            let c = r / 30
            x[r, 0] = Float(c * 10) + 0.3 * rng.normal(); x[r, 1] = Float(c % 2 * 10) + 0.3 * rng.normal()
            truth.append(c)
        }
        let km = KMeans.fit(x, k: 3, seed: 7)
        for r in 0..<90 { for o in 0..<90 { XCTAssertEqual(km.assignment[r] == km.assignment[o], truth[r] == truth[o]) } }
        XCTAssertGreaterThan(KMeans.silhouette(x, assignment: km.assignment, k: 3), 0.9)
        let labels = truth.map { Set(["g\($0)"]) }
        XCTAssertEqual(KMeans.purity(assignment: km.assignment, k: 3, labels: labels), 1)
        // The same seed gives the same clustering.
        XCTAssertEqual(KMeans.fit(x, k: 3, seed: 7).assignment, km.assignment)
    }

    func testSilhouetteOfABadClusteringIsLow() {
        var rng = SeededRandom(seed: 2)
        var x = Matrix(rows: 60, cols: 2)
        for r in 0..<60 { x[r, 0] = rng.normal(); x[r, 1] = rng.normal() }
        let alternating = (0..<60).map { $0 % 2 }
        XCTAssertLessThan(KMeans.silhouette(x, assignment: alternating, k: 2), 0.05)
    }
}
