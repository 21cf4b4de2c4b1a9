import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecModels

final class EASETests: XCTestCase {
    /// LAPACK's inverse times the matrix is the identity.
    func testSymmetricInverse() throws {
        var rng = SeededRandom(seed: 3)
        let n = 7
        var a = Matrix(rows: n, cols: n)
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { for j in 0..<n { m[i, j] = rng.normal() } }
        a = BLAS.matmul(m, transposeA: true, m)
        for i in 0..<n { a[i, i] += 1 }
        var inv = a
        try LAPACK.invertSymmetricPositiveDefinite(&inv)
        let id = BLAS.matmul(a, inv)
        for i in 0..<n { for j in 0..<n { XCTAssertEqual(id[i, j], i == j ? 1 : 0, accuracy: 1e-4) } }
        var bad = Matrix(rows: 2, cols: 2, storage: [1, 2, 2, 1])
        XCTAssertThrowsError(try LAPACK.invertSymmetricPositiveDefinite(&bad))
    }

    /// EASE's closed form satisfies its optimality conditions: zero diagonal, and for every column j
    /// (G B)_ij = G_ij for i != j, where G = X^T X + lambda I (the stationarity of
    /// |X - X B|^2 + lambda |B|^2 with B_jj = 0).
    func testClosedFormIsTheConstrainedOptimum() throws {
        var rng = SeededRandom(seed: 8)
        var entries: [(row: Int, col: Int, value: Float)] = []
        for u in 0..<30 { for i in 0..<8 where rng.uniform() < 0.35 { entries.append((u, i, 1)) } }
        let x = CSRMatrix(rows: 30, cols: 8, entries: entries)
        let lambda: Float = 3
        let b = try EASE.solve(x, lambda: lambda)
        let xd = x.dense()
        var g = BLAS.matmul(xd, transposeA: true, xd)
        for i in 0..<8 { g[i, i] += lambda }
        let gb = BLAS.matmul(g, b)
        for j in 0..<8 {
            XCTAssertEqual(b[j, j], 0)
            for i in 0..<8 where i != j { XCTAssertEqual(gb[i, j], g[i, j] - lambda * (i == j ? 1 : 0), accuracy: 2e-3) }
        }
    }
}
