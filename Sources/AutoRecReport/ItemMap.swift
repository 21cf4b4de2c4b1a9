import Linalg
import AutoRecCore
import AutoRecRepresentation

/// The survey's dimensionality reduction (5.6) as a picture: item embeddings of a representation
/// variant, projected to two dimensions by PCA of the codes, coloured by k-means cluster, each point
/// titled with its item's title and genres.
public struct ItemMap: Sendable {
    public struct Point: Sendable { public var id: String; public var x: Double; public var y: Double; public var cluster: Int; public var title: String }
    public let points: [Point]
    public let clusters: Int
    /// The embedding the map shows ("denoising", "pca", ...).
    public let source: String
    /// Variance share the two axes keep of the codes' total.
    public let explained: Double

    /// Embeds the items of `ratings` with `variant` (EmbedderChoice's names), then projects and clusters.
    public static func build(_ ratings: Ratings, variant: String, catalogue: ItemCatalogue?, clusters: Int = 8,
                             seed: UInt64 = 1) throws -> ItemMap {
        let data = RatingVectors(ratings, of: .items)
        var config = RepresentationConfig(kind: .plain)
        config.seed = seed
        let embeddings = try EmbedderChoice.fit(variant, data: data, config: config).embeddings(of: data)
        return ItemMap(embeddings, catalogue: catalogue, clusters: clusters, seed: seed)
    }

    public init(_ embeddings: Embeddings, catalogue: ItemCatalogue?, clusters: Int = 8, seed: UInt64 = 1) {
        let (coordinates, explained) = Self.principalPlane(embeddings.vectors)
        let k = max(1, min(clusters, embeddings.ids.count))
        let assignment = KMeans.fit(embeddings.vectors, k: k, restarts: 3, seed: seed).assignment
        points = (0..<embeddings.ids.count).map { r in
            let id = embeddings.ids.id(at: r)
            var title = catalogue?.titles[id] ?? "item \(id)"
            if let genres = catalogue?.genres[id], !genres.isEmpty { title += " (\(genres.joined(separator: ", ")))" }
            return Point(id: id, x: coordinates[r].0, y: coordinates[r].1, cluster: assignment[r], title: title)
        }
        self.clusters = k
        source = embeddings.source
        self.explained = explained
    }

    /// Each row's coordinates on the two leading principal axes of the centred rows (power
    /// iteration on the small covariance matrix, the second axis after deflating the first).
    static func principalPlane(_ m: Matrix) -> (coordinates: [(Double, Double)], explained: Double) {
        let n = m.rows, d = m.cols
        guard n > 0, d > 0 else { return ([], 0) }
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n { for c in 0..<d { mean[c] += Double(m[r, c]) / Double(n) } }
        var cov = [Double](repeating: 0, count: d * d)
        for r in 0..<n {
            for a in 0..<d {
                let xa = Double(m[r, a]) - mean[a]
                for b in 0..<d { cov[a * d + b] += xa * (Double(m[r, b]) - mean[b]) / Double(n) }
            }
        }
        let total = (0..<d).reduce(0.0) { $0 + cov[$1 * d + $1] }
        var axes: [[Double]] = [], kept = 0.0
        for axisIndex in 0..<min(2, d) {
            var v = (0..<d).map { 1 + Double(($0 * 7 + axisIndex * 3) % 5) }
            var lambda = 0.0
            for _ in 0..<200 {
                var w = (0..<d).map { a in (0..<d).reduce(0.0) { $0 + cov[a * d + $1] * v[$1] } }
                lambda = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard lambda > 1e-15 else { break }
                for a in 0..<d { w[a] /= lambda }
                v = w
            }
            kept += lambda
            axes.append(v)
            for a in 0..<d { for b in 0..<d { cov[a * d + b] -= lambda * v[a] * v[b] } }
        }
        let coordinates = (0..<n).map { r -> (Double, Double) in
            func project(_ axis: [Double]) -> Double { (0..<d).reduce(0.0) { $0 + (Double(m[r, $1]) - mean[$1]) * axis[$1] } }
            return (project(axes[0]), axes.count > 1 ? project(axes[1]) : 0)
        }
        return (coordinates, total > 0 ? kept / total : 0)
    }
}
