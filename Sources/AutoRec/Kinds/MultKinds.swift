import AutoRecCore
import AutoRecModels

/// Mult-VAE and Mult-DAE (Liang et al. 2018): multinomial-likelihood autoencoders over a user's
/// items (`MultAutoencoder`).
extension ModelKind {
    public static let multVAE = mult(name: MultAutoencoder.kindName(variational: true), variational: true)
    public static let multDAE = mult(name: MultAutoencoder.kindName(variational: false), variational: false)

    /// A Mult kind, variational or not: its settings, trainer and loader.
    public static func mult(name: String, variational: Bool) -> ModelKind {
        let declaration = MultSettings.declaration(variational: variational)
        return ModelKind(name: name, task: .topN, capabilities: [.foldIn], declaration: declaration,
                         fit: .interactions { data, settings, progress in
                             let c = try declaration.configuration(settings)
                             try MultSettings.checkMemory(c, data: data)
                             return try TopNTraining.fitWithRefit(config: c, data: data) {
                                 MultAutoencoder.fit(data, config: $0, progress: TopNTraining.progress(progress))
                             }
                         },
                         load: { file, path in try MultAutoencoder(modelFile: file, path: path, variational: variational) })
    }
}

/// Mult's settings, declared once.
enum MultSettings {
    /// The settings of a Mult kind (the KL weight's for the variational one only).
    static func settings(variational: Bool) -> [Setting<MultConfig>] {
        var settings: [Setting<MultConfig>] = [
            .intList("--dims", \.dims, 1...100_000, help: "Encoder widths, input side first."),
        ] + TopNTraining.loopSettings()
        if variational {
            settings += [
                .float("--beta-cap", \.betaCap, 0...10, help: "Largest KL weight."),
                .int("--anneal-steps", \.annealSteps, 1...100_000_000, help: "Updates over which the KL weight grows to its cap."),
            ]
        }
        return settings
    }

    static func declaration(variational: Bool) -> SettingsDeclaration<MultConfig> {
        SettingsDeclaration(settings(variational: variational), defaults: MultConfig.defaults(variational: variational))
    }

    /// Refuses layers that cannot fit: the weights of both halves, and a batch's outputs over every item.
    static func checkMemory(_ c: MultConfig, data: ImplicitData) throws {
        let widths = [Double(data.items.count)] + c.dims.map(Double.init)
        let weights = zip(widths, widths.dropFirst()).map { $0 * $1 }.reduce(0, +)
        try MemoryBudget.checkNetwork(parameters: 2 * weights, activations: 4 * Double(c.batchSize) * widths.reduce(0, +),
                                      for: "--dims \(c.dims.map(String.init).joined(separator: ","))", lower: "--dims or --batch")
    }
}
