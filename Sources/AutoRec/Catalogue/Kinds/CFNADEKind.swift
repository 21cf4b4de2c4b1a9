import Foundation

/// CF-NADE (Zheng et al. 2016): a neural autoregressive model of each sample's ratings, the rating
/// analogue of the survey's autoregressive decoders; compared by RMSE like AutoRec.
extension ModelKind {
    public static let cfNADE = ModelKind(
        name: "cf-nade", task: .rating, capabilities: [.ratingPrediction],
        defaults: "item-based, --hidden 500 --epochs 150 --batch 0 (26 steps an epoch) --lr 0.001 --l2 30 --ordinal 1 --sharing yes --averaging 0.998 --patience 15 --refit yes",
        options: CFNADESettings.options,
        validate: { _ = try CFNADESettings.config($0) },
        fit: .ratings { ratings, settings, progress in
            let c = try CFNADESettings.config(settings)
            let (model, s) = try CFNADE.fit(ratings, config: c, progress: progress)
            var report = TrainingReport(metric: .rmse, epochs: s.epochs, bestEpoch: s.bestEpoch, trainSeconds: s.trainSeconds,
                                        secondsPerEpoch: s.epochs > 0 ? s.trainSeconds / Double(s.epochs) : 0,
                                        medianEpochSeconds: s.epochSeconds.isEmpty ? 0 : s.epochSeconds.sorted()[s.epochSeconds.count / 2],
                                        validation: s.validationRMSE)
            report.stopReason = s.stopReason
            report.refitEpochs = s.refitEpochs
            report.header = ["train_seconds": s.trainSeconds, "validation_rmse": s.validationRMSE ?? NSNull()]
            report.details = ["hidden": c.hidden, "l2": Double(c.l2), "orientation": c.orientation.rawValue,
                              "ordinal": Double(c.ordinal), "sharing": c.sharing, "levels": model.levelValues.count]
            return TrainedModel(model: model, report: report)
        },
        load: { file, path in try CFNADE(modelFile: file, path: path) })
}

/// CF-NADE's options onto `CFNADEConfig`.
enum CFNADESettings {
    static let options = ["--orientation", "--hidden", "--epochs", "--batch", "--lr", "--l2", "--ordinal", "--sharing", "--patience",
                          "--input-scaling", "--averaging", "--refit"]

    static func config(_ s: ModelSettings) throws -> CFNADEConfig {
        var c = CFNADEConfig()
        if let v = try s.int("--seed", range: 0...Int.max) { c.seed = UInt64(v) }
        if let v = try s.double("--validation", range: 0...0.5) { c.validationFraction = v }
        if let v = try s.choice("--orientation", as: AutoRecOrientation.self) { c.orientation = v }
        if let v = try s.int("--hidden", range: 1...10_000) { c.hidden = v }
        if let v = try s.int("--epochs", range: 1...100_000) { c.epochs = v }
        if let v = try s.int("--batch", range: 0...100_000_000) { c.batchSize = v }
        if let v = try s.float("--lr", range: 1e-9...10) { c.learningRate = v }
        if let v = try s.float("--l2", range: 0...1e9) { c.l2 = v }
        if let v = try s.float("--ordinal", range: 0...1) { c.ordinal = v }
        if let v = try s.yesNo("--sharing") { c.sharing = v }
        if let v = try s.int("--patience", range: 1...100_000) { c.patience = v }
        if let v = try s.choice("--input-scaling", as: InputScaling.self) { c.inputScaling = v }
        if let v = try s.float("--averaging", range: 0...0.9999) { c.averaging = v }
        if let v = try s.yesNo("--refit") { c.refit = v }
        return c
    }
}
