import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels

/// `autorec models list|show|activate|retire`: the model registry.
enum ModelsCommand: Command {
    static let spec = CommandSpec(
        name: "models",
        abstract: "List, show, activate or retire models in the registry.",
        discussion: """
        ACTIONS:
          list            every registered model
          show ID         one model's hyperparameters, metrics and data snapshot
          activate ID     make ID the active model of its task (the previous one is retired); its
                          stored file must load and know some of the store's users; says how many
                          stored lists it has ('autorec score' writes them when it has none)
          retire ID       retire a model
        """,
        options: [
            .value("--database", as: "url", help: "PostgreSQL connection URL (else DATABASE_URL or PG* variables)."),
            .flag("--json", help: "Print JSON."),
        ],
        positionals: ["action", "id"])

    static func json(_ m: RegisteredModel) -> [String: Any] {
        func parse(_ s: String) -> Any { (try? JSONSerialization.jsonObject(with: Data(s.utf8))) ?? s }
        return ["id": m.id, "kind": m.kind, "task": m.task, "status": m.status, "created_at": m.createdAt,
                "activated_at": m.activatedAt ?? NSNull(), "rating_count": m.ratingCount ?? NSNull(),
                "newest_rating": m.newestRating ?? NSNull(), "metrics": parse(m.metrics),
                "hyperparameters": parse(m.hyperparameters)]
    }

    static func run(_ args: ParsedArguments) throws {
        guard let action = args.positionals.first else {
            throw CLIError(message: "say what to do: autorec models list|show ID|activate ID|retire ID")
        }
        let registry = ModelRegistry(connection: try Connection(url: args.string("--database")))
        func id() throws -> Int {
            guard args.positionals.count == 2, let v = Int(args.positionals[1]) else {
                throw CLIError(message: "autorec models \(action) needs a model id; see 'autorec models list'")
            }
            return v
        }
        switch action {
        case "list":
            let models = try registry.list()
            if args.flag("--json") { Output.json(models.map(json)); return }
            Output.table(["id", "kind", "status", "ratings", "validation_rmse", "created"], models.map { m in
                let metrics = (try? JSONSerialization.jsonObject(with: Data(m.metrics.utf8))) as? [String: Any]
                let rmse = (metrics?["validation_rmse"] as? Double).map { fixed($0) } ?? "-"
                return ["\(m.id)", m.kind, m.status, m.ratingCount.map(String.init) ?? "-", rmse, String(m.createdAt.prefix(19))]
            })
        case "show":
            let m = try registry.show(try id())
            if args.flag("--json") { Output.json(json(m)); return }
            print(try JSONValue.encode(json(m), pretty: true))
        case "activate":
            let v = try id()
            let lists = try registry.activateChecked(v)
            if args.flag("--json") { Output.json(["activated": v, "stored_lists": lists]); return }
            print("model \(v) is now active" + (lists > 0 ? " (\(lists) stored lists)"
                : "; it has no stored lists yet: 'autorec score' writes them (until then 'recommend --user' answers from the model)"))
        case "retire":
            let v = try id()
            try registry.retire(v)
            if args.flag("--json") { Output.json(["retired": v]) } else { print("model \(v) retired") }
        default:
            throw CLIError(message: "unknown action '\(action)'; use list, show, activate or retire")
        }
    }
}
