import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// The nightly's comparison: the candidate and the active model scored on the same holdout by the
/// metric their kinds call for (`ComparisonMetric`), decided by the `PromotionPolicy`. The active
/// model is represented by the model it was compared as (`compared_model_id`: the same kind and
/// settings trained without the holdout), since the served model itself learned the holdout; a
/// model that saw the holdout cannot be compared fairly and is replaced.
struct NightlyComparison {
    let metric: ComparisonMetric
    let candidateScore: Double
    let activeScore: Double?
    let decision: PromotionPolicy.Decision

    init(connection: Connection, candidate: any Ranker, test: Ratings, positive: Float?, holdout: Double,
         policy: PromotionPolicy, active: RegisteredModel?) throws {
        let yardstick = try active.map { try Self.yardstick(of: $0, ModelRegistry(connection: connection)) }
        let activeTask = try yardstick.map { ModelCatalogue.named(try $0.file.string("kind"))?.task ?? .topN }
        let candidateTask: ModelKind.Task = candidate is RatingPredictor ? .rating : .topN
        let metric = ComparisonMetric.between([candidateTask] + (activeTask.map { [$0] } ?? []))
        let rankingTest = test.implicit(threshold: positive)
        func score(_ model: any Ranker) -> Double {
            if metric == .rmse, let predictor = model as? RatingPredictor {
                return RatingMetrics(predictions: predictor.predictAll(test), truth: test.values).rmse
            }
            return RankingEvaluation.evaluate(model, test: rankingTest, k: [20]).metrics.recall[20] ?? 0
        }
        let candidateScore = score(candidate)
        let activeScore = try yardstick.map { score(try ModelCatalogue.load($0.file, path: "registry model \($0.id)")) }
        let comparable = yardstick.map { ($0.file.header["holdout_share"] as? NSNumber)?.doubleValue == holdout } ?? true
        (self.metric, self.candidateScore, self.activeScore) = (metric, candidateScore, activeScore)
        decision = policy.decide(metric, candidate: candidateScore, active: activeScore, comparable: comparable)
    }

    /// The model the active one was compared as; the active model itself when it has none or that
    /// file no longer verifies (it saw the holdout, so the candidate then replaces it).
    static func yardstick(of active: RegisteredModel, _ registry: ModelRegistry) throws -> (id: Int, file: ModelFile) {
        let twin = try registry.comparedModel(of: active.id).flatMap { id in
            (try? ModelFile.decode(try registry.artifact(id), source: "registry model \(id)")).map { (id, $0) }
        }
        return try twin ?? (active.id, ModelFile.decode(try registry.artifact(active.id), source: "registry model \(active.id)"))
    }
}
