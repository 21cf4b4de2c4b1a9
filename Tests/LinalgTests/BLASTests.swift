import XCTest
import Linalg

final class BLASTests: XCTestCase {
    func randomMatrix(_ r: Int, _ c: Int, _ rng: inout SeededRandom) -> Matrix {
        Matrix(rows: r, cols: c, storage: (0..<(r * c)).map { _ in rng.normal() })
    }

    func naive(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, cols: b.cols)
        for i in 0..<a.rows { for j in 0..<b.cols {
            var s: Float = 0
            for k in 0..<a.cols { s += a[i, k] * b[k, j] }
            c[i, j] = s
        } }
        return c
    }

    func assertClose(_ x: Matrix, _ y: Matrix, tol: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(x.rows, y.rows, file: file, line: line)
        XCTAssertEqual(x.cols, y.cols, file: file, line: line)
        for (a, b) in zip(x.storage, y.storage) { XCTAssertEqual(a, b, accuracy: tol * max(1, abs(b)), file: file, line: line) }
    }

    func testGemmAllTranspositions() {
        var rng = SeededRandom(seed: 3)
        let a = randomMatrix(5, 7, &rng), b = randomMatrix(7, 4, &rng)
        let expected = naive(a, b)
        assertClose(BLAS.matmul(a, b), expected)
        assertClose(BLAS.matmul(a.transposed(), transposeA: true, b), expected)
        assertClose(BLAS.matmul(a, b.transposed(), transposeB: true), expected)
        assertClose(BLAS.matmul(a.transposed(), transposeA: true, b.transposed(), transposeB: true), expected)
    }

    func testGemvAxpyDotAndKernels() {
        var rng = SeededRandom(seed: 4)
        let a = randomMatrix(6, 37, &rng)
        let x = (0..<37).map { _ in rng.normal() }
        var y = [Float](repeating: 0, count: 6)
        BLAS.gemv(a, x, into: &y)
        let xm = Matrix(rows: 37, cols: 1, storage: x)
        for (p, q) in zip(y, naive(a, xm).storage) { XCTAssertEqual(p, q, accuracy: 1e-4) }

        var z = x
        BLAS.axpy(2, x, &z)
        for (p, q) in zip(z, x) { XCTAssertEqual(p, 3 * q, accuracy: 1e-5) }
        let d = BLAS.dot(x, x)
        var k = [Float](repeating: 1, count: 37)
        x.withUnsafeBufferPointer { xp in
            k.withUnsafeMutableBufferPointer { kp in Kernels.axpy(37, 0.5, xp.baseAddress!, kp.baseAddress!) }
            XCTAssertEqual(Kernels.dot(37, xp.baseAddress!, xp.baseAddress!), d, accuracy: 1e-3)
        }
        for (p, q) in zip(k, x) { XCTAssertEqual(p, 1 + 0.5 * q, accuracy: 1e-5) }
    }
}
