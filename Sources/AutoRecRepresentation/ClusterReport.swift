import Linalg
import AutoRecCore

/// k-means++ on one set of item embeddings, read against the catalogue: silhouette, genre purity,
/// cluster sizes, and per cluster its most frequent genres and best-known titles (what `cluster`
/// prints).
public struct ClusterReport {
    /// What one cluster holds.
    public struct Cluster {
        public var index: Int
        public var size: Int
        /// Its three most frequent genres with their counts, most frequent first.
        public var genres: [(genre: String, count: Int)]
        /// Its three best-known titles (most rated first; the id where there is no title).
        public var titles: [String]
    }

    public let embedding: String
    public let silhouette: Double
    public let purity: Double
    /// Cluster sizes, largest first.
    public let sizes: [Int]
    /// Each item's cluster, in the embeddings' row order.
    public let assignment: [Int]
    public let clusters: [Cluster]

    /// Clusters `embeddings` into `k` groups (the best of `restarts` seeded runs). `popularity`
    /// (ratings per item id) orders the titles.
    public init(_ embeddings: Embeddings, k: Int, restarts: Int, seed: UInt64, catalogue: ItemCatalogue,
                popularity: IDDictionary<Int>) throws {
        guard k <= embeddings.ids.count else { throw SettingError("--k \(k) is more than the \(embeddings.ids.count) items") }
        let km = KMeans.fit(embeddings.vectors, k: k, restarts: restarts, seed: seed)
        let labels = (0..<embeddings.ids.count).map { Set(catalogue.genres[embeddings.ids.id(at: $0)] ?? []) }
        embedding = embeddings.source
        assignment = km.assignment
        silhouette = KMeans.silhouette(embeddings.vectors, assignment: km.assignment, k: k)
        purity = KMeans.purity(assignment: km.assignment, k: k, labels: labels)
        var members = [[Int]](repeating: [], count: k)
        for (row, cluster) in km.assignment.enumerated() { members[cluster].append(row) }
        sizes = members.map(\.count).sorted(by: >)
        clusters = members.enumerated().map { index, rows in
            Self.describe(index, rows, ids: embeddings.ids, labels: labels, catalogue: catalogue, popularity: popularity)
        }
    }

    private static func describe(_ index: Int, _ rows: [Int], ids: IDMap, labels: [Set<String>], catalogue: ItemCatalogue,
                                 popularity: IDDictionary<Int>) -> Cluster {
        var genreCounts: [String: Int] = [:]
        for r in rows { for g in labels[r] { genreCounts[g, default: 0] += 1 } }
        let genres = genreCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
        let ranked = rows.map { ids.id(at: $0) }.sorted { a, b in
            let pa = popularity[a] ?? 0, pb = popularity[b] ?? 0
            return pa != pb ? pa > pb : a < b
        }
        return Cluster(index: index, size: rows.count, genres: genres.map { ($0.key, $0.value) },
                       titles: ranked.prefix(3).map { catalogue.titles[$0] ?? $0 })
    }

    /// Ratings per item id, the order `titles` follows.
    public static func popularity(_ ratings: Ratings) -> IDDictionary<Int> {
        var counts = [Int](repeating: 0, count: ratings.items.count)
        for i in ratings.itemIndex { counts[Int(i)] += 1 }
        var byID = IDDictionary<Int>()
        for (i, n) in counts.enumerated() where n > 0 { byID[ratings.items.id(at: i)] = n }
        return byID
    }
}
