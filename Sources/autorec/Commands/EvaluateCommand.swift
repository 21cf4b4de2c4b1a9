import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels
import AutoRecReport

/// `autorec evaluate`: rating metrics (RMSE, MAE) or ranking metrics (Recall, NDCG, Precision, MAP,
/// coverage at k) of one model or several side by side, on a test file.
enum EvaluateCommand: Command {
    static let spec = CommandSpec(
        name: "evaluate",
        abstract: "Evaluate models on a test file: RMSE/MAE, or Recall/NDCG/Precision/MAP@k side by side.",
        discussion: """
        --protocol rating: predictions are clipped to the training rating range; users or items absent
        from training get the training mean. --protocol ranking: for each test user the model knows,
        every item without a training interaction is ranked; each test entry is a relevant item.
        Recall@k = hits / min(k, test items); NDCG@k binary. With several models (--model a,b,c) the
        output is one table (Markdown, or JSON with --json), with training time and seconds per epoch.
        """,
        options: [
            .value("--model", as: "files", help: "Model file(s) written by 'autorec train', separated by commas."),
            .value("--test", as: "file", help: "Test ratings file."),
            .value("--format", as: "format", help: "auto, tsv, csv or movielens.", default: "auto"),
            ratingRangeOption,
            .value("--protocol", as: "rating|ranking", help: "Metrics to compute (default: rating for AutoRec alone, else ranking)."),
            .value("--k", as: "list", help: "Ranking cut-offs.", default: "10,20,50"),
            .value("--positive", as: "x", help: "Ranking: test ratings of at least x are relevant (default: every test entry)."),
            .value("--report", as: "prefix", help: "Also write the table to PREFIX.md and PREFIX.json."),
            .flag("--json", help: "Print JSON: one object for one model (rmse, mae, count / recall@20, ndcg@20, users, ...), else {\"models\": [...]}."),
        ])

    static func run(_ args: ParsedArguments) throws {
        _ = try args.required("--model")
        if let prefix = args.string("--report") { for suffix in [".md", ".json"] { try FileAccess.checkOutput(prefix + suffix) } }
        let paths = try args.list("--model")!
        var test = try loadRatings(try args.required("--test"), format: args.string("--format"), ratingRange: args.string("--rating-range"))
        let models = try paths.map { ($0, try ModelFile.read(from: $0)) }
        let kinds = try models.map { try $0.1.string("kind") }
        let metric = ComparisonMetric.between(kinds.map { ModelCatalogue.named($0)?.task ?? .topN })
        let protocolName = args.string("--protocol") ?? (metric == .rmse && models.count == 1 ? "rating" : "ranking")
        guard ["rating", "ranking"].contains(protocolName) else { throw CLIError(message: "--protocol is rating or ranking") }
        if protocolName == "rating" {
            guard models.count == 1 else { throw CLIError(message: "--protocol rating takes one model") }
            guard let model = try ModelCatalogue.load(models[0].1, path: models[0].0) as? RatingPredictor else {
                throw CLIError(message: "\(models[0].0) holds a \(kinds[0]) model, which does not predict ratings; use --protocol ranking")
            }
            return try printRating(model, test: test, json: args.flag("--json"))
        }
        _ = try args.required("--k")
        let kList = try args.intList("--k", range: 1...100_000)!
        if let p = try args.double("--positive", range: -1e9...1e9) { test = test.implicit(threshold: Float(p)) }
        var rows: [[String: Any]] = []
        for ((path, file), kind) in zip(models, kinds) {
            let ranker = try ModelCatalogue.load(file, path: path)
            let r = RankingEvaluation.evaluate(ranker, test: test, k: kList)
            guard r.metrics.users > 0 else {
                throw CLIError(message: "none of the test file's users has test items that \(path) can rank (\(r.unknownUsers) unknown users): "
                               + "is it the test part of the split this model was trained on?")
            }
            var row: [String: Any] = r.metrics.dictionary.mapValues { rounded($0) }
            row["users"] = r.metrics.users
            row["model"] = kind
            row["file"] = path
            row["unknown_users"] = r.unknownUsers
            row["unknown_item_interactions"] = r.unknownItemInteractions
            row["users_per_second"] = rounded(r.usersPerSecond, 1)
            row["train_seconds"] = (file.header["train_seconds"] as? Double).map { rounded($0, 3) } ?? NSNull()
            row["seconds_per_epoch"] = (file.header["seconds_per_epoch"] as? Double).map { rounded($0, 4) } ?? NSNull()
            rows.append(row)
        }
        let markdown = table(rows, k: kList)
        if let prefix = args.string("--report") {
            try FileAccess.write(markdown, to: prefix + ".md")
            try FileAccess.write(Output.jsonString(["models": rows]), to: prefix + ".json")
        }
        if args.flag("--json") {
            Output.json(rows.count == 1 ? rows[0] : ["models": rows] as Any)
        } else {
            print(markdown, terminator: "")
        }
    }

    /// A Markdown table, one row per model, one column per metric and cut-off.
    static func table(_ rows: [[String: Any]], k: [Int]) -> String {
        var header = ["model"]
        for m in ["recall", "ndcg", "precision", "map", "coverage"] { for c in k { header.append("\(m)@\(c)") } }
        header += ["users", "train_s", "s/epoch", "users/s", "file"]
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---|" }.joined()]
        for r in rows {
            var cells = ["\(r["model"]!)"]
            for m in ["recall", "ndcg", "precision", "map", "coverage"] {
                for c in k { cells.append((r["\(m)@\(c)"] as? Double).map { fixed($0) } ?? "") }
            }
            cells.append("\(r["users"]!)")
            for key in ["train_seconds", "seconds_per_epoch"] { cells.append((r[key] as? Double).map { fixed($0, 3) } ?? "-") }
            cells.append((r["users_per_second"] as? Double).map { fixed($0, 0) } ?? "")
            cells.append("\(r["file"]!)")
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func printRating(_ model: any RatingPredictor, test: Ratings, json: Bool) throws {
        let r = RatingEvaluation(model, test: test)
        guard !r.knowsNoTestUser else {
            throw CLIError(message: "none of the \(test.count) test ratings is from a user the model knows: "
                           + "is it the test part of the split this model was trained on?")
        }
        let m = r.metrics
        if json {
            Output.json(["rmse": rounded(m.rmse), "mae": rounded(m.mae), "count": m.count,
                         "unknown_user_ratings": r.unknownUserRatings, "unknown_item_ratings": r.unknownItemRatings,
                         "model": model.kind] as [String: Any])
        } else {
            Output.table(["metric", "value"], [["RMSE", fixed(m.rmse)], ["MAE", fixed(m.mae)],
                                               ["ratings", "\(m.count)"],
                                               ["unknown users", "\(r.unknownUserRatings)"], ["unknown items", "\(r.unknownItemRatings)"]])
        }
    }
}
