import Foundation
import AutoRecCore
import AutoRecModels

/// The feature-consistent VAE (Hou et al. 2017; the survey's 6.4) for ratings: Mult-VAE's loss plus
/// a feature term |phi(x) - phi(pi)|^2 through a frozen network phi, the first layer of a trained
/// Mult-DAE (`--features MODEL`; without it a Mult-DAE with its defaults is trained first on the
/// same interactions). Scored and stored as a Mult-VAE.
extension ModelKind {
    public static let dfcVAE = ModelKind(
        name: "dfc-vae", task: .topN, capabilities: [.foldIn], declaration: DFCVAESettings.declaration,
        fit: .interactions { data, settings, progress in
            let c = try DFCVAESettings.declaration.configuration(settings)
            try MultSettings.checkMemory(c.mult, data: data)
            let phi = try DFCVAESettings.features(c.features, settings, data: data)
            var trained = try TopNTraining.fitWithRefit(config: c.mult, data: data) {
                MultAutoencoder.fit(data, config: $0, features: phi, progress: TopNTraining.progress(progress))
            }
            trained.report.details["features"] = c.features ?? "mult-dae trained first"
            return trained
        },
        load: { file, path in try MultAutoencoder(modelFile: file, path: path, variational: true) })
}

/// DFC-VAE's settings: Mult-VAE's, the feature network and its weight.
enum DFCVAESettings {
    struct Configuration: Equatable {
        var mult: MultConfig
        /// The Mult-DAE file whose first layer is phi; nil trains one first.
        var features: String?
    }

    static let declaration = SettingsDeclaration<Configuration>(
        MultSettings.settings(variational: true).map { $0.lifted(to: \Configuration.mult) } + [
            .text("--features", \.features, help: "The mult-dae model file whose first layer is the frozen feature network.",
                  valueName: "model", none: "a mult-dae trained first"),
            Setting<MultConfig>.float("--feature-weight", \.featureWeight, 0...1e6,
                                      help: "Weight of the feature term |phi(x) - phi(decoded)|^2.").lifted(to: \Configuration.mult),
        ],
        defaults: {
            var mult = MultConfig.defaults(variational: true)
            mult.featureWeight = 0.3
            return Configuration(mult: mult, features: nil)
        }())

    /// phi: the first layer of the `--features` model file, or of a Mult-DAE trained on `data` now
    /// (with the loop settings `s` gives that Mult-DAE reads).
    static func features(_ path: String?, _ s: ModelSettings, data: ImplicitData) throws -> FeatureNetwork {
        if let path {
            guard let model = try ModelCatalogue.load(try ModelFile.read(from: path), path: path) as? MultAutoencoder else {
                throw SettingError("--features \(path): a mult-dae (or mult-vae) model file is needed, its first layer is phi")
            }
            return FeatureNetwork(firstLayerOf: model, itemIDs: data.items)
        }
        var settings = ModelSettings(["--seed": s["--seed"] ?? "1"])
        for option in ["--epochs", "--dims", "--validation", "--patience", "--refit"] where s[option] != nil {
            settings[option] = s[option]
        }
        guard let dae = try ModelKind.multDAE.train(interactions: data, settings: settings).model as? MultAutoencoder else {
            throw SettingError("the feature network could not be trained")
        }
        return FeatureNetwork(firstLayerOf: dae, itemIDs: data.items)
    }
}
