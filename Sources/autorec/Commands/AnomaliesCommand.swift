import Foundation
import AutoRec

/// `autorec anomalies`: profiles ranked by how badly an autoencoder reconstructs them.
enum AnomaliesCommand: Command {
    static let spec = CommandSpec(
        name: "anomalies",
        abstract: "Rank user (or item) profiles by reconstruction error: fake or broken profiles first.",
        discussion: """
        Trains an autoencoder variant (default denoising) on every profile's rating vector and scores
        each by the mean reconstruction error of its observed ratings. --json prints every profile,
        most anomalous first: [{"user": ID, "score": X}, ...] ({"item": ...} with --of items).
        """,
        options: [
            .value("--ratings", as: "file", help: "Ratings file."),
            .flag("--from-db", help: "Read a snapshot of the store's ratings instead of --ratings."),
            .value("--database", as: "url", help: "PostgreSQL URL for --from-db (else DATABASE_URL, PG*)."),
            .value("--of", as: "users|items", help: "Which profiles to rank.", default: "users"),
            .value("--model", as: "kind", help: "plain, sparse, denoising, contractive, vae, beta-vae, wasserstein or adversarial.", default: "denoising"),
            .value("--dim", as: "n", help: "Code size.", default: "32"),
            .value("--epochs", as: "n", help: "Training epochs.", default: "60"),
            .value("--seed", as: "n", help: "Random seed.", default: "1"),
            .value("--top", as: "n", help: "Rows shown in the table (JSON lists every profile).", default: "20"),
            .flag("--json", help: "Print every profile as {user|item, score}, most anomalous first."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let ratings = try EmbedCommand.representationRatings(args)
        let of = try args.choice("--of", as: RatingVectors.Of.self)!
        let c = try EmbedCommand.config(try args.choice("--model", as: RepresentationKind.self)!, args)
        let data = RatingVectors(ratings, of: of)
        let scores = AnomalyScores.scores(data, config: c)
        let ranked = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        let key = of == .users ? "user" : "item"
        if args.flag("--json") {
            Output.json(ranked.map { [key: data.ids.id(at: $0), "score": rounded(scores[$0])] as [String: Any] })
        } else {
            let top = try args.int("--top", range: 1...Int.max)!
            Output.table(["rank", key, "score", "ratings"], ranked.prefix(top).enumerated().map { k, r in
                [String(k + 1), data.ids.id(at: r), fixed(scores[r]), String(data.rows.count(ofRow: r))]
            })
        }
    }
}
