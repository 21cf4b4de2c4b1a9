/// A dense row-major matrix of `Float`, the storage behind every layer and every score block.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    /// Row-major storage: element (r, c) lives at `r * cols + c`.
    public var storage: [Float]

    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "matrix shape must be non-negative")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(storage.count == rows * cols, "storage has \(storage.count) values, shape needs \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    public subscript(r: Int, c: Int) -> Float {
        get { storage[r * cols + c] }
        set { storage[r * cols + c] = newValue }
    }

    /// A copy of row `r`.
    public func row(_ r: Int) -> [Float] {
        Array(storage[(r * cols)..<((r + 1) * cols)])
    }

    /// The transpose, materialised.
    public func transposed() -> Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for r in 0..<rows {
            for c in 0..<cols { t.storage[c * rows + r] = storage[r * cols + c] }
        }
        return t
    }
}
