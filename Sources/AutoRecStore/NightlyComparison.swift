import Foundation
import AutoRec

/// The nightly's promotion decision: the candidate and the active model scored on the same holdout
/// (RMSE when both are rating models, Recall@20 on the holdout's positives otherwise). The active
/// model is represented by the model it was compared as (`compared_model_id`: the same kind and
/// settings trained without the holdout), since the served model itself learned the holdout; a
/// model that saw the holdout cannot be compared fairly and is replaced.
struct NightlyComparison {
    let metric: String
    let candidateScore: Double
    let activeScore: Double?
    let promoted: Bool
    let decision: String

    init(connection: Connection, candidate: any Ranker, test: Ratings, positive: Float?, holdout: Double,
         maxRegression: Double, active: RegisteredModel?) throws {
        let registry = ModelRegistry(connection: connection)
        var yardstick: (id: Int, file: ModelFile)? = nil
        if let active {
            // The model the active one was compared as; the active model itself when it has none or
            // that file no longer verifies (it saw the holdout, so the candidate then replaces it).
            let twin = try registry.comparedModel(of: active.id).flatMap { id in
                (try? ModelFile.decode(try registry.artifact(id), source: "registry model \(id)")).map { (id, $0) }
            }
            yardstick = try twin ?? (active.id, ModelFile.decode(try registry.artifact(active.id), source: "registry model \(active.id)"))
        }
        let activeKind = try yardstick?.file.string("kind")
        let byRMSE = candidate is RatingPredictor && (activeKind.map { ModelCatalogue.named($0)?.task == .rating } ?? true)
        metric = byRMSE ? "rmse" : "recall@20"
        let rankingTest = test.implicit(threshold: positive)
        func score(_ model: any Ranker) -> Double {
            if byRMSE, let predictor = model as? RatingPredictor {
                return RatingMetrics(predictions: predictor.predictAll(test), truth: test.values).rmse
            }
            return RankingEvaluation.evaluate(model, test: rankingTest, k: [20]).metrics.recall[20] ?? 0
        }
        let candidateScore = score(candidate)
        var activeScore: Double? = nil, comparable = true
        if let (id, file) = yardstick {
            activeScore = score(try RankerFile.ranker(from: file, path: "registry model \(id)"))
            comparable = (file.header["holdout_share"] as? NSNumber)?.doubleValue == holdout
        }
        let notWorse = { (c: Double, a: Double) in byRMSE ? c <= a + maxRegression : c >= a - maxRegression }
        let promoted = activeScore.map { !comparable || notWorse(candidateScore, $0) } ?? true
        (self.candidateScore, self.activeScore, self.promoted) = (candidateScore, activeScore, promoted)
        decision = Self.decision(name: byRMSE ? "RMSE" : "Recall@20", candidate: candidateScore, active: activeScore,
                                 comparable: comparable, promoted: promoted, margin: maxRegression)
    }

    static func decision(name: String, candidate: Double, active: Double?, comparable: Bool, promoted: Bool, margin: Double) -> String {
        guard let a = active else { return String(format: "promoted: no active model before (holdout \(name) %.4f)", candidate) }
        if !comparable {
            return String(format: "promoted: the active model was trained on the holdout too (its \(name) %.4f there is not a fair yardstick); the candidate (%.4f) becomes the baseline", a, candidate)
        }
        if promoted { return String(format: "promoted: holdout \(name) %.4f vs active %.4f (margin %.4f)", candidate, a, margin) }
        return String(format: "kept the active model: holdout \(name) %.4f vs active %.4f is worse by more than the margin %.4f", candidate, a, margin)
    }
}
