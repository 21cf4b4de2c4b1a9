import Foundation
import Linalg


extension Ranker {
    /// The default block scoring: `blockScorer()`'s matrix copied into the buffer.
    public func blockScoring() -> BlockScoring {
        let score = blockScorer()
        return BlockScoring(itemCount: items.count) { users, buffer in
            let block = score(users)
            block.storage.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    /// Users per block when the caller gives none: a score block of at most 256 MB, 64 to 2048 users
    /// (at 27k items the GEMM ran at 52 GFLOP/s with 256 users, 58 with 1024, 62 with 2048 and 4096).
    public static func defaultBlockSize(items: Int) -> Int {
        max(64, min(2048, (256 << 20) / (4 * max(1, items))))
    }

    /// Top `count` items of every user in `users` (dense indices), best first, leaving out each user's
    /// training items and, when given, the items of the user's row of `excluding` (users x items in
    /// the model's indices: every rating the user has, not only those the model trained on); hands
    /// the lists to `sink` block by block, in order, on the calling thread, as soon as each block is
    /// done. One score buffer of `blockSize` x items floats is reused throughout.
    @discardableResult
    public func scoreTopN(users: [Int], count: Int, blockSize: Int? = nil, excluding: CSRMatrix? = nil,
                          sink: (TopNBlock) throws -> Void) rethrows -> ScoringStats {
        let mask = RatedMask(history: history, excluding: excluding)
        let scoring = blockScoring()
        let itemCount = scoring.itemCount
        let size = max(1, min(blockSize ?? Self.defaultBlockSize(items: itemCount), max(1, users.count)))
        var stats = ScoringStats()
        stats.users = users.count
        stats.blockSize = size
        if scoring.flopsPerUser != nil { stats.flops = 0 }
        let buffer = Memory.allocate(size * itemCount, Float(0))
        defer { Memory.free(buffer) }
        let started = Date()
        var start = 0
        while start < users.count {
            let block = Array(users[start..<min(users.count, start + size)])
            let t0 = Date()
            scoring.fill(block, buffer)
            let t1 = Date()
            let lists = selectLists(block, offset: start, count: count, buffer: buffer, scoring: scoring, mask: mask)
            let t2 = Date()
            try sink(lists)
            stats.scoringSeconds += t1.timeIntervalSince(t0)
            stats.selectionSeconds += t2.timeIntervalSince(t1)
            stats.sinkSeconds += Date().timeIntervalSince(t2)
            if let f = scoring.flopsPerUser { stats.flops! += f * Double(block.count) }
            start += block.count
        }
        stats.totalSeconds = Date().timeIntervalSince(started)
        return stats
    }

    /// The lists of one scored block, selected in parallel over users.
    func selectLists(_ block: [Int], offset: Int, count: Int, buffer: UnsafeMutablePointer<Float>,
                     scoring: BlockScoring, mask: RatedMask) -> TopNBlock {
        var items = filledArray(block.count * count, with: Int32(-1))
        var scores = filledArray(block.count * count, with: Float.nan)
        let itemCount = scoring.itemCount
        if count > 0 {
            items.withUnsafeMutableBufferPointer { itemOut in
                scores.withUnsafeMutableBufferPointer { scoreOut in
                    Parallel.forChunks(block.count) { _, range in
                        let selection = TopNSelection(capacity: scoring.keyScores == nil ? count : count + 1)
                        for r in range {
                            rankRow(block[r], buffer + r * itemCount, count: count, scoring: scoring, mask: mask, selection: selection,
                                    items: itemOut.baseAddress! + r * count, scores: scoreOut.baseAddress! + r * count)
                        }
                    }
                }
            }
        }
        return TopNBlock(offset: offset, users: block, count: count, items: items, scores: scores)
    }

    /// Writes one user's list from their row of keys into `items` and `scores` (`count` places,
    /// padded with -1 and NaN already); the row is overwritten (history masked, and scored in full
    /// when the kept keys cannot decide the list).
    func rankRow(_ user: Int, _ row: UnsafeMutablePointer<Float>, count: Int, scoring: BlockScoring, mask: RatedMask,
                 selection: TopNSelection, items: UnsafeMutablePointer<Int32>, scores: UnsafeMutablePointer<Float>) {
        mask.apply(user, row)
        guard let keyScores = scoring.keyScores else {
            copyKept(selection, selection.select(row, count: scoring.itemCount, offsets: nil), items: items, scores: scores)
            return
        }
        let found = keyScores.itemOffsets.map { offsets in
            offsets.withUnsafeBufferPointer { selection.select(row, count: scoring.itemCount, offsets: $0.baseAddress!) }
        } ?? selection.select(row, count: scoring.itemCount, offsets: nil)
        let kept = min(found, count)
        for j in 0..<kept {
            items[j] = selection.item(at: j)
            scores[j] = keyScores.score(user, selection.key(at: j))
        }
        let decided = found <= count || keyScores.score(user, selection.key(at: count)) < scores[count - 1]
        if decided && !(0..<kept).contains(where: { scores[$0].isNaN }) {
            orderEqualScoresByItem(kept, items: items, scores: scores)
            return
        }
        for j in 0..<kept { items[j] = -1; scores[j] = .nan }
        scoreInFull(user, row, keyScores: keyScores, itemCount: scoring.itemCount)
        mask.apply(user, row)
        copyKept(selection, min(count, selection.select(row, count: scoring.itemCount, offsets: nil)), items: items, scores: scores)
    }

    /// Copies the first `kept` entries of the latest selection, keys as scores.
    func copyKept(_ selection: TopNSelection, _ kept: Int, items: UnsafeMutablePointer<Int32>, scores: UnsafeMutablePointer<Float>) {
        for j in 0..<kept {
            items[j] = selection.item(at: j)
            scores[j] = selection.key(at: j)
        }
    }

    /// Scores that never increase down the list, with items in key order: puts each run of equal
    /// scores in item order (an insertion sort, linear when there are no ties).
    func orderEqualScoresByItem(_ count: Int, items: UnsafeMutablePointer<Int32>, scores: UnsafeMutablePointer<Float>) {
        guard count > 1 else { return }
        for j in 1..<count {
            var k = j
            while k > 0 && scores[k - 1] == scores[k] && items[k - 1] > items[k] {
                let item = items[k]; items[k] = items[k - 1]; items[k - 1] = item
                k -= 1
            }
        }
    }

    /// Replaces every key of the row by its score (the caller masks the rated items again): for ties among kept scores.
    func scoreInFull(_ user: Int, _ row: UnsafeMutablePointer<Float>, keyScores: KeyScores, itemCount: Int) {
        if let offsets = keyScores.itemOffsets {
            for i in 0..<itemCount { row[i] = keyScores.score(user, row[i] + offsets[i]) }
        } else {
            for i in 0..<itemCount { row[i] = keyScores.score(user, row[i]) }
        }
    }
}

/// The items a list must leave out: the model's training items of each user and, when given, every
/// item the user has rated (`excluding`, in the model's indices). Their keys become NaN, which
/// selection never keeps.
struct RatedMask: Sendable {
    let history: CSRMatrix
    let excluding: CSRMatrix?

    func apply(_ user: Int, _ row: UnsafeMutablePointer<Float>) {
        for p in history.rowStart[user]..<history.rowStart[user + 1] { row[Int(history.columns[p])] = .nan }
        guard let excluding, user < excluding.rows else { return }
        for p in excluding.rowStart[user]..<excluding.rowStart[user + 1] { row[Int(excluding.columns[p])] = .nan }
    }
}

/// An array of `count` copies of `value`, filled through a pointer (the generic initialiser copied
/// one element at a time).
func filledArray<T>(_ count: Int, with value: T) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        buffer.baseAddress?.initialize(repeating: value, count: count)
        initialized = count
    }
}
