import Foundation

/// The feature-consistent VAE (Hou et al. 2017; the survey's 6.4) for ratings: Mult-VAE's loss plus
/// a feature term |phi(x) - phi(pi)|^2 through a frozen network phi, the first layer of a trained
/// Mult-DAE (`--features MODEL`; without it a Mult-DAE with its defaults is trained first on the
/// same interactions). Scored and stored as a Mult-VAE.
extension ModelKind {
    public static let dfcVAE = ModelKind(
        name: "dfc-vae", task: .topN, capabilities: [.foldIn],
        defaults: "mult-vae's, --feature-weight 0.3, --features a mult-dae file (default: a mult-dae trained first)",
        options: MultSettings.options(variational: true) + ["--features", "--feature-weight"],
        validate: { _ = try DFCVAESettings.config($0) },
        fit: .interactions { data, settings, progress in
            let c = try DFCVAESettings.config(settings)
            let phi = try DFCVAESettings.features(settings, data: data)
            var trained = try TopNTraining.fitWithRefit(settings, config: c, data: data, settingsReport: MultSettings.report(c)) {
                MultAutoencoder.fit(data, config: $0, features: phi, progress: TopNTraining.progress(progress))
            }
            trained.report.details["feature_weight"] = TopNTraining.shortest(c.featureWeight)
            trained.report.details["features"] = settings["--features"] ?? "mult-dae trained first"
            trained.report.header["feature_weight"] = Double(c.featureWeight)
            return trained
        },
        load: { file, path in try MultAutoencoder(modelFile: file, path: path, variational: true) })
}

/// DFC-VAE's options: Mult-VAE's, the feature network and its weight.
enum DFCVAESettings {
    static func config(_ s: ModelSettings) throws -> MultConfig {
        var c = try MultSettings.config(variational: true, s)
        c.featureWeight = try s.float("--feature-weight", range: 0...1e6) ?? 0.3
        return c
    }

    /// phi: the first layer of the `--features` model file, or of a Mult-DAE trained on `data` now.
    static func features(_ s: ModelSettings, data: ImplicitData) throws -> FeatureNetwork {
        if let path = s["--features"] {
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
