/// Compressed sparse rows: row `r` holds `columns[rowStart[r]..<rowStart[r+1]]` with `values` alongside.
/// The natural shape of a ratings table: one row per user (or item), only observed entries stored.
public struct CSRMatrix: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    public var rowStart: [Int]
    public var columns: [Int32]
    public var values: [Float]

    public var nonZeros: Int { columns.count }

    public init(rows: Int, cols: Int, rowStart: [Int], columns: [Int32], values: [Float]) {
        precondition(rowStart.count == rows + 1 && columns.count == values.count)
        self.rows = rows
        self.cols = cols
        self.rowStart = rowStart
        self.columns = columns
        self.values = values
    }

    /// Builds from coordinate triples; duplicates keep the last value. Columns end up sorted in each row.
    public init(rows: Int, cols: Int, entries: [(row: Int, col: Int, value: Float)]) {
        var counts = [Int](repeating: 0, count: rows + 1)
        for e in entries {
            precondition(e.row >= 0 && e.row < rows && e.col >= 0 && e.col < cols, "entry out of shape")
            counts[e.row + 1] += 1
        }
        for r in 0..<rows { counts[r + 1] += counts[r] }
        var next = counts
        var cols32 = [Int32](repeating: 0, count: entries.count)
        var vals = [Float](repeating: 0, count: entries.count)
        for e in entries {
            let p = next[e.row]
            cols32[p] = Int32(e.col)
            vals[p] = e.value
            next[e.row] += 1
        }
        // Sort each row by column (stable, so the last duplicate wins after dedup below).
        var outStart = [Int](repeating: 0, count: rows + 1)
        var outCols: [Int32] = []
        var outVals: [Float] = []
        outCols.reserveCapacity(entries.count)
        outVals.reserveCapacity(entries.count)
        for r in 0..<rows {
            let range = counts[r]..<counts[r + 1]
            let order = range.sorted { a, b in cols32[a] != cols32[b] ? cols32[a] < cols32[b] : a < b }
            var i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && cols32[order[j + 1]] == cols32[order[i]] { j += 1 }
                outCols.append(cols32[order[j]])
                outVals.append(vals[order[j]])
                i = j + 1
            }
            outStart[r + 1] = outCols.count
        }
        self.init(rows: rows, cols: cols, rowStart: outStart, columns: outCols, values: outVals)
    }

    /// This matrix with the entries (rows[k], columns[k], values[k]) added, each row kept sorted by
    /// column. The entries must not already be stored (the parts of a split, merged back).
    public func adding(rows addedRows: [Int32], columns addedColumns: [Int32], values addedValues: [Float]) -> CSRMatrix {
        precondition(addedRows.count == addedColumns.count && addedRows.count == addedValues.count)
        let order = addedRows.indices.sorted {
            (addedRows[$0], addedColumns[$0]) < (addedRows[$1], addedColumns[$1])
        }
        var start = [Int](repeating: 0, count: rows + 1)
        for r in 0..<rows { start[r + 1] = count(ofRow: r) }
        for r in addedRows {
            precondition(r >= 0 && Int(r) < rows, "entry out of shape")
            start[Int(r) + 1] += 1
        }
        for r in 0..<rows { start[r + 1] += start[r] }
        var outColumns = [Int32](repeating: 0, count: start[rows])
        var outValues = [Float](repeating: 0, count: start[rows])
        var next = 0
        for r in 0..<rows {
            var p = rowStart[r], q = start[r]
            while p < rowStart[r + 1] || (next < order.count && Int(addedRows[order[next]]) == r) {
                let takeAdded = p == rowStart[r + 1]
                    || (next < order.count && Int(addedRows[order[next]]) == r && addedColumns[order[next]] < columns[p])
                if takeAdded {
                    precondition(addedColumns[order[next]] >= 0 && Int(addedColumns[order[next]]) < cols, "entry out of shape")
                    outColumns[q] = addedColumns[order[next]]; outValues[q] = addedValues[order[next]]; next += 1
                } else {
                    outColumns[q] = columns[p]; outValues[q] = values[p]; p += 1
                }
                q += 1
            }
        }
        return CSRMatrix(rows: rows, cols: cols, rowStart: start, columns: outColumns, values: outValues)
    }

    /// The number of stored entries in row `r`.
    @inlinable public func count(ofRow r: Int) -> Int { rowStart[r + 1] - rowStart[r] }

    /// The same entries, one row per former column (CSR of the transpose, i.e. CSC of this matrix).
    public func transposed() -> CSRMatrix {
        var start = [Int](repeating: 0, count: cols + 1)
        for c in columns { start[Int(c) + 1] += 1 }
        for c in 0..<cols { start[c + 1] += start[c] }
        var next = start
        var outCols = [Int32](repeating: 0, count: nonZeros)
        var outVals = [Float](repeating: 0, count: nonZeros)
        for r in 0..<rows {
            for p in rowStart[r]..<rowStart[r + 1] {
                let c = Int(columns[p])
                outCols[next[c]] = Int32(r)
                outVals[next[c]] = values[p]
                next[c] += 1
            }
        }
        return CSRMatrix(rows: cols, cols: rows, rowStart: start, columns: outCols, values: outVals)
    }

    /// Looks up entry (r, c) by binary search; nil when it is not stored.
    public func value(row r: Int, col c: Int) -> Float? {
        var lo = rowStart[r], hi = rowStart[r + 1]
        let key = Int32(c)
        while lo < hi {
            let mid = (lo + hi) / 2
            if columns[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return lo < rowStart[r + 1] && columns[lo] == key ? values[lo] : nil
    }

    /// The dense form; for tests and small data only.
    public func dense() -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for r in 0..<rows {
            for p in rowStart[r]..<rowStart[r + 1] { m[r, Int(columns[p])] = values[p] }
        }
        return m
    }
}

/// Compressed sparse columns, kept as the CSR of the transpose so that both share one code path.
public typealias CSCMatrix = CSRMatrix
