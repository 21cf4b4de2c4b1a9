import Linalg

/// The top-N as it was before the streaming scorer (blocks of 256 users, each score row copied, a
/// Set of the user's history, `TopN.select`): the baseline `bench-score --compare` times and checks
/// the streaming lists against.
public enum FormerTopN {
    /// Top `count` items per user, the former way.
    public static func lists(_ model: any Ranker, users: [Int], count: Int) -> [[(item: Int, score: Float)]] {
        let score = model.blockScorer()
        var out: [[(item: Int, score: Float)]] = []
        var start = 0
        while start < users.count {
            let block = Array(users[start..<min(users.count, start + 256)])
            let s = score(block)
            let n = s.cols
            var lists = [[(item: Int, score: Float)]](repeating: [], count: block.count)
            lists.withUnsafeMutableBufferPointer { listBuffer in
                s.storage.withUnsafeBufferPointer { sp in
                    Parallel.forEach(block.count) { r in
                        let row = Array(sp[(r * n)..<((r + 1) * n)])
                        let best = TopN.select(row, count: count, excluding: Set(model.historyItems(ofUser: block[r])))
                        listBuffer[r] = best.map { ($0, row[$0]) }
                    }
                }
            }
            out.append(contentsOf: lists)
            start += block.count
        }
        return out
    }
}
