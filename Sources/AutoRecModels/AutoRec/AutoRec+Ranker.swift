import Linalg
import AutoRecCore

extension AutoRec: RatingPredictor {}

/// AutoRec in the ranking protocol: items ranked by predicted rating.
extension AutoRec: Ranker {
    public func blockScorer() -> @Sendable ([Int]) -> Matrix {
        let scorer = BatchScorer(model: self)
        return { block in scorer.scores(users: block) }
    }

    public func blockScoring() -> BlockScoring { AutoRecBlockScoring(model: self).blockScoring() }

    /// U-AutoRec encodes the new user's rating vector and decodes every item; I-AutoRec cannot,
    /// since a user is an input unit of its network, fixed at training.
    public func foldIn(items: [Int], values: [Float]) throws -> [Float] {
        guard config.orientation == .user else {
            throw FoldInUnsupported(kind: kind, reason: "I-AutoRec encodes each item from the ratings of the users it was trained on, so a new user has no input unit")
        }
        let row = CSRMatrix(rows: 1, cols: self.items.count,
                            entries: zip(items, values).map { (row: 0, col: $0.0, value: $0.1) })
        let code = AutoRecObjective.codes(of: row, params: parameters, encoder: config.encoder,
                                          inputShift: config.centerInputs ? mean : 0, inputScaling: config.inputScaling)
        return parameters.flat.withUnsafeBufferPointer { pp in
            code.storage.withUnsafeBufferPointer { cp in
                (0..<self.items.count).map { config.decoder.apply(decoderOutput(pp.baseAddress!, unit: $0, code: cp.baseAddress!)) }
            }
        }
    }
}
