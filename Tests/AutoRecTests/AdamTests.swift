import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Adam's compact state (bfloat16 first moment, weight average as a bfloat16 offset) against the
/// full-precision state on a small quadratic, step by step.
final class AdamTests: XCTestCase {
    func testBFloat16RoundsToNearest() {
        for x: Float in [0, 1, -1, 3.14159, 1e-30, -2.5e12, 0.1] {
            let back = BFloat16.decode(BFloat16.encode(x))
            XCTAssertEqual(back, x, accuracy: abs(x) / 256, "\(x)")
        }
        // One unit in the last place is 1/128 at 1: halfway cases round to the even neighbour.
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(1 + 1.0 / 256)), 1, "a tie rounds down to even")
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(1 + 3.0 / 256)), 1 + 1.0 / 64, "a tie rounds up to even")
        XCTAssertEqual(BFloat16.decode(BFloat16.encode(1 + 1.1 / 256)), 1 + 1.0 / 128, "past half rounds up")
    }

    func testCompactStateTracksFullStateAndItsAverage() {
        let n = 1000
        var rng = SeededRandom(seed: 3)
        let target = (0..<n).map { _ in 2 * rng.uniform() - 1 }
        var full = Adam(parameterCount: n, learningRate: 0.01)
        var compact = Adam(parameterCount: n, learningRate: 0.01, compact: true)
        XCTAssertTrue(compact.isCompact)
        XCTAssertFalse(full.isCompact)
        var pFull = [Float](repeating: 0, count: n), pCompact = pFull
        var aFull = WeightAverage(startingAt: pFull, compact: false)
        var aCompact = WeightAverage(startingAt: pCompact, compact: true)
        for step in 0..<300 {
            let decay: Float = step == 0 ? 0 : 0.9
            full.update(&pFull, gradient: zip(pFull, target).map { $0 - $1 }, average: &aFull, decay: decay)
            compact.update(&pCompact, gradient: zip(pCompact, target).map { $0 - $1 }, average: &aCompact, decay: decay)
        }
        var averaged = pCompact
        aCompact.addOffset(to: &averaged)
        let averageFull = aFull.fullValues!
        for i in 0..<n {
            XCTAssertEqual(pCompact[i], pFull[i], accuracy: 0.01, "weight \(i)")
            XCTAssertEqual(averaged[i], averageFull[i], accuracy: 0.01, "average \(i)")
        }
        XCTAssertNotEqual(averaged, pCompact, "the offset is not zero while the weights move")
        var restored = averaged
        aCompact.subtractOffset(from: &restored)
        for i in 0..<n { XCTAssertEqual(restored[i], pCompact[i], accuracy: 1e-6) }
    }

    func testAutoChoosesCompactOnlyForLargeModels() {
        XCTAssertFalse(OptimizerStatePrecision.auto.isCompact(parameterCount: 1_000_000))
        XCTAssertTrue(OptimizerStatePrecision.auto.isCompact(parameterCount: 138_000 * 1000))
        XCTAssertTrue(OptimizerStatePrecision.compact.isCompact(parameterCount: 10))
        XCTAssertFalse(OptimizerStatePrecision.full.isCompact(parameterCount: 1 << 40))
    }
}
