import Linalg
#if canImport(Glibc)
import Glibc
#endif

/// A batch of sparse input rows (users' interactions), in CSR form with local row numbers.
public struct SparseRows: Sendable {
    public var rowStart: [Int] = [0]
    public var columns: [Int32] = []
    public var values: [Float] = []
    public var count: Int { rowStart.count - 1 }

    public init() {}

    /// The rows `rows` of `m`, in that order.
    public init(_ m: CSRMatrix, rows: [Int]) {
        for r in rows {
            for p in m.rowStart[r]..<m.rowStart[r + 1] { columns.append(m.columns[p]); values.append(m.values[p]) }
            rowStart.append(columns.count)
        }
    }

    /// Appends one row.
    public mutating func append(columns c: [Int], values v: [Float]) {
        columns.append(contentsOf: c.map { Int32($0) }); values.append(contentsOf: v)
        rowStart.append(columns.count)
    }
}

/// The building blocks of the dense autoencoders' forward and backward passes, on raw row-major
/// buffers inside one flat parameter vector: a layer is W (in x out) followed by b (out).
package enum LayerOps {
    /// Y (rows x out) = X W + b, through one GEMM.
    package static func affine(_ x: UnsafePointer<Float>, rows: Int, in n: Int, out m: Int,
                       w: UnsafePointer<Float>, b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { (y + r * m).update(from: b, count: m) }
        BLAS.gemm(m: rows, n: m, k: n, x, lda: n, w, ldb: m, y, ldc: m, beta: 1)
    }

    /// Backward of `affine`: gW += X^T dY, gb += column sums of dY, and dX = dY W^T when asked.
    package static func affineBackward(_ x: UnsafePointer<Float>, rows: Int, in n: Int, out m: Int, w: UnsafePointer<Float>,
                               dY: UnsafePointer<Float>, gW: UnsafeMutablePointer<Float>, gb: UnsafeMutablePointer<Float>,
                               dX: UnsafeMutablePointer<Float>?) {
        BLAS.gemm(m: n, n: m, k: rows, x, lda: n, transposeA: true, dY, ldb: m, gW, ldc: m, beta: 1)
        for r in 0..<rows { Kernels.axpy(m, 1, dY + r * m, gb) }
        if let dX { BLAS.gemm(m: rows, n: n, k: m, dY, lda: m, w, ldb: m, transposeB: true, dX, ldc: n) }
    }

    /// Y (rows x out) = S W + b for sparse rows S with per-entry input values `a`: only the rows of W
    /// that some input touches are read (sparse x dense).
    package static func sparseAffine(_ s: SparseRows, _ a: UnsafePointer<Float>, out m: Int,
                             w: UnsafePointer<Float>, b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        s.rowStart.withUnsafeBufferPointer { rs in
            s.columns.withUnsafeBufferPointer { cs in
                Parallel.forEach(s.count) { r in
                    let yr = y + r * m
                    yr.update(from: b, count: m)
                    for p in rs[r]..<rs[r + 1] { Kernels.axpy(m, a[p], w + Int(cs[p]) * m, yr) }
                }
            }
        }
    }

    /// Backward of `sparseAffine` for the weights: gW[i] += sum over entries on input i of a * dY[row].
    /// Each thread owns a range of input rows, so the sums are race-free and in a fixed order.
    package static func sparseAffineBackward(_ s: SparseRows, _ a: UnsafePointer<Float>, inputs: Int, out m: Int,
                                     dY: UnsafePointer<Float>, gW: UnsafeMutablePointer<Float>, gb: UnsafeMutablePointer<Float>) {
        s.rowStart.withUnsafeBufferPointer { rs in
            s.columns.withUnsafeBufferPointer { cs in
                Parallel.forChunks(inputs) { _, owned in
                    for r in 0..<s.count {
                        for p in rs[r]..<rs[r + 1] where owned.contains(Int(cs[p])) {
                            Kernels.axpy(m, a[p], dY + r * m, gW + Int(cs[p]) * m)
                        }
                    }
                }
            }
        }
        for r in 0..<s.count { Kernels.axpy(m, 1, dY + r * m, gb) }
    }

    /// tanh in place.
    package static func tanhInPlace(_ y: UnsafeMutablePointer<Float>, _ count: Int) {
        Activation.tanh.apply(count, y)
    }

    /// d *= 1 - h^2 (tanh's derivative from its output).
    package static func tanhBackward(_ h: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { d[i] *= 1 - h[i] * h[i] }
    }

    /// Sum of squares of `count` values.
    package static func sumOfSquares(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
        Double(Kernels.dot(count, p, p))
    }
}
