import XCTest
@testable import Linalg

/// Parallel bodies flush subnormal floats to zero (the speed of saturated codes) and leave the
/// caller's floating-point mode as it was.
final class SubnormalsTests: XCTestCase {
    /// A product whose exact value, 1e-39, is subnormal; computed at run time, not folded.
    @inline(never) func tinyProduct(_ factors: [Float]) -> Float { factors[0] * factors[1] }

    func testFlushesInsideAndRestoresAfter() throws {
        #if arch(x86_64)
        let factors: [Float] = [1e-30, 1e-9]
        XCTAssertFalse(Subnormals.areFlushed, "a fresh thread keeps IEEE subnormals")
        XCTAssertGreaterThan(tinyProduct(factors), 0, "without the flush the product is subnormal, not zero")
        let inside = Subnormals.flushedToZero { (Subnormals.areFlushed, tinyProduct(factors)) }
        XCTAssertTrue(inside.0)
        XCTAssertEqual(inside.1, 0, "flushed to zero")
        XCTAssertFalse(Subnormals.areFlushed, "the caller's mode is restored")
        XCTAssertGreaterThan(tinyProduct(factors), 0)
        #else
        throw XCTSkip("the flush is implemented for x86-64 only")
        #endif
    }

    func testEveryParallelChunkRunsFlushedWhateverTheThreadCount() throws {
        #if arch(x86_64)
        for threads in [1, 2, 4] {
            var seen = [Bool](repeating: false, count: 8)
            var products = [Float](repeating: 1, count: 8)
            let factors: [Float] = [1e-30, 1e-9]
            seen.withUnsafeMutableBufferPointer { s in
                products.withUnsafeMutableBufferPointer { p in
                    Parallel.forEach(8, threads: threads) { i in
                        s[i] = Subnormals.areFlushed
                        p[i] = tinyProduct(factors)
                    }
                }
            }
            XCTAssertEqual(seen, [Bool](repeating: true, count: 8), "threads \(threads)")
            XCTAssertEqual(products, [Float](repeating: 0, count: 8), "threads \(threads)")
            XCTAssertFalse(Subnormals.areFlushed)
        }
        #else
        throw XCTSkip("the flush is implemented for x86-64 only")
        #endif
    }
}
