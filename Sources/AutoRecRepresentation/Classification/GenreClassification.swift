import Linalg
import AutoRecCore

/// How well item embeddings predict genres: one logistic regression per genre, k-fold cross-
/// validated, for each embedding given, and a majority baseline (what `classify` prints).
public struct GenreClassification {
    public struct Result {
        public var embedding: String
        public var scores: MultiLabelClassification.Scores
        /// Seconds its embedder took to train (nil for the majority baseline).
        public var trainSeconds: Double?
    }

    /// Genre names, sorted, and each row's genre indices.
    public let genres: [String]
    public let labels: [[Int]]

    /// The genres of the rows of `data` (items) from `catalogue`.
    public init(data: RatingVectors, catalogue: ItemCatalogue) {
        genres = Array(Set(catalogue.genres.values.joined())).sorted()
        let index = Dictionary(uniqueKeysWithValues: genres.enumerated().map { ($1, $0) })
        labels = (0..<data.ids.count).map { r in (catalogue.genres[data.ids.id(at: r)] ?? []).compactMap { index[$0] } }
    }

    /// Items with at least one genre.
    public var labelledItems: Int { labels.filter { !$0.isEmpty }.count }

    /// Scores for every embedding (with its training seconds), then the majority baseline.
    public func run(_ embeddings: [(Embeddings, seconds: Double)], folds: Int, seed: UInt64) -> [Result] {
        var results = embeddings.map { e, seconds in
            Result(embedding: e.source, scores: MultiLabelClassification.crossValidate(
                features: e.vectors, labels: labels, labelCount: genres.count, folds: folds, seed: seed), trainSeconds: seconds)
        }
        results.append(Result(embedding: "majority", scores: MultiLabelClassification.majority(labels: labels, labelCount: genres.count)))
        return results
    }

    /// One row of the scarce-label table: an embedding under one probe.
    public struct ScarceResult {
        public var embedding: String
        /// The probe's name, or nil for the majority baseline.
        public var probe: ScarceLabels.Probe?
        public var outcome: ScarceLabels.Outcome
    }

    /// Every embedding under every probe with `labelled` of the items' genres seen (`draws` draws),
    /// then the majority baseline in the same protocol.
    public func runScarce(_ embeddings: [Embeddings], labelled: Double, draws: Int, probes: [ScarceLabels.Probe],
                          seed: UInt64) -> [ScarceResult] {
        var results: [ScarceResult] = []
        for e in embeddings {
            for probe in probes {
                results.append(ScarceResult(embedding: e.source, probe: probe, outcome: ScarceLabels.evaluate(
                    features: e.vectors, labels: labels, labelCount: genres.count, labelled: labelled, draws: draws,
                    probe: probe, seed: seed)))
            }
        }
        results.append(ScarceResult(embedding: "majority", probe: nil, outcome: ScarceLabels.majority(
            labels: labels, labelCount: genres.count, labelled: labelled, draws: draws, seed: seed)))
        return results
    }
}
