import Linalg
import AutoRecCore

/// New user profiles drawn from a generative representation model (VAE, beta-VAE): codes from the
/// prior through the decoder, then each item kept with probability (decoded value / the item's
/// mean value) and rated around the item's mean with its spread, clipped to the rating range.
public struct SampledProfiles: Sendable {
    /// The drawn ratings, profile by profile (profiles are numbered from 0).
    public var ratings: [(profile: Int, item: String, rating: Float)] = []
    /// Ratings per profile.
    public var sizes: [Int] = []

    /// `count` profiles from `model`, trained on the user vectors `data` of `ratings` (reproducible for a seed).
    public init(model: RepresentationAutoencoder, data: RatingVectors, ratings: Ratings, count: Int, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var z = Matrix(rows: count, cols: model.codeSize)
        for j in 0..<z.storage.count { z.storage[j] = rng.normal() }
        let y = model.decode(codes: z)
        let top = ratings.range.upperBound, bottom = ratings.range.lowerBound
        // Each item's mean scaled rating and its spread, from the training vectors.
        var sum = [Float](repeating: 0, count: y.cols), sq = sum, n = sum
        for (p, col) in data.rows.columns.enumerated() {
            let v = data.rows.values[p]; sum[Int(col)] += v; sq[Int(col)] += v * v; n[Int(col)] += 1
        }
        for r in 0..<count {
            var k = 0
            for i in 0..<y.cols where n[i] > 0 {
                let m = sum[i] / n[i], sd = max(0, sq[i] / n[i] - m * m).squareRoot()
                guard rng.uniform() < min(1, max(0, y[r, i] / m)) else { continue }
                let v = min(top, max(bottom, ((m + sd * rng.normal()) * top).rounded()))
                self.ratings.append((r, ratings.items.id(at: i), v))
                k += 1
            }
            sizes.append(k)
        }
    }
}

extension SampledProfiles {
    /// The drawn profiles beside the real ones: ratings per profile and mean rating.
    public struct Comparison: Sendable {
        public var sampleRatingsPerProfile: Double, sampleMeanRating: Double
        public var realRatingsPerProfile: Double, realMeanRating: Double
    }

    /// How the drawn profiles compare with the real users `data` of `ratings`.
    public func comparison(real data: RatingVectors, ratings: Ratings) -> Comparison {
        func mean(_ a: [Double]) -> Double { a.isEmpty ? 0 : a.reduce(0, +) / Double(a.count) }
        return Comparison(sampleRatingsPerProfile: mean(sizes.map(Double.init)),
                          sampleMeanRating: mean(self.ratings.map { Double($0.rating) }),
                          realRatingsPerProfile: mean((0..<data.rows.rows).map { Double(data.rows.count(ofRow: $0)) }),
                          realMeanRating: Double(ratings.mean))
    }

    /// The drawn ratings as a ratings file's lines (users sample-1, sample-2, ...).
    public var tsvLines: [String] { ratings.map { "sample-\($0.profile + 1)\t\($0.item)\t\(Int($0.rating))" } }
}
