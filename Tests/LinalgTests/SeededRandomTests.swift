import XCTest
import Linalg

final class SeededRandomTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let sa = (0..<100).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<100).map { _ in c.next() })
    }

    func testUniformAndNormalMoments() {
        var r = SeededRandom(seed: 1)
        let u = (0..<100_000).map { _ in r.uniform() }
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Double(u.reduce(0, +)) / 1e5, 0.5, accuracy: 0.01)
        let n = (0..<100_000).map { _ in Double(r.normal()) }
        let mean = n.reduce(0, +) / 1e5
        let variance = n.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1e5
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
    }

    func testShuffleIsAPermutationAndReproducible() {
        var a = Array(0..<50), b = Array(0..<50)
        var r1 = SeededRandom(seed: 9), r2 = SeededRandom(seed: 9)
        r1.shuffle(&a); r2.shuffle(&b)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.sorted(), Array(0..<50))
        XCTAssertNotEqual(a, Array(0..<50))
    }

    func testParallelChunksCoverEveryIndexOnce() {
        let n = 1001
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: n)
        counts.initialize(repeating: 0, count: n)
        defer { counts.deallocate() }
        Parallel.forChunks(n, threads: 3) { _, range in for i in range { counts[i] += 1 } }
        XCTAssertTrue((0..<n).allSatisfy { counts[$0] == 1 })
    }
}
