import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels
@testable import AutoRecRepresentation

/// Finite-difference checks of the representation autoencoders' backward passes, one per variant.
final class RepresentationGradientTests: XCTestCase {
    func check(_ kind: RepresentationKind, corruption: UInt64? = nil, configure: (inout RepresentationConfig) -> Void = { _ in },
               file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededRandom(seed: 4)
        var entries: [(row: Int, col: Int, value: Float)] = []
        for r in 0..<7 { for c in 0..<10 where rng.uniform() < 0.45 { entries.append((r, c, Float(1 + rng.int(below: 5)) / 5)) } }
        let data = CSRMatrix(rows: 7, cols: 10, entries: entries)
        var config = RepresentationConfig(kind: kind)
        config.dim = 4; config.l2 = 0.3; config.seed = 3
        configure(&config)
        let net = RepresentationNetwork(inputs: 10, config: config)
        var params = net.initialParameters()
        for i in 0..<params.count { params[i] += 0.3 * rng.normal() }
        let batch = SparseRows(data, rows: [5, 1, 2, 6])
        var grad = [Float](repeating: 0, count: params.count)
        _ = net.loss(params, batch, corruptionSeed: corruption, gradient: &grad)
        var none: [Float] = []
        let eps: Float = 1e-2
        // The adversarial autoencoder's loss holds the discriminator fixed (it is trained by its own
        // loss, checked below): only the autoencoder's parameters are compared.
        let checked = kind == .adversarial ? net.dw1 : params.count
        for i in 0..<checked {
            var p = params
            p[i] += eps
            let up = net.loss(p, batch, corruptionSeed: corruption, gradient: &none)
            p[i] = params[i] - eps
            let down = net.loss(p, batch, corruptionSeed: corruption, gradient: &none)
            let numeric = Float((up - down) / Double(2 * eps))
            let err = abs(numeric - grad[i]) / max(1, abs(numeric), abs(grad[i]))
            XCTAssertLessThan(err, 4e-3, "\(kind) parameter \(i): analytic \(grad[i]) vs numeric \(numeric)", file: file, line: line)
        }
        XCTAssertGreaterThan(grad.map { abs($0) }.max() ?? 0, 1e-3, file: file, line: line)
    }

    /// ALI, both players: the discriminator's loss against its own parameters, the encoder's and
    /// decoder's swapped loss against theirs (through the reparameterised code and the sigmoid
    /// outputs); each gradient is exactly zero on the other player's parameters.
    func testALIBothPlayers() {
        var rng = SeededRandom(seed: 4)
        var entries: [(row: Int, col: Int, value: Float)] = []
        for r in 0..<6 { for c in 0..<9 where rng.uniform() < 0.45 || c == r { entries.append((r, c, Float(1 + rng.int(below: 5)) / 5)) } }
        let batch = SparseRows(CSRMatrix(rows: 6, cols: 9, entries: entries), rows: [4, 1, 2, 5])
        let ali = ALINetwork(inputs: 9, dim: 3, width: 5)
        var params = ali.initialParameters(seed: 2)
        for i in 0..<params.count { params[i] += 0.3 * rng.normal() }
        for turn in [true, false] {
            var grad = [Float](repeating: 0, count: params.count), none: [Float] = []
            _ = ali.loss(params, batch, seed: 11, discriminatorTurn: turn, gradient: &grad)
            let own = turn ? ali.discriminator : ali.encoderDecoder
            for i in 0..<params.count where !own.contains(i) { XCTAssertEqual(grad[i], 0, "turn \(turn): parameter \(i) is the other player's") }
            let eps: Float = 1e-2
            for i in own {
                var p = params
                p[i] += eps
                let up = ali.loss(p, batch, seed: 11, discriminatorTurn: turn, gradient: &none)
                p[i] = params[i] - eps
                let down = ali.loss(p, batch, seed: 11, discriminatorTurn: turn, gradient: &none)
                let numeric = Float((up - down) / Double(2 * eps))
                let err = abs(numeric - grad[i]) / max(1, abs(numeric), abs(grad[i]))
                XCTAssertLessThan(err, 4e-3, "turn \(turn) parameter \(i): analytic \(grad[i]) vs numeric \(numeric)")
            }
            XCTAssertGreaterThan(own.map { abs(grad[$0]) }.max() ?? 0, 1e-3)
        }
    }

    func testPlain() { check(.plain) }
    func testSparse() { check(.sparse) { $0.sparsityWeight = 0.5; $0.sparsityTarget = 0.1 } }
    func testDenoising() { check(.denoising, corruption: 99) }
    func testContractive() { check(.contractive) { $0.contraction = 0.8 } }
    func testVAEWithSampledCodes() { check(.vae, corruption: 7) }
    func testVAEAtTheMean() { check(.vae) }
    func testWassersteinMMD() { check(.wasserstein, corruption: 21) { $0.mmdWeight = 3 } }
    func testAdversarialEncoderTerm() { check(.adversarial, corruption: 5) { $0.adversarialWeight = 2; $0.discriminatorWidth = 3 } }

    // With a tanh layer between the input and the code (and its mirror in the decoder).
    func testDeepPlain() { check(.plain) { $0.hiddenUnits = 5 } }
    func testDeepDenoising() { check(.denoising, corruption: 99) { $0.hiddenUnits = 6 } }
    func testDeepSparse() { check(.sparse) { $0.hiddenUnits = 5; $0.sparsityWeight = 0.5; $0.sparsityTarget = 0.1 } }
    func testDeepVAE() { check(.vae, corruption: 7) { $0.hiddenUnits = 5 } }
    func testDeepWasserstein() { check(.wasserstein, corruption: 21) { $0.hiddenUnits = 5; $0.mmdWeight = 3 } }
    func testDeepAdversarial() { check(.adversarial, corruption: 5) { $0.hiddenUnits = 5; $0.adversarialWeight = 2; $0.discriminatorWidth = 3 } }

    func testAdversarialDiscriminator() {
        var rng = SeededRandom(seed: 6)
        var entries: [(row: Int, col: Int, value: Float)] = []
        for r in 0..<6 { for c in 0..<9 where rng.uniform() < 0.5 { entries.append((r, c, 0.2 * Float(1 + rng.int(below: 5)))) } }
        var config = RepresentationConfig(kind: .adversarial)
        config.dim = 3; config.discriminatorWidth = 4
        let net = RepresentationNetwork(inputs: 9, config: config)
        var params = net.initialParameters()
        for i in 0..<params.count { params[i] += 0.3 * rng.normal() }
        let batch = SparseRows(CSRMatrix(rows: 6, cols: 9, entries: entries), rows: [0, 2, 3, 5])
        var grad = [Float](repeating: 0, count: params.count), none: [Float] = []
        _ = net.discriminatorLoss(params, batch, seed: 8, gradient: &grad)
        let eps: Float = 1e-2
        for i in 0..<params.count {
            var p = params
            p[i] += eps; let up = net.discriminatorLoss(p, batch, seed: 8, gradient: &none)
            p[i] = params[i] - eps; let down = net.discriminatorLoss(p, batch, seed: 8, gradient: &none)
            let numeric = Float((up - down) / Double(2 * eps))
            if i < net.dw1 {
                XCTAssertEqual(grad[i], 0, "the discriminator's loss trains the discriminator only")
            } else {
                XCTAssertLessThan(abs(numeric - grad[i]) / max(1, abs(numeric), abs(grad[i])), 4e-3, "parameter \(i)")
            }
        }
        XCTAssertGreaterThan(grad[net.dw1...].map { abs($0) }.max() ?? 0, 1e-3)
    }

    func testBetaVAE() { check(.betaVAE, corruption: 11) { $0.klWeight = 3 } }

    /// Each penalty changes the loss: the variants are not the plain autoencoder under other names.
    func testPenaltiesAreActive() {
        var entries: [(row: Int, col: Int, value: Float)] = []
        for r in 0..<5 { for c in 0..<8 where (r + c) % 3 != 0 { entries.append((r, c, 0.8)) } }
        let batch = SparseRows(CSRMatrix(rows: 5, cols: 8, entries: entries), rows: [0, 1, 2, 3, 4])
        var none: [Float] = []
        func loss(_ kind: RepresentationKind, corruption: UInt64? = nil) -> Double {
            var c = RepresentationConfig(kind: kind); c.dim = 3
            let net = RepresentationNetwork(inputs: 8, config: c)
            return net.loss(net.initialParameters(), batch, corruptionSeed: corruption, gradient: &none)
        }
        let plain = loss(.plain)
        XCTAssertGreaterThan(loss(.sparse), plain)
        XCTAssertGreaterThan(loss(.contractive), plain)
        XCTAssertNotEqual(loss(.denoising, corruption: 5), plain)
        XCTAssertGreaterThan(loss(.betaVAE, corruption: 5), loss(.vae, corruption: 5), "beta 4 weighs the KL term more than 1")
        var w = RepresentationConfig(kind: .wasserstein); w.dim = 3
        let wae = RepresentationNetwork(inputs: 8, config: w)
        XCTAssertNotEqual(wae.loss(wae.initialParameters(), batch, corruptionSeed: 5, gradient: &none),
                          wae.loss(wae.initialParameters(), batch, corruptionSeed: nil, gradient: &none), "the MMD term counts")
        XCTAssertEqual(loss(.denoising), plain, accuracy: 1e-9, "without a corruption seed the denoising loss is the plain one")
    }
}
