/// CDAE (Wu et al. 2016): a denoising autoencoder over a user's items with a per-user input node.
extension ModelKind {
    public static let cdae = ModelKind(
        name: "cdae", task: .topN, capabilities: [.foldIn],
        defaults: "--hidden 400 --validation 0.1 --patience 30 --epochs 300 --refit yes --batch 100 --lr 0.001 --dropout 0.5 --negatives 5 --loss bce --averaging 0.97 --encoder sigmoid --normalize yes",
        options: CDAESettings.options,
        validate: { _ = try CDAESettings.config($0) },
        fit: .interactions { data, settings, progress in
            let c = try CDAESettings.config(settings)
            return try TopNTraining.fitWithRefit(settings, config: c, data: data, settingsReport: CDAESettings.report(c)) {
                CDAE.fit(data, config: $0, progress: TopNTraining.progress(progress))
            }
        },
        load: { file, path in try CDAE(modelFile: file, path: path) })
}

/// CDAE's options onto `CDAEConfig`.
enum CDAESettings {
    static let options = ["--hidden", "--epochs", "--batch", "--lr", "--l2", "--dropout", "--negatives", "--loss",
                          "--averaging", "--normalize", "--encoder", "--patience", "--refit"]

    static func config(_ s: ModelSettings) throws -> CDAEConfig {
        var c = CDAEConfig()
        try TopNTraining.applyLoopSettings(s, to: &c)
        _ = try s.yesNo("--refit")
        if let v = try s.int("--hidden", range: 1...100_000) { c.hidden = v }
        if let v = try s.int("--negatives", range: 0...10_000) { c.negatives = v }
        if let v = try s.choice("--loss", as: CDAELoss.self) { c.loss = v }
        if let v = try s.yesNo("--normalize") { c.normalizeInput = v }
        if let v = try s.choice("--encoder", as: Activation.self) { c.activation = v }
        return c
    }

    /// The settings that matter, for reports.
    static func report(_ c: CDAEConfig) -> [String: Any] {
        let shortest = TopNTraining.shortest
        return ["hidden": c.hidden, "max_epochs": c.epochs, "validation": c.validationFraction, "patience": c.patience, "batch": c.batchSize, "lr": shortest(c.learningRate),
                "l2": shortest(c.l2), "dropout": shortest(c.dropout), "negatives": c.negatives, "loss": c.loss.rawValue,
                "averaging": shortest(c.averaging), "normalize": c.normalizeInput, "activation": c.activation.rawValue]
    }
}
