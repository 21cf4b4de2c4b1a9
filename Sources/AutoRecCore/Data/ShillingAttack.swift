import Linalg

/// Synthetic "shilling" attack profiles (Lam and Riedl 2004): fake users who rate one target item 5
/// stars and a filler of other items so as to look ordinary. For testing anomaly detection.
public enum ShillingAttack: String, CaseIterable, Sendable {
    /// Filler ratings drawn around the global mean.
    case random
    /// Filler ratings drawn around each filler item's own mean.
    case average

    /// `ratings` plus `count` attack profiles of this kind (ids "attacker-<kind>-<n>"), each rating
    /// `target` 5 and `filler` random other items; returns the new table and the attackers' ids.
    public func inject(into ratings: Ratings, count: Int, target: String, filler: Int = 60,
                       seed: UInt64) -> (ratings: Ratings, attackers: [String]) {
        var rng = SeededRandom(seed: seed)
        var out = ratings
        let items = ratings.items.count, mean = ratings.mean
        var sum = [Float](repeating: 0, count: items), n = [Float](repeating: 0, count: items)
        var sq: Float = 0
        for k in 0..<ratings.count {
            let i = Int(ratings.itemIndex[k])
            sum[i] += ratings.values[k]; n[i] += 1
            sq += (ratings.values[k] - mean) * (ratings.values[k] - mean)
        }
        let sd = (sq / Float(max(1, ratings.count))).squareRoot()
        let top = ratings.range.upperBound, bottom = ratings.range.lowerBound
        var attackers: [String] = []
        for a in 0..<count {
            let id = "attacker-\(rawValue)-\(a + 1)"
            attackers.append(id)
            out.append(user: id, item: target, value: top)
            var chosen = Set<Int>()
            while chosen.count < min(filler, items - 1) {
                let i = rng.int(below: items)
                if ratings.items.id(at: i) != target { chosen.insert(i) }
            }
            for i in chosen.sorted() {
                let centre = self == .random || n[i] == 0 ? mean : sum[i] / n[i]
                let v = min(top, max(bottom, (centre + sd * rng.normal()).rounded()))
                out.append(user: id, item: ratings.items.id(at: i), value: v)
            }
        }
        return (out, attackers)
    }
}
