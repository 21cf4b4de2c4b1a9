import XCTest
import Linalg

final class SparseMatrixTests: XCTestCase {
    func testBuildsSortedRowsAndKeepsLastDuplicate() {
        let m = CSRMatrix(rows: 3, cols: 4, entries: [(0, 3, 1), (0, 1, 2), (2, 0, 3), (0, 3, 5)])
        XCTAssertEqual(m.rowStart, [0, 2, 2, 3])
        XCTAssertEqual(m.columns, [1, 3, 0])
        XCTAssertEqual(m.values, [2, 5, 3])
        XCTAssertEqual(m.value(row: 0, col: 3), 5)
        XCTAssertNil(m.value(row: 1, col: 0))
    }

    func testTransposeMatchesDenseTranspose() {
        var rng = SeededRandom(seed: 7)
        var entries: [(row: Int, col: Int, value: Float)] = []
        for _ in 0..<200 { entries.append((rng.int(below: 17), rng.int(below: 11), rng.uniform())) }
        let m = CSRMatrix(rows: 17, cols: 11, entries: entries)
        XCTAssertEqual(m.transposed().dense(), m.dense().transposed())
        XCTAssertEqual(m.transposed().transposed(), m)
    }
}
