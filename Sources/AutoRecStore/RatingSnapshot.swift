import Foundation
import AutoRec

/// A consistent snapshot of the ratings, read in one REPEATABLE READ transaction through COPY:
/// what training sees even while imports run.
public struct RatingSnapshot: Sendable {
    public var ratings: Ratings
    /// Number of ratings and the newest rating time (Unix seconds, 0 when none has one).
    public var count: Int { ratings.count }
    public var newest: Int64

    public static func read(_ connection: Connection) throws -> RatingSnapshot {
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            var r = Ratings()
            var newest: Int64 = 0
            try connection.copyOut("""
                COPY (SELECT u.external_id, i.external_id, r.rating, coalesce(extract(epoch FROM r.rated_at)::bigint, 0)
                      FROM ratings r JOIN users u ON u.id = r.user_id JOIN items i ON i.id = r.item_id
                      ORDER BY r.user_id, r.item_id) TO STDOUT
                """) { row in
                guard row.count == 4, let u = row[0], let i = row[1], let v = row[2].flatMap(Float.init) else {
                    throw StoreError("unexpected row in the ratings snapshot")
                }
                let ts = row[3].flatMap { Int64($0) } ?? 0
                newest = max(newest, ts)
                r.append(user: u, item: i, value: v, timestamp: ts)
            }
            try connection.execute("COMMIT")
            return RatingSnapshot(ratings: r, newest: newest)
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
