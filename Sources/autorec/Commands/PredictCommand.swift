import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels
import AutoRecReport

/// `autorec predict`: one predicted rating.
enum PredictCommand: Command {
    static let spec = CommandSpec(
        name: "predict",
        abstract: "Predict one user's rating of one item.",
        options: [
            .value("--model", as: "file", help: "Model file of a rating kind (i-autorec, u-autorec, cf-nade)."),
            .value("--user", as: "id", help: "External user id."),
            .value("--item", as: "id", help: "External item id."),
            .flag("--json", help: "Print a JSON object."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let path = try args.required("--model")
        let loaded = try ModelCatalogue.load(from: path)
        guard let model = loaded as? RatingPredictor else {
            throw CLIError(message: "\(path) holds a \(loaded.kind) model, which ranks items but does not predict ratings; use recommend")
        }
        let user = try args.required("--user"), item = try args.required("--item")
        let known = model.users.index(of: user) != nil && model.items.index(of: item) != nil
        let p = model.predict(user: user, item: item)
        if args.flag("--json") {
            Output.json(["user": user, "item": item, "prediction": rounded(Double(p)), "fallback": !known] as [String: Any])
        } else {
            print(fixed(Double(p)) + (known ? "" : "  (unknown user or item: the training mean)"))
        }
    }
}
