import Foundation
import Linalg

/// How a model scores blocks of users for the streaming top-N (`Ranker.scoreTopN`): it writes
/// ranking keys into the scorer's own reusable buffer instead of returning a new matrix per block.
public struct BlockScoring: Sendable {
    /// Columns per row: the number of items.
    public let itemCount: Int
    /// Writes one row of `itemCount` keys per user of the block into `buffer` (row-major); higher is better.
    public let fill: @Sendable (_ users: [Int], _ buffer: UnsafeMutablePointer<Float>) -> Void
    /// Floating-point operations of the block's matrix product per user (2 x items x hidden); nil
    /// for models that have no such product.
    public let flopsPerUser: Double?
    /// Set when the keys are not the scores but rank like them; nil when keys are the scores.
    public let keyScores: KeyScores?

    public init(itemCount: Int, flopsPerUser: Double? = nil, keyScores: KeyScores? = nil,
                fill: @escaping @Sendable (_ users: [Int], _ buffer: UnsafeMutablePointer<Float>) -> Void) {
        self.itemCount = itemCount; self.flopsPerUser = flopsPerUser; self.keyScores = keyScores; self.fill = fill
    }
}

/// Keys that rank like the scores without being them (AutoRec's pre-activations): a kept key's
/// score comes from `score`, which must never decrease as the key grows, so only kept keys are scored.
public struct KeyScores: Sendable {
    /// Added to each item's key before ranking (U-AutoRec's output bias); nil for none.
    public let itemOffsets: [Float]?
    /// The score of `user`'s item whose key, offset included, is `key`.
    public let score: @Sendable (_ user: Int, _ key: Float) -> Float

    public init(itemOffsets: [Float]?, score: @escaping @Sendable (_ user: Int, _ key: Float) -> Float) {
        self.itemOffsets = itemOffsets; self.score = score
    }
}
