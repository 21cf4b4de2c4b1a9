import Linalg

/// The scarce-label regime the survey claims autoencoders are for: the embedding is learnt from
/// every item, but a probe sees the labels of only a share of them (`labelled`), drawn several
/// times; it is scored on the items it did not see. F1 as `MultiLabelClassification` counts it.
public enum ScarceLabels {
    /// The probes: one logistic regression per label, or one small MLP for all labels.
    public enum Probe: String, CaseIterable, Sendable { case logistic, mlp }

    /// Mean and standard deviation over the draws.
    public struct Outcome: Sendable {
        public var microF1: Double, macroF1: Double
        public var microF1SD: Double, macroF1SD: Double
    }

    /// `probe` on `features`, trained on `labelled` of the rows that have labels (at least two),
    /// scored on the rest, over `draws` seeded draws.
    public static func evaluate(features: Matrix, labels: [[Int]], labelCount: Int, labelled: Double, draws: Int,
                                probe: Probe, seed: UInt64) -> Outcome {
        let scores = (0..<draws).map { draw -> MultiLabelClassification.Scores in
            let (train, test) = split(labels: labels, labelled: labelled, seed: seed &+ UInt64(draw))
            let (x, mean, sd) = MultiLabelClassification.standardise(features, rows: train)
            let testX = standardised(features, rows: test, mean: mean, sd: sd)
            let predicted = predictions(probe, x: x, testX: testX, train: train, labels: labels, labelCount: labelCount,
                                        seed: seed &+ UInt64(draw))
            return count(predicted, rows: test, labels: labels, labelCount: labelCount)
        }
        return summarise(scores)
    }

    /// The majority baseline in the same protocol: the labelled part's most frequent label for every
    /// other row.
    public static func majority(labels: [[Int]], labelCount: Int, labelled: Double, draws: Int, seed: UInt64) -> Outcome {
        summarise((0..<draws).map { draw in
            let (train, test) = split(labels: labels, labelled: labelled, seed: seed &+ UInt64(draw))
            var counts = [Int](repeating: 0, count: labelCount)
            for r in train { for j in labels[r] { counts[j] += 1 } }
            let top = counts.indices.max { counts[$0] < counts[$1] } ?? 0
            return count(test.map { _ in (0..<labelCount).map { $0 == top } }, rows: test, labels: labels, labelCount: labelCount)
        })
    }

    /// The labelled rows of one draw and the rows it is scored on.
    static func split(labels: [[Int]], labelled: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
        var rows = labels.indices.filter { !labels[$0].isEmpty }
        var rng = SeededRandom(seed: seed)
        rng.shuffle(&rows)
        let k = min(rows.count - 1, max(2, Int((labelled * Double(rows.count)).rounded())))
        return (Array(rows[..<k]), Array(rows[k...]))
    }

    /// Each test row's predicted labels.
    static func predictions(_ probe: Probe, x: Matrix, testX: Matrix, train: [Int], labels: [[Int]], labelCount: Int,
                            seed: UInt64) -> [[Bool]] {
        var out = [[Bool]](repeating: [Bool](repeating: false, count: labelCount), count: testX.rows)
        switch probe {
        case .logistic:
            for j in 0..<labelCount {
                let w = MultiLabelClassification.fit(x, y: train.map { labels[$0].contains(j) ? 1 : 0 }, l2: 1e-2, iterations: 300)
                var z = [Float](repeating: 0, count: testX.rows)
                BLAS.gemv(testX, w, into: &z)
                for r in 0..<testX.rows { out[r][j] = z[r] > 0 }
            }
        case .mlp:
            var targets = Matrix(rows: train.count, cols: labelCount)
            for (k, r) in train.enumerated() { for j in labels[r] { targets[k, j] = 1 } }
            var mlp = MLPProbe(inputs: x.cols, hidden: 32, labels: labelCount, seed: seed)
            mlp.fit(x: x, targets: targets)
            let z = mlp.logits(testX)
            for r in 0..<testX.rows { for j in 0..<labelCount { out[r][j] = z[r, j] > 0 } }
        }
        return out
    }

    /// Rows of `m` standardised with the training rows' mean and deviation, constant column last.
    static func standardised(_ m: Matrix, rows: [Int], mean: [Float], sd: [Float]) -> Matrix {
        let d = m.cols
        var x = Matrix(rows: rows.count, cols: d + 1)
        for (k, r) in rows.enumerated() {
            for j in 0..<d { x[k, j] = (m[r, j] - mean[j]) / sd[j] }
            x[k, d] = 1
        }
        return x
    }

    static func count(_ predicted: [[Bool]], rows: [Int], labels: [[Int]], labelCount: Int) -> MultiLabelClassification.Scores {
        var tp = [Int](repeating: 0, count: labelCount), fp = tp, fn = tp
        for (k, r) in rows.enumerated() {
            for j in 0..<labelCount {
                let p = predicted[k][j], truth = labels[r].contains(j)
                if p && truth { tp[j] += 1 } else if p { fp[j] += 1 } else if truth { fn[j] += 1 }
            }
        }
        return MultiLabelClassification.scores(tp: tp, fp: fp, fn: fn)
    }

    static func summarise(_ scores: [MultiLabelClassification.Scores]) -> Outcome {
        func meanAndSD(_ a: [Double]) -> (Double, Double) {
            let m = a.reduce(0, +) / Double(max(1, a.count))
            let v = a.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, a.count - 1))
            return (m, a.count > 1 ? v.squareRoot() : 0)
        }
        let (micro, microSD) = meanAndSD(scores.map(\.microF1)), (macro, macroSD) = meanAndSD(scores.map(\.macroF1))
        return Outcome(microF1: micro, macroF1: macro, microF1SD: microSD, macroF1SD: macroSD)
    }
}
