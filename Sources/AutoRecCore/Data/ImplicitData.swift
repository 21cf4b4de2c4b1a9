import Linalg

/// Ratings read as implicit feedback: a users x items matrix of ones (each pair once), the input of
/// every top-N model. Built from a ratings table with an optional positive threshold.
public struct ImplicitData: Sendable {
    public let users: IDMap
    public let items: IDMap
    /// users x items, value 1 per interaction, columns sorted in each row.
    public let matrix: CSRMatrix

    /// Every entry with a value of at least `positive` (all entries when nil) becomes an interaction.
    /// Users and items without any kept interaction still keep their index.
    public init(_ ratings: Ratings, positive: Float? = nil) {
        let r = ratings.implicit(threshold: positive)
        users = r.users
        items = r.items
        matrix = r.userItemMatrix()
    }

    public init(users: IDMap, items: IDMap, matrix: CSRMatrix) {
        precondition(matrix.rows == users.count && matrix.cols == items.count)
        self.users = users
        self.items = items
        self.matrix = matrix
    }

    public var interactions: Int { matrix.nonZeros }

    /// Holds out a seeded share of each user's items (users with at least 2 keep at least one in
    /// training): the rest as a matrix of the same shape, the held-out items per user. For tuning
    /// and early stopping on the training data only, the way the test split was made.
    public func holdOut(fraction: Double, seed: UInt64) -> (train: CSRMatrix, heldOut: [Int: Set<Int>]) {
        var rng = SeededRandom(seed: seed)
        var kept: [(row: Int, col: Int, value: Float)] = []
        var held: [Int: Set<Int>] = [:]
        for u in 0..<matrix.rows {
            var cols = (matrix.rowStart[u]..<matrix.rowStart[u + 1]).map { Int(matrix.columns[$0]) }
            let n = cols.count
            let h = n >= 2 ? min(n - 1, Int((Double(n) * fraction).rounded())) : 0
            rng.shuffle(&cols)
            if h > 0 { held[u] = Set(cols[0..<h]) }
            for c in cols[h...] { kept.append((u, c, 1)) }
        }
        return (CSRMatrix(rows: matrix.rows, cols: matrix.cols, entries: kept), held)
    }

    /// Interactions per item (popularity).
    public func itemCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: matrix.cols)
        for c in matrix.columns { counts[Int(c)] += 1 }
        return counts
    }
}
