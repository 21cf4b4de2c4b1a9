import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// RecVAE: finite-difference checks of its backward pass (layer norm, swish, dense connections,
/// the composite prior's KL), that each part's gradient is the whole one's restricted to it, and
/// that an epoch moves only the part its phase updates.
final class RecVAETests: XCTestCase {
    /// The shared finite-difference check and small data of the other top-N models.
    let checks = RankingGradientTests(name: "helpers", testClosure: { _ in })

    /// A network with non-zero biases and gains, a batch, and a prior a little away from the weights.
    func setting(depth: Int) -> (RecVAENetwork, [Float], [Float], SparseRows) {
        let data = checks.smallData(users: 6, items: 9, seed: 3)
        let net = RecVAENetwork(items: 9, hidden: 5, latent: 3, depth: depth)
        var params = net.initialParameters(seed: 4), prior = params
        var rng = SeededRandom(seed: 5)
        for i in 0..<params.count { params[i] += 0.1 * rng.normal(); prior[i] += 0.2 * rng.normal() }
        return (net, params, prior, SparseRows(data, rows: [4, 0, 2, 5]))
    }

    func check(depth: Int, dropout: Float, gamma: Float, l2: Float, eps: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line) {
        let (net, params, prior, batch) = setting(depth: depth)
        let pass = RecVAENetwork.Pass(dropout: dropout, maskSeed: 77, noiseSeed: 88, gamma: gamma, prior: prior, l2: l2)
        var grad = [Float](repeating: 0, count: params.count)
        _ = net.loss(params, batch, pass, gradient: &grad)
        var none: [Float] = []
        checks.compare(params, grad, eps: eps, file: file, line: line) { net.loss($0, batch, pass, gradient: &none) }
    }

    func testGradientOneLayer() { check(depth: 1, dropout: 0, gamma: 0.3, l2: 0.2) }
    /// (A step of 1e-2 is too coarse for three normalised layers: its own error there is 0.005.)
    func testGradientDenselyConnected() { check(depth: 3, dropout: 0.5, gamma: 0.5, l2: 0, eps: 3e-3) }
    func testGradientDenselyConnectedWithoutTheKLTerm() { check(depth: 3, dropout: 0.5, gamma: 0, l2: 0) }
    func testGradientWithoutTheKLTerm() { check(depth: 2, dropout: 0, gamma: 0, l2: 0.1) }

    /// The encoder's and the decoder's gradients are the whole gradient on their parts.
    func testEachPartsGradientIsTheWholeOnesPart() {
        let (net, params, prior, batch) = setting(depth: 2)
        var whole = [Float](repeating: 0, count: params.count)
        let pass = RecVAENetwork.Pass(noiseSeed: 9, gamma: 0.4, prior: prior)
        let loss = net.loss(params, batch, pass, gradient: &whole)
        for part in [RecVAENetwork.Part.encoder, .decoder] {
            var onePart = pass
            onePart.part = part
            var grad = [Float](repeating: 1, count: params.count)
            let partLoss = net.loss(params, batch, onePart, gradient: &grad)
            let range = part == .encoder ? net.encoderPart : net.decoderPart
            XCTAssertEqual(partLoss, loss, accuracy: 1e-9)
            for i in 0..<params.count {
                XCTAssertEqual(grad[i], range.contains(i) ? whole[i] : 0, accuracy: 1e-5, "\(part) parameter \(i)")
            }
        }
    }

    /// A phase steps only its part: after the encoder's passes the decoder is as it started.
    func testAPhaseMovesOnlyItsPart() {
        let data = ImplicitData(users: IDMap((0..<6).map(String.init)), items: IDMap((0..<9).map(String.init)),
                                matrix: checks.smallData(users: 6, items: 9, seed: 3))
        var c = RecVAEConfig()
        c.hidden = 5; c.latent = 3; c.depth = 2; c.epochs = 1; c.validationFraction = 0; c.batchSize = 2
        let net = RecVAENetwork(items: 9, hidden: 5, latent: 3, depth: 2)
        let initial = net.initialParameters(seed: c.seed)
        let phases = RecVAE.phases(net, c)
        let loop = UserBatchTraining(epochs: 1, batchSize: 2, learningRate: 0.01, averaging: 0, validationFraction: 0, patience: 0, seed: 1)
        let (encoderOnly, _) = loop.run(data, initial: initial, phases: [phases[0]], model: { _, _ in Popularity.fit(data) }, progress: nil)
        XCTAssertEqual(Array(encoderOnly[net.decoderPart]), Array(initial[net.decoderPart]))
        XCTAssertNotEqual(Array(encoderOnly[net.encoderPart]), Array(initial[net.encoderPart]))
        let (decoderOnly, _) = loop.run(data, initial: initial, phases: [phases[1]], model: { _, _ in Popularity.fit(data) }, progress: nil)
        XCTAssertEqual(Array(decoderOnly[net.encoderPart]), Array(initial[net.encoderPart]))
        XCTAssertNotEqual(Array(decoderOnly[net.decoderPart]), Array(initial[net.decoderPart]))
    }

    /// A file whose configuration is missing, of the wrong shape, or sizes that overflow is refused
    /// with a model-file error, never a crash.
    func testACraftedConfigurationIsRefused() throws {
        let all = try RatingFileReader.read(path: TestData.implicitTrain)
        let data = ImplicitData(all.subset((0..<all.count).filter { all.userIndex[$0] % 10 == 0 }))
        let settings = ModelSettings.brief(.recVAE, epochs: 1, hidden: 8, extra: ["--latent": "4", "--depth": "2"])
        let model = try ModelKind.recVAE.train(interactions: data, settings: settings).model
        let hostile = HostileModelFileTests(name: "helpers", testClosure: { _ in })
        let good = model.modelFile(extraHeader: [:])
        var configuration = try XCTUnwrap(good.header["configuration"] as? [String: Any])
        let loaded = try ModelCatalogue.load(try ModelFile.decode(try good.encoded(), source: "good"), path: "good")
        XCTAssertEqual((loaded as? RecVAE)?.config, (model as? RecVAE)?.config)
        for (key, value) in [("hidden", Int.max / 2 as Any), ("latent", 0), ("depth", -1), ("hidden", "600")] {
            var file = good
            var crafted = configuration
            crafted[key] = value
            file.header["configuration"] = crafted
            try hostile.assertRefused(file, mentioning: "RecVAE")
        }
        configuration = [:]
        for value in [nil, 7 as Any, configuration] {
            var file = good
            file.header["configuration"] = value
            try hostile.assertRefused(file, mentioning: "configuration")
        }
    }
}
