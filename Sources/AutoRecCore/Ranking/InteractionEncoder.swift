import Linalg

/// A top-N model that scores every item from a user's interactions alone (the Mult models,
/// RecVAE): its known users are scored from their history, a new user from the given items, by the
/// same `scores(of:)`.
package protocol InteractionEncoder: Ranker {
    /// Scores (rows x items) of users given as sparse interaction rows.
    func scores(of rows: SparseRows) -> Matrix
}

extension InteractionEncoder {
    public func blockScorer() -> @Sendable ([Int]) -> Matrix {
        let model = self
        return { block in model.scores(of: SparseRows(model.history, rows: block)) }
    }

    public func foldIn(items: [Int], values: [Float]) throws -> [Float] {
        var rows = SparseRows()
        rows.append(columns: items, values: values)
        return scores(of: rows).storage
    }
}
