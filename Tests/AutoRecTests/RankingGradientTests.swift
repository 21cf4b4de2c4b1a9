import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Finite-difference checks of the hand-written backward passes of Mult-DAE, Mult-VAE and CDAE.
final class RankingGradientTests: XCTestCase {
    /// A small random implicit matrix: users x items with about 40% ones (every user has one).
    func smallData(users: Int, items: Int, seed: UInt64) -> CSRMatrix {
        var rng = SeededRandom(seed: seed)
        var entries: [(row: Int, col: Int, value: Float)] = []
        for u in 0..<users {
            entries.append((u, rng.int(below: items), 1))
            for i in 0..<items where rng.uniform() < 0.4 { entries.append((u, i, 1)) }
        }
        return CSRMatrix(rows: users, cols: items, entries: entries)
    }

    /// Compares `grad` with central differences of `loss` over every parameter.
    func compare(_ params: [Float], _ grad: [Float], eps: Float = 1e-2, tolerance: Float = 4e-3,
                 file: StaticString = #filePath, line: UInt = #line, loss: ([Float]) -> Double) {
        var checked = 0
        for i in 0..<params.count {
            var p = params
            p[i] += eps
            let up = loss(p)
            p[i] = params[i] - eps
            let down = loss(p)
            let numeric = Float((up - down) / Double(2 * eps))
            let err = abs(numeric - grad[i]) / max(1, abs(numeric), abs(grad[i]))
            XCTAssertLessThan(err, tolerance, "parameter \(i): analytic \(grad[i]) vs numeric \(numeric)", file: file, line: line)
            checked += 1
        }
        XCTAssertEqual(checked, params.count)
        XCTAssertGreaterThan(grad.map { abs($0) }.max() ?? 0, 1e-4, "gradient must not be all zero", file: file, line: line)
    }

    func checkMult(variational: Bool, dims: [Int], dropout: Float, beta: Float, l2: Float,
                   file: StaticString = #filePath, line: UInt = #line) {
        let data = smallData(users: 6, items: 9, seed: 3)
        let net = MultNetwork(items: 9, dims: dims, variational: variational)
        var params = net.initialParameters(seed: 4)
        var rng = SeededRandom(seed: 5)
        for i in 0..<params.count { params[i] += 0.1 * rng.normal() }  // non-zero biases too
        let batch = SparseRows(data, rows: [4, 0, 2, 5])
        let pass = MultNetwork.Pass(dropout: dropout, maskSeed: 77, noiseSeed: variational ? 88 : nil, beta: beta, l2: l2)
        var grad = [Float](repeating: 0, count: params.count)
        _ = net.loss(params, batch, pass, gradient: &grad)
        var none: [Float] = []
        compare(params, grad, file: file, line: line) { net.loss($0, batch, pass, gradient: &none) }
    }

    func testMultDAE() { checkMult(variational: false, dims: [5, 3], dropout: 0, beta: 0, l2: 0.3) }
    func testMultDAEWithDropout() { checkMult(variational: false, dims: [5, 3], dropout: 0.5, beta: 0, l2: 0.3) }
    func testMultDAEOneLayer() { checkMult(variational: false, dims: [4], dropout: 0.3, beta: 0, l2: 0) }
    func testMultVAE() { checkMult(variational: true, dims: [5, 3], dropout: 0.5, beta: 0.7, l2: 0.2) }
    func testMultVAEDeeper() { checkMult(variational: true, dims: [6, 4, 2], dropout: 0, beta: 0.2, l2: 0) }

    /// DFC-VAE: the Mult-VAE loss plus the feature term through a frozen random phi; only the VAE's
    /// parameters move, phi's are not parameters at all.
    func testDFCVAEWithAFrozenFeatureNetwork() {
        let data = smallData(users: 6, items: 9, seed: 3)
        let net = MultNetwork(items: 9, dims: [5, 3], variational: true)
        var params = net.initialParameters(seed: 4)
        var rng = SeededRandom(seed: 6)
        for i in 0..<params.count { params[i] += 0.1 * rng.normal() }
        let phi = FeatureNetwork(items: 9, width: 4, weights: (0..<36).map { _ in rng.normal() }, bias: (0..<4).map { _ in 0.2 * rng.normal() })
        let batch = SparseRows(data, rows: [4, 0, 2, 5])
        let pass = MultNetwork.Pass(dropout: 0.3, maskSeed: 77, noiseSeed: 88, beta: 0.4, l2: 0.1, features: phi, featureWeight: 3)
        var grad = [Float](repeating: 0, count: params.count)
        let with = net.loss(params, batch, pass, gradient: &grad)
        var none: [Float] = []
        var plain = pass
        plain.featureWeight = 0
        XCTAssertGreaterThan(with, net.loss(params, batch, plain, gradient: &none), "the feature term adds to the loss")
        compare(params, grad) { net.loss($0, batch, pass, gradient: &none) }
    }

    func checkCDAE(loss: CDAELoss, negatives: Int, dropout: Float, userNode: Bool = true,
                   activation: Activation = .sigmoid, normalize: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        let data = smallData(users: 6, items: 11, seed: 9)
        let layout = CDAE.Layout(items: 11, users: 6, hidden: 4)
        var params = CDAE.initialParameters(layout, seed: 2)
        var rng = SeededRandom(seed: 6)
        for i in 0..<params.count { params[i] += 0.2 * rng.normal() }
        let rows = [3, 1, 5]
        let batch = SparseRows(data, rows: rows)
        let pass = CDAE.Pass(dropout: dropout, maskSeed: 12, negativeSeed: 13, negatives: negatives, loss: loss, l2: 0.4, userNode: userNode,
                             normalize: normalize, hidden: activation)
        var grad = [Float](repeating: 0, count: params.count)
        var unused = Matrix(rows: 0, cols: 0)
        _ = CDAE.run(params, layout, rows: rows, batch, pass, gradient: &grad, logitsOut: &unused)
        var none: [Float] = []
        compare(params, grad, file: file, line: line) { CDAE.run($0, layout, rows: rows, batch, pass, gradient: &none, logitsOut: &unused) }
        // Users outside the batch get no gradient on their node.
        for u in [0, 2, 4] { for j in 0..<4 { XCTAssertEqual(grad[layout.v + u * 4 + j], 0, file: file, line: line) } }
    }

    func testCDAECrossEntropyWithNegatives() { checkCDAE(loss: .bce, negatives: 2, dropout: 0.5) }
    func testCDAECrossEntropyAllItems() { checkCDAE(loss: .bce, negatives: 0, dropout: 0) }
    func testCDAESquaredError() { checkCDAE(loss: .squared, negatives: 1, dropout: 0.3) }
    func testCDAETanhWithNormalisedInput() { checkCDAE(loss: .bce, negatives: 2, dropout: 0.4, activation: .tanh, normalize: true) }
    func testCDAEWithoutUserNode() { checkCDAE(loss: .bce, negatives: 0, dropout: 0.2, userNode: false) }

    /// A planted error must be caught: the check is not vacuous.
    func testCheckCatchesAWrongGradient() {
        let data = smallData(users: 5, items: 7, seed: 1)
        let net = MultNetwork(items: 7, dims: [4, 2], variational: false)
        let params = net.initialParameters(seed: 1)
        let batch = SparseRows(data, rows: [0, 1, 2])
        var grad = [Float](repeating: 0, count: params.count)
        _ = net.loss(params, batch, MultNetwork.Pass(), gradient: &grad)
        var none: [Float] = []
        let i = net.layers[3].w  // a weight of the output layer
        var wrong = grad
        wrong[i] = grad[i] * 1.1 + 0.05
        var numeric: Float = 0
        let eps: Float = 1e-2
        var p = params
        p[i] += eps; let up = net.loss(p, batch, MultNetwork.Pass(), gradient: &none)
        p[i] = params[i] - eps; let down = net.loss(p, batch, MultNetwork.Pass(), gradient: &none)
        numeric = Float((up - down) / Double(2 * eps))
        XCTAssertLessThan(abs(numeric - grad[i]), 4e-3 * max(1, abs(numeric)))
        XCTAssertGreaterThan(abs(numeric - wrong[i]), 4e-3 * max(1, abs(numeric)))
    }
}
