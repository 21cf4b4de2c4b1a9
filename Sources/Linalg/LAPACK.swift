import CBLAS

/// Dense symmetric solves through OpenBLAS' LAPACK.
public enum LAPACK {
    /// Why a factorisation failed.
    public struct Failure: Error, CustomStringConvertible {
        public let routine: String
        public let info: Int32
        public var description: String {
            info > 0 ? "\(routine): the matrix is not positive definite (leading minor \(info))"
                     : "\(routine): argument \(-info) is invalid"
        }
    }

    /// Replaces the symmetric positive definite matrix `a` by its inverse, through a Cholesky
    /// factorisation (spotrf) and spotri; both triangles are filled. Throws when `a` is not positive definite.
    public static func invertSymmetricPositiveDefinite(_ a: inout Matrix) throws {
        precondition(a.rows == a.cols, "inverse of a non-square matrix")
        var n = Int32(a.rows), lda = Int32(a.rows), info: Int32 = 0
        if n == 0 { return }
        // Row-major storage is the column-major transpose; for a symmetric matrix "U" in Fortran's
        // view is the lower triangle in ours.
        var uplo = CChar(UInt8(ascii: "U"))
        a.storage.withUnsafeMutableBufferPointer { p in OpenBLASLibrary.shared.spotrf(&uplo, &n, p.baseAddress, &lda, &info) }
        if info != 0 { throw Failure(routine: "spotrf", info: info) }
        a.storage.withUnsafeMutableBufferPointer { p in OpenBLASLibrary.shared.spotri(&uplo, &n, p.baseAddress, &lda, &info) }
        if info != 0 { throw Failure(routine: "spotri", info: info) }
        // Fortran's upper triangle (column-major) is our lower triangle: mirror it up.
        let m = a.rows
        a.storage.withUnsafeMutableBufferPointer { p in
            for r in 0..<m { for c in (r + 1)..<m { p[r * m + c] = p[c * m + r] } }
        }
    }

    /// Eigenvalues (ascending) and unit eigenvectors (row i of `vectors` belongs to value i) of the
    /// symmetric matrix `a`, through ssyev.
    public static func symmetricEigen(_ a: Matrix) throws -> (values: [Float], vectors: Matrix) {
        precondition(a.rows == a.cols, "eigenvalues of a non-square matrix")
        var n = Int32(a.rows), lda = Int32(a.rows), info: Int32 = 0
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var m = a
        var w = [Float](repeating: 0, count: a.rows)
        if a.rows == 0 { return ([], m) }
        // A workspace query first, then the solve.
        var query: Float = 0, lwork: Int32 = -1
        m.storage.withUnsafeMutableBufferPointer { p in OpenBLASLibrary.shared.ssyev(&jobz, &uplo, &n, p.baseAddress, &lda, &w, &query, &lwork, &info) }
        lwork = Int32(query)
        var work = [Float](repeating: 0, count: max(1, Int(lwork)))
        m.storage.withUnsafeMutableBufferPointer { p in OpenBLASLibrary.shared.ssyev(&jobz, &uplo, &n, p.baseAddress, &lda, &w, &work, &lwork, &info) }
        if info != 0 { throw Failure(routine: "ssyev", info: info) }
        // Fortran's eigenvector columns are the rows of our row-major storage.
        return (w, m)
    }
}
