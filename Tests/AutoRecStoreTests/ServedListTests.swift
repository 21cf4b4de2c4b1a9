import XCTest
import Foundation
import AutoRec
@testable import AutoRecStore
@testable import AutoRecCore
@testable import AutoRecModels

/// What users receive, read from a real PostgreSQL after the nightly job: no list holds an item its
/// user rated (whenever the rating arrived), each user gets their own list whatever bytes the id
/// holds, a user who arrived after scoring gets an answer, and `db check` states all of it.
final class ServedListTests: XCTestCase {
    var connection: Connection!

    override func setUpWithError() throws {
        connection = try TestDatabase.fresh()
    }

    func nightly(_ kind: ModelKind = .iAutoRec, _ settings: [String: String] = ["--hidden": "32", "--epochs": "10"]) throws -> NightlyJob.Report {
        var job = NightlyJob(connection: connection, kind: kind, settings: ModelSettings(settings))
        job.top = 20
        return try job.run()
    }

    /// (user, item) pairs of the active lists as stored (not through the views) that the user has rated.
    func ratedPairsInStoredLists() throws -> Int {
        Int(try connection.scalar("""
            SELECT count(*) FROM recommendation_lists l JOIN models m ON m.id = l.model_id AND m.status = 'active'
            CROSS JOIN LATERAL unnest(l.items) AS e (item_id)
            JOIN ratings r ON r.user_id = l.user_id AND r.item_id = e.item_id
            """) ?? "-1")!
    }

    func audit() throws -> [String: StoreAudit.Finding] {
        Dictionary(uniqueKeysWithValues: try StoreAudit.run(connection).map { ($0.check, $0) })
    }

    func assertAuditPasses(_ context: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for finding in try audit().values where !finding.passed {
            XCTFail("\(context): \(finding.check): \(finding.detail)", file: file, line: line)
        }
    }

    /// Ratings as the importer takes them.
    func ratings(_ entries: [(user: String, item: String, value: Float)]) -> Ratings {
        var r = Ratings()
        for e in entries { r.append(user: e.user, item: e.item, value: e.value, timestamp: 1_000_000_000) }
        return r
    }

    /// Rating and top-N models alike: after a nightly no stored list holds a rated item (the holdout
    /// and, for the top-N model, ratings under --positive included), and the audit passes.
    func testTheNightlyServesNoRatedItem() throws {
        try TestDatabase.importRatings(connection, count: 20000)
        let first = try nightly()
        XCTAssertTrue(first.promoted)
        XCTAssertEqual(try ratedPairsInStoredLists(), 0, "I-AutoRec lists hold rated items")
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM active_lists"), try connection.scalar("SELECT count(DISTINCT user_id) FROM ratings"))
        try assertAuditPasses("after an I-AutoRec nightly")

        let topN = try nightly(.multDAE, ["--epochs": "20", "--batch": "32", "--dims": "100,40", "--positive": "4", "--validation": "0"])
        XCTAssertTrue(topN.promoted, topN.decision)
        XCTAssertEqual(try ratedPairsInStoredLists(), 0, "Mult-DAE lists hold rated items (ratings under --positive count too)")
        try assertAuditPasses("after a Mult-DAE nightly")
    }

    /// Ratings imported after scoring leave the lookups and the views at once, ranks counted again;
    /// the audit counts them as rated since scoring, not as a fault.
    func testRatingsImportedAfterScoringLeaveTheServedListsAtOnce() throws {
        try TestDatabase.importRatings(connection, count: 20000)
        XCTAssertTrue(try nightly().promoted)
        let store = RecommendationStore(connection: connection)
        let users = try connection.execute("SELECT user_external_id FROM active_lists ORDER BY user_id LIMIT 10").rows.map { $0[0]! }
        var newRatings: [(user: String, item: String, value: Float)] = []
        var before: [String: [String]] = [:]
        for user in users {
            before[user] = try store.activeList(user: user, count: 20).map(\.item)
            newRatings += [(user, before[user]![1], 4), (user, before[user]![4], 2)]
        }
        try Importer(connection: connection).importRatings(ratings(newRatings))
        for user in users {
            let rated = Set(newRatings.filter { $0.user == user }.map(\.item))
            let after = try store.activeList(user: user, count: 20)
            XCTAssertEqual(after.map(\.item), before[user]!.filter { !rated.contains($0) }, "user \(user)")
            XCTAssertEqual(after.map(\.rank), Array(1...18), "ranks are counted again")
            let viewItems = try XCTUnwrap(connection.scalar("""
                SELECT cardinality(items) FROM active_lists WHERE user_external_id = $1
                """, [user]))
            XCTAssertEqual(viewItems, "18", "active_lists drops them too")
            let answer = try ActiveRecommender.recommend(connection, user: user, count: 10, storedOnly: false)
            XCTAssertEqual(answer.source, .stored)
            XCTAssertTrue(answer.items.allSatisfy { !rated.contains($0.item) })
        }
        // The filter probes the ratings key once per listed item (migration 005), whatever the
        // user's history: no join that reads all of the user's ratings.
        let plan = try connection.execute("""
            EXPLAIN (COSTS OFF) SELECT items FROM active_lists WHERE user_external_id = $1
            """, [users[0]]).rows.map { $0[0]! }.joined(separator: "\n")
        XCTAssertTrue(plan.contains("SubPlan") && !plan.contains("Anti Join"), plan)
        let audit = try audit()
        XCTAssertTrue(audit["no_rated_item_in_active_lists"]!.passed, audit["no_rated_item_in_active_lists"]!.detail)
        XCTAssertTrue(audit["no_rated_item_in_active_lists"]!.detail.contains("\(newRatings.count) more rated since scoring"),
                      audit["no_rated_item_in_active_lists"]!.detail)
    }

    /// A user imported after scoring is answered: folded in from the store's ratings where the
    /// kind can, else the most popular unrated items, never with an item they rated.
    func testAUserWhoArrivedAfterScoringIsAnswered() throws {
        try TestDatabase.importRatings(connection, count: 20000)
        XCTAssertTrue(try nightly().promoted)
        let liked = ["50", "172", "181", "174", "98"]
        try Importer(connection: connection).importRatings(ratings(liked.map { ("newcomer", $0, 5) }))
        let popular = try ActiveRecommender.recommend(connection, user: "newcomer", count: 10, storedOnly: false)
        XCTAssertEqual(popular.source, .popular, "I-AutoRec cannot fold a user in")
        XCTAssertNotNil(popular.note)
        XCTAssertEqual(popular.items.count, 10)
        XCTAssertTrue(popular.items.allSatisfy { !liked.contains($0.item) })
        let audit = try audit()
        XCTAssertTrue(audit["every_rated_user_has_a_list"]!.passed, audit["every_rated_user_has_a_list"]!.detail)
        XCTAssertTrue(audit["every_rated_user_has_a_list"]!.detail.contains("1 new since scoring"), audit["every_rated_user_has_a_list"]!.detail)

        XCTAssertTrue(try nightly(.multDAE, ["--epochs": "10", "--batch": "32", "--dims": "100,40", "--validation": "0"]).promoted)
        try Importer(connection: connection).importRatings(ratings(liked.map { ("second newcomer", $0, 5) }))
        let folded = try ActiveRecommender.recommend(connection, user: "second newcomer", count: 10, storedOnly: false)
        XCTAssertEqual(folded.source, .foldIn)
        XCTAssertEqual(folded.items.count, 10)
        XCTAssertTrue(folded.items.allSatisfy { !liked.contains($0.item) })
    }

    /// Ids whose text COPY would lose bytes (\b \f \v) and canonically equivalent twins (NFC and
    /// NFD) are distinct users end to end: each has its own list, without the items it rated.
    func testOddIdsReachTheirOwnUser() throws {
        try TestDatabase.importRatings(connection, count: 20000)
        let odd = ["cvd", "c\u{0B}d", "c\u{08}d", "c\u{0C}d", "caf\u{E9}", "cafe\u{301}"]
        var entries: [(user: String, item: String, value: Float)] = []
        for (k, user) in odd.enumerated() {
            for j in 0..<8 { entries.append((user, String(1 + (k * 37 + j * 11) % 400), Float(1 + (k + j) % 5))) }
        }
        try Importer(connection: connection).importRatings(ratings(entries))
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM users WHERE external_id LIKE 'c%'"), String(odd.count))
        XCTAssertTrue(try nightly().promoted)
        let store = RecommendationStore(connection: connection)
        var lists: [[String]] = []
        for user in odd {
            let rated = Set(entries.filter { $0.user.utf8.elementsEqual(user.utf8) }.map(\.item))
            let list = try store.activeList(user: user, count: 20).map(\.item)
            XCTAssertEqual(list.count, 20, "\(Array(user.utf8)) has its own list")
            XCTAssertTrue(rated.isDisjoint(with: list), "\(Array(user.utf8))'s list holds an item it rated")
            lists.append(list)
        }
        XCTAssertEqual(try ratedPairsInStoredLists(), 0)
        XCTAssertEqual(Set(lists).count, odd.count, "six users, six different lists")
        try assertAuditPasses("after odd ids")
        // The CLI as a user runs it: the vertical-tab user's own list, and the audit's exit code.
        let lookup = try Self.autorec(["recommend", "--user", "c\u{0B}d", "-n", "20", "--json", "--database", try TestDatabase.url])
        XCTAssertEqual(lookup.status, 0, lookup.output)
        let items = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lookup.output.utf8)) as? [[String: Any]]).compactMap { $0["item"] as? String }
        XCTAssertEqual(items, lists[1])
        let check = try Self.autorec(["db", "check", "--json", "--database", try TestDatabase.url])
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertTrue(check.output.contains("\"passed\":true"), check.output)
        try connection.execute("UPDATE recommendation_lists SET items = items || items[1:1], scores = scores || scores[1:1] WHERE user_id = (SELECT min(user_id) FROM recommendation_lists)")
        XCTAssertEqual(try Self.autorec(["db", "check", "--database", try TestDatabase.url]).status, 1, "a broken invariant exits 1")
    }

    /// Runs the built CLI; its exit status and standard output.
    static func autorec(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: KilledScorerTests.binary)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// What a run publishes is checked: a damaged artifact or a model of another catalogue is not
    /// activated, shards must agree on --top, a rating no file could hold is left out, and the
    /// staging tables a killed run leaves are dropped by the next one.
    func testActivationAndScoringCheckWhatTheyPublish() throws {
        try TestDatabase.importRatings(connection, count: 20000)
        let first = try nightly()
        let active = try XCTUnwrap(first.servedID)
        let registry = ModelRegistry(connection: connection)
        let store = RecommendationStore(connection: connection)
        let listsBefore = try connection.execute("SELECT user_id, items::text FROM active_lists ORDER BY 1").rows

        // A damaged artifact: one byte changed in the candidate's file.
        try connection.execute("UPDATE model_artifacts SET bytes = set_byte(bytes, 200, (get_byte(bytes, 200) + 1) % 256) WHERE model_id = $1 AND chunk = 0",
                               [String(first.candidateID)])
        XCTAssertThrowsError(try registry.activateChecked(first.candidateID)) { XCTAssertTrue("\($0)".contains("does not load"), "\($0)") }
        XCTAssertEqual(try registry.active()?.id, active)
        XCTAssertEqual(try connection.execute("SELECT user_id, items::text FROM active_lists ORDER BY 1").rows, listsBefore)
        XCTAssertFalse(try audit()["every_stored_model_file_verifies"]!.passed, "the audit finds the damaged file")

        // A model of another catalogue: no user of the store.
        let foreign = ratings((0..<200).map { ("elsewhere-\($0 % 20)", "thing-\($0 % 30)", Float(1 + $0 % 5)) })
        let foreignID = try TestDatabase.register(TestDatabase.smallModel(foreign, epochs: 2), connection, ratingCount: foreign.count)
        XCTAssertThrowsError(try registry.activateChecked(foreignID)) { XCTAssertTrue("\($0)".contains("none of the store's users"), "\($0)") }
        XCTAssertThrowsError(try store.scoreAndStore(model: try registry.loadRanker(foreignID), modelID: foreignID, top: 10))
        XCTAssertEqual(try registry.active()?.id, active)

        // Shards of one run must agree on --top.
        let model = try registry.loadRanker(active)
        try store.scoreAndStore(model: model, modelID: active, top: 5, shard: 0, of: 2)
        XCTAssertThrowsError(try store.scoreAndStore(model: model, modelID: active, top: 50, shard: 1, of: 2)) {
            XCTAssertTrue("\($0)".contains("same --top"), "\($0)")
        }

        // A rating written by SQL that no file could hold is left out of training, and said.
        try connection.execute("UPDATE ratings SET rating = 3e38 WHERE (user_id, item_id) = (SELECT user_id, item_id FROM ratings LIMIT 1)")
        // A killed scorer's staging table (no shard finished) and a killed nightly's (one finished).
        try store.prepareStaging(modelID: first.candidateID)
        try connection.execute("INSERT INTO job_runs (job, metrics) VALUES ('nightly', '{\"models\": [\(active)]}')")
        XCTAssertFalse(try audit()["no_leftover_staging_tables"]!.passed)
        let next = try nightly()
        XCTAssertEqual(next.skippedRatings, 1)
        XCTAssertLessThan(next.candidateScore, 10, "the holdout RMSE is sane (3e38 trained would give about 1e34)")
        XCTAssertEqual(try store.stagingTables().count, 0, "the killed runs' staging tables are gone")
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM scoring_shards"), "0")
    }

    /// Activation reports the model's stored lists (`models activate` says when there are none):
    /// none for a candidate never scored, none for a model whose lists went with its retirement,
    /// all of them once it is scored again.
    func testActivationCountsTheModelsStoredLists() throws {
        try TestDatabase.importRatings(connection, count: 20000)
        let first = try nightly()
        let active = try XCTUnwrap(first.servedID)
        let registry = ModelRegistry(connection: connection)
        let store = RecommendationStore(connection: connection)
        let served = try store.listCount(modelID: active)
        XCTAssertGreaterThan(served, 0)
        XCTAssertEqual(try registry.activateChecked(first.candidateID), 0, "the compared candidate was never scored")
        XCTAssertEqual(try registry.activateChecked(active), 0, "its lists went with its retirement")
        try store.scoreAndStore(model: try registry.loadRanker(active), modelID: active, top: 10)
        XCTAssertEqual(try registry.activateChecked(active), served, "scored again")
        try assertAuditPasses("after scoring the reactivated model")
    }

    /// The audit is not vacuous: a rated item written into an active list, or a list longer than
    /// its run's --top, fails it.
    func testTheAuditFindsWhatBreaksTheInvariants() throws {
        try TestDatabase.importRatings(connection, count: 20000)
        XCTAssertTrue(try nightly().promoted)
        try assertAuditPasses("after a nightly")
        try connection.execute("""
            UPDATE recommendation_lists l SET items = array_prepend(r.item_id, l.items[1:19]), scores = array_prepend(9, l.scores[1:19])
            FROM (SELECT user_id, min(item_id) AS item_id FROM ratings GROUP BY user_id ORDER BY user_id LIMIT 3) r
            WHERE l.user_id = r.user_id
            """)
        try connection.execute("UPDATE ratings SET imported_at = imported_at - interval '1 day'")
        var findings = try audit()
        XCTAssertEqual(findings["no_rated_item_in_active_lists"]!.violations, 3, findings["no_rated_item_in_active_lists"]!.detail)
        try connection.execute("""
            UPDATE recommendation_lists SET items = items || items[1:1], scores = scores || scores[1:1]
            WHERE user_id = (SELECT min(user_id) FROM recommendation_lists)
            """)
        findings = try audit()
        XCTAssertEqual(findings["list_lengths_match_top"]!.violations, 1, findings["list_lengths_match_top"]!.detail)
    }
}
