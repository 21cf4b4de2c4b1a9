/// Limited-memory BFGS (Nocedal 1980) with a backtracking Armijo line search, over Float parameters
/// with Double accumulation. Full-batch and deterministic: the optimiser the AutoRec paper used.
public struct LBFGS {
    public var memory: Int
    /// Armijo sufficient-decrease constant.
    public var c1: Double = 1e-4
    public var maxLineSearchSteps = 20
    private var s: [[Float]] = []
    private var y: [[Float]] = []
    private var rho: [Double] = []
    public private(set) var functionEvaluations = 0

    public init(memory: Int = 10) { self.memory = memory }

    /// The outcome of one iteration.
    public struct Step {
        public var loss: Double
        public var stepSize: Double
        public var evaluations: Int
        /// False when the line search found no decrease: the optimiser has converged or stalled.
        public var improved: Bool
    }

    @inline(__always) static func dot(_ a: [Float], _ b: [Float]) -> Double {
        var acc = 0.0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var i = 0
                let n = pa.count
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                while i + 4 <= n {
                    s0 += Double(pa[i]) * Double(pb[i]); s1 += Double(pa[i + 1]) * Double(pb[i + 1])
                    s2 += Double(pa[i + 2]) * Double(pb[i + 2]); s3 += Double(pa[i + 3]) * Double(pb[i + 3])
                    i += 4
                }
                while i < n { s0 += Double(pa[i]) * Double(pb[i]); i += 1 }
                acc = s0 + s1 + s2 + s3
            }
        }
        return acc
    }

    /// Search direction -H g by the two-loop recursion.
    func direction(_ g: [Float]) -> [Float] {
        var q = g
        let k = s.count
        var alpha = [Double](repeating: 0, count: k)
        for i in stride(from: k - 1, through: 0, by: -1) {
            alpha[i] = rho[i] * LBFGS.dot(s[i], q)
            let a = Float(alpha[i])
            y[i].withUnsafeBufferPointer { yp in
                q.withUnsafeMutableBufferPointer { qp in
                    for j in 0..<qp.count { qp[j] -= a * yp[j] }
                }
            }
        }
        var gamma: Float = 1
        if k > 0 {
            let yy = LBFGS.dot(y[k - 1], y[k - 1])
            if yy > 0 { gamma = Float(1 / (rho[k - 1] * yy)) }
        } else {
            let gn = LBFGS.dot(g, g).squareRoot()
            if gn > 0 { gamma = Float(1 / gn) }
        }
        for j in 0..<q.count { q[j] *= gamma }
        for i in 0..<k {
            let beta = rho[i] * LBFGS.dot(y[i], q)
            let c = Float(alpha[i] - beta)
            s[i].withUnsafeBufferPointer { sp in
                q.withUnsafeMutableBufferPointer { qp in
                    for j in 0..<qp.count { qp[j] += c * sp[j] }
                }
            }
        }
        for j in 0..<q.count { q[j] = -q[j] }
        return q
    }

    /// One iteration from `x` with loss `f` and gradient `g` (all updated in place).
    /// `evaluate(x, &grad)` returns the loss at x and writes its gradient.
    public mutating func step(x: inout [Float], loss f: inout Double, gradient g: inout [Float],
                              evaluate: (_ x: [Float], _ grad: inout [Float]) -> Double) -> Step {
        var d = direction(g)
        var slope = LBFGS.dot(g, d)
        if !(slope < 0) {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s.removeAll(); y.removeAll(); rho.removeAll()
            d = direction(g)
            slope = LBFGS.dot(g, d)
        }
        var t = 1.0
        var newX = x
        var newG = g
        var evals = 0
        var newF = Double.infinity
        while evals < maxLineSearchSteps {
            let tf = Float(t)
            for j in 0..<x.count { newX[j] = x[j] + tf * d[j] }
            newF = evaluate(newX, &newG)
            evals += 1
            functionEvaluations += 1
            if newF.isFinite && newF <= f + c1 * t * slope { break }
            t *= newF.isFinite ? 0.5 : 0.1
        }
        guard newF.isFinite && newF < f else {
            return Step(loss: f, stepSize: 0, evaluations: evals, improved: false)
        }
        var sk = newX, yk = newG
        for j in 0..<x.count { sk[j] -= x[j]; yk[j] -= g[j] }
        let sy = LBFGS.dot(sk, yk)
        if sy > 1e-10 * LBFGS.dot(yk, yk).squareRoot() * LBFGS.dot(sk, sk).squareRoot() {
            if s.count == memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
            s.append(sk); y.append(yk); rho.append(1 / sy)
        }
        x = newX
        g = newG
        f = newF
        return Step(loss: newF, stepSize: t, evaluations: evals, improved: true)
    }
}
