import XCTest
import Foundation
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// The top-N models trained with their DEFAULT hyperparameters on the reference implicit split must
/// reach a real ranking quality: well above popularity and near the targets. Release mode
/// only (tools/test): these train real models for a few seconds each.
final class TopNTrainingTests: XCTestCase {
    static var train: ImplicitData!
    static var test: Ratings!

    override class func setUp() {
        super.setUp()
        train = ImplicitData(try! RatingFileReader.read(path: TestData.implicitTrain))
        test = try! RatingFileReader.read(path: TestData.implicitTest)
    }

    func recall20(_ kind: String) throws -> Double {
        let (model, summary) = try { let t = try ModelCatalogue.kind(kind).train(interactions: Self.train); return (t.model, t.report) }()
        let r = RankingEvaluation.evaluate(model, test: Self.test, k: [20])
        XCTAssertEqual(r.metrics.users, 938)
        print("\(kind) defaults: Recall@20 \(r.metrics.recall[20]!), NDCG@20 \(r.metrics.ndcg[20]!), \(summary.epochs) epochs, \(summary.secondsPerEpoch) s/epoch")
        return r.metrics.recall[20]!
    }

    // Bounds sit a little under the measured figures (docs/RESULTS.md: EASE 0.4013, Mult-DAE
    // 0.4102, Mult-VAE 0.4090, CDAE 0.4197 with seed 1), which vary slightly with the BLAS kernels
    // of the machine; popularity (0.2001) is the floor every model must clear by far.
    func testPopularityIsTheFloor() throws { XCTAssertEqual(try recall20("popularity"), 0.2001, accuracy: 0.002) }
    func testEASEWithDefaults() throws { XCTAssertGreaterThan(try recall20("ease"), 0.395) }
    func testMultDAEWithDefaults() throws { XCTAssertGreaterThan(try recall20("mult-dae"), 0.40) }
    func testMultVAEWithDefaults() throws { XCTAssertGreaterThan(try recall20("mult-vae"), 0.40) }
    func testCDAEWithDefaults() throws { XCTAssertGreaterThan(try recall20("cdae"), 0.41) }
    /// DFC-VAE with its defaults (a Mult-DAE trained first as phi): measured 0.4066 (Mult-VAE 0.4090).
    func testDFCVAEWithDefaults() throws { XCTAssertGreaterThan(try recall20("dfc-vae"), 0.40) }
    /// RecVAE with its defaults: measured 0.4169 with seed 1 (docs/RESULTS.md); it must beat Mult-VAE.
    func testRecVAEWithDefaults() throws { XCTAssertGreaterThan(try recall20("recvae"), 0.41) }
}
