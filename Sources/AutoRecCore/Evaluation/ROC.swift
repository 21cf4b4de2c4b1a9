/// Area under the ROC curve: the probability that a random positive scores above a random negative
/// (ties count half). For judging anomaly rankings.
public enum ROC {
    public static func auc(scores: [Double], positives: [Bool]) -> Double {
        precondition(scores.count == positives.count)
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        // Mid-ranks of tied scores.
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        let p = positives.filter { $0 }.count, n = positives.count - p
        guard p > 0, n > 0 else { return 0.5 }
        let rankSum = zip(ranks, positives).filter { $0.1 }.map { $0.0 }.reduce(0, +)
        return (rankSum - Double(p * (p + 1)) / 2) / Double(p * n)
    }
}
