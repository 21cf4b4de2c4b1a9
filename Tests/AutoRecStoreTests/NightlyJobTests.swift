import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore
@testable import AutoRecCore
@testable import AutoRecModels

/// The nightly job against a real PostgreSQL (see StoreTests): promote and reject paths, the lock,
/// failures recorded, and the active model's lists untouched when the candidate loses.
final class NightlyJobTests: XCTestCase {
    var connection: Connection!
    var url: String!

    override func setUpWithError() throws {
        url = try TestDatabase.url
        connection = try TestDatabase.fresh()
    }

    func importSlice() throws { try TestDatabase.importRatings(connection, count: 20000) }

    func job(epochs: Int) -> NightlyJob {
        var j = NightlyJob(connection: connection, kind: .iAutoRec, settings: ModelSettings(["--hidden": "32", "--epochs": String(epochs)]))
        j.top = 20
        return j
    }

    func scalar(_ sql: String) throws -> String? { try connection.scalar(sql) }

    func testHoldoutSplitMatchesTheHashOfEachPair() throws {
        var r = Ratings()
        for u in ["1", "42", "user-\u{e9}", ""] { for i in ["7", "50", "x\ty", "\u{1F600}"] { r.append(user: u, item: i, value: 3) } }
        for share in [0.0, 0.1, 0.5, 1.0] {
            let split = NightlyJob.holdoutSplit(r, share: share)
            let expected = (0..<r.count).filter {
                NightlyJob.inHoldout(user: r.users.id(at: Int(r.userIndex[$0])), item: r.items.id(at: Int(r.itemIndex[$0])), share: share)
            }
            XCTAssertEqual(split.holdout, expected, "share \(share)")
            XCTAssertEqual(split.train.count + split.holdout.count, r.count)
        }
    }

    func testPromoteThenRejectAWorseCandidate() throws {
        try importSlice()
        let first = try job(epochs: 40).run()
        XCTAssertTrue(first.promoted)
        XCTAssertNil(first.activeBefore)
        let served = try XCTUnwrap(first.servedID, "a promoted candidate is refitted on the whole snapshot and served")
        XCTAssertEqual(first.activeAfter, served)
        XCTAssertGreaterThan(first.usersScored, 0)
        // The registry keeps both: the candidate compared on the holdout, the served model trained on everything.
        XCTAssertEqual(try scalar("SELECT compared_model_id FROM models WHERE id = \(served)"), String(first.candidateID))
        XCTAssertEqual(try scalar("SELECT rating_count FROM models WHERE id = \(served)"), "20000")
        let heldOut = try XCTUnwrap(Int(try XCTUnwrap(scalar("SELECT metrics->>'holdout_ratings' FROM models WHERE id = \(first.candidateID)"))))
        XCTAssertEqual(try scalar("SELECT rating_count FROM models WHERE id = \(first.candidateID)"), String(20000 - heldOut))
        XCTAssertEqual(try scalar("SELECT count(*) FROM recommendations WHERE model_id = \(served)"),
                       String(first.usersScored * 20))
        let listsBefore = try connection.execute("SELECT user_id, rank, item_id, score FROM recommendations ORDER BY 1, 2").rows

        // One epoch cannot match forty: the candidate must lose and change nothing that serves.
        let second = try job(epochs: 1).run()
        XCTAssertFalse(second.promoted, second.decision)
        XCTAssertNil(second.servedID, "a candidate that is not promoted is not refitted")
        XCTAssertEqual(second.activeAfter, served)
        XCTAssertEqual(second.metric, .rmse)
        XCTAssertGreaterThan(second.candidateScore, second.activeScore! + 0.002)
        XCTAssertEqual(try connection.execute("SELECT user_id, rank, item_id, score FROM recommendations ORDER BY 1, 2").rows,
                       listsBefore, "the active model's lists are untouched")
        XCTAssertEqual(try scalar("SELECT status FROM models WHERE id = \(second.candidateID)"), "candidate")
        XCTAssertEqual(try scalar("SELECT count(*) FROM job_runs WHERE status = 'succeeded'"), "2")
        let steps = try XCTUnwrap(scalar("SELECT steps::text FROM job_runs WHERE id = \(second.runID)"))
        XCTAssertTrue(steps.contains("train") && steps.contains("evaluate"), steps)
        XCTAssertTrue(try XCTUnwrap(scalar("SELECT decision FROM job_runs WHERE id = \(second.runID)")).hasPrefix("kept the active model"))
    }

    /// A top-N model is compared by Recall@20 on the holdout's positives: a trained Mult-DAE replaces
    /// an AutoRec baseline it beats, and popularity cannot then replace the Mult-DAE.
    func testTopNModelsAreComparedByRecall() throws {
        try importSlice()
        XCTAssertTrue(try job(epochs: 40).run().promoted)
        let settings = ModelSettings(["--epochs": "40", "--batch": "32", "--dims": "100,40", "--positive": "4"])
        var dae = NightlyJob(connection: connection, kind: .multDAE, settings: settings)
        dae.top = 20
        let r = try dae.run()
        XCTAssertEqual(r.metric, .recall20)
        XCTAssertTrue(r.promoted, r.decision)
        XCTAssertGreaterThan(r.candidateScore, r.activeScore!)
        XCTAssertEqual(try scalar("SELECT kind FROM models WHERE status = 'active'"), "mult-dae")
        XCTAssertEqual(try scalar("SELECT count(*) FROM recommendations WHERE model_id = \(try XCTUnwrap(r.servedID))"), String(r.usersScored * 20))
        let metrics = try XCTUnwrap(scalar("SELECT metrics::text FROM job_runs WHERE id = \(r.runID)"))
        XCTAssertTrue(metrics.contains("recall@20"), metrics)

        var pop = NightlyJob(connection: connection, kind: .popularity, settings: ModelSettings(["--positive": "4"]))
        pop.top = 20
        let p = try pop.run()
        XCTAssertFalse(p.promoted, p.decision)
        XCTAssertLessThan(p.candidateScore, p.activeScore! - 0.002)
        XCTAssertEqual(try scalar("SELECT kind FROM models WHERE status = 'active'"), "mult-dae")
    }

    func testSecondRunIsRefusedWhileTheLockIsHeld() throws {
        try importSlice()
        let other = try Connection(url: url)
        XCTAssertEqual(try other.scalar("SELECT pg_try_advisory_lock($1)", [NightlyJob.lockKey]), "t")
        XCTAssertThrowsError(try job(epochs: 2).run()) { XCTAssertTrue($0 is NightlyJob.AlreadyRunning, "\($0)") }
        XCTAssertEqual(try scalar("SELECT count(*) FROM job_runs"), "0", "a refused run records nothing")
        _ = try other.execute("SELECT pg_advisory_unlock($1)", [NightlyJob.lockKey])
    }

    func testAFailedRunIsRecordedAndAnInterruptedOneIsClosed() throws {
        // A run killed earlier left a 'running' row behind.
        try connection.execute("INSERT INTO job_runs (job) VALUES ('nightly')")
        XCTAssertThrowsError(try job(epochs: 2).run())  // no ratings: the snapshot step fails
        let rows = try connection.execute("SELECT status, coalesce(error, '') FROM job_runs ORDER BY id").rows
        XCTAssertEqual(rows.map { $0[0] }, ["failed", "failed"])
        XCTAssertTrue(rows[0][1]!.contains("interrupted"))
        XCTAssertTrue(rows[1][1]!.contains("no ratings"))
        XCTAssertEqual(try scalar("SELECT count(*) FROM models"), "0")
    }

    /// `recommend` against the store: a stored list when it is long enough, the active model when
    /// more is asked, a shorter stored list with --stored-only, and a clear refusal when nothing is
    /// active or the user is not in the store.
    func testTheActiveRecommenderAnswersFromStoredListsThenFromTheModel() throws {
        try importSlice()
        XCTAssertThrowsError(try ActiveRecommender.recommend(connection, user: "1", count: 5, storedOnly: false)) {
            XCTAssertTrue("\($0)".contains("no active model in the store"), "\($0)")
        }
        XCTAssertTrue(try job(epochs: 3).run().promoted)
        let five = try ActiveRecommender.recommend(connection, user: "1", count: 5, storedOnly: false)
        XCTAssertEqual(five.source, .stored)
        XCTAssertEqual(five.items.count, 5)
        let thirty = try ActiveRecommender.recommend(connection, user: "1", count: 30, storedOnly: false)
        XCTAssertEqual(thirty.source, .model, "30 is more than the stored 20: the active model answers")
        XCTAssertEqual(thirty.items.prefix(5).map(\.item), five.items.map(\.item), "the model gives the stored list's items")
        let stored = try ActiveRecommender.recommend(connection, user: "1", count: 30, storedOnly: true)
        XCTAssertEqual(stored.source, .stored)
        XCTAssertEqual(stored.items.count, 20)
        XCTAssertThrowsError(try ActiveRecommender.recommend(connection, user: "nobody", count: 5, storedOnly: false)) {
            XCTAssertTrue($0 is ActiveRecommender.UnknownUser, "\($0)")
        }
    }
}
