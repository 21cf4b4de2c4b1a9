import Foundation
import AutoRecCore
import AutoRec
import AutoRecStore
import AutoRecModels
import AutoRecRepresentation

/// `autorec classify`: how well each autoencoder's item embeddings predict genres, beside PCA of the
/// raw rating vectors at the same dimension and a majority baseline (`GenreClassification`).
enum ClassifyCommand: Command {
    static let spec = CommandSpec(
        name: "classify",
        abstract: "Predict item genres from embeddings of every variant, PCA and a majority baseline (k-fold F1).",
        discussion: """
        Each variant (plain, sparse, denoising, contractive, vae, beta-vae, wasserstein, adversarial, ali) is trained on the items' rating vectors
        with its defaults (see 'autorec embed --help'); PCA projects the same centred vectors on their
        leading components. One logistic regression per genre on standardised embeddings, positives
        weighted by their rarity, k-fold cross-validation; micro-F1 pools every (item, genre)
        decision, macro-F1 averages the genres. Majority gives every item the most frequent genre.
        --labelled F: the scarce-label regime. The embeddings still learn from every item, but each
        probe (logistic regressions, and a small MLP with one tanh layer of 32 units) sees the genres
        of only a share F of the items, drawn --draws times, and is scored on the others (mean and
        standard deviation over the draws).
        """,
        options: [
            .value("--target", as: "attribute", help: "What to predict (genres).", default: "genres"),
            SharedOptions.catalogue(help: "Item catalogue with genres (item, title, ..., genres a|b); else the store's items."),
            .value("--hidden", as: "n", help: "Units of a tanh layer between input and code in every variant but contractive (0: one layer).", default: "0"),
            .value("--folds", as: "k", help: "Cross-validation folds.", default: "5"),
            .value("--input", as: "raw|unit|binary", help: "Rating vectors as ratings / top rating, scaled to unit length, or 0/1.", default: "raw"),
            .value("--autorec", as: "model", help: "Also score the hidden codes of this I-AutoRec file."),
            .value("--labelled", as: "share", help: "Scarce labels: the probes see the genres of only this share of the items (e.g. 0.05, 0.1, 0.25)."),
            .value("--draws", as: "n", help: "With --labelled: draws of the labelled items.", default: "5"),
            .value("--probe", as: "logistic|mlp|both", help: "With --labelled: which probes.", default: "both"),
            .flag("--json", help: "Print {\"results\": [{\"embedding\", \"micro_f1\", \"macro_f1\"}, ...]}."),
        ] + SharedOptions.ratingsSource() + SharedOptions.representationTraining())

    static func run(_ args: ParsedArguments) throws {
        guard args.string("--target") == "genres" else { throw CLIError(message: "--target supports genres") }
        let ratings = try SharedOptions.representationRatings(args)
        let catalogue = try SharedOptions.itemCatalogue(args)
        let dim = try args.int("--dim", range: 1...4096)!, folds = try args.int("--folds", range: 2...100)!
        let seed = UInt64(try args.int("--seed", range: 0...Int.max)!)
        let data = RatingVectors(ratings, of: .items, scaling: try args.choice("--input", as: RatingVectors.Scaling.self)!)
        let config = try SharedOptions.representationConfig(.plain, args)
        // Every variant, then the AutoRec codes asked for, then PCA: the order of the table.
        var embedders: [() throws -> any Embedder] = RepresentationKind.allCases.map { kind in
            { try EmbedderChoice.fit(kind.rawValue, data: data, config: config) }
        }
        if let path = args.string("--autorec") {
            let model = try ModelCatalogue.loadAutoRec(from: path)
            guard model.config.orientation == .item else { throw CLIError(message: "--autorec wants an I-AutoRec file (item codes)") }
            embedders.append { model }
        }
        embedders.append { PCAEmbedder(dim: dim) }
        var embeddings: [(Embeddings, seconds: Double)] = []
        for make in embedders {
            let start = monotonicSeconds()
            let embedder = try make()
            embeddings.append((try embedder.embeddings(of: data), monotonicSeconds() - start))
            if embedder is RepresentationAutoencoder { Output.progress("trained \(embedder.name)") }
        }
        let task = GenreClassification(data: data, catalogue: catalogue)
        if let labelled = try args.double("--labelled", range: 0.001...0.99) {
            return try printScarce(task, embeddings.map(\.0), labelled: labelled, seed: seed, dim: dim, args)
        }
        let results = task.run(embeddings, folds: folds, seed: seed)
        if args.flag("--json") {
            Output.json(["results": results.map { r -> [String: Any] in
                var o: [String: Any] = ["embedding": r.embedding, "micro_f1": rounded(r.scores.microF1, 4), "macro_f1": rounded(r.scores.macroF1, 4)]
                if let s = r.trainSeconds { o["train_seconds"] = rounded(s, 3) }
                return o
            }, "labels": task.genres.count, "items": task.labelledItems, "dim": dim, "folds": folds] as [String: Any])
        } else {
            print("genre classification from \(dim)-dimensional item embeddings, \(folds)-fold cross-validation:")
            Output.table(["embedding", "micro-F1", "macro-F1", "train s"], results.map { r in
                [r.embedding, fixed(r.scores.microF1), fixed(r.scores.macroF1), r.trainSeconds.map { fixed($0, 2) } ?? "-"]
            })
        }
    }

    /// The scarce-label table: every embedding under each probe, then majority.
    static func printScarce(_ task: GenreClassification, _ embeddings: [Embeddings], labelled: Double, seed: UInt64,
                            dim: Int, _ args: ParsedArguments) throws {
        let draws = try args.int("--draws", range: 1...100)!
        let probeName = args.string("--probe") ?? "both"
        let probes: [ScarceLabels.Probe] = probeName == "both" ? ScarceLabels.Probe.allCases
            : [try args.choice("--probe", as: ScarceLabels.Probe.self)!]
        let results = task.runScarce(embeddings, labelled: labelled, draws: draws, probes: probes, seed: seed)
        if args.flag("--json") {
            Output.json(["results": results.map { r -> [String: Any] in
                ["embedding": r.embedding, "probe": r.probe?.rawValue ?? "majority",
                 "micro_f1": rounded(r.outcome.microF1, 4), "macro_f1": rounded(r.outcome.macroF1, 4),
                 "micro_f1_sd": rounded(r.outcome.microF1SD, 4), "macro_f1_sd": rounded(r.outcome.macroF1SD, 4)]
            }, "labels": task.genres.count, "items": task.labelledItems, "dim": dim, "labelled": labelled, "draws": draws] as [String: Any])
            return
        }
        print("genre classification with \(Int((labelled * 100).rounded()))% of the items labelled (\(draws) draws), \(dim)-dimensional embeddings:")
        Output.table(["embedding", "probe", "micro-F1", "macro-F1"], results.map { r in
            [r.embedding, r.probe?.rawValue ?? "-", "\(fixed(r.outcome.microF1)) +- \(fixed(r.outcome.microF1SD, 3))",
             "\(fixed(r.outcome.macroF1)) +- \(fixed(r.outcome.macroF1SD, 3))"]
        })
    }
}
