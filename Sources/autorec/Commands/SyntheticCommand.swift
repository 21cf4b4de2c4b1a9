import Foundation
import AutoRec
import Linalg
import AutoRecCore
import AutoRecModels

/// `autorec synthetic`: writes a synthetic ratings file of a given size (for benchmarks).
enum SyntheticCommand: Command {
    static let spec = CommandSpec(
        name: "synthetic",
        abstract: "Write a synthetic ratings file (low-rank tastes plus noise, distinct user-item pairs) for benchmarks.",
        options: [
            .value("--ratings", as: "n", help: "Number of ratings.", default: "1000000"),
            .value("--user-count", "--users", as: "n", help: "Number of users (default: ratings / 150, as in MovieLens 1M)."),
            .value("--item-count", "--items", as: "n", help: "Number of items (default: 3700 x sqrt(ratings / 1M), MovieLens-like)."),
            .value("--taste", as: "x", help: "How much a user's tastes decide which items they rate: 0 is popularity alone (only the rating values carry tastes); 1.5 gives top-N data where EASE beats popularity as on MovieLens.", default: "0"),
            .value("--seed", as: "n", help: "Random seed.", default: "1"),
            .value("--out", as: "file", help: "Output TSV file."),
        ], hidden: true)

    static func run(_ args: ParsedArguments) throws {
        let n = try args.int("--ratings", range: 1...1_000_000_000)!
        // MovieLens grows so: 1M ratings from 6,040 users on 3,706 movies, 10M from 69,878 on 10,677.
        let users = try args.int("--user-count", range: 1...100_000_000) ?? max(100, n / 150)
        let items = try args.int("--item-count", range: 1...100_000_000) ?? max(100, Int(3700 * (Double(n) / 1e6).squareRoot()))
        let out = try args.required("--out")
        let text: String
        do {
            text = try SyntheticRatings.tsv(ratings: n, users: users, items: items,
                                           taste: Float(try args.double("--taste", range: 0...20)!), seed: UInt64(try args.int("--seed")!))
        } catch let error as SyntheticRatings.TooDense {
            throw CLIError(message: error.description)
        }
        try FileAccess.write(text, to: out)
        print("wrote \(n) distinct ratings (\(users) users, \(items) items) to \(out)")
    }
}
