import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels
@testable import AutoRecRepresentation

final class ClassificationTests: XCTestCase {
    func testSymmetricEigenvectors() throws {
        var rng = SeededRandom(seed: 2)
        var m = Matrix(rows: 6, cols: 6)
        for i in 0..<6 { for j in 0..<6 { m[i, j] = rng.normal() } }
        let a = BLAS.matmul(m, transposeA: true, m)
        let (values, vectors) = try LAPACK.symmetricEigen(a)
        XCTAssertEqual(values, values.sorted(), "ascending")
        for k in 0..<6 {
            let v = vectors.row(k)
            var av = [Float](repeating: 0, count: 6)
            BLAS.gemv(a, v, into: &av)
            for i in 0..<6 { XCTAssertEqual(av[i], values[k] * v[i], accuracy: 1e-3 * max(1, abs(values[k]))) }
            XCTAssertEqual(BLAS.dot(v, v), 1, accuracy: 1e-4)
        }
    }

    /// PCA components are uncorrelated and ordered by variance.
    func testPCAOrdersComponentsByVariance() throws {
        var rng = SeededRandom(seed: 5)
        var r = Ratings()
        for u in 0..<40 { for i in 0..<30 where rng.uniform() < 0.3 { r.append(user: "u\(u)", item: "i\(i)", value: Float(1 + rng.int(below: 5))) } }
        let data = RatingVectors(r, of: .items)
        let p = try PCA.embed(data, dim: 4)
        XCTAssertEqual(p.rows, data.rows.rows)
        var variance = [Float](repeating: 0, count: 4)
        for c in 0..<4 { for row in 0..<p.rows { variance[c] += p[row, c] * p[row, c] } }
        XCTAssertEqual(variance, variance.sorted(by: >))
        var cross: Float = 0
        for row in 0..<p.rows { cross += p[row, 0] * p[row, 1] }
        XCTAssertEqual(cross, 0, accuracy: 1e-2 * variance[0])
    }

    func testF1FromCounts() {
        // Label 0: tp 2, fp 1, fn 1 -> F1 2/3; label 1: tp 0, fp 0, fn 2 -> 0; label 2 never seen: left out.
        let s = MultiLabelClassification.scores(tp: [2, 0, 0], fp: [1, 0, 0], fn: [1, 2, 0])
        XCTAssertEqual(s.microF1, 0.5, accuracy: 1e-12)   // pooled: 2*2 / (2*2 + 1 + (1 + 2))
        XCTAssertEqual(s.macroF1, (2.0 / 3.0 + 0) / 2, accuracy: 1e-12)
        let m = MultiLabelClassification.majority(labels: [[0], [0, 1], [1], [0], []], labelCount: 2)
        // Majority is label 0 (3 of 4 labelled rows): tp 3, fp 1 (row [1]), fn 2 (label 1 never predicted).
        let expected: Double = 6.0 / 9.0
        XCTAssertEqual(m.microF1, expected, accuracy: 1e-12)
    }

    /// Separable labels are learned: the classifier is not a stub.
    func testLogisticRegressionLearnsASeparableLabel() {
        var rng = SeededRandom(seed: 9)
        var x = Matrix(rows: 200, cols: 3)
        var labels: [[Int]] = []
        for r in 0..<200 {
            for j in 0..<3 { x[r, j] = rng.normal() }
            labels.append(x[r, 0] + 0.5 * x[r, 1] > 0.3 ? [0] : [1])
        }
        let s = MultiLabelClassification.crossValidate(features: x, labels: labels, labelCount: 2)
        XCTAssertGreaterThan(s.microF1, 0.9)
    }

    /// The MLP probe's gradient against central finite differences, every parameter block.
    func testMLPProbeGradientMatchesFiniteDifferences() {
        var rng = SeededRandom(seed: 9)
        var x = Matrix(rows: 12, cols: 5), targets = Matrix(rows: 12, cols: 3)
        for j in 0..<x.storage.count { x.storage[j] = rng.normal() }
        for r in 0..<12 { x[r, 4] = 1; for j in 0..<3 where rng.uniform() < 0.4 { targets[r, j] = 1 } }
        let probe = MLPProbe(inputs: 5, hidden: 4, labels: 3, seed: 3)
        let weights: [Float] = [2, 0.5, 3]
        var g = [Float](repeating: 0, count: probe.parameterCount), unused = g
        _ = probe.loss(probe.parameters, x: x, targets: targets, positiveWeights: weights, l2: 0.1, gradient: &g)
        for k in stride(from: 0, to: probe.parameterCount, by: 3) {
            var plus = probe.parameters, minus = probe.parameters
            let eps: Float = 1e-2
            plus[k] += eps; minus[k] -= eps
            let numeric = (probe.loss(plus, x: x, targets: targets, positiveWeights: weights, l2: 0.1, gradient: &unused)
                           - probe.loss(minus, x: x, targets: targets, positiveWeights: weights, l2: 0.1, gradient: &unused)) / Double(2 * eps)
            XCTAssertEqual(Double(g[k]), numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "parameter \(k)")
        }
    }

    /// With a tenth of ML-100K's items labelled, PCA codes under either probe beat the majority
    /// baseline by far, and the draws are reproducible.
    func testScarceLabelProbesLearnGenresFromPCA() throws {
        let ratings = try RatingFileReader.read(path: TestData.explicitTrain)
        let data = RatingVectors(ratings, of: .items)
        let catalogue = try ItemCatalogue.read(path: TestData.ml100k.appendingPathComponent("items.tsv").path)
        let task = GenreClassification(data: data, catalogue: catalogue)
        let pca = try PCAEmbedder(dim: 16).embeddings(of: data)
        let results = task.runScarce([pca], labelled: 0.1, draws: 3, probes: ScarceLabels.Probe.allCases, seed: 1)
        let majority = try XCTUnwrap(results.last?.outcome.microF1)
        for r in results.dropLast() { XCTAssertGreaterThan(r.outcome.microF1, majority + 0.04, "\(r.probe!)") }
        let again = task.runScarce([pca], labelled: 0.1, draws: 3, probes: [.mlp], seed: 1)
        XCTAssertEqual(again[0].outcome.microF1, results[1].outcome.microF1)
    }
}
