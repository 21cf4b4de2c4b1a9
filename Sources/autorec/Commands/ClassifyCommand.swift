import Foundation
import AutoRec
import AutoRecStore
import Linalg

/// `autorec classify`: how well each autoencoder's item embeddings predict genres, beside PCA of the
/// raw rating vectors at the same dimension and a majority baseline.
enum ClassifyCommand: Command {
    static let spec = CommandSpec(
        name: "classify",
        abstract: "Predict item genres from embeddings of every variant, PCA and a majority baseline (k-fold F1).",
        discussion: """
        Each variant (plain, sparse, denoising, contractive, vae, beta-vae, wasserstein, adversarial) is trained on the items' rating vectors
        with its defaults (see 'autorec embed --help'); PCA projects the same centred vectors on their
        leading components. One logistic regression per genre on standardised embeddings, positives
        weighted by their rarity, k-fold cross-validation; micro-F1 pools every (item, genre)
        decision, macro-F1 averages the genres. Majority gives every item the most frequent genre.
        """,
        options: [
            .value("--target", as: "attribute", help: "What to predict (genres).", default: "genres"),
            .value("--ratings", as: "file", help: "Ratings file."),
            .value("--items", as: "file", help: "Item catalogue with genres (item, title, ..., genres a|b); else the store's items."),
            .flag("--from-db", help: "Read a snapshot of the store's ratings instead of --ratings."),
            .value("--database", as: "url", help: "PostgreSQL URL for the store (else DATABASE_URL, PG*)."),
            .value("--dim", as: "n", help: "Embedding size.", default: "32"),
            .value("--hidden", as: "n", help: "Units of a tanh layer between input and code in every variant but contractive (0: one layer).", default: "0"),
            .value("--epochs", as: "n", help: "Training epochs of each autoencoder.", default: "60"),
            .value("--folds", as: "k", help: "Cross-validation folds.", default: "5"),
            .value("--seed", as: "n", help: "Random seed.", default: "1"),
            .value("--input", as: "raw|unit|binary", help: "Rating vectors as ratings / top rating, scaled to unit length, or 0/1.", default: "raw"),
            .value("--autorec", as: "model", help: "Also score the hidden codes of this I-AutoRec file."),
            .flag("--json", help: "Print {\"results\": [{\"embedding\", \"micro_f1\", \"macro_f1\"}, ...]}."),
        ])

    static func run(_ args: ParsedArguments) throws {
        guard args.string("--target") == "genres" else { throw CLIError(message: "--target supports genres") }
        let ratings = try EmbedCommand.representationRatings(args)
        // Genres and titles from --items, or from the store's items table.
        let catalogue = try args.string("--items").map { try ItemCatalogue.read(path: $0) }
            ?? EmbeddingStore(connection: try Connection(url: args.string("--database"))).catalogue()
        let dim = try args.int("--dim", range: 1...4096)!, folds = try args.int("--folds", range: 2...100)!
        let seed = UInt64(try args.int("--seed", range: 0...Int.max)!)
        let data = RatingVectors(ratings, of: .items, scaling: try args.choice("--input", as: RatingVectors.Scaling.self)!)
        let names = Array(Set(catalogue.genres.values.joined())).sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let labels = (0..<data.ids.count).map { r in (catalogue.genres[data.ids.id(at: r)] ?? []).compactMap { index[$0] } }

        var embeddings: [(String, Matrix, Double)] = []
        for kind in RepresentationKind.allCases {
            var c = try EmbedCommand.config(kind == .contractive ? .plain : kind, args)
            c.kind = kind
            if kind == .contractive { c.hiddenUnits = 0 }
            let t0 = monotonicSeconds()
            let model = RepresentationAutoencoder.fit(data, config: c)
            embeddings.append((kind.rawValue, model.embed(data), monotonicSeconds() - t0))
            Output.progress("trained \(kind.rawValue)")
        }
        if let path = args.string("--autorec") {
            let model = try AutoRec.load(from: path)
            guard model.config.orientation == .item else { throw CLIError(message: "--autorec wants an I-AutoRec file (item codes)") }
            // Align its item codes with the rows here.
            var codes = Matrix(rows: data.ids.count, cols: model.codes.cols)
            for r in 0..<data.ids.count {
                if let i = model.items.index(of: data.ids.id(at: r)) {
                    for j in 0..<codes.cols { codes[r, j] = model.codes[Int(i), j] }
                }
            }
            embeddings.append((ModelKind.iAutoRec.name, codes, 0))
        }
        let t0 = monotonicSeconds()
        embeddings.append(("pca", try PCA.embed(data, dim: dim), monotonicSeconds() - t0))

        var results: [[String: Any]] = []
        for (name, features, seconds) in embeddings {
            let s = MultiLabelClassification.crossValidate(features: features, labels: labels, labelCount: names.count,
                                                           folds: folds, seed: seed)
            results.append(["embedding": name, "micro_f1": rounded(s.microF1, 4), "macro_f1": rounded(s.macroF1, 4),
                            "train_seconds": rounded(seconds, 3)])
        }
        let m = MultiLabelClassification.majority(labels: labels, labelCount: names.count)
        results.append(["embedding": "majority", "micro_f1": rounded(m.microF1, 4), "macro_f1": rounded(m.macroF1, 4)])
        if args.flag("--json") {
            Output.json(["results": results, "labels": names.count, "items": labels.filter { !$0.isEmpty }.count,
                         "dim": dim, "folds": folds] as [String: Any])
        } else {
            print("genre classification from \(dim)-dimensional item embeddings, \(folds)-fold cross-validation:")
            Output.table(["embedding", "micro-F1", "macro-F1", "train s"], results.map { r in
                ["\(r["embedding"]!)", fixed(r["micro_f1"] as! Double), fixed(r["macro_f1"] as! Double),
                 (r["train_seconds"] as? Double).map { fixed($0, 2) } ?? "-"]
            })
        }
    }
}
