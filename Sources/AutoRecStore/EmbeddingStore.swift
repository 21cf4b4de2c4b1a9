import Foundation
import AutoRec
import Linalg
import AutoRecCore
import AutoRecModels
import AutoRecRepresentation

/// Item embeddings and cluster assignments in the store. A set of embeddings is registered as a
/// model of task "embeddings" (kind "embedding:<variant>", the TSV as its artifact) and its vectors
/// go to `item_embeddings` in the same transaction; clusters of a set go to `clusters`, replaced whole.
public struct EmbeddingStore {
    public let connection: Connection
    public init(connection: Connection) { self.connection = connection }

    public static let task = "embeddings"

    /// Stores item embeddings; returns the id they are known by. Items the store does not know are
    /// skipped (and counted in the metrics).
    public func save(_ e: Embeddings, hyperparameters: [String: Any] = [:], ratingCount: Int = 0,
                     newestRating: Int64 = 0) throws -> Int {
        let itemIDs = try RecommendationStore(connection: connection).ids("items")
        let rows: [[String?]] = (0..<e.ids.count).compactMap { r in
            guard let item = itemIDs[e.ids.id(at: r)] else { return nil }
            return [nil, String(item), "{" + e.vectors.row(r).map { String($0) }.joined(separator: ",") + "}"]
        }
        return try connection.transaction {
            let id = try ModelRegistry(connection: connection).register(
                kind: "embedding:\(e.source)", task: Self.task, artifact: Data(e.tsv().utf8), hyperparameters: hyperparameters,
                metrics: ["items": rows.count, "skipped": e.ids.count - rows.count, "dim": e.vectors.cols],
                ratingCount: ratingCount, newestRating: newestRating)
            _ = try connection.copyIn("COPY item_embeddings (model_id, item_id, embedding) FROM STDIN",
                                      rows: rows.map { [String(id)] + $0.dropFirst() })
            return id
        }
    }

    /// The newest stored set of item embeddings' id, if any.
    public func latest() throws -> Int? {
        try connection.scalar("SELECT max(id) FROM models WHERE task = $1", [Self.task]).flatMap(Int.init)
    }

    /// A stored set of item embeddings by its id.
    public func load(_ id: Int) throws -> Embeddings {
        guard let kind = try connection.scalar("SELECT kind FROM models WHERE id = $1 AND task = $2", [String(id), Self.task]) else {
            throw StoreError("no stored embeddings with id \(id); see 'autorec models list'")
        }
        var ids = IDMap(), values: [Float] = [], dim = 0
        try connection.copyOut("""
            COPY (SELECT i.external_id, array_to_string(e.embedding, ',') FROM item_embeddings e
                  JOIN items i ON i.id = e.item_id WHERE e.model_id = \(id) ORDER BY i.id) TO STDOUT
            """) { row in
            guard let item = row[0], let text = row[1] else { return }
            let v = text.split(separator: ",").compactMap { Float($0) }
            dim = v.count
            _ = ids.insert(item)
            values.append(contentsOf: v)
        }
        guard ids.count > 0, values.count == ids.count * dim else { throw StoreError("stored embeddings \(id) are empty or ragged") }
        return Embeddings(ids: ids, vectors: Matrix(rows: ids.count, cols: dim, storage: values),
                          source: String(kind.dropFirst("embedding:".count)))
    }

    /// Replaces the cluster assignment of a stored set of embeddings, in one transaction.
    @discardableResult
    public func saveClusters(embeddingID id: Int, _ e: Embeddings, assignment: [Int]) throws -> Int {
        let itemIDs = try RecommendationStore(connection: connection).ids("items")
        let rows: [[String?]] = (0..<e.ids.count).compactMap { r in
            itemIDs[e.ids.id(at: r)].map { [String(id), String($0), String(assignment[r])] }
        }
        return try connection.transaction {
            try connection.execute("DELETE FROM clusters WHERE model_id = $1", [String(id)])
            return try connection.copyIn("COPY clusters (model_id, item_id, cluster) FROM STDIN", rows: rows)
        }
    }

    /// The store's items as a catalogue: titles and genres, for reports and classification.
    public func catalogue() throws -> ItemCatalogue {
        var c = ItemCatalogue()
        try connection.copyOut("COPY (SELECT external_id, coalesce(title, ''), array_to_string(genres, '|') FROM items ORDER BY id) TO STDOUT") { row in
            guard let id = row[0] else { return }
            c.order.append(id)
            if let t = row[1], !t.isEmpty { c.titles[id] = t }
            c.genres[id] = (row[2] ?? "").split(separator: "|").map(String.init)
        }
        return c
    }
}
