import AutoRecCore
import AutoRecModels

/// CDAE (Wu et al. 2016): a denoising autoencoder over a user's items with a per-user input node.
extension ModelKind {
    public static let cdae = ModelKind(
        name: CDAE.kindName, task: .topN, capabilities: [.foldIn], declaration: CDAESettings.declaration,
        fit: .interactions { data, settings, progress in
            let c = try CDAESettings.declaration.configuration(settings)
            let hidden = Double(c.hidden), items = Double(data.items.count)
            try MemoryBudget.checkNetwork(parameters: hidden * (2 * items + Double(data.users.count)),
                                          activations: 4 * Double(c.batchSize) * items, for: "CDAE with --hidden \(c.hidden)", lower: "--hidden or --batch")
            return try TopNTraining.fitWithRefit(config: c, data: data) {
                CDAE.fit(data, config: $0, progress: TopNTraining.progress(progress))
            }
        },
        load: { file, path in try CDAE(modelFile: file, path: path) })
}

/// CDAE's settings, declared once.
enum CDAESettings {
    static let declaration = SettingsDeclaration<CDAEConfig>([
        .int("--hidden", \.hidden, 1...100_000, help: "Hidden units."),
        .int("--negatives", \.negatives, 0...10_000, help: "Negatives sampled per positive; 0 uses every item."),
        .choice("--loss", \.loss, help: "Output loss."),
        .yesNo("--normalize", \.normalizeInput, help: "Scale each user's input to unit length before the corruption."),
        .choice("--encoder", \.activation, help: "Hidden layer activation."),
    ] + TopNTraining.loopSettings(), defaults: CDAEConfig())
}
