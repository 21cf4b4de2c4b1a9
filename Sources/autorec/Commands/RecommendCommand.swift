import Foundation
import AutoRec
import AutoRecStore

/// `autorec recommend`: a user's top-N unrated items from a model file.
enum RecommendCommand: Command {
    static let spec = CommandSpec(
        name: "recommend",
        abstract: "Top-N items a user has not rated, with scores.",
        options: [
            .value("--model", as: "file", help: "Model file; without it, the store's active model."),
            .value("--database", as: "url", help: "PostgreSQL URL when reading the active model (else DATABASE_URL, PG*)."),
            .value("--user", as: "id", help: "External user id."),
            .value("-n", "--count", as: "n", help: "How many items.", default: "10"),
            .value("--items", as: "file", help: "Optional item catalogue (item, title, ...) to show titles."),
            .flag("--json", help: "Print a JSON array of {rank, item, score[, title]}."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let user = try args.required("--user")
        let model: AutoRec
        var titles: [String: String] = [:]
        if let path = args.string("--model") {
            model = try AutoRec.load(from: path)
        } else {
            let connection = try Connection(url: args.string("--database"))
            let registry = ModelRegistry(connection: connection)
            guard let active = try registry.active() else {
                throw CLIError(message: "no active model in the store: pass --model FILE, or train --from-db --register and 'autorec models activate ID'", code: 1)
            }
            model = try registry.loadModel(active.id)
            for row in try connection.execute("SELECT external_id, title FROM items WHERE title IS NOT NULL").rows {
                if let id = row[0], let t = row[1] { titles[id] = t }
            }
        }
        let n = try args.int("-n", range: 1...100_000)!
        guard let list = model.recommend(user: user, count: n) else {
            throw CLIError(message: "unknown user '\(user)': the model has no ratings from this user", code: 3)
        }
        if let path = args.string("--items") { titles = try ItemCatalogue.read(path: path).titles }
        if args.flag("--json") {
            Output.json(list.enumerated().map { r, e -> [String: Any] in
                var o: [String: Any] = ["rank": r + 1, "item": e.item, "score": rounded(Double(e.score))]
                if let t = titles[e.item] { o["title"] = t }
                return o
            })
        } else {
            var header = ["rank", "item", "score"]
            if !titles.isEmpty { header.append("title") }
            Output.table(header, list.enumerated().map { r, e in
                var row = ["\(r + 1)", e.item, fixed(Double(e.score), 3)]
                if !titles.isEmpty { row.append(titles[e.item] ?? "") }
                return row
            })
        }
    }
}
