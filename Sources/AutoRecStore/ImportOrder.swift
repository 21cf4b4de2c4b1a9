import AutoRec
import Linalg
import AutoRecCore
import AutoRecModels

/// The order in which an import writes its ratings: one entry per distinct (user, item) pair, sorted
/// by database user id, then item id, so that the primary key is built from sorted input and the
/// table is laid out by user. Of a pair's duplicates in the file the newest wins, the later line on
/// a tie (the same rule the upsert applies against the store).
struct ImportOrder {
    /// Positions in the `Ratings` of the entries kept, in write order.
    var positions: [Int32]

    /// Groups the entries by user with a counting sort (users ranked by database id), then sorts
    /// each user's entries by item id, timestamp and position, and keeps the last of each item.
    init(_ ratings: Ratings, userIDs: [Int64], itemIDs: [Int64]) {
        let userRank = Self.ranks(of: userIDs)
        var start = [Int](repeating: 0, count: userIDs.count + 1)
        for u in ratings.userIndex { start[Int(userRank[Int(u)]) + 1] += 1 }
        for r in 0..<userIDs.count { start[r + 1] += start[r] }
        var grouped = [Int32](repeating: 0, count: ratings.count)
        var next = start
        for k in 0..<ratings.count {
            let r = Int(userRank[Int(ratings.userIndex[k])])
            grouped[next[r]] = Int32(k)
            next[r] += 1
        }
        let itemRank = Self.ranks(of: itemIDs)
        var kept = [Int](repeating: 0, count: userIDs.count)
        grouped.withUnsafeMutableBufferPointer { g in
            ratings.itemIndex.withUnsafeBufferPointer { items in
                ratings.timestamps.withUnsafeBufferPointer { times in
                    kept.withUnsafeMutableBufferPointer { keptCount in
                        Parallel.forChunks(userIDs.count) { _, users in
                            var keys = [UInt64](), original = [Int32]()
                            for r in users {
                                let segment = UnsafeMutableBufferPointer(rebasing: g[start[r]..<start[r + 1]])
                                keptCount[r] = Self.sortAndDeduplicate(segment, itemRank: itemRank, items: items,
                                                                       times: times, keys: &keys, original: &original)
                            }
                        }
                    }
                }
            }
        }
        var out = [Int32]()
        out.reserveCapacity(kept.reduce(0, +))
        for r in 0..<userIDs.count { out.append(contentsOf: grouped[start[r]..<(start[r] + kept[r])]) }
        positions = out
    }

    /// The rank of each value in ascending order (values are distinct database ids).
    static func ranks(of ids: [Int64]) -> [Int32] {
        let sorted = ids.indices.sorted { ids[$0] < ids[$1] }
        var rank = [Int32](repeating: 0, count: ids.count)
        for (r, i) in sorted.enumerated() { rank[i] = Int32(r) }
        return rank
    }

    /// Sorts one user's entries by item and moves the winner of each item to the front; returns
    /// how many. Keys pack the item's rank over the entry's place in the file, so the sort is one of
    /// plain integers and equal items stay in file order.
    private static func sortAndDeduplicate(_ segment: UnsafeMutableBufferPointer<Int32>, itemRank: [Int32],
                                           items: UnsafeBufferPointer<Int32>, times: UnsafeBufferPointer<Int64>,
                                           keys: inout [UInt64], original: inout [Int32]) -> Int {
        keys.removeAll(keepingCapacity: true)
        for (local, p) in segment.enumerated() {
            keys.append(UInt64(UInt32(itemRank[Int(items[Int(p)])])) << 32 | UInt64(local))
        }
        keys.sort()
        original.removeAll(keepingCapacity: true)
        original.append(contentsOf: segment)
        var write = 0
        var k = 0
        while k < keys.count {
            var winner = original[Int(keys[k] & 0xFFFF_FFFF)]
            var next = k + 1
            while next < keys.count && keys[next] >> 32 == keys[k] >> 32 {
                let candidate = original[Int(keys[next] & 0xFFFF_FFFF)]
                if !isNewer(time(times, winner), than: time(times, candidate)) { winner = candidate }
                next += 1
            }
            segment[write] = winner
            write += 1
            k = next
        }
        return write
    }

    /// An entry's timestamp, with 0 ("none") below every real one.
    @inline(__always)
    private static func time(_ times: UnsafeBufferPointer<Int64>, _ p: Int32) -> Int64 {
        let t = times[Int(p)]
        return t == 0 ? Int64.min : t
    }

    /// Whether the earlier line's time beats a later line's: only when strictly newer.
    @inline(__always)
    private static func isNewer(_ earlier: Int64, than later: Int64) -> Bool { earlier > later }
}
