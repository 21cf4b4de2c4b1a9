#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Top-N ranking metrics over users, one code path for every model: Recall@k (hits / min(k, |test|)),
/// NDCG@k with binary relevance (ideal DCG over min(k, |test|) items), Precision@k, MAP@k (average
/// precision, normalised by min(k, |test|)), and item coverage (share of the catalogue that appears
/// in some top-k list). Conventions as in data/ml-100k/README.md.
public struct RankingMetrics: Sendable {
    public let k: [Int]
    public var recall: [Int: Double] { means { $0.recall } }
    public var ndcg: [Int: Double] { means { $0.ndcg } }
    public var precision: [Int: Double] { means { $0.precision } }
    public var map: [Int: Double] { means { $0.ap } }
    public var coverage: [Int: Double] {
        recommended.mapValues { Double($0.count) / Double(max(1, catalogueSize)) }
    }
    /// Users with at least one test item, over whom the means are taken.
    public private(set) var users = 0

    private var sums: [Int: (recall: Double, ndcg: Double, precision: Double, ap: Double)] = [:]
    private var recommended: [Int: Set<Int>] = [:]
    private let catalogueSize: Int

    public init(k: [Int], catalogueSize: Int) {
        precondition(!k.isEmpty && k.allSatisfy { $0 > 0 }, "k must be positive")
        self.k = k.sorted()
        self.catalogueSize = catalogueSize
        for c in self.k { sums[c] = (0, 0, 0, 0); recommended[c] = [] }
    }

    /// Adds one user: `ranked` is the model's list, best first (already without training items), at
    /// least max(k) long when the catalogue allows; `relevant` the user's test items. Users without
    /// test items are skipped.
    public mutating func add(ranked: [Int], relevant: Set<Int>) {
        guard !relevant.isEmpty else { return }
        users += 1
        for c in k {
            let top = ranked.prefix(c)
            var hits = 0, dcg = 0.0, apSum = 0.0
            for (r, item) in top.enumerated() where relevant.contains(item) {
                hits += 1
                dcg += 1 / log2(Double(r + 2))
                apSum += Double(hits) / Double(r + 1)
            }
            let ideal = min(c, relevant.count)
            var idcg = 0.0
            for r in 0..<ideal { idcg += 1 / log2(Double(r + 2)) }
            var s = sums[c]!
            s.recall += Double(hits) / Double(ideal)
            s.ndcg += dcg / idcg
            s.precision += Double(hits) / Double(c)
            s.ap += apSum / Double(ideal)
            sums[c] = s
            recommended[c]!.formUnion(top)
        }
    }

    /// The mean over users of one summed metric, per k.
    private func means(_ metric: ((recall: Double, ndcg: Double, precision: Double, ap: Double)) -> Double) -> [Int: Double] {
        let n = Double(max(1, users))
        return sums.mapValues { metric($0) / n }
    }

    /// The metrics as `"recall@20"`-style keys, plus `"users"`.
    public var dictionary: [String: Double] {
        var out: [String: Double] = ["users": Double(users)]
        let recall = self.recall, ndcg = self.ndcg, precision = self.precision, map = self.map, coverage = self.coverage
        for c in k {
            out["recall@\(c)"] = recall[c]; out["ndcg@\(c)"] = ndcg[c]; out["precision@\(c)"] = precision[c]
            out["map@\(c)"] = map[c]; out["coverage@\(c)"] = coverage[c]
        }
        return out
    }
}
