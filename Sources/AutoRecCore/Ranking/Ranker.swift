import Linalg

/// The shared face of every top-N model (popularity, EASE, Mult-DAE, Mult-VAE, CDAE, AutoRec):
/// scores of every item for the users it was trained on, and, where the model can, for a new user
/// described only by some items (fold-in). Evaluation, batch scoring and the CLI use this and
/// nothing model-specific, so every model is measured by one code path.
public protocol Ranker: Sendable {
    /// The model kind as written in its file (a `ModelKind` name); the catalogue sets it when it
    /// trains or loads a model, so a kind registered under a second name keeps that name.
    var kind: String { get set }
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
    /// The same scores written into a caller's buffer, for the streaming top-N (`scoreTopN`); the
    /// default copies `blockScorer()`'s matrix, AutoRec ranks on its decoder's pre-activations.
    func blockScoring() -> BlockScoring
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
    /// user's training items: `scoreTopN` with the lists kept in memory. `progress` gets the number of
    /// users done after each block of `blockSize` users (nil: `defaultBlockSize`).
    public func topN(users: [Int], count: Int, blockSize: Int? = nil,
                     progress: ((Int) -> Void)? = nil) -> [[(item: Int, score: Float)]] {
        var out: [[(item: Int, score: Float)]] = []
        out.reserveCapacity(users.count)
        scoreTopN(users: users, count: count, blockSize: blockSize) { block in
            for r in 0..<block.users.count { out.append(block.list(at: r)) }
            progress?(block.offset + block.users.count)
        }
        return out
    }

    /// Top `count` items for a new user given their items, leaving those items out.
    public func recommend(foldingIn items: [Int], values: [Float]? = nil, count: Int) throws -> [(item: Int, score: Float)] {
        let scores = try foldIn(items: items, values: values ?? [Float](repeating: 1, count: items.count))
        return TopN.select(scores, count: count, excluding: Set(items)).map { ($0, scores[$0]) }
    }
}
