import XCTest
@testable import AutoRecCore

/// The one early-stopping rule every trained kind uses: best epoch, margin, patience, direction.
final class EarlyStoppingTests: XCTestCase {
    func testRMSEStopsAfterPatienceEpochsWithoutABetterScoreBeyondTheMargin() {
        var stopping = EarlyStopping(metric: .rmse, patience: 2, margin: 1e-6)
        XCTAssertNil(stopping.best)
        XCTAssertTrue(stopping.record(epoch: 1, score: 0.95))
        XCTAssertTrue(stopping.record(epoch: 2, score: 0.93))
        XCTAssertFalse(stopping.record(epoch: 3, score: 0.93 - 1e-7), "within the margin is not better")
        XCTAssertFalse(stopping.shouldStop(after: 3))
        XCTAssertFalse(stopping.record(epoch: 4, score: 0.94))
        XCTAssertTrue(stopping.shouldStop(after: 4))
        XCTAssertEqual(stopping.bestEpoch, 2)
        XCTAssertEqual(stopping.best, 0.93)
        XCTAssertEqual(stopping.stopReason, "validation RMSE did not improve for 2 epochs")
    }

    func testRecallIsBetterHigherAndNaNNeverCounts() {
        var stopping = EarlyStopping(metric: .recall20, patience: 1)
        XCTAssertFalse(stopping.record(epoch: 1, score: .nan))
        XCTAssertTrue(stopping.shouldStop(after: 1), "a first epoch without a score counts against the patience")
        XCTAssertTrue(stopping.record(epoch: 2, score: 0.30))
        XCTAssertFalse(stopping.record(epoch: 3, score: 0.30), "equal is not better")
        XCTAssertTrue(stopping.shouldStop(after: 3))
        XCTAssertEqual(stopping.bestEpoch, 2)
    }

    func testPatienceZeroNeverStops() {
        var stopping = EarlyStopping(metric: .recall20, patience: 0)
        _ = stopping.record(epoch: 1, score: 0.5)
        for epoch in 2...50 { _ = stopping.record(epoch: epoch, score: 0.1) }
        XCTAssertFalse(stopping.shouldStop(after: 50))
    }
}
