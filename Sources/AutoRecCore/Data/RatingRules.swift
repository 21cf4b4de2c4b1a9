/// What a ratings file may hold beyond its syntax: one set of rules for training and for import,
/// so that a file that trains also imports, and both keep the same rating of a duplicated pair.
public struct RatingRules: Sendable, Equatable {
    /// Ratings outside are refused as implausible: a stray separator ("242,3" read as an item and a
    /// timestamp read as the rating) or a corrupt value would otherwise train a model to nonsense.
    /// The default covers star scales and counts; `--rating-range MIN:MAX` widens it.
    public var ratingRange: ClosedRange<Float>

    /// Timestamps (Unix seconds) must fall in years 1 to 9999, which PostgreSQL's timestamptz holds.
    public static let timestampRange: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    public static let defaultRatingRange: ClosedRange<Float> = -10_000...10_000
    public static let standard = RatingRules(ratingRange: defaultRatingRange)

    public init(ratingRange: ClosedRange<Float> = RatingRules.defaultRatingRange) {
        self.ratingRange = ratingRange
    }

    /// Parses `MIN:MAX` (as `--rating-range` takes it); nil when malformed or not finite and ordered.
    public static func ratingRange(parsing text: String) -> ClosedRange<Float>? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = Float(parts[0]), let hi = Float(parts[1]),
              lo.isFinite, hi.isFinite, lo <= hi else { return nil }
        return lo...hi
    }
}

extension Ratings {
    /// The table with one rating per (user, item): of a duplicated pair the newest timestamp wins,
    /// then the later line (the importer's rule). Returns the table itself when it has no duplicates.
    public func keepingNewestOfDuplicates() -> (ratings: Ratings, dropped: Int) {
        // Files are usually grouped by user: each user's ratings are then one run, visited in place.
        let order: [Int32] = userRuns() ? [] : positionsByUser()
        var dropped: [Int] = []
        // For each item, the user whose ratings saw it last and that rating's position.
        var seenBy = [Int32](repeating: -1, count: items.count)
        var seenAt = [Int32](repeating: 0, count: items.count)
        seenBy.withUnsafeMutableBufferPointer { by in
            seenAt.withUnsafeMutableBufferPointer { at in
                for slot in 0..<count {
                    let k = order.isEmpty ? slot : Int(order[slot])
                    let u = userIndex[k], i = Int(itemIndex[k])
                    guard by[i] == u else { by[i] = u; at[i] = Int32(k); continue }
                    let other = Int(at[i])
                    // Positions grow within a user's ratings, so k is the later line.
                    if timestamps[k] >= timestamps[other] { dropped.append(other); at[i] = Int32(k) } else { dropped.append(k) }
                }
            }
        }
        guard !dropped.isEmpty else { return (self, 0) }
        var keep = [Bool](repeating: true, count: count)
        for k in dropped { keep[k] = false }
        return (subset((0..<count).filter { keep[$0] }), dropped.count)
    }

    /// Whether each user's ratings are contiguous (one run per user).
    func userRuns() -> Bool {
        var started = [Bool](repeating: false, count: users.count)
        var last: Int32 = -1
        for u in userIndex where u != last {
            if started[Int(u)] { return false }
            started[Int(u)] = true
            last = u
        }
        return true
    }

    /// All positions ordered by user, in file order within a user (a counting sort).
    func positionsByUser() -> [Int32] {
        var next = [Int](repeating: 0, count: users.count + 1)
        for u in userIndex { next[Int(u) + 1] += 1 }
        for u in 0..<users.count { next[u + 1] += next[u] }
        var byUser = [Int32](repeating: 0, count: count)
        for k in 0..<count {
            let u = Int(userIndex[k])
            byUser[next[u]] = Int32(k)
            next[u] += 1
        }
        return byUser
    }
}
