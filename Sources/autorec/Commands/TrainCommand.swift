import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels

/// `autorec train`: fits a model of any catalogue kind on a ratings file (or the store) and writes
/// the model file or registers it.
enum TrainCommand: Command {
    static let spec = CommandSpec(
        name: "train",
        abstract: "Train a model on a ratings file and save it.",
        discussion: """
        Defaults (chosen on validation parts of the ML-100K training splits, see docs/RESULTS.md):
        \(ModelCatalogue.kinds.map { "  \($0.name): \($0.defaults)" }.joined(separator: "\n"))
        Rating models hold out a seeded share of the training ratings (--validation, 0.05) for early
        stopping; with --refit yes the model is then trained again on all ratings for the best epoch count.
        Top-N models read the ratings as implicit feedback (--positive x keeps ratings >= x); their
        --validation holds out that share of each user's items and reports Recall@20 per epoch.
        An option a kind does not read is refused.
        """,
        options: [
            SharedOptions.kind(help: ModelCatalogue.list(ModelCatalogue.of(.rating)) + " (ratings); "
                   + ModelCatalogue.list(ModelCatalogue.of(.topN)) + " (top-N).", default: ModelKind.iAutoRec.name),
            .value("--train", as: "file", help: "Ratings file: user, item, rating[, timestamp] (tsv, csv or ::)."),
            .value("--format", as: "format", help: "auto, tsv, csv or movielens.", default: "auto"),
            ratingRangeOption,
            .value("--out", as: "file", help: "Where to write the model file (optional with --register)."),
            .flag("--from-db", help: "Train on a consistent snapshot of the store's ratings instead of --train."),
            .flag("--register", help: "Store the model in the registry as a candidate (prints its id)."),
            .value("--database", as: "url", help: "PostgreSQL URL for --from-db/--register (else DATABASE_URL, PG*)."),
            .value("--threads", as: "n", help: "Worker threads (default: all cores)."),
            .flag("--json", help: "Print one JSON object with the training summary."),
            .flag("--quiet", help: "No per-epoch progress."),
            .flag("--progress", help: "Per-epoch progress even when stderr is not a terminal."),
        ] + ModelOptions.specs)

    static func run(_ args: ParsedArguments) throws {
        let kind = try ModelCatalogue.kind(args.string("--kind") ?? ModelKind.iAutoRec.name)
        let settings = ModelOptions.settings(args)
        try kind.check(settings)
        let fromDB = args.flag("--from-db"), register = args.flag("--register")
        if fromDB && args.string("--train") != nil { throw CLIError(message: "use either --train FILE or --from-db") }
        let trainPath = fromDB ? "database" : try args.required("--train")
        let outPath = args.string("--out")
        if outPath == nil && !register { throw CLIError(message: "missing --out <file> (or --register to store the model in the database)") }
        if let v = try args.int("--threads", range: 1...256) { setenv("AUTOREC_THREADS", String(v), 1) }

        let start = monotonicSeconds()
        let (ratings, connection) = try trainingRatings(args, path: trainPath, fromDB: fromDB, register: register)
        let loadSeconds = monotonicSeconds() - start
        Output.progress("read \(ratings.count) ratings (\(ratings.users.count) users, \(ratings.items.count) items) from \(trainPath) in \(fixed(loadSeconds, 2)) s")
        let showProgress = args.flag("--progress") || (!args.flag("--quiet") && Output.stderrIsTerminal)
        let run = try StampedModel(kind: kind, ratings: consume ratings, settings: settings, source: trainPath,
                                  progress: showProgress ? { Output.note($0.line) } : nil)
        let trained = run.trained, report = run.trained.report, ratingCount = run.ratingCount
        if let path = outPath { try run.file.write(to: path) }
        var registeredID: Int? = nil
        if let db = connection, register {
            registeredID = try ModelRegistry(connection: db).register(run, metrics: report.registryMetrics)
        }
        if args.flag("--json") {
            var o: [String: Any] = [
                "model": kind.name, "out": outPath ?? NSNull(), "registered_id": registeredID ?? NSNull(),
                "epochs": report.epochs, "best_epoch": report.bestEpoch, "refit_epochs": report.refitEpochs,
                "seconds_per_epoch": rounded(report.secondsPerEpoch), "median_epoch_seconds": rounded(report.medianEpochSeconds),
                "train_seconds": rounded(report.trainSeconds, 3), report.metric.key: report.validation.map { rounded($0) } ?? NSNull(),
                "stop_reason": report.stopReason ?? NSNull(),
                "ratings": ratingCount, "users": trained.model.users.count, "items": trained.model.items.count,
                "peak_memory_mb": rounded(peakMemoryMiB(), 1), "load_seconds": rounded(loadSeconds, 3),
                "configuration": run.file.header[ModelFile.configurationKey] ?? NSNull(),
            ]
            for (key, value) in report.details { o[key] = value }
            Output.json(o)
        } else {
            print(report.summary(kind: kind.name))
            if let path = outPath { print("saved \(path)") }
            if let id = registeredID { print("registered as model \(id) (candidate); activate it with 'autorec models activate \(id)'") }
        }
    }

    /// The training ratings, from the file at `path` or a snapshot of the store, and the store's
    /// connection when the model is read from it or registered in it.
    static func trainingRatings(_ args: ParsedArguments, path: String, fromDB: Bool,
                                register: Bool) throws -> (Ratings, Connection?) {
        let connection = fromDB || register ? try Connection(url: args.string("--database")) : nil
        if let db = connection, fromDB {
            let ratings = try RatingSnapshot.read(db).ratings
            guard ratings.count > 0 else { throw CLIError(message: "the store has no ratings; run 'autorec import ratings FILE' first") }
            return (ratings, db)
        }
        return (try loadRatings(path, format: args.string("--format"), ratingRange: args.string("--rating-range")), connection)
    }
}
