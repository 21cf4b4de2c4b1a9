import AutoRecCore

/// One kind of model autorec trains and stores: its name (in model files, the registry and on the
/// command line), its task, what it can do, the options it reads and how it is trained and loaded.
/// Each kind is one registration in `Kinds/`, listed in `ModelCatalogue`; nothing else spells a
/// kind's name.
public struct ModelKind: Sendable {
    /// What a kind is trained for: rating prediction (explicit ratings, RMSE) or top-N lists
    /// (implicit interactions, Recall@k).
    public enum Task: String, Sendable { case rating, topN = "top-n" }

    /// What a trained model of the kind can do besides ranking its users' unseen items.
    public struct Capabilities: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Predicts a rating for a (user, item) pair (`RatingPredictor`).
        public static let ratingPrediction = Capabilities(rawValue: 1)
        /// Ranks items for a user it was not trained on, from that user's items.
        public static let foldIn = Capabilities(rawValue: 2)
        /// Has per-item codes to use as embeddings (`Embedder`).
        public static let embeddings = Capabilities(rawValue: 4)
    }

    /// How a kind trains: from ratings (rating models) or from interactions (top-N models, which
    /// read ratings of at least `--positive` as interactions).
    public enum Fit: Sendable {
        case ratings(@Sendable (consuming Ratings, ModelSettings, ((TrainingProgress) -> Void)?) throws -> TrainedModel)
        case interactions(@Sendable (ImplicitData, ModelSettings, ((TrainingProgress) -> Void)?) throws -> TrainedModel)
    }

    public let name: String
    public let task: Task
    public let capabilities: Capabilities
    /// Its settings, each declared once in its registration (name, range, default, help).
    public let settings: [SettingInfo]
    /// Its default settings as the help lists them ("--dims 600,200 --epochs 300 ...").
    public let defaults: String
    let fit: Fit
    let loader: @Sendable (ModelFile, String) throws -> any Ranker
    /// Parses the settings the way `fit` will, so that a bad value is refused before any data is read.
    let validate: @Sendable (ModelSettings) throws -> Void
    /// The settings whose default, given explicitly, changes the configuration (none, when the
    /// help tells the truth; a test asks every kind).
    public let defaultsThatDisagree: @Sendable () -> [String]

    /// A kind whose settings are `declaration`; `fit` reads them through it.
    public init<Config>(name: String, task: Task, capabilities: Capabilities, declaration: SettingsDeclaration<Config>,
                        note: String? = nil, fit: Fit, load: @escaping @Sendable (ModelFile, String) throws -> any Ranker) {
        self.name = name; self.task = task; self.capabilities = capabilities
        var settings = declaration.infos()
        if task == .topN { settings.append(Self.positive) }
        self.settings = settings
        let listed = declaration.defaultsText
        self.defaults = note.map { listed.isEmpty ? $0 : "\(listed) (\($0))" } ?? (listed.isEmpty ? "(no settings)" : listed)
        self.validate = { _ = try declaration.configuration($0) }
        self.defaultsThatDisagree = { declaration.defaultsThatDisagree() }
        self.fit = fit; self.loader = load
    }

    /// The top-N kinds' choice of interactions, read before training (not a model setting).
    public static let positive = SettingInfo(
        name: "--positive", valueName: "x", help: "Top-N models: ratings of at least x are interactions.",
        accepts: "-1000000000 to 1000000000", defaultText: "every rating", defaultIsAValue: false)

    /// Every option this kind reads.
    public var allOptions: [String] { settings.map(\.name) }

    /// Refuses a setting the kind does not read (saying which kinds do) and a value out of range.
    public func check(_ settings: ModelSettings) throws {
        for option in settings.names where !allOptions.contains(option) {
            let readers = ModelCatalogue.kinds.filter { $0.allOptions.contains(option) }.map(\.name)
            let hint = readers.isEmpty ? "" : "; it applies to \(ModelCatalogue.list(readers))"
            throw SettingError("\(option) does not apply to \(name)\(hint)")
        }
        _ = try settings.double("--positive", range: -1e9...1e9)
        try validate(settings)
    }

    /// Trains a model of this kind on `ratings` (handed over: the rating models free them once
    /// their matrices are built); the model's file and the registry carry this kind's name.
    public func train(_ ratings: consuming Ratings, settings: ModelSettings = ModelSettings(),
                      progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainedModel {
        try check(settings)
        switch fit {
        case .ratings(let body):
            let recorder = CurveRecorder(progress)
            return recorder.attach(to: named(try body(consume ratings, settings, recorder.sink)))
        case .interactions:
            let positive = try settings.float("--positive", range: -1e9...1e9)
            let data = ImplicitData(consume ratings, positive: positive)
            guard data.interactions > 0 else {
                throw SettingError("no interactions left after --positive \(positive.map { "\($0)" } ?? "")")
            }
            return try train(interactions: data, settings: settings, progress: progress)
        }
    }

    /// Trains a top-N kind on interactions; a rating kind refuses (it needs the rating values).
    public func train(interactions data: ImplicitData, settings: ModelSettings = ModelSettings(),
                      progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainedModel {
        try check(settings)
        guard case .interactions(let body) = fit else {
            throw SettingError("\(name) trains on rating values, not on interactions")
        }
        let recorder = CurveRecorder(progress)
        var trained = recorder.attach(to: named(try body(data, settings, recorder.sink)))
        if let positive = try settings.double("--positive", range: -1e9...1e9) { trained.report.header["positive_threshold"] = positive }
        return trained
    }

    /// Loads a verified model file of this kind.
    public func load(_ file: ModelFile, path: String) throws -> any Ranker {
        var model = try loader(file, path)
        model.kind = name
        return model
    }

    private func named(_ trained: TrainedModel) -> TrainedModel {
        var result = trained
        result.model.kind = name
        return result
    }
}

/// Records every epoch a kind reports on its way to the caller's progress, into the report's
/// learning curve and the model file's header.
private final class CurveRecorder {
    private let forward: ((TrainingProgress) -> Void)?
    private var curve: LearningCurve?

    init(_ forward: ((TrainingProgress) -> Void)?) { self.forward = forward }

    var sink: (TrainingProgress) -> Void {
        { [self] p in
            if curve == nil { curve = LearningCurve(metric: p.metric) }
            curve!.record(p)
            forward?(p)
        }
    }

    func attach(to trained: TrainedModel) -> TrainedModel {
        guard let curve else { return trained }
        var result = trained
        result.report.curve = curve
        result.report.header[LearningCurve.headerKey] = curve.header
        return result
    }
}

extension ModelKind: Hashable {
    public static func == (a: ModelKind, b: ModelKind) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
