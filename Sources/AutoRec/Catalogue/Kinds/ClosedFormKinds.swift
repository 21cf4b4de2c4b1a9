/// The closed-form top-N baselines: EASE (Steck 2019) and popularity.
extension ModelKind {
    public static let ease = ModelKind(
        name: "ease", task: .topN, capabilities: [.foldIn],
        defaults: "--l2 500 (lambda; closed form, no epochs)", options: ["--l2"],
        validate: { _ = try $0.float("--l2", range: 0...1e9) },
        fit: .interactions { data, settings, _ in
            let lambda = try settings.float("--l2", range: 0...1e9) ?? EASE.defaultLambda
            return try TopNTraining.closedForm(data, settings: settings, settingsReport: ["l2": TopNTraining.shortest(lambda)]) {
                try EASE.fit($0, lambda: lambda)
            }
        },
        load: { file, path in try EASE(modelFile: file, path: path) })

    public static let popularity = ModelKind(
        name: "popularity", task: .topN, capabilities: [.foldIn],
        defaults: "(no settings: items by how many users have them)", options: [],
        fit: .interactions { data, settings, _ in
            try TopNTraining.closedForm(data, settings: settings, settingsReport: [:]) { Popularity.fit($0) }
        },
        load: { file, path in try Popularity(modelFile: file, path: path) })
}
