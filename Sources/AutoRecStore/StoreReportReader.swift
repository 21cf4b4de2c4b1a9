import Foundation
import AutoRec
import AutoRecModels
import AutoRecReport

/// Reads what `autorec report --from-db` shows: the registry's models (metrics and the learning
/// curve their file headers keep) and every nightly run of `job_runs`.
public enum StoreReportReader {
    /// The order the nightly job runs its steps in; a step it adds later goes after them.
    static let stepOrder = ["snapshot", "train", "evaluate", "register", "score", "activate"]

    public static func read(_ connection: Connection) throws -> StoreReport {
        let database = try connection.scalar("SELECT current_database() || ' on ' || coalesce(inet_server_addr()::text, 'a local socket')") ?? "the store"
        let models = try connection.execute("""
            SELECT id, kind, task, status, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS'), metrics::text, (hyperparameters -> 'learning_curve')::text
            FROM models ORDER BY id
            """).rows.map(model)
        let runs = try connection.execute("""
            SELECT id, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS'), status, decision, error, metrics::text, steps::text
            FROM job_runs WHERE job = 'nightly' ORDER BY id
            """).rows.map(run)
        return StoreReport(database: database, models: models, runs: runs)
    }

    static func model(_ r: [String?]) -> StoreReport.Model {
        let metrics = object(r[5]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        let curve = r[6].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
        return StoreReport.Model(id: Int(r[0] ?? "") ?? 0, kind: r[1] ?? "?", task: r[2] ?? "?", status: r[3] ?? "?",
                                 createdAt: r[4] ?? "", metrics: metrics, curve: LearningCurve(header: curve))
    }

    static func run(_ r: [String?]) -> StoreReport.Run {
        let metrics = object(r[5])
        let steps = object(r[6]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        let ordered = steps.keys.sorted { a, b in
            let (i, j) = (stepOrder.firstIndex(of: a) ?? stepOrder.count, stepOrder.firstIndex(of: b) ?? stepOrder.count)
            return i != j ? i < j : a < b
        }
        func number(_ key: String) -> Double? { (metrics[key] as? NSNumber)?.doubleValue }
        return StoreReport.Run(id: Int(r[0] ?? "") ?? 0, startedAt: r[1] ?? "", status: r[2] ?? "?", decision: r[3], error: r[4],
                               metric: metrics["metric"] as? String, candidate: number("candidate_holdout"),
                               active: number("active_holdout"), candidateID: number("candidate_id").map { Int($0) },
                               steps: ordered.map { ($0, steps[$0]!) })
    }

    private static func object(_ text: String?) -> [String: Any] {
        guard let text, let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return value
    }
}
