import Linalg

/// Every item each user has rated in the store, in a model's dense indices (users x items): what the
/// scorer leaves out of every list, whether or not the model trained on the rating (a holdout, a
/// rating under `--positive`, one imported after the snapshot). Read in one binary COPY of the
/// ratings' keys, numbers only.
enum RatedItems {
    /// Dense model indices by database id: an array when the ids are compact (bigserial), else a dictionary.
    struct DatabaseIndex {
        private var dense: [Int32] = []
        private var sparse: [Int64: Int32] = [:]

        init(_ databaseIDs: [Int64]) {
            let largest = databaseIDs.max() ?? 0
            if largest < Int64(4 * databaseIDs.count + 1_000_000) {
                dense = [Int32](repeating: -1, count: Int(max(0, largest)) + 1)
                for (index, id) in databaseIDs.enumerated() where id >= 0 { dense[Int(id)] = Int32(index) }
            } else {
                for (index, id) in databaseIDs.enumerated() where id >= 0 { sparse[id] = Int32(index) }
            }
        }

        /// The model index of database id `id`, or -1 when the model does not have it.
        func index(_ id: Int64) -> Int32 {
            if !dense.isEmpty || sparse.isEmpty { return id >= 0 && id < Int64(dense.count) ? dense[Int(id)] : -1 }
            return sparse[id] ?? -1
        }
    }

    /// The rated (user, item) pairs of the users and items whose database ids are `userIDs` and
    /// `itemIDs` (by model index; -1 for none), as a users x items matrix of ones.
    static func read(_ connection: Connection, userIDs: [Int64], itemIDs: [Int64]) throws -> CSRMatrix {
        let users = DatabaseIndex(userIDs), items = DatabaseIndex(itemIDs)
        var rowOf: [Int32] = [], columnOf: [Int32] = []
        try connection.copyOutBinary("COPY (SELECT user_id, item_id FROM ratings) TO STDOUT (FORMAT binary)") { row in
            let u = users.index(row.int64(0)), i = items.index(row.int64(1))
            guard u >= 0, i >= 0 else { return }
            rowOf.append(u)
            columnOf.append(i)
        }
        return byRow(rows: userIDs.count, cols: itemIDs.count, rowOf: rowOf, columnOf: columnOf)
    }

    /// The pairs as a CSR matrix of ones (a counting sort by row).
    static func byRow(rows: Int, cols: Int, rowOf: [Int32], columnOf: [Int32]) -> CSRMatrix {
        var rowStart = [Int](repeating: 0, count: rows + 1)
        for u in rowOf { rowStart[Int(u) + 1] += 1 }
        for u in 0..<rows { rowStart[u + 1] += rowStart[u] }
        var next = rowStart
        var columns = [Int32](repeating: 0, count: rowOf.count)
        for (k, u) in rowOf.enumerated() {
            columns[next[Int(u)]] = columnOf[k]
            next[Int(u)] += 1
        }
        return CSRMatrix(rows: rows, cols: cols, rowStart: rowStart, columns: columns,
                         values: [Float](repeating: 1, count: columns.count))
    }
}
