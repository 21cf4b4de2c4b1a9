import Linalg
import AutoRecCore

/// EASE (Steck 2019): a linear item-item model with a zero diagonal, in closed form.
/// With G = X^T X + lambda I and P = G^-1, the weights are B = I - P diag(1/diag(P)), so
/// B_ij = -P_ij / P_jj off the diagonal; a user's scores are x_u B. One Cholesky inverse of an
/// items x items matrix: exact, no epochs, and memory grows with items squared.
public struct EASE: Ranker {
    /// The kind name its files carry; the catalogue registers the kind under it.
    public static let kindName = "ease"
    public var kind = Self.kindName
    public let users: IDMap
    public let items: IDMap
    public let history: CSRMatrix
    public let lambda: Float
    /// items x items, row i holds what item i adds to every item's score.
    public let weights: Matrix

    /// The default L2 weight, chosen on a validation part of the ML-100K implicit training split.
    public static let defaultLambda: Float = 500

    /// Fits in closed form; throws if the regularised Gram matrix is not positive definite (lambda <= 0).
    public static func fit(_ data: ImplicitData, lambda: Float = defaultLambda) throws -> EASE {
        try EASE(users: data.users, items: data.items, history: data.matrix, lambda: lambda,
                 weights: solve(data.matrix, lambda: lambda))
    }

    /// The weight matrix for interactions `x` (users x items).
    static func solve(_ x: CSRMatrix, lambda: Float) throws -> Matrix {
        let n = x.cols
        var g = Matrix(rows: n, cols: n)
        // Gram matrix from each user's item pairs: cost sum over users of |items|^2, not users x items^2.
        g.storage.withUnsafeMutableBufferPointer { gp in
            for u in 0..<x.rows {
                let lo = x.rowStart[u], hi = x.rowStart[u + 1]
                for p in lo..<hi {
                    let a = Int(x.columns[p]), va = x.values[p]
                    for q in lo..<hi { gp[a * n + Int(x.columns[q])] += va * x.values[q] }
                }
            }
            for i in 0..<n { gp[i * n + i] += lambda }
        }
        try LAPACK.invertSymmetricPositiveDefinite(&g)
        var b = Matrix(rows: n, cols: n)
        for i in 0..<n {
            for j in 0..<n where i != j { b.storage[i * n + j] = -g.storage[i * n + j] / g.storage[j * n + j] }
        }
        return b
    }

    init(users: IDMap, items: IDMap, history: CSRMatrix, lambda: Float, weights: Matrix) {
        self.users = users; self.items = items; self.history = history; self.lambda = lambda; self.weights = weights
    }

    /// Scores of every item for the interactions `cols` with `vals`: the sum of their weight rows.
    func scores(cols: [Int], vals: [Float]) -> [Float] {
        let n = items.count
        var out = [Float](repeating: 0, count: n)
        weights.storage.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { o in
                for (c, v) in zip(cols, vals) { Kernels.axpy(n, v, w.baseAddress! + c * n, o.baseAddress!) }
            }
        }
        return out
    }

    public func blockScorer() -> @Sendable ([Int]) -> Matrix {
        let model = self
        return { block in
            let n = model.items.count
            var out = Matrix(rows: block.count, cols: n)
            out.storage.withUnsafeMutableBufferPointer { o in
                Parallel.forEach(block.count) { r in
                    let u = block[r], h = model.history
                    let range = h.rowStart[u]..<h.rowStart[u + 1]
                    let s = model.scores(cols: range.map { Int(h.columns[$0]) }, vals: range.map { h.values[$0] })
                    for j in 0..<n { o[r * n + j] = s[j] }
                }
            }
            return out
        }
    }

    public func foldIn(items: [Int], values: [Float]) throws -> [Float] { scores(cols: items, vals: values) }

    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        RankerFile.file(kind: kind, users: users, items: items, history: history, configuration: Configuration(lambda: lambda),
                        extraHeader: extraHeader, arrays: [("weights", weights.storage)])
    }

    /// What its file keeps of how it was fitted: the L2 weight on the item-item matrix.
    struct Configuration: Codable {
        var lambda: Float
    }

    public init(modelFile f: ModelFile, path: String = "model") throws {
        let (u, i, h) = try RankerFile.common(f, path: path)
        guard let count = (CheckedSize(i.count) * CheckedSize(i.count)).value else {
            throw ModelFileError(path: path, message: "\(i.count) items overflow the weight matrix's size")
        }
        let w = try RankerFile.array(f, "weights", count: count, path: path)
        let c = try f.configuration(Configuration.self, defaults: Configuration(lambda: 0), path: path)
        self.init(users: u, items: i, history: h, lambda: c.lambda,
                  weights: Matrix(rows: i.count, cols: i.count, storage: w))
    }
}
