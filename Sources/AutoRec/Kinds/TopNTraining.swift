import AutoRecCore
import AutoRecModels

/// What the top-N kinds share when they train: the epoch loop's settings, the report of an epoch
/// loop in the catalogue's terms, and the validation probe of the closed-form models.
enum TopNTraining {
    /// The settings every user-batch epoch loop reads (Mult's and CDAE's), declared once.
    static func loopSettings<Config: EpochLoopConfig>() -> [Setting<Config>] {
        [
            .int("--epochs", \.epochs, 1...1_000_000, help: "Most epochs; early stopping may end sooner."),
            .int("--batch", \.batchSize, 1...100_000_000, help: "Users per update."),
            .learningRate(\.learningRate),
            .float("--l2", \.l2, 0...1e9, help: "L2 weight on the weights."),
            .float("--dropout", \.dropout, 0...0.95, help: "Input dropout probability.", valueName: "p"),
            .averaging(\.averaging, per: "update"),
            .seed(\.seed),
            .double("--validation", \.validationFraction, 0...0.5, help: "Share of each user's items held out for early stopping by Recall@20; 0 turns it off.", valueName: "fraction"),
            .patience(\.patience),
            .refit(\.refit),
        ]
    }

    /// An epoch loop's report as the catalogue's progress.
    static func progress(_ progress: ((TrainingProgress) -> Void)?) -> ((RankingEpochReport) -> Void)? {
        progress.map { sink in
            { r in sink(TrainingProgress(epoch: r.epoch, loss: r.loss, validation: r.validationRecall, metric: .recall20, seconds: r.seconds)) }
        }
    }

    /// A finished top-N run's report (the configuration reaches `train --json` from the model file).
    static func report(_ s: RankingTrainingSummary, data: ImplicitData) -> TrainingReport {
        var report = TrainingReport(metric: .recall20, epochs: s.epochs, bestEpoch: s.bestEpoch, trainSeconds: s.trainSeconds,
                                    secondsPerEpoch: s.secondsPerEpoch, medianEpochSeconds: s.medianEpochSeconds,
                                    validation: s.bestValidationRecall)
        report.header = ["train_seconds": s.trainSeconds, "seconds_per_epoch": s.secondsPerEpoch, "epochs_run": s.epochs]
        if let r = s.bestValidationRecall { report.header[ValidationMetric.recall20.key] = r }
        report.stopReason = s.stopReason
        report.details["interactions"] = data.interactions
        return report
    }

    /// A closed-form model (no epochs): with a validation share, the Recall@20 of a fit on the rest
    /// is reported; the model is then fitted on all of `data`.
    static func closedForm(_ data: ImplicitData, config: ClosedFormConfig,
                           fit: (ImplicitData) throws -> any Ranker) throws -> TrainedModel {
        var summary = RankingTrainingSummary()
        if config.validationFraction > 0 {
            let (rest, heldOut) = data.holdOut(fraction: config.validationFraction, seed: config.seed &+ 7)
            let probe = try fit(ImplicitData(users: data.users, items: data.items, matrix: rest))
            summary.validationRecall = [RankingEvaluation.evaluate(probe, relevant: heldOut, k: [20]).recall[20] ?? 0]
        }
        let start = monotonicSeconds()
        let model = try fit(data)
        summary.trainSeconds = monotonicSeconds() - start
        return TrainedModel(model: model, report: report(summary, data: data))
    }

    /// An epoch loop's run, and with a validation share and `--refit yes` (the default) a second one: the first,
    /// on the rest of the interactions, chooses the epoch count (its best validation epoch); the
    /// model is then trained again on all of them for that many epochs (as AutoRec does).
    /// The result in the catalogue's terms.
    static func fitWithRefit<Config: EpochLoopConfig>(config: Config, data: ImplicitData,
                                                      train: (Config) -> (any Ranker, RankingTrainingSummary)) throws -> TrainedModel {
        let run = refitRun(config: config, train: train)
        var report = self.report(run.summary, data: data)
        report.refitEpochs = run.refitEpochs
        return TrainedModel(model: run.model, report: report)
    }

    private static func refitRun<Config: EpochLoopConfig>(config: Config, train: (Config) -> (any Ranker, RankingTrainingSummary))
        -> (model: any Ranker, summary: RankingTrainingSummary, refitEpochs: Int) {
        let (first, summary) = train(config)
        guard config.refit, config.validationFraction > 0 else { return (first, summary, 0) }
        var again = config
        again.validationFraction = 0
        again.epochs = max(1, summary.bestEpoch)
        let (model, refit) = train(again)
        var total = summary
        total.epochs += refit.epochs
        total.trainSeconds += refit.trainSeconds
        total.epochSeconds += refit.epochSeconds
        total.stopReason = summary.stopReason.map { "\($0); refitted on all the interactions for \(again.epochs)" }
        return (model, total, refit.epochs)
    }
}

/// The fields of a configuration trained by `UserBatchTraining` (Mult-DAE/VAE, CDAE).
protocol EpochLoopConfig {
    var seed: UInt64 { get set }
    var validationFraction: Double { get set }
    var patience: Int { get set }
    var epochs: Int { get set }
    var batchSize: Int { get set }
    var learningRate: Float { get set }
    var l2: Float { get set }
    var dropout: Float { get set }
    var averaging: Float { get set }
    var refit: Bool { get set }
}

extension MultConfig: EpochLoopConfig {}
extension CDAEConfig: EpochLoopConfig {}
