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
            .flag("--stored-only", help: "With the store: answer from stored lists even when shorter than -n."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let user = try args.required("--user")
        let n = try args.int("-n", range: 1...100_000)!
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
            // Stored lists first: the answer of the last 'autorec score', in milliseconds.
            let stored = try RecommendationStore(connection: connection).list(modelID: active.id, user: user, count: n)
            if !stored.isEmpty && (stored.count >= n || args.flag("--stored-only")) {
                print(list: stored.map { ($0.item, $0.score, $0.title) }, json: args.flag("--json"))
                return
            }
            model = try registry.loadModel(active.id)
            for row in try connection.execute("SELECT external_id, title FROM items WHERE title IS NOT NULL").rows {
                if let id = row[0], let t = row[1] { titles[id] = t }
            }
        }
        guard let list = model.recommend(user: user, count: n) else {
            throw CLIError(message: "unknown user '\(user)': the model has no ratings from this user", code: 3)
        }
        if let path = args.string("--items") { titles = try ItemCatalogue.read(path: path).titles }
        print(list: list.map { ($0.item, $0.score, titles[$0.item]) }, json: args.flag("--json"))
    }

    /// Prints a ranked list as a table or as JSON [{rank, item, score, title?}].
    static func print(list: [(item: String, score: Float, title: String?)], json: Bool) {
        if json {
            Output.json(list.enumerated().map { r, e -> [String: Any] in
                var o: [String: Any] = ["rank": r + 1, "item": e.item, "score": rounded(Double(e.score))]
                if let t = e.title { o["title"] = t }
                return o
            })
            return
        }
        let withTitles = list.contains { $0.title != nil }
        var header = ["rank", "item", "score"]
        if withTitles { header.append("title") }
        Output.table(header, list.enumerated().map { r, e in
            var row = ["\(r + 1)", e.item, fixed(Double(e.score), 3)]
            if withTitles { row.append(e.title ?? "") }
            return row
        })
    }
}
