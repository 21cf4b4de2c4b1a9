import Foundation
import AutoRec
import AutoRecStore

/// `autorec train`: fits a model on a ratings file and writes the model file.
enum TrainCommand: Command {
    static let spec = CommandSpec(
        name: "train",
        abstract: "Train a model on a ratings file and save it.",
        discussion: """
        Defaults (chosen on a validation part of the ML-100K training split, see the README):
          i-autorec: adam, full batch, --lr 0.01 --l2 50 --dropout 0.5 --kept-weight 0.3
                     --averaging 0.9 --center no  --epochs 300 --patience 15 --refit yes
          u-autorec: the same but --l2 30 --dropout 0.25 --kept-weight 0.1 --center yes
          --optimizer lbfgs: --l2 300 --epochs 500 --patience 20 --lbfgs-memory 5 --refit yes
        A seeded share of the training ratings (--validation, 0.05) is held out for early stopping;
        with --refit yes the model is then trained again on all ratings for the best epoch count.
        Top-N models read the ratings as implicit feedback (--positive x keeps ratings >= x):
          mult-vae: --dims 600,200 --epochs 140 --batch 500 --lr 0.001 --dropout 0.5 --l2 0
                    --beta-cap 0.5 --anneal-steps 200 --averaging 0.9
          mult-dae: --dims 600,200 --epochs 70 --batch 500 --lr 0.001 --dropout 0.6 --l2 0.003 --averaging 0.97
          cdae:     --hidden 400 --epochs 115 --batch 100 --lr 0.001 --dropout 0.5 --negatives 5 --loss bce
                    --averaging 0.97 --encoder sigmoid --normalize yes
          ease:     --l2 500 (lambda; closed form, no epochs)
        For them --validation holds out that share of each user's items and reports Recall@20 per epoch.
        """,
        options: [
            .value("--model", as: "kind", help: ModelKind.list(ModelKind.of(.rating)) + " (ratings); " + ModelKind.list(ModelKind.of(.topN)) + " (top-N).", default: ModelKind.iAutoRec.rawValue),
            .value("--train", as: "file", help: "Ratings file: user, item, rating[, timestamp] (tsv, csv or ::)."),
            .value("--format", as: "format", help: "auto, tsv, csv or movielens.", default: "auto"),
            ratingRangeOption,
            .value("--out", as: "file", help: "Where to write the model file (optional with --register)."),
            .flag("--from-db", help: "Train on a consistent snapshot of the store's ratings instead of --train."),
            .flag("--register", help: "Store the model in the registry as a candidate (prints its id)."),
            .value("--database", as: "url", help: "PostgreSQL URL for --from-db/--register (else DATABASE_URL, PG*)."),
            .value("--hidden", as: "n", help: "Hidden units (AutoRec 500, CDAE 400)."),
            // Defaults of the options below depend on the model and optimizer: see the README.
            .value("--encoder", as: "activation", help: "AutoRec encoder, CDAE hidden layer: sigmoid, identity, relu, elu or tanh.", default: "sigmoid"),
            .value("--decoder", as: "activation", help: "Output activation.", default: "identity"),
            .value("--epochs", as: "n", help: "Most epochs (L-BFGS: iterations)."),
            .value("--l2", as: "x", help: "L2 weight lambda on the weights."),
            .value("--optimizer", as: "name", help: "adam or lbfgs (full batch, the paper's choice).", default: "adam"),
            .value("--lr", as: "x", help: "Adam learning rate."),
            .value("--batch", as: "n", help: "Adam mini-batch size in samples; 0 is the full batch (the default)."),
            .value("--seed", as: "n", help: "Random seed (weights, validation split, batches).", default: "1"),
            .value("--validation", as: "fraction", help: "Share of ratings held out for early stopping; 0 turns it off."),
            .value("--patience", as: "n", help: "Epochs without validation improvement before stopping."),
            .value("--center", as: "yes|no", help: "Feed ratings minus the mean to the encoder."),
            .value("--lbfgs-memory", as: "n", help: "L-BFGS history length."),
            .value("--dropout", as: "p", help: "Input dropout probability (Adam only)."),
            .value("--kept-weight", as: "w", help: "With --dropout: loss weight of the ratings the encoder saw (hidden ones weigh 1)."),
            .value("--input-scaling", as: "none|sqrt|count", help: "Scale each input vector by 1/sqrt(n) or 1/n of its n ratings."),
            .value("--averaging", as: "decay", help: "Adam: moving average of the weights with this decay per step; 0 is off."),
            .value("--optimizer-state", as: "auto|full|compact", help: "Adam: keep the first moment and the weight average in 16 bits (auto: from 64M parameters)."),
            .value("--refit", as: "yes|no", help: "Retrain on all ratings for the best epoch count found by validation."),
            .value("--threads", as: "n", help: "Worker threads (default: all cores)."),
            // Top-N models (see the README for their defaults).
            .value("--positive", as: "x", help: "Top-N models: ratings of at least x are interactions (default: every rating)."),
            .value("--dims", as: "list", help: "Mult-VAE/DAE encoder widths, input side first (600,200)."),
            .value("--beta-cap", as: "x", help: "Mult-VAE: largest KL weight."),
            .value("--anneal-steps", as: "n", help: "Mult-VAE: updates over which the KL weight grows to its cap."),
            .value("--negatives", as: "n", help: "CDAE: negatives sampled per positive; 0 uses every item."),
            .value("--loss", as: "bce|squared", help: "CDAE: output loss."),
            .value("--normalize", as: "yes|no", help: "CDAE: scale each user's input to unit length before the corruption."),
            .flag("--json", help: "Print one JSON object with the training summary."),
            .flag("--quiet", help: "No per-epoch progress."),
            .flag("--progress", help: "Per-epoch progress even when stderr is not a terminal."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let name = args.string("--model") ?? ModelKind.iAutoRec.rawValue
        guard RankerFile.kinds.contains(name) else {
            throw CLIError(message: "unknown model '\(name)'; choose one of \(RankerFile.kinds.joined(separator: ", "))")
        }
        guard let kind = AutoRecOrientation(rawValue: name) else { return try TrainRankingModel.run(args, kind: name) }
        let fromDB = args.flag("--from-db"), register = args.flag("--register")
        if fromDB && args.string("--train") != nil { throw CLIError(message: "use either --train FILE or --from-db") }
        let trainPath = fromDB ? "database" : try args.required("--train")
        let outPath = args.string("--out")
        if outPath == nil && !register { throw CLIError(message: "missing --out <file> (or --register to store the model in the database)") }
        let optimizer = try args.choice("--optimizer", as: OptimizerKind.self) ?? .adam
        var c = AutoRecConfig.defaults(for: kind, optimizer: optimizer)
        if optimizer == .lbfgs {
            for adamOnly in ["--dropout", "--kept-weight", "--averaging", "--lr", "--batch", "--optimizer-state"] where args.string(adamOnly) != nil {
                throw CLIError(message: "\(adamOnly) applies to --optimizer adam only")
            }
        }
        if let v = try args.int("--hidden", range: 1...100_000) { c.hidden = v }
        if let v = try args.choice("--encoder", as: Activation.self) { c.encoder = v }
        if let v = try args.choice("--decoder", as: Activation.self) { c.decoder = v }
        if let v = try args.int("--epochs", range: 1...1_000_000) { c.epochs = v }
        if let v = try args.double("--l2", range: 0...1e9) { c.l2 = Float(v) }
        if let v = try args.double("--lr", range: 1e-9...10) { c.learningRate = Float(v) }
        if let v = try args.int("--batch", range: 0...100_000_000) { c.batchSize = v }
        if let v = try args.int("--seed", range: 0...Int.max) { c.seed = UInt64(v) }
        if let v = try args.double("--validation", range: 0...0.5) { c.validationFraction = v }
        if let v = try args.int("--patience", range: 1...1_000_000) { c.patience = v }
        if let v = try args.yesNo("--center") { c.centerInputs = v }
        if let v = try args.int("--lbfgs-memory", range: 1...1000) { c.lbfgsMemory = v }
        if let v = try args.double("--dropout", range: 0...0.95) { c.inputDropout = Float(v) }
        if let v = try args.double("--kept-weight", range: 0...10) { c.keptLossWeight = Float(v) }
        if let v = try args.choice("--input-scaling", as: InputScaling.self) { c.inputScaling = v }
        if let v = try args.double("--averaging", range: 0...0.9999) { c.weightAveraging = Float(v) }
        if let v = try args.choice("--optimizer-state", as: OptimizerStatePrecision.self) { c.optimizerState = v }
        if let v = try args.yesNo("--refit") { c.refit = v }
        if let v = try args.int("--threads", range: 1...256) { setenv("AUTOREC_THREADS", String(v), 1) }

        let t0 = monotonicSeconds()
        let (ratings, connection) = try TrainCommand.trainingRatings(args, path: trainPath, fromDB: fromDB, register: register)
        let loadSeconds = monotonicSeconds() - t0
        let json = args.flag("--json"), quiet = args.flag("--quiet")
        Output.progress("read \(ratings.count) ratings (\(ratings.users.count) users, \(ratings.items.count) items) from \(trainPath) in \(fixed(loadSeconds, 2)) s")
        let showProgress = args.flag("--progress") || (!quiet && Output.stderrIsTerminal)
        var epochSeconds: [Double] = []
        // Counted before training, which takes the ratings over and frees their arrays.
        let newest = ratings.timestamps.max() ?? 0, ratingCount = ratings.count
        let (model, summary) = AutoRec.fit(consume ratings, config: c) { r in
            epochSeconds.append(r.seconds)
            guard showProgress else { return }
            let val = r.validationRMSE.map { "  validation RMSE \(fixed($0))" } ?? ""
            let phase = r.refitting ? "refit epoch" : "epoch"
            let left = r.refitting ? "" : "  (at most \(c.epochs - r.epoch) more)"
            Output.note("\(phase) \(r.epoch)  loss \(String(format: "%.5g", r.objective))  train RMSE \(fixed(r.trainRMSE))\(val)  \(fixed(r.seconds, 3)) s\(left)")
        }
        let file = model.modelFile(extraHeader: [
            "trained_on": trainPath,
            "train_ratings": ratingCount,
            "newest_rating": newest,
            "train_seconds": summary.trainSeconds,
            "validation_rmse": summary.validationRMSE ?? NSNull(),
        ])
        if let path = outPath { try file.write(to: path) }
        var registeredID: Int? = nil
        if let db = connection, register {
            let hyper = file.header.filter { !["users", "items", "trained_on"].contains($0.key) }
            var metrics: [String: Any] = ["train_seconds": summary.trainSeconds, "epochs": summary.epochs]
            if let v = summary.validationRMSE { metrics["validation_rmse"] = v }
            registeredID = try ModelRegistry(connection: db).register(
                kind: kind.rawValue, file: file, hyperparameters: hyper, metrics: metrics,
                ratingCount: ratingCount, newestRating: newest)
        }
        if json {
            Output.json([
                "model": kind.rawValue, "out": outPath ?? NSNull(), "registered_id": registeredID ?? NSNull(),
                "epochs": summary.epochs, "best_epoch": summary.bestEpoch, "refit_epochs": summary.refitEpochs,
                "seconds_per_epoch": rounded(summary.secondsPerEpoch),
                "median_epoch_seconds": rounded(epochSeconds.sorted()[epochSeconds.count / 2]),
                "train_seconds": rounded(summary.trainSeconds, 3),
                "validation_rmse": summary.validationRMSE.map { rounded($0) } ?? NSNull(),
                "function_evaluations": summary.functionEvaluations,
                "stop_reason": summary.stopReason,
                "ratings": ratingCount, "users": model.users.count, "items": model.items.count,
                "hidden": c.hidden, "l2": Double(c.l2), "optimizer": c.optimizer.rawValue,
                "peak_memory_mb": rounded(peakMemoryMiB(), 1),
                "stage_seconds": Dictionary(uniqueKeysWithValues: zip(AutoRecObjective.stageNames, summary.stageSeconds.map { rounded($0, 4) })), "load_seconds": rounded(loadSeconds, 3),
            ] as [String: Any])
        } else {
            let val = summary.validationRMSE.map { ", validation RMSE \(fixed($0)) at epoch \(summary.bestEpoch)" } ?? ""
            let refit = summary.refitEpochs > 0 ? " (\(summary.refitEpochs) of them refitting on all ratings)" : ""
            print("trained \(kind.rawValue) in \(fixed(summary.trainSeconds, 2)) s: \(summary.epochs) epochs\(refit), \(fixed(summary.secondsPerEpoch, 4)) s per epoch\(val); \(summary.stopReason)")
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
