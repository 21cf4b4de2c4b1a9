import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// A nightly run's row in `job_runs`: started, the models it registered noted as soon as they
/// exist, then succeeded or failed. Starting a run also cleans up after runs that were killed (the
/// caller holds the nightly lock, so none of them is alive): marks them failed and drops the
/// unpublished lists of the models they registered, and any other abandoned staging table.
struct NightlyRunRecord {
    let connection: Connection
    let runID: Int

    static func start(_ connection: Connection, progress: ((String) -> Void)?) throws -> NightlyRunRecord {
        let killedModels = try connection.execute("""
            UPDATE job_runs SET status = 'failed', finished_at = now(), error = 'interrupted (the process ended without finishing)'
            WHERE job = 'nightly' AND status = 'running'
            RETURNING metrics->'models'
            """).rows.flatMap { row in
            (row[0] ?? "").split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        }
        let store = RecommendationStore(connection: connection)
        var dropped = 0
        for model in killedModels where try store.dropUnpublished(modelID: model) { dropped += 1 }
        dropped += try store.dropAbandonedStaging()
        if dropped > 0 { progress?("dropped \(dropped) staging table(s) that killed runs left behind") }
        guard let id = try connection.scalar("INSERT INTO job_runs (job) VALUES ('nightly') RETURNING id").flatMap(Int.init) else {
            throw StoreError("could not record the job run")
        }
        return NightlyRunRecord(connection: connection, runID: id)
    }

    /// Records the models the run has registered so far, so that a later run can clean up after it.
    static func note(_ connection: Connection, runID: Int, models: [Int]) throws {
        try connection.execute("UPDATE job_runs SET metrics = jsonb_build_object('models', $2::jsonb) WHERE id = $1",
                               [String(runID), "[" + models.map(String.init).joined(separator: ",") + "]"])
    }

    func succeed(_ report: NightlyJob.Report, steps: [(name: String, seconds: Double)]) throws {
        let activeScore: Any = report.activeScore.map { $0 as Any } ?? NSNull()
        let servedID: Any = report.servedID.map { $0 as Any } ?? NSNull()
        let models: [Int] = [report.candidateID] + (report.servedID.map { [$0] } ?? [])
        let metrics = try JSONValue.encode([
            "metric": report.metric.rawValue, "candidate_holdout": report.candidateScore, "active_holdout": activeScore,
            "candidate_id": report.candidateID, "served_id": servedID, "users_scored": report.usersScored,
            "models": models,
            "snapshot_ratings": report.snapshotRatings, "skipped_ratings": report.skippedRatings,
            "candidate_epochs": report.epochs, "served_epochs": report.servedEpochs] as [String: Any])
        try connection.execute("""
            UPDATE job_runs SET status = 'succeeded', finished_at = now(), steps = $2::jsonb, metrics = $3::jsonb, decision = $4
            WHERE id = $1
            """, [String(runID), Self.stepsJSON(steps), metrics, report.decision])
    }

    func fail(_ error: Error, steps: [(name: String, seconds: Double)]) {
        _ = try? connection.execute("ROLLBACK")
        let models = (try? connection.scalar("SELECT metrics->'models' FROM job_runs WHERE id = $1", [String(runID)])) ?? nil
        for model in (models ?? "").split(whereSeparator: { !$0.isNumber }).compactMap({ Int($0) }) {
            _ = try? RecommendationStore(connection: connection).dropUnpublished(modelID: model)
        }
        _ = try? connection.execute("""
            UPDATE job_runs SET status = 'failed', finished_at = now(), steps = $2::jsonb, error = $3 WHERE id = $1
            """, [String(runID), Self.stepsJSON(steps), "\(error)"])
    }

    static func stepsJSON(_ steps: [(name: String, seconds: Double)]) -> String {
        let o = Dictionary(uniqueKeysWithValues: steps.map { ($0.name, ($0.seconds * 1000).rounded() / 1000) })
        return (try? JSONValue.encode(o)) ?? "{}"
    }
}
