import Linalg

/// Synthetic rating data with a low-rank structure (user and item factors plus noise, popular items
/// rated more often), for benchmarks at sizes the bundled data cannot reach.
public enum SyntheticRatings {
    /// Tab-separated `user item rating` lines.
    public static func tsv(ratings n: Int, users: Int, items: Int, rank: Int = 8, seed: UInt64) -> String {
        var rng = SeededRandom(seed: seed)
        let userF = (0..<(users * rank)).map { _ in rng.normal() * 0.5 }
        let itemF = (0..<(items * rank)).map { _ in rng.normal() * 0.5 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * 16)
        func append(_ v: Int) {
            var digits: [UInt8] = []
            var x = v
            repeat { digits.append(UInt8(48 + x % 10)); x /= 10 } while x > 0
            bytes.append(contentsOf: digits.reversed())
        }
        for _ in 0..<n {
            let u = rng.int(below: users)
            // Popularity skew: squaring a uniform favours low item indices.
            let r = rng.uniform()
            let i = min(items - 1, Int(r * r * Float(items)))
            var s: Float = 3.5 + rng.normal() * 0.7
            for k in 0..<rank { s += userF[u * rank + k] * itemF[i * rank + k] }
            let rating = Int(min(5, max(1, s.rounded())))
            append(u + 1); bytes.append(9)
            append(i + 1); bytes.append(9)
            append(rating); bytes.append(10)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
