import Foundation

/// I-AutoRec and U-AutoRec: the sparse, masked-loss rating autoencoders (`AutoRec`), trained on the
/// rating values, compared by RMSE.
extension ModelKind {
    public static let iAutoRec = autoRec(
        name: "i-autorec", orientation: .item, capabilities: [.ratingPrediction, .embeddings],
        defaults: "adam, full batch, --lr 0.01 --l2 50 --dropout 0.5 --kept-weight 0.3 --averaging 0.9 --center no --epochs 300 --patience 15 --refit yes")
    public static let uAutoRec = autoRec(
        name: "u-autorec", orientation: .user, capabilities: [.ratingPrediction, .foldIn],
        defaults: "the same but --l2 30 --dropout 0.25 --kept-weight 0.1 --center yes; with --optimizer lbfgs either takes --l2 300 --epochs 500 --patience 20 --lbfgs-memory 5 --refit yes")

    /// An AutoRec kind of `orientation`: its options, trainer and loader.
    public static func autoRec(name: String, orientation: AutoRecOrientation, capabilities: Capabilities, defaults: String) -> ModelKind {
        ModelKind(name: name, task: .rating, capabilities: capabilities, defaults: defaults,
                  options: AutoRecSettings.options,
                  validate: { _ = try AutoRecSettings.config(orientation, $0) },
                  fit: .ratings { ratings, settings, progress in
                      try AutoRecSettings.train(consume ratings, config: AutoRecSettings.config(orientation, settings), progress: progress)
                  },
                  load: { file, path in try AutoRec(modelFile: file, path: path, orientation: orientation) })
    }
}

/// AutoRec's options onto its configuration, and its training report.
enum AutoRecSettings {
    static let options = ["--hidden", "--encoder", "--decoder", "--epochs", "--l2", "--optimizer", "--lr", "--batch",
                          "--patience", "--center", "--lbfgs-memory", "--dropout", "--kept-weight", "--input-scaling",
                          "--averaging", "--optimizer-state", "--refit"]
    static let adamOnly = ["--dropout", "--kept-weight", "--averaging", "--lr", "--batch", "--optimizer-state"]

    /// The defaults of `orientation` and its optimiser, with `settings` applied.
    static func config(_ orientation: AutoRecOrientation, _ s: ModelSettings) throws -> AutoRecConfig {
        let optimizer = try s.choice("--optimizer", as: OptimizerKind.self) ?? .adam
        if optimizer == .lbfgs, let option = adamOnly.first(where: { s[$0] != nil }) {
            throw SettingError("\(option) applies to --optimizer adam only")
        }
        var c = AutoRecConfig.defaults(for: orientation, optimizer: optimizer)
        if let v = try s.int("--hidden", range: 1...100_000) { c.hidden = v }
        if let v = try s.choice("--encoder", as: Activation.self) { c.encoder = v }
        if let v = try s.choice("--decoder", as: Activation.self) { c.decoder = v }
        if let v = try s.int("--epochs", range: 1...1_000_000) { c.epochs = v }
        if let v = try s.float("--l2", range: 0...1e9) { c.l2 = v }
        if let v = try s.float("--lr", range: 1e-9...10) { c.learningRate = v }
        if let v = try s.int("--batch", range: 0...100_000_000) { c.batchSize = v }
        if let v = try s.int("--seed", range: 0...Int.max) { c.seed = UInt64(v) }
        if let v = try s.double("--validation", range: 0...0.5) { c.validationFraction = v }
        if let v = try s.int("--patience", range: 1...1_000_000) { c.patience = v }
        if let v = try s.yesNo("--center") { c.centerInputs = v }
        if let v = try s.int("--lbfgs-memory", range: 1...1000) { c.lbfgsMemory = v }
        if let v = try s.float("--dropout", range: 0...0.95) { c.inputDropout = v }
        if let v = try s.float("--kept-weight", range: 0...10) { c.keptLossWeight = v }
        if let v = try s.choice("--input-scaling", as: InputScaling.self) { c.inputScaling = v }
        if let v = try s.float("--averaging", range: 0...0.9999) { c.weightAveraging = v }
        if let v = try s.choice("--optimizer-state", as: OptimizerStatePrecision.self) { c.optimizerState = v }
        if let v = try s.yesNo("--refit") { c.refit = v }
        return c
    }

    /// Trains and reports in the catalogue's terms.
    static func train(_ ratings: consuming Ratings, config c: AutoRecConfig,
                      progress: ((TrainingProgress) -> Void)?) throws -> TrainedModel {
        guard ratings.count > 0 else { throw SettingError("no ratings to train on") }
        var epochSeconds: [Double] = []
        let (model, summary) = AutoRec.fit(consume ratings, config: c) { r in
            epochSeconds.append(r.seconds)
            progress?(TrainingProgress(epoch: r.epoch, loss: r.objective, trainRMSE: r.trainRMSE, validation: r.validationRMSE,
                                       metric: .rmse, seconds: r.seconds, refitting: r.refitting,
                                       mostEpochsLeft: c.epochs - r.epoch))
        }
        var report = TrainingReport(metric: .rmse, epochs: summary.epochs, bestEpoch: summary.bestEpoch,
                                    trainSeconds: summary.trainSeconds, secondsPerEpoch: summary.secondsPerEpoch,
                                    medianEpochSeconds: epochSeconds.isEmpty ? 0 : epochSeconds.sorted()[epochSeconds.count / 2],
                                    validation: summary.validationRMSE)
        report.refitEpochs = summary.refitEpochs
        report.stopReason = summary.stopReason
        report.header = ["train_seconds": summary.trainSeconds, "validation_rmse": summary.validationRMSE ?? NSNull()]
        report.details = [
            "function_evaluations": summary.functionEvaluations, "hidden": c.hidden, "l2": Double(c.l2), "optimizer": c.optimizer.rawValue,
            "stage_seconds": Dictionary(uniqueKeysWithValues: zip(AutoRecObjective.stageNames, summary.stageSeconds.map { ($0 * 1e4).rounded() / 1e4 })),
        ]
        return TrainedModel(model: model, report: report)
    }
}
