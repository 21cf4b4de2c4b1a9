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
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon
        let c1 = 1 - powf(b1, Float(step)), c2 = 1 - powf(b2, Float(step))
        let lrHat = learningRate * c2.squareRoot() / c1
        let epsHat = eps * c2.squareRoot()
        let n = params.count
        let averaging = average.count == n
        precondition(averaging || average.isEmpty)
        let keep = decay, mix = 1 - decay
        average.withUnsafeMutableBufferPointer { avp in
        m.withUnsafeMutableBufferPointer { mp in
            v.withUnsafeMutableBufferPointer { vp in
                params.withUnsafeMutableBufferPointer { pp in
                    gradient.withUnsafeBufferPointer { gp in
                        let mb = mp.baseAddress!, vb = vp.baseAddress!, pb = pp.baseAddress!, gb = gp.baseAddress!
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
                        Parallel.forChunks(n) { _, range in
                            if averaging {
                                let ab = avp.baseAddress!
                                for i in range { ab[i] = keep * ab[i] + mix * step(i) }
                            } else {
                                for i in range { _ = step(i) }
                            }
                        }
                    }
                }
            }
        }
        }
    }
}
