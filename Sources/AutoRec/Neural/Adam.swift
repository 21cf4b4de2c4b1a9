#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import Linalg

/// Adam (Kingma and Ba 2015) over one flat parameter vector, with bias-corrected moments.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public private(set) var step = 0
    private var m: [Float]
    private var v: [Float]

    public init(parameterCount: Int, learningRate: Float) {
        self.learningRate = learningRate
        m = [Float](repeating: 0, count: parameterCount)
        v = [Float](repeating: 0, count: parameterCount)
    }

    /// One update: params -= lr * mhat / (sqrt(vhat) + eps). Runs over the cores in parallel chunks.
    public mutating func update(_ params: inout [Float], gradient: [Float]) {
        var none: [Float] = []
        update(&params, gradient: gradient, average: &none, decay: 0)
    }

    /// The update, then average = decay * average + (1 - decay) * params in the same pass over
    /// memory (an exponential moving average of the weights); `average` empty skips it.
    public mutating func update(_ params: inout [Float], gradient: [Float], average: inout [Float], decay: Float) {
        precondition(params.count == m.count && gradient.count == m.count)
        let n = params.count
        withStep(average: &average, decay: decay) { step in
            params.withUnsafeMutableBufferPointer { pp in
                gradient.withUnsafeBufferPointer { gp in
                    let pb = pp.baseAddress!, gb = gp.baseAddress!
                    Parallel.forChunks(n) { _, range in step.apply(range, params: pb, gradient: gb + range.lowerBound) }
                }
            }
        }
    }

    /// Starts the next step and runs `body` with it, for callers that apply it range by range as each
    /// range's gradient becomes ready (`AutoRecObjective`'s fused evaluation); every index must be
    /// applied exactly once inside `body`. `average` and `decay` as in `update`.
    public mutating func withStep<R>(average: inout [Float], decay: Float, _ body: (AdamStep) -> R) -> R {
        step += 1
        let c1 = 1 - powf(beta1, Float(step)), c2 = 1 - powf(beta2, Float(step))
        let n = m.count
        precondition(average.count == n || average.isEmpty)
        let b1 = beta1, b2 = beta2, lrHat = learningRate * c2.squareRoot() / c1, epsHat = epsilon * c2.squareRoot()
        return average.withUnsafeMutableBufferPointer { avp in
            m.withUnsafeMutableBufferPointer { mp in
                v.withUnsafeMutableBufferPointer { vp in
                    body(AdamStep(m: mp.baseAddress!, v: vp.baseAddress!, average: avp.count == n ? avp.baseAddress : nil,
                                  beta1: b1, beta2: b2, lrHat: lrHat, epsHat: epsHat, keep: decay, mix: 1 - decay))
                }
            }
        }
    }
}

/// One Adam step over raw buffers: params -= lrHat * m / (sqrt(v) + epsHat) with the moments
/// updated first, then the weight average. Elementwise, so any split into ranges gives the same result.
public struct AdamStep: @unchecked Sendable {
    let m: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let average: UnsafeMutablePointer<Float>?
    let beta1: Float, beta2: Float, lrHat: Float, epsHat: Float
    /// The weight average's decay and 1 - decay.
    let keep: Float, mix: Float

    /// Steps `params[range]` from `gradient[0..<range.count]` (the gradient of those indices).
    @inline(__always)
    public func apply(_ range: Range<Int>, params pb: UnsafeMutablePointer<Float>, gradient g0: UnsafePointer<Float>) {
        let mb = m, vb = v, b1 = beta1, b2 = beta2, lrHat = lrHat, epsHat = epsHat, keep = keep, mix = mix
        let gb = g0 - range.lowerBound
        @inline(__always) func step(_ i: Int) -> Float {
            let g = gb[i]
            let mi = b1 * mb[i] + (1 - b1) * g
            let vi = b2 * vb[i] + (1 - b2) * g * g
            mb[i] = mi
            vb[i] = vi
            let p = pb[i] - lrHat * mi / (vi.squareRoot() + epsHat)
            pb[i] = p
            return p
        }
        if let ab = average {
            for i in range { ab[i] = keep * ab[i] + mix * step(i) }
        } else {
            for i in range { _ = step(i) }
        }
    }
}
