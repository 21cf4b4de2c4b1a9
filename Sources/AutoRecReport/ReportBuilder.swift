import Foundation
import AutoRecCore
import AutoRec

/// Builds an `EvaluationReport` from model files and a test part: the one library call behind
/// `autorec report`.
public enum ReportBuilder {
    public struct Options: Sendable {
        /// Cut-offs of the curves (10, 20 and 50 are always added, for the table).
        public var cutOffs = ModelFigures.cutOffs
        /// The representation variant of the item map (`EmbedderChoice.names`); nil draws no map.
        public var mapVariant: String? = "denoising"
        public var catalogue: ItemCatalogue?
        public var title: String?
        public init() {}
    }

    /// Measures every model on `test` and draws the item map from the first model's training
    /// interactions; `progress` hears each step.
    public static func build(models: [(path: String, file: ModelFile)], test: Ratings, testName: String,
                             options: Options = Options(), progress: ((String) -> Void)? = nil) throws -> EvaluationReport {
        precondition(!models.isEmpty)
        let cutOffs = Array(Set(options.cutOffs + [10, 20, 50])).sorted()
        var figures: [ModelFigures] = []
        var first: (any Ranker)?
        for (path, file) in models {
            let ranker = try ModelCatalogue.load(file, path: path)
            first = first ?? ranker
            let measured = ModelFigures.measure(ranker, name: displayName(path), header: file.header, test: test, cutOffs: cutOffs)
            guard measured.metrics.users > 0 else {
                throw SettingError("none of the test users has test items that \(path) can rank: is \(testName) the test part of the split it was trained on?")
            }
            figures.append(measured)
            progress?("measured \(path): Recall@20 \(String(format: "%.4f", measured.metrics.recall[20] ?? 0))")
        }
        var map: ItemMap?
        if let variant = options.mapVariant, let model = first {
            map = try ItemMap.build(interactions(of: model), variant: variant, catalogue: options.catalogue)
            progress?("drew the item map (\(variant), \(map!.points.count) items)")
        }
        var report = EvaluationReport(testDescription: "\(testName): \(figures[0].metrics.users) users ranked, \(test.count) test entries",
                                      models: figures, catalogueShare: first.map { PopularityDeciles($0).interactionShare },
                                      itemMap: map)
        if let title = options.title { report.title = title }
        return report
    }

    /// A model's training interactions as ratings (its history's values), for the item map.
    static func interactions(of model: any Ranker) -> Ratings {
        let h = model.history
        var users: [Int32] = []
        users.reserveCapacity(h.nonZeros)
        for u in 0..<h.rows { users += [Int32](repeating: Int32(u), count: h.count(ofRow: u)) }
        return Ratings(users: model.users, items: model.items, userIndex: users, itemIndex: h.columns, values: h.values)
    }

    /// "mult-vae.model" for "/tmp/x/mult-vae.model".
    static func displayName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
}
