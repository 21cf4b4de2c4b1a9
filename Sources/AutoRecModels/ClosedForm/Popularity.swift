import Linalg
import AutoRecCore

/// The floor of every ranking report: items ranked by how many users interacted with them in
/// training, the same list for everyone (less what each user already has).
public struct Popularity: Ranker {
    /// The kind name its files carry; the catalogue registers the kind under it.
    public static let kindName = "popularity"
    public var kind = Self.kindName
    public let users: IDMap
    public let items: IDMap
    public let history: CSRMatrix
    /// Training interactions per item.
    public let counts: [Float]

    /// Counts the interactions of `data`.
    public static func fit(_ data: ImplicitData) -> Popularity {
        Popularity(users: data.users, items: data.items, history: data.matrix, counts: data.itemCounts().map { Float($0) })
    }

    init(users: IDMap, items: IDMap, history: CSRMatrix, counts: [Float]) {
        self.users = users; self.items = items; self.history = history; self.counts = counts
    }

    public func blockScorer() -> @Sendable ([Int]) -> Matrix {
        let counts = self.counts
        return { block in Matrix(rows: block.count, cols: counts.count, storage: Array(repeatElement(counts, count: block.count).joined())) }
    }

    public func foldIn(items: [Int], values: [Float]) throws -> [Float] { counts }

    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        RankerFile.file(kind: kind, users: users, items: items, history: history, configuration: [String: Int](),
                        extraHeader: extraHeader, arrays: [("counts", counts)])
    }

    public init(modelFile f: ModelFile, path: String = "model") throws {
        let (u, i, h) = try RankerFile.common(f, path: path)
        self.init(users: u, items: i, history: h, counts: try RankerFile.array(f, "counts", count: i.count, path: path))
    }
}
