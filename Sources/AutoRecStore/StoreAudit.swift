import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// `autorec db check`: the store's serving invariants (docs/ARCHITECTURE.md, "What is served"),
/// checked on a live store. Each check counts what breaks it; the store passes when every count is 0.
/// Ratings carry `imported_at` and models `lists_as_of`, so a rating imported after the lists were
/// written (which the serving views drop) is told apart from one the scorer should have masked.
public enum StoreAudit {
    /// One invariant: its name, what breaks it (0 to pass), and a line for people.
    public struct Finding: Sendable {
        public var check: String
        public var violations: Int
        public var detail: String
        public var passed: Bool { violations == 0 }
    }

    /// Every check, in order; `progress` hears each one's name as it starts.
    public static func run(_ connection: Connection, progress: ((String) -> Void)? = nil) throws -> [Finding] {
        let checks: [(String, (Connection) throws -> Finding)] = [
            ("one active model per task", oneActiveModel),
            ("no rated item in an active list", noRatedItems),
            ("every rated user has a list", everyUserHasAList),
            ("list lengths match --top", listLengths),
            ("no leftover staging tables", noLeftoverStaging),
            ("every stored model file verifies", artifactsVerify),
        ]
        return try checks.map { name, check in
            progress?("checking: \(name)")
            return try check(connection)
        }
    }

    /// The condition on `models m` of the active models that serve top-N lists (embeddings have none).
    static let serving = "m.status = 'active' AND m.task <> '\(EmbeddingStore.task)'"

    static func count(_ connection: Connection, _ sql: String) throws -> [Int] {
        (try connection.execute(sql).rows.first ?? []).map { $0.flatMap(Int.init) ?? 0 }
    }

    static func oneActiveModel(_ c: Connection) throws -> Finding {
        let n = try count(c, "SELECT count(*) FROM (SELECT task FROM models WHERE status = 'active' GROUP BY task HAVING count(*) > 1) t")[0]
        return Finding(check: "one_active_model_per_task", violations: n, detail: "\(n) task(s) with more than one active model")
    }

    static func noRatedItems(_ c: Connection) throws -> Finding {
        let n = try count(c, """
            SELECT count(*) FILTER (WHERE m.lists_as_of IS NULL OR r.imported_at < m.lists_as_of),
                   count(*) FILTER (WHERE r.imported_at >= m.lists_as_of),
                   (SELECT count(*) FROM recommendation_lists l JOIN models m ON m.id = l.model_id WHERE \(serving))
            FROM models m
            JOIN recommendation_lists l ON l.model_id = m.id
            CROSS JOIN LATERAL unnest(l.items) AS e (item_id)
            JOIN ratings r ON r.user_id = l.user_id AND r.item_id = e.item_id
            WHERE \(serving)
            """)
        return Finding(check: "no_rated_item_in_active_lists", violations: n[0],
                       detail: "\(n[0]) rated item(s) in \(n[2]) active lists; \(n[1]) more rated since scoring (the serving views drop them)")
    }

    static func everyUserHasAList(_ c: Connection) throws -> Finding {
        let n = try count(c, """
            SELECT count(*) FILTER (WHERE m.lists_as_of IS NULL OR u.first_import < m.lists_as_of),
                   count(*) FILTER (WHERE u.first_import >= m.lists_as_of)
            FROM (SELECT user_id, min(imported_at) AS first_import FROM ratings GROUP BY user_id) u
            CROSS JOIN models m
            WHERE \(serving)
              AND NOT EXISTS (SELECT 1 FROM recommendation_lists l WHERE l.model_id = m.id AND l.user_id = u.user_id)
            """)
        return Finding(check: "every_rated_user_has_a_list", violations: n[0],
                       detail: "\(n[0]) user(s) with ratings but no list of the active model; \(n[1]) new since scoring (answered by the model)")
    }

    static func listLengths(_ c: Connection) throws -> Finding {
        let n = try count(c, """
            SELECT count(*) FILTER (WHERE cardinality(l.items) > m.lists_top),
                   count(*) FILTER (WHERE cardinality(l.items) < m.lists_top
                                    AND cardinality(l.items) + coalesce(rc.n, 0) < (SELECT count(*) FROM items)),
                   count(*)
            FROM models m
            JOIN recommendation_lists l ON l.model_id = m.id
            LEFT JOIN (SELECT user_id, count(*) AS n FROM ratings GROUP BY user_id) rc ON rc.user_id = l.user_id
            WHERE \(serving) AND m.lists_top IS NOT NULL
            """)
        return Finding(check: "list_lengths_match_top", violations: n[0] + n[1],
                       detail: "\(n[0]) list(s) longer and \(n[1]) shorter than --top (with unrated items left) of \(n[2])")
    }

    static func noLeftoverStaging(_ c: Connection) throws -> Finding {
        let tables = try RecommendationStore(connection: c).stagingTables()
        let names = tables.map { "recommendation_lists_m\($0.modelID)_next (\($0.finishedShards) shard(s) done)" }
        return Finding(check: "no_leftover_staging_tables", violations: tables.count,
                       detail: tables.isEmpty ? "0 staging tables" : "\(tables.count) staging table(s): \(names.joined(separator: ", ")); the next nightly drops those of killed runs")
    }

    static func artifactsVerify(_ c: Connection) throws -> Finding {
        let registry = ModelRegistry(connection: c)
        let ids = try c.execute("SELECT id FROM models WHERE task <> $1 ORDER BY id", [EmbeddingStore.task]).rows.compactMap { $0[0].flatMap(Int.init) }
        var broken: [String] = []
        for id in ids {
            do { _ = try ModelFile.decode(try registry.artifact(id), source: "registry model \(id)") } catch { broken.append("model \(id): \(error)") }
        }
        return Finding(check: "every_stored_model_file_verifies", violations: broken.count,
                       detail: broken.isEmpty ? "\(ids.count) model file(s) verified" : broken.joined(separator: "; "))
    }
}
