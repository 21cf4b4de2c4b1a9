import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels
import AutoRecReport

/// `autorec import ratings|items|users FILE`: loads a file into the store, all or nothing.
enum ImportCommand: Command {
    static let spec = CommandSpec(
        name: "import",
        abstract: "Import ratings, items or users into the PostgreSQL store (all or nothing).",
        discussion: """
        KINDS:
          ratings   user, item, rating[, timestamp] (tsv, csv or MovieLens ::, header optional)
          items     tab-separated with a header: item, title, genres (pipe-separated), any other columns
          users     tab-separated with a header: user, any attribute columns
        The file is checked first; a bad line is reported as file:line and nothing is written. A newer
        rating of the same user and item replaces the older one; importing a file again changes nothing.
        Run 'autorec db migrate' first.
        """,
        options: [
            .value("--format", as: "format", help: "Ratings only: auto, tsv, csv or movielens.", default: "auto"),
            ratingRangeOption,
            .value("--database", as: "url", help: "PostgreSQL connection URL (else DATABASE_URL or PG* variables)."),
            .flag("--json", help: "Print one JSON object."),
            .flag("--progress", help: "Stage messages on stderr even when it is not a terminal."),
        ],
        positionals: ["kind", "file"])

    static func run(_ args: ParsedArguments) throws {
        guard args.positionals.count == 2 else {
            throw CLIError(message: "usage: autorec import ratings|items|users FILE; see 'autorec import --help'")
        }
        let kind = args.positionals[0], path = args.positionals[1]
        guard ["ratings", "items", "users"].contains(kind) else {
            throw CLIError(message: "unknown kind '\(kind)': import ratings, items or users")
        }
        // Parse before connecting: a bad file never reaches the database.
        let summary: ImportSummary
        let started = Date()
        let force = args.flag("--progress")
        let progress: (String) -> Void = { Output.progress(String(format: "%7.1f s  ", Date().timeIntervalSince(started)) + $0, force: force) }
        func importer() throws -> Importer { Importer(connection: try Connection(url: args.string("--database")), progress: progress) }
        switch kind {
        case "ratings":
            let ratings = try loadRatings(path, format: args.string("--format"), ratingRange: args.string("--rating-range"))
            progress("read \(ratings.count) ratings (\(ratings.users.count) users, \(ratings.items.count) items) from \(path)")
            summary = try importer().importRatings(ratings)
        case "items":
            let catalogue = try ItemCatalogue.read(path: path)
            summary = try importer().importItems(catalogue)
        default:
            let table = try AttributeTable.read(path: path, idColumns: ["user", "id", "user_id"])
            summary = try importer().importUsers(table)
        }
        if args.flag("--json") {
            Output.json(["kind": summary.kind, "rows": summary.rowsRead, "inserted": summary.inserted,
                         "updated": summary.updated, "unchanged": summary.unchanged,
                         "seconds": rounded(summary.seconds, 3),
                         "rows_per_second": rounded(Double(summary.rowsRead) / max(summary.seconds, 1e-9), 0)] as [String: Any])
        } else {
            print("imported \(summary.rowsRead) \(kind) rows from \(path) in \(fixed(summary.seconds, 2)) s: \(summary.inserted) new, \(summary.updated) updated, \(summary.unchanged) unchanged")
        }
    }
}
