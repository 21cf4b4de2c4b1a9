import Linalg

/// The shared face of every top-N model (popularity, EASE, Mult-DAE, Mult-VAE, CDAE, AutoRec):
/// scores of every item for the users it was trained on, and, where the model can, for a new user
/// described only by some items (fold-in). Evaluation, batch scoring and the CLI use this and
/// nothing model-specific, so every model is measured by one code path.
public protocol Ranker: Sendable {
    /// The model kind as written in its file ("mult-vae", "ease", "i-autorec", ...).
    var kind: String { get }
    /// The users the model was trained on.
    var users: IDMap { get }
    /// The items it can rank.
    var items: IDMap { get }
    /// Each known user's training interactions (users x items): what a list must leave out, and
    /// what the model encodes.
    var history: CSRMatrix { get }
    /// Prepares what scoring needs once (factor matrices and the like) and returns a function that
    /// scores blocks of known users: one row per user, one column per item, higher is better.
    func blockScorer() -> @Sendable ([Int]) -> Matrix
    /// Scores of every item for a user the model never saw, from that user's items (dense indices)
    /// and their values; throws `FoldInUnsupported` when the model cannot do it.
    func foldIn(items: [Int], values: [Float]) throws -> [Float]
    /// The model as a self-describing, checksummed file.
    func modelFile(extraHeader: [String: Any]) -> ModelFile
}

/// Thrown by models that cannot score a user they were not trained on, with the reason.
public struct FoldInUnsupported: Error, CustomStringConvertible {
    public let kind: String
    public let reason: String
    public init(kind: String, reason: String) { self.kind = kind; self.reason = reason }
    public var description: String { "\(kind) cannot recommend for a new user: \(reason)" }
}

extension Ranker {
    /// The items user `u` interacted with in training.
    public func historyItems(ofUser u: Int) -> [Int] {
        (history.rowStart[u]..<history.rowStart[u + 1]).map { Int(history.columns[$0]) }
    }

    /// Top `count` items per user for the dense user indices `users`, best first, leaving out each
    /// user's training items. Scores blocks of `blockSize` users at a time (one matrix product per
    /// block for the models that have one); `progress` gets the number of users done after each block.
    public func topN(users: [Int], count: Int, blockSize: Int = 256,
                     progress: ((Int) -> Void)? = nil) -> [[(item: Int, score: Float)]] {
        let score = blockScorer()
        var out: [[(item: Int, score: Float)]] = []
        out.reserveCapacity(users.count)
        var start = 0
        while start < users.count {
            let block = Array(users[start..<min(users.count, start + blockSize)])
            let s = score(block)
            let n = s.cols
            var lists = [[(item: Int, score: Float)]](repeating: [], count: block.count)
            lists.withUnsafeMutableBufferPointer { listBuffer in
                s.storage.withUnsafeBufferPointer { sp in
                    Parallel.forEach(block.count) { r in
                        let row = Array(sp[(r * n)..<((r + 1) * n)])
                        let best = TopN.select(row, count: count, excluding: Set(historyItems(ofUser: block[r])))
                        listBuffer[r] = best.map { ($0, row[$0]) }
                    }
                }
            }
            out.append(contentsOf: lists)
            start += block.count
            progress?(start)
        }
        return out
    }

    /// Top `count` items for a new user given their items, leaving those items out.
    public func recommend(foldingIn items: [Int], values: [Float]? = nil, count: Int) throws -> [(item: Int, score: Float)] {
        let scores = try foldIn(items: items, values: values ?? [Float](repeating: 1, count: items.count))
        return TopN.select(scores, count: count, excluding: Set(items)).map { ($0, scores[$0]) }
    }
}
