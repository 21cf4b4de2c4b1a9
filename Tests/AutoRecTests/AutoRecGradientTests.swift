import XCTest
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Checks the hand-written backward pass against central finite differences of the loss.
final class AutoRecGradientTests: XCTestCase {
    /// Samples x inputs of the checked data: with more samples than inputs the passes walk the batch
    /// sample by sample, with more inputs than samples column by column. Every check runs both.
    static let shapes = [(samples: 7, inputs: 6), (samples: 5, inputs: 9)]

    /// A small random rating matrix: samples x inputs with values in 1...5.
    func smallData(samples: Int, inputs: Int, seed: UInt64) -> CSRMatrix {
        var rng = SeededRandom(seed: seed)
        var entries: [(row: Int, col: Int, value: Float)] = []
        for s in 0..<samples {
            for c in 0..<inputs where rng.uniform() < 0.5 { entries.append((s, c, Float(1 + rng.int(below: 5)))) }
        }
        return CSRMatrix(rows: samples, cols: inputs, entries: entries)
    }

    func check(encoder: Activation, decoder: Activation, dropout: Float = 0, shift: Float = 0,
               samples: [Int]? = nil, regScale: Float = 1, scaling: InputScaling = .none, keptWeight: Float = 1,
               shapes: [(samples: Int, inputs: Int)] = AutoRecGradientTests.shapes, hidden: Int = 37,
               eps: Float = 1e-2, tolerance: Float = 4e-3, file: StaticString = #filePath, line: UInt = #line) {
      // A tiny cache budget cuts the inputs and the batch into blocks of two rows: the blocked passes.
      // 37 hidden units make two tiles, the second narrower (its weights run through padded copies).
      for shape in shapes { for cacheBytes in [AutoRecObjective.defaultCacheBytes, 256] {
        let data = smallData(samples: shape.samples, inputs: shape.inputs, seed: 11)
        let objective = AutoRecObjective(data: data, hidden: hidden, encoder: encoder, decoder: decoder,
                                         l2: 0.7, inputShift: shift, inputScaling: scaling, threads: 2,
                                         cacheBytes: cacheBytes)
        var params = AutoRecParameters(inputs: shape.inputs, hidden: hidden, seed: 5).flat
        var rng = SeededRandom(seed: 8)
        // Non-zero biases so every term of the gradient is exercised; small inputs keep sigmoid unsaturated.
        for i in 0..<params.count { params[i] = params[i] * 0.5 + 0.05 * rng.normal() }
        var grad = [Float](repeating: 0, count: params.count)
        _ = objective.evaluate(params, samples: samples, regularizationScale: regScale, dropout: dropout,
                               maskSeed: 99, keptWeight: keptWeight, gradient: &grad)
        var scratch = grad
        for i in 0..<params.count {
            var p = params
            p[i] += eps
            let up = objective.evaluate(p, samples: samples, regularizationScale: regScale, dropout: dropout,
                                        maskSeed: 99, keptWeight: keptWeight, gradient: &scratch)
            p[i] = params[i] - eps
            let down = objective.evaluate(p, samples: samples, regularizationScale: regScale, dropout: dropout,
                                          maskSeed: 99, keptWeight: keptWeight, gradient: &scratch)
            let numeric = Float((up - down) / Double(2 * eps))
            let err = abs(numeric - grad[i]) / max(1, abs(numeric), abs(grad[i]))
            XCTAssertLessThan(err, tolerance, "shape \(shape), cache \(cacheBytes), parameter \(i): analytic \(grad[i]) vs numeric \(numeric)", file: file, line: line)
        }
        XCTAssertGreaterThan(grad.map { abs($0) }.max() ?? 0, 0, "gradient must not be all zero", file: file, line: line)
      } }
    }

    func testSigmoidEncoderIdentityDecoder() { check(encoder: .sigmoid, decoder: .identity) }
    func testTanhEncoderSigmoidDecoder() { check(encoder: .tanh, decoder: .sigmoid) }
    // ELU's second derivative jumps at 0, which central differences near the kink feel: a smaller
    // step and a looser bound. (Elsewhere the bound, 0.4% of max(1, |gradient|), sits just above the
    // Float32 noise of the loss; a wrong term in a gradient shows up as tens of percent.)
    func testEluEncoderIdentityDecoder() { check(encoder: .elu, decoder: .identity, eps: 2e-3, tolerance: 6e-3) }
    func testIdentityEncoderTanhDecoder() { check(encoder: .identity, decoder: .tanh) }
    func testMiniBatchWithScaledRegularisation() { check(encoder: .sigmoid, decoder: .identity, samples: [4, 1, 3], regScale: 0.3) }
    func testInputScalingAndLossWeights() { check(encoder: .sigmoid, decoder: .identity, dropout: 0.3, scaling: .sqrt, keptWeight: 0.2) }
    func testInputDropoutAndCentring() { check(encoder: .sigmoid, decoder: .identity, dropout: 0.4, shift: 3) }
    /// Columns and samples with a dozen or more entries take the kernels' eight- and four-at-a-time
    /// paths, and 101 hidden units make four tiles, the last narrower, decoded two at a time.
    func testLongRunsAndTilePairs() {
        check(encoder: .sigmoid, decoder: .identity, dropout: 0.2, shapes: [(24, 40), (40, 24)], hidden: 101)
    }

    /// Both orientations train on the same objective over a transposed matrix; check each on real shapes.
    func testBothOrientationsOfOneRatingTable() {
        var r = Ratings()
        var rng = SeededRandom(seed: 3)
        for u in 0..<9 { for i in 0..<7 where rng.uniform() < 0.6 {
            r.append(user: "u\(u)", item: "i\(i)", value: Float(1 + rng.int(below: 5)))
        } }
        for orientation in AutoRecOrientation.allCases {
            let m = r.userItemMatrix()
            let data = orientation == .item ? m.transposed() : m
            let objective = AutoRecObjective(data: data, hidden: 3, encoder: .sigmoid, decoder: .identity, l2: 1)
            let params = AutoRecParameters(inputs: data.cols, hidden: 3, seed: 2).flat
            var grad = [Float](repeating: 0, count: params.count)
            let f0 = objective.evaluate(params, gradient: &grad)
            // A small step against the gradient must lower the loss.
            var scratch = grad
            let stepped = zip(params, grad).map { $0 - 1e-3 * $1 }
            XCTAssertLessThan(objective.evaluate(stepped, gradient: &scratch), f0, "\(orientation)")
        }
    }

    /// The two-phase parallel pass is bit-identical for any thread count, walking by sample (more
    /// samples than inputs) or by column, blocked or not.
    func testGradientDoesNotDependOnThreadCount() {
        for (samples, inputs) in [(40, 30), (30, 40)] { for cacheBytes in [AutoRecObjective.defaultCacheBytes, 512] {
            let data = smallData(samples: samples, inputs: inputs, seed: 4)
            let params = AutoRecParameters(inputs: inputs, hidden: 40, seed: 1).flat
            var g1 = [Float](repeating: 0, count: params.count), g3 = g1
            let f1 = AutoRecObjective(data: data, hidden: 40, encoder: .sigmoid, decoder: .identity, l2: 2, threads: 1,
                                      cacheBytes: cacheBytes).evaluate(params, dropout: 0.3, maskSeed: 2, gradient: &g1)
            let f3 = AutoRecObjective(data: data, hidden: 40, encoder: .sigmoid, decoder: .identity, l2: 2, threads: 3,
                                      cacheBytes: cacheBytes).evaluate(params, dropout: 0.3, maskSeed: 2, gradient: &g3)
            XCTAssertEqual(f1, f3, "\(samples) x \(inputs), cache \(cacheBytes)")
            XCTAssertEqual(g1, g3, "\(samples) x \(inputs), cache \(cacheBytes)")
        } }
    }

    /// Cache blocking changes only the order of sums: the blocked passes give the unblocked result
    /// up to rounding, and a second call on the same samples (the kept grouping) gives it exactly.
    func testBlockedPassesMatchUnblocked() {
        for (samples, inputs) in [(50, 70), (70, 50)] {
            let data = smallData(samples: samples, inputs: inputs, seed: 9)
            let params = AutoRecParameters(inputs: inputs, hidden: 64, seed: 3).flat
            var plain = [Float](repeating: 0, count: params.count), blocked = plain, again = plain
            let f0 = AutoRecObjective(data: data, hidden: 64, encoder: .sigmoid, decoder: .identity, l2: 1)
                .evaluate(params, dropout: 0.2, maskSeed: 4, gradient: &plain)
            let small = AutoRecObjective(data: data, hidden: 64, encoder: .sigmoid, decoder: .identity, l2: 1, cacheBytes: 1024)
            XCTAssertGreaterThan(small.columnBlocks.count, 1)
            let f1 = small.evaluate(params, dropout: 0.2, maskSeed: 4, gradient: &blocked)
            let f2 = small.evaluate(params, dropout: 0.2, maskSeed: 4, gradient: &again)
            XCTAssertEqual(f1, f0, accuracy: 1e-6 * abs(f0))
            XCTAssertEqual(f1, f2)
            XCTAssertEqual(blocked, again)
            for i in 0..<params.count {
                XCTAssertEqual(blocked[i], plain[i], accuracy: 1e-5 * max(1, abs(plain[i])), "\(samples) x \(inputs), parameter \(i)")
            }
        }
    }
}

