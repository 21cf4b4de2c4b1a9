import CBLAS

/// Thin, shape-checked wrappers over OpenBLAS. Dense work (scoring) goes here; sparse training does not.
public enum BLAS {
    /// C = alpha * op(A) * op(B) + beta * C, all row-major.
    public static func gemm(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
                            into c: inout Matrix, alpha: Float = 1, beta: Float = 0) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        precondition(k == kb, "gemm: inner dimensions \(k) and \(kb) differ")
        precondition(c.rows == m && c.cols == n, "gemm: output is \(c.rows)x\(c.cols), expected \(m)x\(n)")
        if m == 0 || n == 0 { return }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    OpenBLASLibrary.shared.sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha,
                                pa.baseAddress, Int32(a.cols), pb.baseAddress, Int32(b.cols),
                                beta, pc.baseAddress, Int32(n))
                }
            }
        }
    }

    /// C = alpha * op(A) * op(B) + beta * C on raw row-major buffers: op(A) is m x k, op(B) k x n,
    /// C m x n, with leading dimensions (row lengths) lda, ldb, ldc. For layers that live inside one
    /// flat parameter vector.
    public static func gemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                            _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                            _ c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
        if m == 0 || n == 0 { return }
        OpenBLASLibrary.shared.sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Returns op(A) * op(B).
    public static func matmul(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false) -> Matrix {
        var c = Matrix(rows: transposeA ? a.cols : a.rows, cols: transposeB ? b.rows : b.cols)
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }

    /// y = alpha * op(A) * x + beta * y.
    public static func gemv(_ a: Matrix, transpose: Bool = false, _ x: [Float], into y: inout [Float],
                            alpha: Float = 1, beta: Float = 0) {
        precondition(x.count == (transpose ? a.rows : a.cols), "gemv: x has the wrong length")
        precondition(y.count == (transpose ? a.cols : a.rows), "gemv: y has the wrong length")
        if a.rows == 0 || a.cols == 0 { return }
        a.storage.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    OpenBLASLibrary.shared.sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(a.rows), Int32(a.cols),
                                alpha, pa.baseAddress, Int32(a.cols), px.baseAddress, 1, beta, py.baseAddress, 1)
                }
            }
        }
    }

    /// y += alpha * x.
    public static func axpy(_ alpha: Float, _ x: [Float], _ y: inout [Float]) {
        precondition(x.count == y.count, "axpy: lengths differ")
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                OpenBLASLibrary.shared.saxpy(Int32(x.count), alpha, px.baseAddress, 1, py.baseAddress, 1)
            }
        }
    }

    /// The dot product of two vectors.
    public static func dot(_ x: [Float], _ y: [Float]) -> Float {
        precondition(x.count == y.count, "dot: lengths differ")
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in OpenBLASLibrary.shared.sdot(Int32(x.count), px.baseAddress, 1, py.baseAddress, 1) }
        }
    }

    /// Limits OpenBLAS' own threads, so that it does not fight our parallel loops (loads it).
    public static func setThreads(_ n: Int) { OpenBLASLibrary.shared.setThreads(Int32(n)) }
}
