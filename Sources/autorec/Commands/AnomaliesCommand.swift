import Foundation
import AutoRec
import AutoRecModels
import AutoRecRepresentation

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
            .value("--of", as: "users|items", help: "Which profiles to rank.", default: "users"),
            SharedOptions.kind(help: "plain, sparse, denoising, contractive, vae, beta-vae, wasserstein, adversarial or ali.", default: "denoising"),
            SharedOptions.top(help: "Rows shown in the table (JSON lists every profile).", default: "20"),
            .flag("--json", help: "Print every profile as {user|item, score}, most anomalous first."),
        ] + SharedOptions.ratingsSource() + SharedOptions.representationTraining(dimHelp: "Code size."))

    static func run(_ args: ParsedArguments) throws {
        let ratings = try SharedOptions.representationRatings(args)
        let of = try args.choice("--of", as: RatingVectors.Of.self)!
        let c = try SharedOptions.representationConfig(try args.choice("--kind", as: RepresentationKind.self)!, args)
        let data = RatingVectors(ratings, of: of)
        let scores = AnomalyScores.scores(data, config: c)
        let ranked = AnomalyScores.ranking(scores)
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
