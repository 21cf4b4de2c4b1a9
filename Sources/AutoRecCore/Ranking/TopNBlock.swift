import Foundation
import Linalg

/// One block of top-N lists from `Ranker.scoreTopN`, flat: list `r` is `items[r * count ..< (r + 1) * count]`
/// with `scores` alongside, best first. A user with fewer than `count` unseen items has a shorter
/// list, padded with item -1 and score NaN (`length(at:)` gives its length).
public struct TopNBlock: Sendable {
    /// Position of the block's first user in the `users` passed to `scoreTopN`.
    public let offset: Int
    /// The block's dense user indices, in the order given.
    public let users: [Int]
    /// Entries per list (the requested top-N).
    public let count: Int
    /// Dense item indices, `count` per user, -1 after a short list's end.
    public let items: [Int32]
    /// The items' scores, NaN after a short list's end.
    public let scores: [Float]

    /// The length of list `r` (its items before the -1 padding).
    public func length(at r: Int) -> Int {
        var n = 0
        while n < count && items[r * count + n] >= 0 { n += 1 }
        return n
    }

    /// List `r` as (item, score) pairs.
    public func list(at r: Int) -> [(item: Int, score: Float)] {
        (0..<length(at: r)).map { (Int(items[r * count + $0]), scores[r * count + $0]) }
    }
}
