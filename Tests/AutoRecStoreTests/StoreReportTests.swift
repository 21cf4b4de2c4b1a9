import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore
@testable import AutoRecCore
@testable import AutoRecModels

/// `report --from-db` on a real PostgreSQL: after two nightly runs (one promoted, one kept back) the
/// store's report shows both runs, the active model marked, step timings in the job's order, and the
/// learning curve the second model's file kept.
final class StoreReportTests: XCTestCase {
    func testTheStoreReportShowsEveryNightlyRun() throws {
        let connection = try TestDatabase.fresh()
        try TestDatabase.importRatings(connection, count: 20000)
        var pop = NightlyJob(connection: connection, kind: .popularity, settings: ModelSettings(["--positive": "4"]))
        pop.top = 10
        let first = try pop.run()
        // Two epochs leave a Mult-DAE below popularity: kept back.
        var dae = NightlyJob(connection: connection, kind: .multDAE,
                             settings: ModelSettings(["--epochs": "2", "--dims": "60,20", "--positive": "4"]))
        dae.top = 10
        let second = try dae.run()
        XCTAssertTrue(first.promoted, first.decision)
        XCTAssertFalse(second.promoted, second.decision)

        let report = try StoreReportReader.read(connection)
        XCTAssertEqual(report.runs.map(\.id), [first.runID, second.runID])
        XCTAssertEqual(report.runs.map(\.promoted), [true, false])
        XCTAssertEqual(report.runs[0].candidate ?? -1, first.candidateScore, accuracy: 1e-9)
        XCTAssertEqual(report.runs[1].active ?? -1, second.activeScore ?? -2, accuracy: 1e-9)
        XCTAssertEqual(report.runs[0].steps.map(\.name).prefix(3), ["snapshot", "train", "evaluate"])
        // The first run registered the candidate it compared and the model it serves (trained on everything).
        XCTAssertEqual(report.models.map(\.status), ["candidate", "active", "candidate"])
        XCTAssertEqual(report.models.map(\.id), [first.candidateID, try XCTUnwrap(first.servedID), second.candidateID])
        XCTAssertNil(report.models[1].curve, "popularity has no epochs")
        let curve = try XCTUnwrap(report.models[2].curve, "the nightly model's file keeps its learning curve")
        XCTAssertEqual(curve.epochs.count, second.epochs)

        let html = report.html()
        XCTAssertTrue(html.contains("<strong>active ★</strong>"))
        for run in [first, second] { XCTAssertTrue(html.contains("<title>run \(run.runID): "), "run \(run.runID) is on the history plot") }
        XCTAssertTrue(html.contains("kept the active model: holdout Recall@20"))
        XCTAssertGreaterThanOrEqual(report.plots().count, 4, "history, step timings, loss and validation curves")
        XCTAssertFalse(html.contains("<script"))
    }
}
