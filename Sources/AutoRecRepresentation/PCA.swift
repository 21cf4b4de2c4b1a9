import Linalg

/// Principal components of rating vectors: the baseline an autoencoder's embeddings must beat.
public enum PCA {
    /// The rows of `data` projected on the `dim` leading principal components of the (column-centred)
    /// rating vectors, through the eigenvectors of the covariance matrix.
    public static func embed(_ data: RatingVectors, dim: Int) throws -> Matrix {
        let m = data.rows, rows = m.rows, cols = m.cols
        var x = m.dense()
        for c in 0..<cols {
            var mean: Float = 0
            for r in 0..<rows { mean += x.storage[r * cols + c] }
            mean /= Float(max(1, rows))
            for r in 0..<rows { x.storage[r * cols + c] -= mean }
        }
        let covariance = BLAS.matmul(x, transposeA: true, x)
        let (_, vectors) = try LAPACK.symmetricEigen(covariance)
        let k = min(dim, cols)
        // The last k eigenvectors have the largest eigenvalues; the largest first.
        var basis = Matrix(rows: k, cols: cols)
        for j in 0..<k { for c in 0..<cols { basis[j, c] = vectors[cols - 1 - j, c] } }
        return BLAS.matmul(x, basis, transposeB: true)
    }
}
