/// Mult-VAE and Mult-DAE (Liang et al. 2018): multinomial-likelihood autoencoders over a user's
/// items (`MultAutoencoder`).
extension ModelKind {
    public static let multVAE = mult(
        name: "mult-vae", variational: true,
        defaults: "--dims 600,200 --validation 0.1 --patience 30 --epochs 300 --refit yes --batch 500 --lr 0.001 --dropout 0.5 --l2 0 --beta-cap 0.5 --anneal-steps 200 --averaging 0.9")
    public static let multDAE = mult(
        name: "mult-dae", variational: false,
        defaults: "--dims 600,200 --validation 0.1 --patience 30 --epochs 300 --refit yes --batch 500 --lr 0.001 --dropout 0.6 --l2 0.003 --averaging 0.97")

    /// A Mult kind, variational or not: its options, trainer and loader.
    public static func mult(name: String, variational: Bool, defaults: String) -> ModelKind {
        ModelKind(name: name, task: .topN, capabilities: [.foldIn], defaults: defaults,
                  options: MultSettings.options(variational: variational),
                  validate: { _ = try MultSettings.config(variational: variational, $0) },
                  fit: .interactions { data, settings, progress in
                      let c = try MultSettings.config(variational: variational, settings)
                      return try TopNTraining.fitWithRefit(settings, config: c, data: data, settingsReport: MultSettings.report(c)) {
                          MultAutoencoder.fit(data, config: $0, progress: TopNTraining.progress(progress))
                      }
                  },
                  load: { file, path in try MultAutoencoder(modelFile: file, path: path, variational: variational) })
    }
}

/// Mult's options onto `MultConfig`.
enum MultSettings {
    static func options(variational: Bool) -> [String] {
        ["--dims", "--epochs", "--batch", "--lr", "--l2", "--dropout", "--averaging", "--patience", "--refit"] + (variational ? ["--beta-cap", "--anneal-steps"] : [])
    }

    static func config(variational: Bool, _ s: ModelSettings) throws -> MultConfig {
        var c = MultConfig.defaults(variational: variational)
        try TopNTraining.applyLoopSettings(s, to: &c)
        _ = try s.yesNo("--refit")
        if let v = try s.intList("--dims", range: 1...100_000) { c.dims = v }
        if let v = try s.float("--beta-cap", range: 0...10) { c.betaCap = v }
        if let v = try s.int("--anneal-steps", range: 1...100_000_000) { c.annealSteps = v }
        return c
    }

    /// The settings that matter, for reports.
    static func report(_ c: MultConfig) -> [String: Any] {
        let shortest = TopNTraining.shortest
        var s: [String: Any] = ["dims": c.dims.map { String($0) }.joined(separator: ","), "max_epochs": c.epochs, "validation": c.validationFraction, "patience": c.patience, "batch": c.batchSize,
                                "lr": shortest(c.learningRate), "l2": shortest(c.l2), "dropout": shortest(c.dropout),
                                "averaging": shortest(c.averaging)]
        if c.variational { s["beta_cap"] = shortest(c.betaCap); s["anneal_steps"] = c.annealSteps }
        return s
    }
}
