import Foundation
import AutoRec
import AutoRecStore

/// The `autorec train` path of the top-N models (Mult-VAE, Mult-DAE, CDAE, EASE, popularity):
/// ratings read as implicit feedback, the same outputs as AutoRec's path.
enum TrainRankingModel {
    static func run(_ args: ParsedArguments, kind: String) throws {
        let fromDB = args.flag("--from-db"), register = args.flag("--register")
        if fromDB && args.string("--train") != nil { throw CLIError(message: "use either --train FILE or --from-db") }
        let trainPath = fromDB ? "database" : try args.required("--train")
        let outPath = args.string("--out")
        if outPath == nil && !register { throw CLIError(message: "missing --out <file> (or --register to store the model in the database)") }
        for autorecOnly in ["--encoder", "--decoder", "--optimizer", "--center", "--lbfgs-memory", "--kept-weight",
                            "--input-scaling", "--averaging", "--refit", "--patience"] where args.string(autorecOnly) != nil && !isDefault(args, autorecOnly) {
            throw CLIError(message: "\(autorecOnly) applies to i-autorec and u-autorec only")
        }
        if let v = try args.int("--threads", range: 1...256) { setenv("AUTOREC_THREADS", String(v), 1) }
        let positive = try args.double("--positive", range: -1e9...1e9).map { Float($0) }

        let t0 = monotonicSeconds()
        let connection = fromDB || register ? try Connection(url: args.string("--database")) : nil
        let ratings: Ratings
        if let db = connection, fromDB {
            ratings = try RatingSnapshot.read(db).ratings
            guard ratings.count > 0 else { throw CLIError(message: "the store has no ratings; run 'autorec import ratings FILE' first") }
        } else {
            ratings = try loadRatings(trainPath, format: args.string("--format"))
        }
        let data = ImplicitData(ratings, positive: positive)
        guard data.interactions > 0 else { throw CLIError(message: "no interactions left after --positive \(positive.map { "\($0)" } ?? "")") }
        let loadSeconds = monotonicSeconds() - t0
        Output.progress("read \(ratings.count) ratings: \(data.interactions) interactions of \(data.users.count) users on \(data.items.count) items in \(fixed(loadSeconds, 2)) s")

        let showProgress = args.flag("--progress") || (!args.flag("--quiet") && Output.stderrIsTerminal)
        let report: (RankingEpochReport) -> Void = { r in
            guard showProgress else { return }
            let val = r.validationRecall.map { "  validation Recall@20 \(fixed($0))" } ?? ""
            Output.note("epoch \(r.epoch)  loss \(String(format: "%.5g", r.loss))\(val)  \(fixed(r.seconds, 3)) s")
        }
        let seed = UInt64(try args.int("--seed", range: 0...Int.max) ?? 1)
        let validation = try args.double("--validation", range: 0...0.5) ?? 0
        let epochs = try args.int("--epochs", range: 1...1_000_000)
        let batch = try args.int("--batch", range: 1...100_000_000)
        let lr = try args.double("--lr", range: 1e-9...10).map { Float($0) }
        let l2 = try args.double("--l2", range: 0...1e9).map { Float($0) }
        let dropout = try args.double("--dropout", range: 0...0.95).map { Float($0) }

        let model: any Ranker
        var summary = RankingTrainingSummary()
        var settings: [String: Any] = [:]
        switch kind {
        case "popularity":
            let start = monotonicSeconds()
            model = Popularity.fit(data)
            summary.trainSeconds = monotonicSeconds() - start
        case "ease":
            let lambda = l2 ?? EASE.defaultLambda
            let start = monotonicSeconds()
            model = try EASE.fit(data, lambda: lambda)
            summary.trainSeconds = monotonicSeconds() - start
            settings["l2"] = Double(lambda)
        case "mult-vae", "mult-dae":
            var c = MultConfig.defaults(variational: kind == "mult-vae")
            if let s = args.string("--dims") {
                let dims = s.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !dims.isEmpty, dims.count == s.split(separator: ",").count, dims.allSatisfy({ $0 > 0 && $0 <= 100_000 }) else {
                    throw CLIError(message: "--dims wants positive widths separated by commas, such as 600,200")
                }
                c.dims = dims
            }
            if let v = epochs { c.epochs = v }
            if let v = batch { c.batchSize = v }
            if let v = lr { c.learningRate = v }
            if let v = l2 { c.l2 = v }
            if let v = dropout { c.dropout = v }
            if let v = try args.double("--beta-cap", range: 0...10) { c.betaCap = Float(v) }
            if let v = try args.int("--anneal-steps", range: 1...100_000_000) { c.annealSteps = v }
            c.seed = seed; c.validationFraction = validation
            let (m, s) = MultAutoencoder.fit(data, config: c, progress: report)
            model = m; summary = s
            settings = ["dims": c.dims.map { String($0) }.joined(separator: ","), "epochs": c.epochs, "batch": c.batchSize,
                        "lr": Double(c.learningRate), "l2": Double(c.l2), "dropout": Double(c.dropout)]
            if c.variational { settings["beta_cap"] = Double(c.betaCap); settings["anneal_steps"] = c.annealSteps }
        case "cdae":
            var c = CDAEConfig()
            if let v = try args.int("--hidden", range: 1...100_000) { c.hidden = v }
            if let v = epochs { c.epochs = v }
            if let v = batch { c.batchSize = v }
            if let v = lr { c.learningRate = v }
            if let v = l2 { c.l2 = v }
            if let v = dropout { c.dropout = v }
            if let v = try args.int("--negatives", range: 0...10_000) { c.negatives = v }
            if let v = try args.choice("--loss", as: CDAELoss.self) { c.loss = v }
            c.seed = seed; c.validationFraction = validation
            let (m, s) = CDAE.fit(data, config: c, progress: report)
            model = m; summary = s
            settings = ["hidden": c.hidden, "epochs": c.epochs, "batch": c.batchSize, "lr": Double(c.learningRate),
                        "l2": Double(c.l2), "dropout": Double(c.dropout), "negatives": c.negatives, "loss": c.loss.rawValue]
        default:
            throw CLIError(message: "unknown model '\(kind)'")
        }
        let newest = ratings.timestamps.max() ?? 0
        var extra: [String: Any] = [
            "trained_on": trainPath, "train_ratings": ratings.count, "newest_rating": newest,
            "train_seconds": summary.trainSeconds, "seconds_per_epoch": summary.secondsPerEpoch,
            "epochs_run": summary.epochs, "positive_threshold": positive.map { Double($0) } ?? NSNull(),
        ]
        if let r = summary.bestValidationRecall { extra["validation_recall@20"] = r }
        let file = model.modelFile(extraHeader: extra)
        if let path = outPath { try file.write(to: path) }
        var registeredID: Int? = nil
        if let db = connection, register {
            let hyper = file.header.filter { !["users", "items", "trained_on"].contains($0.key) }
            var metrics: [String: Any] = ["train_seconds": summary.trainSeconds, "epochs": summary.epochs]
            if let r = summary.bestValidationRecall { metrics["validation_recall@20"] = r }
            registeredID = try ModelRegistry(connection: db).register(
                kind: kind, artifact: try file.encoded(), hyperparameters: hyper, metrics: metrics,
                ratingCount: ratings.count, newestRating: newest)
        }
        if args.flag("--json") {
            var o: [String: Any] = [
                "model": kind, "out": outPath ?? NSNull(), "registered_id": registeredID ?? NSNull(),
                "epochs": summary.epochs, "best_epoch": summary.bestEpoch,
                "seconds_per_epoch": rounded(summary.secondsPerEpoch),
                "median_epoch_seconds": rounded(summary.medianEpochSeconds),
                "train_seconds": rounded(summary.trainSeconds, 3),
                "validation_recall@20": summary.bestValidationRecall.map { rounded($0) } ?? NSNull(),
                "ratings": ratings.count, "interactions": data.interactions,
                "users": data.users.count, "items": data.items.count,
                "peak_memory_mb": rounded(peakMemoryMiB(), 1), "load_seconds": rounded(loadSeconds, 3),
            ]
            for (k, v) in settings { o[k] = v }
            Output.json(o)
        } else {
            let val = summary.bestValidationRecall.map { ", validation Recall@20 \(fixed($0)) at epoch \(summary.bestEpoch)" } ?? ""
            let per = summary.epochs > 0 ? ": \(summary.epochs) epochs, \(fixed(summary.secondsPerEpoch, 4)) s per epoch" : ""
            print("trained \(kind) in \(fixed(summary.trainSeconds, 2)) s\(per)\(val)")
            if let path = outPath { print("saved \(path)") }
            if let id = registeredID { print("registered as model \(id) (candidate); activate it with 'autorec models activate \(id)'") }
        }
    }

    /// Whether an option holds its declared default (those are always present).
    static func isDefault(_ args: ParsedArguments, _ name: String) -> Bool {
        args.spec.options.first { $0.names.contains(name) }?.defaultValue == args.string(name)
    }
}
