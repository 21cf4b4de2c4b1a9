import Foundation
import AutoRec
import Linalg
import AutoRecCore
import AutoRecModels
import AutoRecRepresentation

/// `autorec sample`: synthetic rating profiles drawn from a VAE's prior.
enum SampleCommand: Command {
    static let spec = CommandSpec(
        name: "sample",
        abstract: "Draw synthetic user rating profiles from a VAE trained on the ratings, beside the real data's statistics.",
        discussion: """
        Trains a (beta-)VAE on the users' rating vectors, draws codes from N(0, I) and decodes them.
        A decoded value is about P(rated) x the item's mean rating (missing ratings read as 0), so each
        item is rated with probability decoded / item mean (clipped to [0, 1]) and given a rating drawn
        around the item's mean. Prints the profiles' ratings per profile and mean rating next to the
        real users'; --out writes them as a ratings file.
        """,
        options: [
            SharedOptions.kind(help: "vae, beta-vae or ali.", default: "vae"),
            .value("--profiles", "--count", "-n", as: "n", help: "Profiles to draw.", default: "5"),
            .value("--out", as: "file", help: "Write the profiles as user, item, rating lines (users sample-1, ...)."),
            .flag("--json", help: "Print one JSON object: the profiles' and the real data's statistics."),
        ] + SharedOptions.ratingsSource(verb: "Learn from") + SharedOptions.representationTraining(dimHelp: "Code size."))

    static func run(_ args: ParsedArguments) throws {
        let ratings = try SharedOptions.representationRatings(args)
        let c = try SharedOptions.representationConfig(try args.choice("--kind", as: RepresentationKind.self)!, args)
        guard c.kind.isGenerative else { throw CLIError(message: "sample needs a generative model: --kind vae, beta-vae or ali") }
        let count = try args.int("--profiles", range: 1...1_000_000)!
        let data = RatingVectors(ratings, of: .users)
        let model = RepresentationAutoencoder.fit(data, config: c)
        let sampled = SampledProfiles(model: model, data: data, ratings: ratings, count: count, seed: c.seed &+ 99)
        let lines = sampled.tsvLines
        if let out = args.string("--out") { try FileAccess.write(lines.joined(separator: "\n") + "\n", to: out) }
        let comparison = sampled.comparison(real: data, ratings: ratings)
        let stats: [String: Any] = [
            "profiles": count,
            "sample_ratings_per_profile": rounded(comparison.sampleRatingsPerProfile, 2),
            "sample_mean_rating": rounded(comparison.sampleMeanRating, 3),
            "real_ratings_per_profile": rounded(comparison.realRatingsPerProfile, 2),
            "real_mean_rating": rounded(comparison.realMeanRating, 3),
            "sample_profile_sizes": sampled.sizes,
        ]
        if args.flag("--json") { Output.json(stats); return }
        Output.table(["", "ratings per profile", "mean rating"], [
            ["\(count) sampled profiles", fixed(stats["sample_ratings_per_profile"] as! Double, 1), fixed(stats["sample_mean_rating"] as! Double, 2)],
            ["\(data.rows.rows) real users", fixed(stats["real_ratings_per_profile"] as! Double, 1), fixed(stats["real_mean_rating"] as! Double, 2)],
        ])
        if let out = args.string("--out") { print("wrote \(lines.count) ratings to \(out)") }
    }
}
