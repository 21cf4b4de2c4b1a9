import Linalg

/// k-means with k-means++ seeding and restarts (the run with the lowest within-cluster sum of
/// squares wins), reproducible for a seed; and the silhouette of a clustering.
public struct KMeans: Sendable {
    public let k: Int
    /// Cluster of each row.
    public let assignment: [Int]
    public let centroids: Matrix
    /// Within-cluster sum of squared distances.
    public let inertia: Double

    public static func fit(_ x: Matrix, k: Int, restarts: Int = 5, iterations: Int = 100, seed: UInt64 = 1) -> KMeans {
        precondition(k >= 1 && k <= x.rows, "k must be between 1 and the number of rows")
        var rng = SeededRandom(seed: seed)
        var best: KMeans? = nil
        for _ in 0..<max(1, restarts) {
            let run = once(x, k: k, iterations: iterations, rng: &rng)
            if best == nil || run.inertia < best!.inertia { best = run }
        }
        return best!
    }

    static func distance2(_ x: Matrix, _ r: Int, _ c: Matrix, _ j: Int) -> Float {
        var s: Float = 0
        for t in 0..<x.cols { let d = x.storage[r * x.cols + t] - c.storage[j * c.cols + t]; s += d * d }
        return s
    }

    static func once(_ x: Matrix, k: Int, iterations: Int, rng: inout SeededRandom) -> KMeans {
        let n = x.rows, d = x.cols
        var centroids = Matrix(rows: k, cols: d)
        // k-means++: each next centre drawn with probability proportional to the squared distance
        // to the nearest centre so far.
        let first = rng.int(below: n)
        for t in 0..<d { centroids[0, t] = x[first, t] }
        var nearest = (0..<n).map { distance2(x, $0, centroids, 0) }
        for j in 1..<k {
            let total = nearest.reduce(0, +)
            var target = Float(rng.uniformDouble()) * total, pick = n - 1
            for r in 0..<n { target -= nearest[r]; if target <= 0 { pick = r; break } }
            for t in 0..<d { centroids[j, t] = x[pick, t] }
            for r in 0..<n { nearest[r] = min(nearest[r], distance2(x, r, centroids, j)) }
        }
        var assignment = [Int](repeating: -1, count: n)
        for _ in 0..<iterations {
            var changed = false
            for r in 0..<n {
                var bestJ = 0, bestD = Float.infinity
                for j in 0..<k { let dd = distance2(x, r, centroids, j); if dd < bestD { bestD = dd; bestJ = j } }
                if assignment[r] != bestJ { assignment[r] = bestJ; changed = true }
            }
            var sums = Matrix(rows: k, cols: d), counts = [Int](repeating: 0, count: k)
            for r in 0..<n { counts[assignment[r]] += 1; for t in 0..<d { sums[assignment[r], t] += x[r, t] } }
            for j in 0..<k where counts[j] > 0 { for t in 0..<d { centroids[j, t] = sums[j, t] / Float(counts[j]) } }
            if !changed { break }
        }
        var inertia = 0.0
        for r in 0..<n { inertia += Double(distance2(x, r, centroids, assignment[r])) }
        return KMeans(k: k, assignment: assignment, centroids: centroids, inertia: inertia)
    }

    /// Mean silhouette over rows: (b - a) / max(a, b), a the mean distance to the row's own cluster,
    /// b to the nearest other cluster (Euclidean). Rows alone in their cluster count 0.
    public static func silhouette(_ x: Matrix, assignment: [Int], k: Int) -> Double {
        let n = x.rows
        var sizes = [Int](repeating: 0, count: k)
        for a in assignment { sizes[a] += 1 }
        var values = [Double](repeating: 0, count: n)
        values.withUnsafeMutableBufferPointer { vp in
            Parallel.forEach(n) { r in
                guard sizes[assignment[r]] > 1 else { return }
                var sums = [Double](repeating: 0, count: k)
                for o in 0..<n where o != r {
                    var s: Float = 0
                    for t in 0..<x.cols { let d = x.storage[r * x.cols + t] - x.storage[o * x.cols + t]; s += d * d }
                    sums[assignment[o]] += Double(s.squareRoot())
                }
                let own = assignment[r]
                let a = sums[own] / Double(sizes[own] - 1)
                var b = Double.infinity
                for j in 0..<k where j != own && sizes[j] > 0 { b = min(b, sums[j] / Double(sizes[j])) }
                vp[r] = b.isFinite ? (b - a) / max(a, b) : 0
            }
        }
        return values.reduce(0, +) / Double(max(1, n))
    }

    /// Share of rows whose cluster's most frequent label is among their own labels (rows without
    /// labels left out): 1 when every cluster is one genre.
    public static func purity(assignment: [Int], k: Int, labels: [Set<String>]) -> Double {
        var counts = [[String: Int]](repeating: [:], count: k)
        for (r, a) in assignment.enumerated() { for l in labels[r] { counts[a][l, default: 0] += 1 } }
        let top = counts.map { c in c.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key }
        var hit = 0, total = 0
        for (r, a) in assignment.enumerated() where !labels[r].isEmpty {
            total += 1
            if let t = top[a], labels[r].contains(t) { hit += 1 }
        }
        return Double(hit) / Double(max(1, total))
    }
}
