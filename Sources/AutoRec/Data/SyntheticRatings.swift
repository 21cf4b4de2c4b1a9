import Linalg

/// Synthetic rating data with a low-rank structure (user and item factors plus noise, popular items
/// rated more often), for benchmarks at sizes the bundled data cannot reach.
public enum SyntheticRatings {
    /// Asked for more ratings than the grid can hold without crowding: users x items / 2 at most.
    public struct TooDense: Error, CustomStringConvertible {
        public let ratings: Int, users: Int, items: Int
        public var description: String {
            "\(ratings) ratings do not fit \(users) users x \(items) items (at most half the grid, \(users * items / 2))"
        }
    }

    /// Tab-separated `user item rating` lines: exactly `n` distinct (user, item) pairs, so that a file
    /// of n lines trains a model on n ratings (a duplicate pair would keep only its last line). A draw
    /// that repeats a pair is drawn again, so the most popular items end up rated by most users.
    /// The same seed gives the same file.
    public static func tsv(ratings n: Int, users: Int, items: Int, rank: Int = 8, seed: UInt64) throws -> String {
        guard n <= users * items / 2 else { throw TooDense(ratings: n, users: users, items: items) }
        var rng = SeededRandom(seed: seed)
        let userF = (0..<(users * rank)).map { _ in rng.normal() * 0.5 }
        let itemF = (0..<(items * rank)).map { _ in rng.normal() * 0.5 }
        var seen = Set<Int>(minimumCapacity: n)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * 16)
        func append(_ v: Int) {
            var digits: [UInt8] = []
            var x = v
            repeat { digits.append(UInt8(48 + x % 10)); x /= 10 } while x > 0
            bytes.append(contentsOf: digits.reversed())
        }
        while seen.count < n {
            let u = rng.int(below: users)
            // Popularity skew: squaring a uniform favours low item indices.
            let r = rng.uniform()
            let i = min(items - 1, Int(r * r * Float(items)))
            var s: Float = 3.5 + rng.normal() * 0.7
            guard seen.insert(u * items + i).inserted else { continue }
            for k in 0..<rank { s += userF[u * rank + k] * itemF[i * rank + k] }
            let rating = Int(min(5, max(1, s.rounded())))
            append(u + 1); bytes.append(9)
            append(i + 1); bytes.append(9)
            append(rating); bytes.append(10)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
