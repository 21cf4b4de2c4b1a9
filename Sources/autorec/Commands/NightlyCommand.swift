import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels

/// `autorec nightly`: retrain, evaluate, promote if not worse, score, record.
enum NightlyCommand: Command {
    static let spec = CommandSpec(
        name: "nightly",
        abstract: "The nightly job: snapshot, train a candidate, compare with the active model, promote, score.",
        discussion: """
        Takes an advisory lock (a second run exits at once with "already running", exit code 4), reads
        a consistent snapshot, holds out a fixed share of the ratings (stable from night to night),
        trains a candidate with the model's default hyperparameters on the rest, evaluates candidate
        and active model on the same holdout (RMSE between AutoRec models, Recall@20 when a top-N model
        is involved; its positives are the ratings of at least --positive), promotes the candidate only if it is not worse
        than the active model by more than --max-regression, scores every user with it, and records
        a job_runs row with step timings, metrics and the decision. If a step fails or the process is
        killed, the active model and its stored lists stay as they were.
        """,
        options: [
            SharedOptions.kind(help: ModelCatalogue.list() + ".", default: ModelKind.iAutoRec.name),
            .value("--positive", as: "x", help: "Top-N models: ratings of at least x are interactions (default: every rating)."),
            .value("--max-regression", as: "x", help: "Largest allowed holdout RMSE increase (or Recall@20 decrease) against the active model.", default: "0.002"),
            .value("--holdout", as: "fraction", help: "Share of ratings held out for the comparison.", default: "0.1"),
            .value("--top", as: "n", help: "Items per user in the stored lists.", default: "100"),
            .value("--epochs", as: "n", help: "Most epochs for the candidate (default: the model's)."),
            .value("--seed", as: "n", help: "Random seed (default: 1)."),
            .value("--database", as: "url", help: "PostgreSQL connection URL (else DATABASE_URL or PG* variables)."),
            .flag("--json", help: "Print one JSON object."),
            .flag("--progress", help: "Step messages on stderr even when it is not a terminal."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let kind = try ModelCatalogue.kind(args.string("--kind") ?? ModelKind.iAutoRec.name)
        let settings = ModelOptions.settings(args)
        try kind.check(settings)
        var job = NightlyJob(connection: try Connection(url: args.string("--database")), kind: kind, settings: settings)
        job.policy.maxRegression = try args.double("--max-regression", range: 0...10)!
        job.holdout = try args.double("--holdout", range: 0.01...0.5)!
        job.top = try args.int("--top", range: 1...10_000)!
        let report: NightlyJob.Report
        do {
            report = try job.run { if args.flag("--progress") || (Output.stderrIsTerminal && !args.flag("--json")) { Output.note($0) } }
        } catch let e as NightlyJob.AlreadyRunning {
            throw CLIError(message: e.description, code: .busy)
        }
        if args.flag("--json") {
            Output.json(["run": report.runID, "candidate": report.candidateID, "promoted": report.promoted,
                         "active_before": report.activeBefore ?? NSNull(), "active_after": report.activeAfter ?? NSNull(),
                         "metric": report.metric.rawValue, "candidate_\(report.metric.rawValue)": rounded(report.candidateScore),
                         "active_\(report.metric.rawValue)": report.activeScore.map { rounded($0) } ?? NSNull(),
                         "decision": report.decision, "users_scored": report.usersScored,
                         "epochs": report.epochs, "train_seconds": rounded(report.trainSeconds, 3),
                         "seconds_per_epoch": rounded(report.trainSeconds / Double(max(1, report.epochs)), 3),
                         "peak_memory_mb": Int(peakMemoryMiB()),
                         "steps": Dictionary(uniqueKeysWithValues: report.steps.map { ($0.name, rounded($0.seconds, 3)) })] as [String: Any])
        } else {
            print("nightly run \(report.runID): \(report.decision)")
            Output.table(["step", "seconds"], report.steps.map { [$0.name, fixed($0.seconds, 2)] })
        }
    }
}
