import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// A consistent snapshot of the ratings, read in one REPEATABLE READ transaction: what training
/// sees even while imports run. The ratings come by binary COPY, in (user id, item id) order,
/// straight into column arrays (numbers only, no text per row); the users' and items' external ids
/// follow, once each, as bytes. The file reader's rating rules apply: a rating outside
/// `RatingRules.standard` (one written by SQL, say 3e38) is left out and counted, never trained.
public struct RatingSnapshot: Sendable {
    public var ratings: Ratings
    /// Ratings left out for breaking the rating rules, and the first of them as text.
    public var skipped = 0
    public var skippedExample = ""
    /// Number of ratings and the newest rating time (Unix seconds, 0 when none has one).
    public var count: Int { ratings.count }
    public var newest: Int64

    /// Dense indices for database ids in order of first appearance.
    struct DenseIDs {
        var indexByID: [Int64: Int32] = [:]
        var ids: [Int64] = []
        var last: (id: Int64, index: Int32) = (-1, -1)

        mutating func index(_ id: Int64) -> Int32 {
            if id == last.id { return last.index }
            let i: Int32
            if let known = indexByID[id] { i = known } else {
                i = Int32(ids.count)
                indexByID[id] = i
                ids.append(id)
            }
            last = (id, i)
            return i
        }
    }

    public static func read(_ connection: Connection) throws -> RatingSnapshot {
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let snapshot = try readInTransaction(connection)
            try connection.execute("COMMIT")
            return snapshot
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private static func readInTransaction(_ connection: Connection) throws -> RatingSnapshot {
        let estimate = Int(Double(try connection.scalar("SELECT reltuples FROM pg_class WHERE oid = 'ratings'::regclass") ?? "0") ?? 0)
        let capacity = max(0, estimate) + max(0, estimate) / 20 + 1024
        var users = DenseIDs(), items = DenseIDs()
        var userIndex: [Int32] = [], itemIndex: [Int32] = [], values: [Float] = [], timestamps: [Int64] = []
        userIndex.reserveCapacity(capacity); itemIndex.reserveCapacity(capacity)
        values.reserveCapacity(capacity); timestamps.reserveCapacity(capacity)
        var newest: Int64 = 0
        var skipped: [(user: Int64, item: Int64, rating: Float)] = []
        let allowed = RatingRules.standard.ratingRange
        try connection.copyOutBinary("""
            COPY (SELECT user_id, item_id, rating, rated_at FROM ratings ORDER BY user_id, item_id) TO STDOUT (FORMAT binary)
            """) { row in
            guard row.count == 4 else { throw StoreError("unexpected row in the ratings snapshot") }
            guard allowed.contains(row.float32(2)) else {
                skipped.append((row.int64(0), row.int64(1), row.float32(2)))
                return
            }
            userIndex.append(users.index(row.int64(0)))
            itemIndex.append(items.index(row.int64(1)))
            values.append(row.float32(2))
            let t = row.isNull(3) ? 0 : row.unixSeconds(3)
            timestamps.append(t)
            newest = max(newest, t)
        }
        let userNames = try externalIDs("users", of: users, connection)
        let itemNames = try externalIDs("items", of: items, connection)
        let ratings = Ratings(users: IDMap(userNames), items: IDMap(itemNames), userIndex: userIndex, itemIndex: itemIndex,
                              values: values, timestamps: timestamps)
        let example = skipped.first.map { "user id \($0.user), item id \($0.item): rating \($0.rating) is outside \(allowed.lowerBound)...\(allowed.upperBound)" }
        return RatingSnapshot(ratings: ratings, skipped: skipped.count, skippedExample: example ?? "", newest: newest)
    }

    /// The external ids of the rows of `table` that `dense` numbered, in its order.
    private static func externalIDs(_ table: String, of dense: DenseIDs, _ connection: Connection) throws -> [String] {
        var names = [String](repeating: "", count: dense.ids.count)
        try connection.copyOutBinary("COPY (SELECT id, external_id FROM \(table)) TO STDOUT (FORMAT binary)") { row in
            if let i = dense.indexByID[row.int64(0)] { names[Int(i)] = row.text(1) }
        }
        return names
    }
}
