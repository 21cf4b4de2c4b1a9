import Linalg

/// A table of ratings with its id maps: the plain value every model trains on, whether it came from
/// a file or from the store. Entries are parallel arrays of dense indices.
public struct Ratings: Sendable {
    public var users: IDMap
    public var items: IDMap
    public var userIndex: [Int32]
    public var itemIndex: [Int32]
    public var values: [Float]
    /// Unix seconds, 0 when the source had none.
    public var timestamps: [Int64]

    public init(users: IDMap = IDMap(), items: IDMap = IDMap(), userIndex: [Int32] = [], itemIndex: [Int32] = [],
                values: [Float] = [], timestamps: [Int64] = []) {
        precondition(userIndex.count == itemIndex.count && itemIndex.count == values.count)
        self.users = users
        self.items = items
        self.userIndex = userIndex
        self.itemIndex = itemIndex
        self.values = values
        self.timestamps = timestamps.isEmpty ? [Int64](repeating: 0, count: values.count) : timestamps
    }

    public var count: Int { values.count }

    /// Appends a rating by external ids, adding new users and items to the maps.
    public mutating func append(user: String, item: String, value: Float, timestamp: Int64 = 0) {
        userIndex.append(users.insert(user))
        itemIndex.append(items.insert(item))
        values.append(value)
        timestamps.append(timestamp)
    }

    /// The mean rating (0 for an empty table).
    public var mean: Float {
        if values.isEmpty { return 0 }
        var s = 0.0
        for v in values { s += Double(v) }
        return Float(s / Double(values.count))
    }

    /// Smallest and largest rating value.
    public var range: ClosedRange<Float> {
        guard let lo = values.min(), let hi = values.max() else { return 0...0 }
        return lo...hi
    }

    /// A user x item sparse matrix of the ratings (the last duplicate wins).
    public func userItemMatrix() -> CSRMatrix {
        var entries: [(row: Int, col: Int, value: Float)] = []
        entries.reserveCapacity(count)
        for k in 0..<count { entries.append((Int(userIndex[k]), Int(itemIndex[k]), values[k])) }
        return CSRMatrix(rows: users.count, cols: items.count, entries: entries)
    }

    /// The entries at `positions`, keeping the same id maps.
    public func subset(_ positions: [Int]) -> Ratings {
        Ratings(users: users, items: items,
                userIndex: positions.map { userIndex[$0] }, itemIndex: positions.map { itemIndex[$0] },
                values: positions.map { values[$0] }, timestamps: positions.map { timestamps[$0] })
    }

    /// Splits off a random `fraction` of the entries (reproducible for a seed); both parts keep the id maps.
    public func randomSplit(fraction: Double, seed: UInt64) -> (rest: Ratings, heldOut: Ratings) {
        var order = Array(0..<count)
        var rng = SeededRandom(seed: seed)
        rng.shuffle(&order)
        let n = Int((Double(count) * fraction).rounded())
        let held = Array(order[0..<n]).sorted()
        let rest = Array(order[n...]).sorted()
        return (subset(rest), subset(held))
    }
}

extension Ratings {
    /// The same table read as implicit feedback: the entries with a value of at least `threshold`
    /// (every entry when nil), each with value 1. The id maps are kept.
    public func implicit(threshold: Float?) -> Ratings {
        let keep = (0..<count).filter { k in threshold.map { values[k] >= $0 } ?? true }
        var r = subset(keep)
        r.values = [Float](repeating: 1, count: keep.count)
        return r
    }
}
