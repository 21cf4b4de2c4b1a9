import Foundation
import AutoRecCore
import AutoRecModels

/// I-AutoRec and U-AutoRec: the sparse, masked-loss rating autoencoders (`AutoRec`), trained on the
/// rating values, compared by RMSE.
extension ModelKind {
    public static let iAutoRec = autoRec(name: AutoRec.kindName(.item), orientation: .item, capabilities: [.ratingPrediction, .embeddings])
    public static let uAutoRec = autoRec(name: AutoRec.kindName(.user), orientation: .user, capabilities: [.ratingPrediction, .foldIn])

    /// An AutoRec kind of `orientation`: its settings, trainer and loader.
    public static func autoRec(name: String, orientation: AutoRecOrientation, capabilities: Capabilities) -> ModelKind {
        let declaration = AutoRecSettings.declaration(orientation)
        return ModelKind(name: name, task: .rating, capabilities: capabilities, declaration: declaration,
                         fit: .ratings { ratings, settings, progress in
                             try AutoRecSettings.train(consume ratings, config: declaration.configuration(settings), progress: progress)
                         },
                         load: { file, path in try AutoRec(modelFile: file, path: path, orientation: orientation) })
    }
}

/// AutoRec's settings, declared once, and its training report.
enum AutoRecSettings {
    static let adamOnly = ["--dropout", "--kept-weight", "--averaging", "--lr", "--batch", "--optimizer-state"]

    /// The settings of `orientation`; the defaults follow `--optimizer` (L-BFGS has its own).
    static func declaration(_ orientation: AutoRecOrientation) -> SettingsDeclaration<AutoRecConfig> {
        typealias S = Setting<AutoRecConfig>
        return SettingsDeclaration([
            .int("--hidden", \.hidden, 1...100_000, help: "Hidden units."),
            .choice("--encoder", \.encoder, help: "Encoder activation."),
            .choice("--decoder", \.decoder, help: "Output activation."),
            .int("--epochs", \.epochs, 1...1_000_000, help: "Most epochs (L-BFGS: iterations); early stopping may end sooner."),
            .float("--l2", \.l2, 0...1e9, help: "L2 weight lambda on the weights."),
            .choice("--optimizer", \.optimizer, help: "Adam (mini-batch) or L-BFGS (full batch, the paper's choice)."),
            .learningRate(\.learningRate),
            .int("--batch", \.batchSize, 0...100_000_000, help: "Samples per Adam step; 0 is the full batch."),
            S.seed(\.seed),
            .double("--validation", \.validationFraction, 0...0.5, help: "Share of the ratings held out for early stopping; 0 turns it off.", valueName: "fraction"),
            .patience(\.patience),
            .yesNo("--center", \.centerInputs, help: "Feed ratings minus their mean to the encoder."),
            .int("--lbfgs-memory", \.lbfgsMemory, 1...1000, help: "L-BFGS history length."),
            .float("--dropout", \.inputDropout, 0...0.95, help: "Input dropout probability (Adam only).", valueName: "p"),
            .float("--kept-weight", \.keptLossWeight, 0...10, help: "With --dropout: loss weight of the ratings the encoder saw (hidden ones weigh 1).", valueName: "w"),
            .inputScaling(\.inputScaling),
            .averaging(\.weightAveraging),
            .choice("--optimizer-state", \.optimizerState, help: "Adam's moments and weight average in 16 bits (auto: from 64M parameters)."),
            .refit(\.refit),
        ], defaults: { given in
            AutoRecConfig.defaults(for: orientation, optimizer: try given.choice("--optimizer", as: OptimizerKind.self) ?? .adam)
        }, variants: [ModelSettings(["--optimizer": OptimizerKind.lbfgs.rawValue])], rule: { given, config in
            if config.optimizer == .lbfgs, let option = adamOnly.first(where: { given[$0] != nil }) {
                throw SettingError("\(option) applies to --optimizer adam only")
            }
        })
    }

    /// Trains and reports in the catalogue's terms.
    static func train(_ ratings: consuming Ratings, config c: AutoRecConfig,
                      progress: ((TrainingProgress) -> Void)?) throws -> TrainedModel {
        guard ratings.count > 0 else { throw SettingError("no ratings to train on") }
        // A sample is an item's vector of user ratings (I-AutoRec) or a user's of item ratings.
        let inputs = Double(c.orientation == .item ? ratings.users.count : ratings.items.count)
        let samples = Double(c.orientation == .item ? ratings.items.count : ratings.users.count)
        try MemoryBudget.checkNetwork(parameters: 2 * inputs * Double(c.hidden), activations: 3 * samples * Double(c.hidden),
                                      for: "AutoRec with --hidden \(c.hidden)", lower: "--hidden")
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
            "function_evaluations": summary.functionEvaluations,
            "stage_seconds": Dictionary(uniqueKeysWithValues: zip(AutoRecObjective.stageNames, summary.stageSeconds.map { ($0 * 1e4).rounded() / 1e4 })),
        ]
        return TrainedModel(model: model, report: report)
    }
}
