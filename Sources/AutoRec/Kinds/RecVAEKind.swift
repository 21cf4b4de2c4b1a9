import AutoRecCore
import AutoRecModels

/// RecVAE (Shenbin et al. 2020): Mult-VAE's likelihood with a composite prior, a KL weight that
/// grows with the user's interactions, a deeper encoder, and alternating encoder and decoder
/// updates (`RecVAE`).
extension ModelKind {
    public static let recVAE = ModelKind(
        name: RecVAE.kindName, task: .topN, capabilities: [.foldIn], declaration: RecVAESettings.declaration,
        fit: .interactions { data, settings, progress in
            let c = try RecVAESettings.declaration.configuration(settings)
            try RecVAESettings.checkMemory(c, data: data)
            return try TopNTraining.fitWithRefit(config: c, data: data) {
                RecVAE.fit(data, config: $0, progress: TopNTraining.progress(progress))
            }
        },
        load: { file, path in try RecVAE(modelFile: file, path: path) })
}

extension RecVAEConfig: EpochLoopConfig {}

/// RecVAE's settings, declared once.
enum RecVAESettings {
    static let declaration = SettingsDeclaration<RecVAEConfig>([
        .int("--hidden", \.hidden, 1...100_000, help: "Encoder width."),
        .int("--latent", \.latent, 1...100_000, help: "Code dimensions."),
        .int("--depth", \.depth, 1...20, help: "Encoder layers (each sees every earlier one)."),
        .float("--gamma", \.gamma, 0...100, help: "KL weight per interaction of the user."),
        .int("--encoder-passes", \.encoderPasses, 1...100, help: "Passes that update the encoder in each epoch."),
        .int("--decoder-passes", \.decoderPasses, 1...100, help: "Passes that update the decoder in each epoch."),
    ] + TopNTraining.loopSettings(), defaults: RecVAEConfig())

    /// Refuses sizes that cannot fit: the weights, and a batch's activations over the items and layers.
    static func checkMemory(_ c: RecVAEConfig, data: ImplicitData) throws {
        let items = Double(data.items.count), hidden = Double(c.hidden), latent = Double(c.latent)
        let weights = items * hidden + Double(c.depth - 1) * hidden * hidden + 2 * hidden * latent + latent * items
        // Weights, gradient, the prior's copy, an average and two Adams' moments: 8 copies (checkNetwork counts 5).
        try MemoryBudget.checkNetwork(parameters: weights * 8 / 5, activations: Double(c.batchSize) * (4 * items + 8 * Double(c.depth) * hidden),
                                      for: "RecVAE with --hidden \(c.hidden) --latent \(c.latent) --depth \(c.depth)",
                                      lower: "--hidden, --latent or --batch")
    }
}
