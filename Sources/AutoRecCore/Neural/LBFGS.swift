import Linalg

/// Limited-memory BFGS (Nocedal 1980) with a backtracking Armijo line search: full-batch and
/// deterministic, the optimiser the AutoRec paper used. Parameters are Float; inner products are
/// summed in Double over fixed blocks, so results do not depend on the thread count. The history
/// lives in preallocated buffers that are reused in a ring.
public struct LBFGS {
    public var memory: Int
    /// Armijo sufficient-decrease constant.
    public var c1: Double = 1e-4
    public var maxLineSearchSteps = 20
    private var s: [[Float]] = []
    private var y: [[Float]] = []
    private var rho: [Double] = []
    /// Ring order of the history: `order[0]` is the oldest pair.
    private var order: [Int] = []
    private var direction: [Float] = []
    private var trialX: [Float] = []
    private var trialG: [Float] = []
    public private(set) var functionEvaluations = 0

    public init(memory: Int = 10) { self.memory = max(1, memory) }

    /// The outcome of one iteration.
    public struct Step {
        public var loss: Double
        public var stepSize: Double
        public var evaluations: Int
        /// False when the line search found no decrease: the optimiser has converged or stalled.
        public var improved: Bool
    }

    static let blocks = 64

    /// Sum over fixed blocks of a*b, each block in Float, blocks summed in Double.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
        var partial = [Double](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { pp in
            let out = pp.baseAddress!
            Parallel.forChunks(blocks) { _, range in
                for k in range {
                    let lo = n * k / blocks, hi = n * (k + 1) / blocks
                    // Sub-blocks of 1024 keep Float sums short.
                    var acc = 0.0, i = lo
                    while i < hi {
                        let m = min(1024, hi - i)
                        acc += Double(Kernels.dot(m, a + i, b + i))
                        i += m
                    }
                    out[k] = acc
                }
            }
        }
        return partial.reduce(0, +)
    }

    /// y += alpha * x, in parallel.
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Parallel.forChunks(blocks) { _, range in
            let lo = n * range.lowerBound / blocks, hi = n * range.upperBound / blocks
            Kernels.axpy(hi - lo, alpha, x + lo, y + lo)
        }
    }

    /// out = a + t * b, in parallel.
    static func combine(_ out: inout [Float], _ a: [Float], _ t: Float, _ b: [Float]) {
        let n = a.count
        out.withUnsafeMutableBufferPointer { op in a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
            let o = op.baseAddress!, x = ap.baseAddress!, d = bp.baseAddress!
            Parallel.forChunks(blocks) { _, range in
                for j in (n * range.lowerBound / blocks)..<(n * range.upperBound / blocks) { o[j] = x[j] + t * d[j] }
            }
        }}}
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa.baseAddress!, pb.baseAddress!, pa.count) } }
    }

    /// direction = -H g by the two-loop recursion.
    mutating func computeDirection(_ g: [Float]) {
        let n = g.count
        if direction.count != n { direction = [Float](repeating: 0, count: n) }
        direction.withUnsafeMutableBufferPointer { qb in
            let q = qb.baseAddress!
            g.withUnsafeBufferPointer { q.update(from: $0.baseAddress!, count: n) }
            var alpha = [Double](repeating: 0, count: order.count)
            for idx in stride(from: order.count - 1, through: 0, by: -1) {
                let i = order[idx]
                s[i].withUnsafeBufferPointer { sp in
                    alpha[idx] = rho[i] * LBFGS.dot(sp.baseAddress!, q, n)
                }
                y[i].withUnsafeBufferPointer { yp in LBFGS.axpy(Float(-alpha[idx]), yp.baseAddress!, q, n) }
            }
            var gamma: Float = 1
            if let last = order.last {
                let yy = LBFGS.dot(y[last], y[last])
                if yy > 0 { gamma = Float(1 / (rho[last] * yy)) }
            } else {
                let gn = LBFGS.dot(g, g).squareRoot()
                if gn > 0 { gamma = Float(1 / gn) }
            }
            Parallel.forChunks(LBFGS.blocks) { _, range in
                for j in (n * range.lowerBound / LBFGS.blocks)..<(n * range.upperBound / LBFGS.blocks) { q[j] *= gamma }
            }
            for idx in 0..<order.count {
                let i = order[idx]
                let beta = y[i].withUnsafeBufferPointer { yp in rho[i] * LBFGS.dot(yp.baseAddress!, q, n) }
                s[i].withUnsafeBufferPointer { sp in LBFGS.axpy(Float(alpha[idx] - beta), sp.baseAddress!, q, n) }
            }
            for j in 0..<n { q[j] = -q[j] }  // cheap next to the passes above
        }
    }

    /// One iteration from `x` with loss `f` and gradient `g` (all updated in place).
    /// `evaluate(x, &grad)` returns the loss at x and writes its gradient.
    public mutating func step(x: inout [Float], loss f: inout Double, gradient g: inout [Float],
                              evaluate: (_ x: [Float], _ grad: inout [Float]) -> Double) -> Step {
        let n = x.count
        computeDirection(g)
        var slope = LBFGS.dot(g, direction)
        if !(slope < 0) {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            order.removeAll()
            computeDirection(g)
            slope = LBFGS.dot(g, direction)
        }
        if trialX.count != n { trialX = x; trialG = g }
        var t = 1.0
        var evals = 0
        var newF = Double.infinity
        while evals < maxLineSearchSteps {
            LBFGS.combine(&trialX, x, Float(t), direction)
            newF = evaluate(trialX, &trialG)
            evals += 1
            functionEvaluations += 1
            if newF.isFinite && newF <= f + c1 * t * slope { break }
            t *= newF.isFinite ? 0.5 : 0.1
        }
        guard newF.isFinite && newF < f else {
            return Step(loss: f, stepSize: 0, evaluations: evals, improved: false)
        }
        // New pair: reuse the oldest slot when the history is full.
        let slot: Int
        if order.count < memory && s.count < memory {
            s.append(trialX); y.append(trialG); rho.append(0)
            slot = s.count - 1
        } else if order.count < memory {
            slot = (0..<s.count).first { !order.contains($0) }!
        } else {
            slot = order.removeFirst()
        }
        LBFGS.combine(&s[slot], trialX, -1, x)
        LBFGS.combine(&y[slot], trialG, -1, g)
        let sy = LBFGS.dot(s[slot], y[slot])
        if sy > 1e-10 * (LBFGS.dot(y[slot], y[slot]) * LBFGS.dot(s[slot], s[slot])).squareRoot() {
            rho[slot] = 1 / sy
            order.append(slot)
        }
        swap(&x, &trialX)
        swap(&g, &trialG)
        f = newF
        return Step(loss: newF, stepSize: t, evaluations: evals, improved: true)
    }
}
