import AutoRecCore
import AutoRecModels

/// The closed-form top-N baselines: EASE (Steck 2019) and popularity.
extension ModelKind {
    public static let ease = ModelKind(
        name: EASE.kindName, task: .topN, capabilities: [.foldIn], declaration: ClosedFormConfig.ease,
        note: "closed form, no epochs",
        fit: .interactions { data, settings, _ in
            let c = try ClosedFormConfig.ease.configuration(settings)
            return try TopNTraining.closedForm(data, config: c) {
                try EASE.fit($0, lambda: c.lambda)
            }
        },
        load: { file, path in try EASE(modelFile: file, path: path) })

    public static let popularity = ModelKind(
        name: Popularity.kindName, task: .topN, capabilities: [.foldIn], declaration: ClosedFormConfig.popularity,
        note: "items by how many users have them",
        fit: .interactions { data, settings, _ in
            let c = try ClosedFormConfig.popularity.configuration(settings)
            return try TopNTraining.closedForm(data, config: c) { Popularity.fit($0) }
        },
        load: { file, path in try Popularity(modelFile: file, path: path) })
}

/// The settings of a closed-form model: EASE's lambda, and the share held out to report a
/// validation Recall@20 (off by default: nothing to stop early).
struct ClosedFormConfig: Equatable {
    var lambda = EASE.defaultLambda
    var seed: UInt64 = 1
    var validationFraction = 0.0

    static let ease = declaration(lambda: true), popularity = declaration(lambda: false)

    static func declaration(lambda: Bool) -> SettingsDeclaration<ClosedFormConfig> {
        let probe: [Setting<ClosedFormConfig>] = [
            .seed(\.seed),
            .double("--validation", \.validationFraction, 0...0.5,
                    help: "Share of each user's items held out to report a validation Recall@20 (a probe; 0 is off).", valueName: "fraction"),
        ]
        let l2: [Setting<ClosedFormConfig>] = lambda ? [.float("--l2", \.lambda, 0...1e9, help: "EASE's lambda, the L2 weight.")] : []
        return SettingsDeclaration(l2 + probe, defaults: ClosedFormConfig())
    }
}
