import Foundation
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
    /// With `taste` 0 which items a user rates depends on popularity alone (only the rating values
    /// carry the tastes); above 0 each user picks items by popularity times exp(taste x affinity),
    /// as people choose what to watch, which gives top-N models something to learn.
    /// The same seed gives the same file.
    public static func tsv(ratings n: Int, users: Int, items: Int, rank: Int = 8, taste: Float = 0, seed: UInt64) throws -> String {
        guard n <= users * items / 2 else { throw TooDense(ratings: n, users: users, items: items) }
        // The lines, the set of drawn pairs and the text's copy: about 64 bytes a rating.
        try MemoryBudget.check(64 * Double(n) + 4 * Double(rank) * Double(users + items),
                               for: "\(n) synthetic ratings", lower: "--ratings (or write several files)")
        var rng = SeededRandom(seed: seed)
        let factors = Factors(users: users, items: items, rank: rank, rng: &rng)
        var writer = RatingLineWriter(capacity: n)
        if taste > 0 {
            drawByTaste(n, factors: factors, taste: taste, rng: &rng, writer: &writer)
        } else {
            drawByPopularity(n, factors: factors, rng: &rng, writer: &writer)
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Users uniformly, items by popularity alone (squaring a uniform favours low item indices).
    private static func drawByPopularity(_ n: Int, factors f: Factors, rng: inout SeededRandom, writer: inout RatingLineWriter) {
        var seen = Set<Int>(minimumCapacity: n)
        while seen.count < n {
            let u = rng.int(below: f.users)
            let r = rng.uniform()
            let i = min(f.items - 1, Int(r * r * Float(f.items)))
            let noise = rng.normal() * 0.7
            guard seen.insert(u * f.items + i).inserted else { continue }
            writer.append(user: u, item: i, rating: f.rating(user: u, item: i, noise: noise))
        }
    }

    /// Each user's count drawn as before (users uniformly); then that many distinct items from the
    /// user's own distribution, popularity (the same skew) times exp(taste x affinity).
    private static func drawByTaste(_ n: Int, factors f: Factors, taste: Float, rng: inout SeededRandom,
                                    writer: inout RatingLineWriter) {
        var counts = [Int](repeating: 0, count: f.users)
        var remaining = n
        while remaining > 0 {
            let u = rng.int(below: f.users)
            if counts[u] < f.items / 2 { counts[u] += 1; remaining -= 1 }
        }
        let popularity = (0..<f.items).map { i in 1 / (Double(i) + 0.5).squareRoot() }
        var cumulative = [Double](repeating: 0, count: f.items)
        for u in 0..<f.users where counts[u] > 0 {
            var total = 0.0
            for i in 0..<f.items {
                total += popularity[i] * Double(exp(taste * f.affinity(user: u, item: i)))
                cumulative[i] = total
            }
            var chosen = Set<Int>(minimumCapacity: counts[u])
            var attempts = 0
            while chosen.count < counts[u] {
                attempts += 1
                // Past many repeats (a narrow taste), the rest are drawn uniformly among the unseen.
                let i = attempts < 50 * counts[u] ? firstIndex(atLeast: rng.uniformDouble() * total, in: cumulative)
                                                   : rng.int(below: f.items)
                guard chosen.insert(i).inserted else { continue }
                writer.append(user: u, item: i, rating: f.rating(user: u, item: i, noise: rng.normal() * 0.7))
            }
        }
    }

    /// The first index whose cumulative weight reaches `target` (binary search).
    private static func firstIndex(atLeast target: Double, in cumulative: [Double]) -> Int {
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] < target { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The low-rank tastes: user and item factors, drawn in that order from the run's stream.
    private struct Factors {
        let users: Int, items: Int, rank: Int
        let userFactors: [Float], itemFactors: [Float]

        init(users: Int, items: Int, rank: Int, rng: inout SeededRandom) {
            self.users = users; self.items = items; self.rank = rank
            userFactors = (0..<(users * rank)).map { _ in rng.normal() * 0.5 }
            itemFactors = (0..<(items * rank)).map { _ in rng.normal() * 0.5 }
        }

        /// The dot product of the user's and the item's factors, added to `start` term by term.
        func affinity(user u: Int, item i: Int, startingAt start: Float = 0) -> Float {
            var s = start
            for k in 0..<rank { s += userFactors[u * rank + k] * itemFactors[i * rank + k] }
            return s
        }

        /// 3.5 plus noise plus the affinity, rounded into 1...5.
        func rating(user u: Int, item i: Int, noise: Float) -> Int {
            Int(min(5, max(1, affinity(user: u, item: i, startingAt: 3.5 + noise).rounded())))
        }
    }
}

/// Writes `user item rating` lines (1-based ids) into bytes, without Foundation's formatting.
private struct RatingLineWriter {
    var bytes: [UInt8] = []

    init(capacity n: Int) { bytes.reserveCapacity(n * 16) }

    mutating func append(user u: Int, item i: Int, rating: Int) {
        append(u + 1); bytes.append(9)
        append(i + 1); bytes.append(9)
        append(rating); bytes.append(10)
    }

    private mutating func append(_ v: Int) {
        var digits: [UInt8] = []
        var x = v
        repeat { digits.append(UInt8(48 + x % 10)); x /= 10 } while x > 0
        bytes.append(contentsOf: digits.reversed())
    }
}
