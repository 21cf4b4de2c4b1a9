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
        for autorecOnly in ["--decoder", "--optimizer", "--center", "--lbfgs-memory", "--kept-weight",
                            "--input-scaling", "--refit", "--patience"] where args.string(autorecOnly) != nil && !isDefault(args, autorecOnly) {
            throw CLIError(message: "\(autorecOnly) applies to i-autorec and u-autorec only")
        }
        if let v = try args.int("--threads", range: 1...256) { setenv("AUTOREC_THREADS", String(v), 1) }
        let positive = try args.double("--positive", range: -1e9...1e9).map { Float($0) }

        let t0 = monotonicSeconds()
        let (ratings, connection) = try TrainCommand.trainingRatings(args, path: trainPath, fromDB: fromDB, register: register)
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

        var spec = try TopNModelSpec(kind: kind)
        spec.positive = positive
        spec.setSeed(seed)
        spec.setValidation(validation)
        switch spec.modelKind {
        case .ease:
            if let v = l2 { spec.easeLambda = v }
        case .multVAE, .multDAE:
            if let dims = try args.intList("--dims", range: 1...100_000) { spec.mult.dims = dims }
            if let v = epochs { spec.mult.epochs = v }
            if let v = batch { spec.mult.batchSize = v }
            if let v = lr { spec.mult.learningRate = v }
            if let v = l2 { spec.mult.l2 = v }
            if let v = dropout { spec.mult.dropout = v }
            if let v = try args.double("--beta-cap", range: 0...10) { spec.mult.betaCap = Float(v) }
            if let v = try args.int("--anneal-steps", range: 1...100_000_000) { spec.mult.annealSteps = v }
            if let v = try args.double("--averaging", range: 0...0.9999) { spec.mult.averaging = Float(v) }
        case .cdae:
            if let v = try args.int("--hidden", range: 1...100_000) { spec.cdae.hidden = v }
            if let v = epochs { spec.cdae.epochs = v }
            if let v = batch { spec.cdae.batchSize = v }
            if let v = lr { spec.cdae.learningRate = v }
            if let v = l2 { spec.cdae.l2 = v }
            if let v = dropout { spec.cdae.dropout = v }
            if let v = try args.int("--negatives", range: 0...10_000) { spec.cdae.negatives = v }
            if let v = try args.choice("--loss", as: CDAELoss.self) { spec.cdae.loss = v }
            if let v = try args.double("--averaging", range: 0...0.9999) { spec.cdae.averaging = Float(v) }
            if let v = try args.yesNo("--normalize") { spec.cdae.normalizeInput = v }
            if args.string("--encoder") != nil && !isDefault(args, "--encoder") { spec.cdae.activation = try args.choice("--encoder", as: Activation.self)! }
        default: break
        }
        let (model, summary) = try spec.fit(data, progress: report)
        let settings = spec.settings
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
                kind: kind, file: file, hyperparameters: hyper, metrics: metrics,
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
