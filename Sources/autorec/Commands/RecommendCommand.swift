import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels
import AutoRecReport

/// `autorec recommend`: a user's top-N unrated items from a model file.
enum RecommendCommand: Command {
    static let spec = CommandSpec(
        name: "recommend",
        abstract: "Top-N items for a known user, or for a new user from their items (fold-in).",
        discussion: """
        --user U ranks every item U has no training interaction with. Without --model the store
        answers: U's stored list of the active model (items U rated since are dropped), else the
        active model itself; a user who arrived after it was trained is folded in from their ratings
        in the store, or given the most popular items they have not rated (a note says which). --liked a,b,c (or --ratings FILE
        holding one user's ratings) folds a user the model has never seen into the model and leaves
        the given items out of the list; Mult-VAE, Mult-DAE, CDAE (without its user node), EASE,
        popularity and U-AutoRec can, I-AutoRec cannot (it says why). --liked gives every item the
        value 1, or the top rating for U-AutoRec.
        """,
        options: [
            .value("--model", as: "file", help: "Model file; without it, the store's active model."),
            .value("--database", as: "url", help: "PostgreSQL URL when reading the active model (else DATABASE_URL, PG*)."),
            .value("--user", as: "id", help: "External user id."),
            .value("--liked", "--items", as: "ids", help: "Fold-in: the new user's items, separated by commas."),
            .value("--ratings", as: "file", help: "Fold-in: a ratings file of the new user (user column ignored)."),
            SharedOptions.top(help: "How many items.", default: "10"),
            .value("--catalogue", as: "file", help: "Optional item catalogue (item, title, ...) to show titles."),
            .flag("--json", help: "Print a JSON array of {rank, item, score[, title]}."),
            .flag("--stored-only", help: "With the store: answer from stored lists even when shorter than --top."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let n = try args.int("--top", range: 1...100_000)!
        let foldIn = args.string("--liked") != nil || args.string("--ratings") != nil
        if args.string("--liked") != nil && args.string("--ratings") != nil { throw CLIError(message: "use either --liked or --ratings") }
        let user = foldIn ? args.string("--user") : try args.required("--user")
        if foldIn && user != nil { throw CLIError(message: "--user names a known user; --liked/--ratings describe a new one: use one or the other") }
        let model: any Ranker
        var titles = IDDictionary<String>()
        if let path = args.string("--model") {
            model = try ModelCatalogue.load(from: path)
        } else {
            let connection = try Connection(url: args.string("--database"))
            if let user {
                let answer: ActiveRecommender.Recommendation
                do {
                    answer = try ActiveRecommender.recommend(connection, user: user, count: n, storedOnly: args.flag("--stored-only"))
                } catch let e as ActiveRecommender.UnknownUser {
                    throw CLIError(message: e.description, code: .unknownID)
                }
                if let note = answer.note { Output.note(note) }
                print(list: answer.items, json: args.flag("--json"))
                return
            }
            (model, titles, _) = try ActiveRecommender.activeModel(connection)
        }
        if let path = args.string("--catalogue") { titles = try ItemCatalogue.read(path: path).titles }
        let list: [(item: Int, score: Float)]
        if let user {
            guard let u = model.users.index(of: user).map(Int.init) else {
                throw CLIError(message: "unknown user '\(user)': the model has no ratings from this user (for a new user pass --liked or --ratings)", code: .unknownID)
            }
            list = model.topN(users: [u], count: n)[0]
        } else {
            let (items, values) = try foldInItems(args, model: model)
            do {
                list = try model.recommend(foldingIn: items, values: values, count: n)
            } catch let e as FoldInUnsupported {
                let kinds = ModelCatalogue.kinds.filter { $0.capabilities.contains(.foldIn) && $0 != .popularity }
                throw CLIError(message: "\(e); use \(ModelCatalogue.list(kinds))", code: .unsupported)
            }
        }
        print(list: list.map { (model.items.id(at: $0.item), $0.score, titles[model.items.id(at: $0.item)]) }, json: args.flag("--json"))
    }

    /// The new user's items as the model's indices with values; unknown items are reported and skipped.
    static func foldInItems(_ args: ParsedArguments, model: any Ranker) throws -> ([Int], [Float]) {
        var ids: [String] = [], values: [Float?] = []
        if let list = try args.list("--liked") {
            ids = list
            values = ids.map { _ in nil }
        } else if let path = args.string("--ratings") {
            let r = try loadRatings(path, format: "auto")
            guard r.users.count == 1 else {
                throw CLIError(message: "\(path) holds ratings of \(r.users.count) users; --ratings folds in one new user, so pass a file of one user's ratings")
            }
            ids = (0..<r.count).map { r.items.id(at: Int(r.itemIndex[$0])) }
            values = r.values.map { $0 }
        }
        let profile = FoldInProfile(model: model, items: ids, ratings: values)
        if !profile.unknown.isEmpty {
            Output.note("skipped \(profile.unknown.count) item(s) the model does not know: \(profile.unknown.prefix(10).joined(separator: ", "))")
        }
        guard !profile.items.isEmpty else { throw CLIError(message: "none of the given items is known to the model") }
        return (profile.items, profile.values)
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
