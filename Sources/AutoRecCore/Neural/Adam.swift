#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import Linalg

/// How Adam keeps its first moment and the weight average.
public enum OptimizerStatePrecision: String, CaseIterable, Sendable, Codable {
    /// Both in Float: results as in the paper's recipe.
    case full
    /// Both moments in bfloat16, and the weight average as a bfloat16 offset from the weights (it
    /// trails them by a few steps): half of those three arrays' memory, at a rounding of the moments
    /// and of the offset (never of the weights) to 8 significant bits. The second moment is rounded
    /// stochastically (unbiased, from a hash of index and step, so any thread split gives the same
    /// result): its updates, 0.1% of itself per step, are finer than bfloat16 resolves and would be
    /// lost to rounding to nearest.
    case compact
    /// `compact` from `compactFromParameters` parameters up (where the saving is hundreds of MB),
    /// `full` below.
    case auto

    /// Parameter count from which `auto` keeps the state compact: 64M parameters, where the four
    /// parameter-sized Float arrays (weights, two moments, average) pass 1 GB.
    public static let compactFromParameters = 64 << 20

    /// Whether a model with `parameterCount` parameters trains with compact state.
    public func isCompact(parameterCount: Int) -> Bool {
        switch self {
        case .full: return false
        case .compact: return true
        case .auto: return parameterCount >= Self.compactFromParameters
        }
    }
}

/// Adam (Kingma and Ba 2015) over one flat parameter vector, with bias-corrected moments.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public private(set) var step = 0
    /// The first moment in Float (empty when compact).
    private var m: [Float]
    /// The first moment in bfloat16 (empty unless compact).
    private var compactM: [UInt16]
    /// The second moment in Float (empty when compact).
    private var v: [Float]
    /// The second moment in bfloat16 (empty unless compact).
    private var compactV: [UInt16]
    public let parameterCount: Int

    public init(parameterCount: Int, learningRate: Float, compact: Bool = false) {
        self.learningRate = learningRate
        self.parameterCount = parameterCount
        m = compact ? [] : [Float](repeating: 0, count: parameterCount)
        compactM = compact ? [UInt16](repeating: 0, count: parameterCount) : []
        v = compact ? [] : [Float](repeating: 0, count: parameterCount)
        compactV = compact ? [UInt16](repeating: 0, count: parameterCount) : []
    }

    /// Whether the first moment is kept in bfloat16.
    public var isCompact: Bool { !compactM.isEmpty }

    /// One update: params -= lr * mhat / (sqrt(vhat) + eps). Runs over the cores in parallel chunks.
    public mutating func update(_ params: inout [Float], gradient: [Float]) {
        var none = WeightAverage.none
        update(&params, gradient: gradient, average: &none, decay: 0)
    }

    /// The update, then the weight average = decay * average + (1 - decay) * params in the same
    /// pass over memory (an exponential moving average of the weights).
    public mutating func update(_ params: inout [Float], gradient: [Float], average: inout WeightAverage, decay: Float) {
        update(&params, gradient: gradient, within: 0..<params.count, average: &average, decay: decay)
    }

    /// The update of `params[part]` only, the rest left as they are: an optimizer of one part of a
    /// network (RecVAE's encoder or decoder), whose moments outside `part` stay at zero.
    public mutating func update(_ params: inout [Float], gradient: [Float], within part: Range<Int>,
                                average: inout WeightAverage, decay: Float) {
        precondition(params.count == parameterCount && gradient.count == parameterCount)
        precondition(part.lowerBound >= 0 && part.upperBound <= parameterCount)
        withStep(average: &average, decay: decay) { step in
            params.withUnsafeMutableBufferPointer { pp in
                gradient.withUnsafeBufferPointer { gp in
                    let pb = pp.baseAddress!, gb = gp.baseAddress!, start = part.lowerBound
                    Parallel.forChunks(part.count) { _, chunk in
                        let range = (chunk.lowerBound + start)..<(chunk.upperBound + start)
                        step.apply(range, params: pb, gradient: gb + range.lowerBound)
                    }
                }
            }
        }
    }

    /// Starts the next step and runs `body` with it, for callers that apply it range by range as each
    /// range's gradient becomes ready (`AutoRecObjective`'s fused evaluation); every index must be
    /// applied exactly once inside `body`. `average` and `decay` as in `update`.
    public mutating func withStep<R>(average: inout WeightAverage, decay: Float, _ body: (AdamStep) -> R) -> R {
        step += 1
        let c1 = 1 - powf(beta1, Float(step)), c2 = 1 - powf(beta2, Float(step))
        let n = parameterCount
        precondition(average.isEmpty || average.count == n)
        let salt = UInt32(truncatingIfNeeded: step) &* 0x85EB_CA6B
        let b1 = beta1, b2 = beta2, lrHat = learningRate * c2.squareRoot() / c1, epsHat = epsilon * c2.squareRoot()
        return average.withPointers { averageFull, averageOffset in
            m.withUnsafeMutableBufferPointer { mp in
                compactM.withUnsafeMutableBufferPointer { cp in
                    v.withUnsafeMutableBufferPointer { vp in
                        compactV.withUnsafeMutableBufferPointer { cvp in
                            body(AdamStep(m: mp.isEmpty ? nil : mp.baseAddress, compactM: cp.isEmpty ? nil : cp.baseAddress,
                                          v: vp.isEmpty ? nil : vp.baseAddress, compactV: cvp.isEmpty ? nil : cvp.baseAddress,
                                          average: averageFull, averageOffset: averageOffset, salt: salt,
                                          beta1: b1, beta2: b2, lrHat: lrHat, epsHat: epsHat, keep: decay, mix: 1 - decay))
                        }
                    }
                }
            }
        }
    }
}

/// An exponential moving average of the weights, kept in Float or as a bfloat16 offset from the
/// weights (see `OptimizerStatePrecision.compact`), or none.
public struct WeightAverage: Sendable {
    private var full: [Float]
    private var offset: [UInt16]

    public static let none = WeightAverage(full: [], offset: [])

    /// An average that starts at `params`.
    public init(startingAt params: [Float], compact: Bool) {
        full = compact ? [] : params
        offset = compact ? [UInt16](repeating: 0, count: params.count) : []
    }

    private init(full: [Float], offset: [UInt16]) { self.full = full; self.offset = offset }

    public var isEmpty: Bool { full.isEmpty && offset.isEmpty }
    public var count: Int { max(full.count, offset.count) }
    public var isCompact: Bool { !offset.isEmpty }

    /// The average in Float when kept so (nil when compact or none).
    public var fullValues: [Float]? { full.isEmpty ? nil : full }

    /// Adds the offset to `params`, which then hold the average (compact only).
    public func addOffset(to params: inout [Float]) { applyOffset(to: &params, sign: 1) }

    /// Undoes `addOffset` (to within a rounding of the weights' last bit).
    public func subtractOffset(from params: inout [Float]) { applyOffset(to: &params, sign: -1) }

    private func applyOffset(to params: inout [Float], sign: Float) {
        precondition(isCompact && params.count == offset.count)
        let n = params.count
        offset.withUnsafeBufferPointer { op in
            params.withUnsafeMutableBufferPointer { pp in
                let o = op.baseAddress!, p = pp.baseAddress!
                Parallel.forChunks(n) { _, range in
                    for i in range { p[i] += sign * BFloat16.decode(o[i]) }
                }
            }
        }
    }

    fileprivate mutating func withPointers<R>(_ body: (UnsafeMutablePointer<Float>?, UnsafeMutablePointer<UInt16>?) -> R) -> R {
        // (An empty array's buffer may still have a base address: empty means absent.)
        full.withUnsafeMutableBufferPointer { fp in
            offset.withUnsafeMutableBufferPointer { op in body(fp.isEmpty ? nil : fp.baseAddress, op.isEmpty ? nil : op.baseAddress) }
        }
    }
}

/// One Adam step over raw buffers: params -= lrHat * m / (sqrt(v) + epsHat) with the moments
/// updated first, then the weight average. Elementwise, so any split into ranges gives the same result.
public struct AdamStep: @unchecked Sendable {
    let m: UnsafeMutablePointer<Float>?
    let compactM: UnsafeMutablePointer<UInt16>?
    let v: UnsafeMutablePointer<Float>?
    let compactV: UnsafeMutablePointer<UInt16>?
    let average: UnsafeMutablePointer<Float>?
    /// The compact average: bfloat16 of average - params.
    let averageOffset: UnsafeMutablePointer<UInt16>?
    /// This step's salt for the stochastic rounding of the compact second moment.
    let salt: UInt32
    let beta1: Float, beta2: Float, lrHat: Float, epsHat: Float
    /// The weight average's decay and 1 - decay.
    let keep: Float, mix: Float

    /// Steps `params[range]` from `gradient[0..<range.count]` (the gradient of those indices).
    @inline(__always)
    public func apply(_ range: Range<Int>, params pb: UnsafeMutablePointer<Float>, gradient g0: UnsafePointer<Float>) {
        let gb = g0 - range.lowerBound
        if let mb = m, let vb = v {
            applyFull(range, params: pb, gradient: gb, m: mb, v: vb)
        } else {
            applyCompact(range, params: pb, gradient: gb, m: compactM!, v: compactV!)
        }
    }

    @inline(__always)
    private func moments(_ g: Float, _ mOld: Float, _ vOld: Float) -> (m: Float, v: Float, step: Float) {
        let mi = beta1 * mOld + (1 - beta1) * g
        let vi = beta2 * vOld + (1 - beta2) * g * g
        return (mi, vi, lrHat * mi / (vi.squareRoot() + epsHat))
    }

    /// `x` rounded to a bfloat16 neighbour at random, up with probability equal to its distance
    /// from the lower one (unbiased): 16 pseudo-random bits from the index and the step's salt.
    @inline(__always)
    private func stochasticBFloat16(_ x: Float, _ i: Int) -> UInt16 {
        var h = UInt32(truncatingIfNeeded: i) &* 0x9E37_79B1 ^ salt
        h ^= h >> 15
        h = h &* 0x2C1B_3C6D
        h ^= h >> 12
        return UInt16(truncatingIfNeeded: (x.bitPattern &+ (h & 0xFFFF)) >> 16)
    }

    private func applyFull(_ range: Range<Int>, params pb: UnsafeMutablePointer<Float>, gradient gb: UnsafePointer<Float>,
                           m mb: UnsafeMutablePointer<Float>, v vb: UnsafeMutablePointer<Float>) {
        let keep = keep, mix = mix
        if let ab = average {
            for i in range {
                let (mi, vi, step) = moments(gb[i], mb[i], vb[i])
                mb[i] = mi
                vb[i] = vi
                let p = pb[i] - step
                pb[i] = p
                ab[i] = keep * ab[i] + mix * p
            }
        } else {
            for i in range {
                let (mi, vi, step) = moments(gb[i], mb[i], vb[i])
                mb[i] = mi
                vb[i] = vi
                pb[i] -= step
            }
        }
    }

    /// The compact step. With p' = p - step, the average's offset d = average - p becomes
    /// keep * (average - p) + keep * (p - p') = keep * (d + step).
    private func applyCompact(_ range: Range<Int>, params pb: UnsafeMutablePointer<Float>, gradient gb: UnsafePointer<Float>,
                              m mb: UnsafeMutablePointer<UInt16>, v vb: UnsafeMutablePointer<UInt16>) {
        let keep = keep
        if let ob = averageOffset {
            for i in range {
                let (mi, vi, step) = moments(gb[i], BFloat16.decode(mb[i]), BFloat16.decode(vb[i]))
                mb[i] = BFloat16.encode(mi)
                vb[i] = stochasticBFloat16(vi, i)
                pb[i] -= step
                ob[i] = BFloat16.encode(keep * (BFloat16.decode(ob[i]) + step))
            }
        } else {
            for i in range {
                let (mi, vi, step) = moments(gb[i], BFloat16.decode(mb[i]), BFloat16.decode(vb[i]))
                mb[i] = BFloat16.encode(mi)
                vb[i] = stochasticBFloat16(vi, i)
                pb[i] -= step
            }
        }
    }
}
