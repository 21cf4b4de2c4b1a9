import Foundation
import AutoRec

/// `autorec evaluate`: RMSE and MAE of a model on a test file.
enum EvaluateCommand: Command {
    static let spec = CommandSpec(
        name: "evaluate",
        abstract: "Evaluate a model on a test ratings file (RMSE, MAE).",
        discussion: "Predictions are clipped to the training rating range; users or items absent from training get the training mean.",
        options: [
            .value("--model", as: "file", help: "Model file written by 'autorec train'."),
            .value("--test", as: "file", help: "Test ratings file."),
            .value("--format", as: "format", help: "auto, tsv, csv or movielens.", default: "auto"),
            .flag("--json", help: "Print one JSON object: rmse, mae, count, ..."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let model = try AutoRec.load(from: try args.required("--model"))
        let test = try loadRatings(try args.required("--test"), format: args.string("--format"))
        let preds = model.predictAll(test)
        let m = RatingMetrics(predictions: preds, truth: test.values)
        var coldUsers = 0, coldItems = 0
        for k in 0..<test.count {
            if model.users.index(of: test.users.id(at: Int(test.userIndex[k]))) == nil { coldUsers += 1 }
            if model.items.index(of: test.items.id(at: Int(test.itemIndex[k]))) == nil { coldItems += 1 }
        }
        if args.flag("--json") {
            Output.json(["rmse": rounded(m.rmse), "mae": rounded(m.mae), "count": m.count,
                         "unknown_user_ratings": coldUsers, "unknown_item_ratings": coldItems,
                         "model": model.config.orientation.rawValue] as [String: Any])
        } else {
            Output.table(["metric", "value"], [["RMSE", fixed(m.rmse)], ["MAE", fixed(m.mae)],
                                               ["ratings", "\(m.count)"],
                                               ["unknown users", "\(coldUsers)"], ["unknown items", "\(coldItems)"]])
        }
    }
}
