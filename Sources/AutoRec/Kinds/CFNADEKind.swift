import Foundation
import AutoRecCore
import AutoRecModels

/// CF-NADE (Zheng et al. 2016): a neural autoregressive model of each sample's ratings, the rating
/// analogue of the survey's autoregressive decoders; compared by RMSE like AutoRec.
extension ModelKind {
    public static let cfNADE = ModelKind(
        name: CFNADE.kindName, task: .rating, capabilities: [.ratingPrediction], declaration: CFNADESettings.declaration,
        note: "--batch 0 is \(CFNADEConfig().stepsPerEpoch) steps an epoch",
        fit: .ratings { ratings, settings, progress in
            let c = try CFNADESettings.declaration.configuration(settings)
            let inputs = Double(c.orientation == .item ? ratings.users.count : ratings.items.count)
            try MemoryBudget.checkNetwork(parameters: 2 * 5 * inputs * Double(c.hidden), activations: 0,
                                          for: "CF-NADE with --hidden \(c.hidden)", lower: "--hidden")
            let (model, s) = try CFNADE.fit(ratings, config: c, progress: progress)
            var report = TrainingReport(metric: .rmse, epochs: s.epochs, bestEpoch: s.bestEpoch, trainSeconds: s.trainSeconds,
                                        secondsPerEpoch: s.epochs > 0 ? s.trainSeconds / Double(s.epochs) : 0,
                                        medianEpochSeconds: s.epochSeconds.isEmpty ? 0 : s.epochSeconds.sorted()[s.epochSeconds.count / 2],
                                        validation: s.validationRMSE)
            report.stopReason = s.stopReason
            report.refitEpochs = s.refitEpochs
            report.header = ["train_seconds": s.trainSeconds, "validation_rmse": s.validationRMSE ?? NSNull()]
            report.details = ["levels": model.levelValues.count]
            return TrainedModel(model: model, report: report)
        },
        load: { file, path in try CFNADE(modelFile: file, path: path) })
}

/// CF-NADE's settings, declared once.
enum CFNADESettings {
    static let declaration = SettingsDeclaration<CFNADEConfig>([
        .choice("--orientation", \.orientation, help: "Each item's ratings by user (item) or each user's by item are one sample."),
        .int("--hidden", \.hidden, 1...10_000, help: "Hidden units."),
        .int("--epochs", \.epochs, 1...100_000, help: "Most epochs; early stopping may end sooner."),
        .int("--batch", \.batchSize, 0...100_000_000, help: "Samples per Adam step; 0 splits each epoch into a fixed number of steps."),
        .learningRate(\.learningRate),
        .float("--l2", \.l2, 0...1e9, help: "L2 weight on the weights."),
        .float("--ordinal", \.ordinal, 0...1, help: "Weight of the ordinal cost against the softmax cost."),
        .yesNo("--sharing", \.sharing, help: "Share weights across rating levels (a rating r uses levels 1..r)."),
        .seed(\.seed),
        .double("--validation", \.validationFraction, 0...0.5, help: "Share of the ratings held out for early stopping; 0 turns it off.", valueName: "fraction"),
        .patience(\.patience, most: 100_000),
        .inputScaling(\.inputScaling),
        .averaging(\.averaging),
        .refit(\.refit),
    ], defaults: CFNADEConfig())
}
