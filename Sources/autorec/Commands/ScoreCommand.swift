import Foundation
import AutoRec
import AutoRecStore
import AutoRecModels
import AutoRecRepresentation

/// `autorec score`: every user's top-N from a registered model, written to the store.
enum ScoreCommand: Command {
    static let spec = CommandSpec(
        name: "score",
        abstract: "Compute every user's top-N with a registered model and store the lists.",
        discussion: """
        Scores blocks of users with one matrix product each, skips the items a user rated in
        training, and streams the lists (one row per user) into a table of the model's own, which
        replaces the model's stored lists in one transaction: readers see the old lists or the new
        ones, never a mix, and a scorer that dies midway changes nothing.
        With --shard k/n only the users whose database id is k modulo n are scored, so n processes
        (or machines) can score one model at once; the lists are swapped in when the last of the n
        shards finishes, and --activate-when-complete then makes the model the active one.
        """,
        options: [
            .value("--model-id", "--model", as: "id|active", help: "Registered model id.", default: "active"),
            .value("--top", as: "n", help: "Items per user.", default: "100"),
            .value("--shard", as: "k/n", help: "Score shard k of n (0-based).", default: "0/1"),
            .value("--database", as: "url", help: "PostgreSQL connection URL (else DATABASE_URL or PG* variables)."),
            .value("--block", as: "users", help: "Users scored per matrix product (default: sized to the catalogue)."),
            .flag("--activate-when-complete", help: "Activate the model once every shard's lists are stored."),
            .flag("--progress", help: "Print 'scored N/M users' to stderr after each block (default on a terminal)."),
            .flag("--json", help: "Print one JSON object."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let top = try args.int("--top", range: 1...10_000)!
        let shardText = args.string("--shard")!
        let parts = shardText.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, k >= 0, k < n else {
            throw CLIError(message: "--shard takes k/n with 0 <= k < n, e.g. 0/4; got '\(shardText)'")
        }
        let connection = try Connection(url: args.string("--database"))
        let registry = ModelRegistry(connection: connection)
        let modelID: Int
        if args.string("--model-id") == "active" {
            guard let a = try registry.active() else {
                throw CLIError(message: "no active model: pass --model ID or activate one with 'autorec models activate ID'", code: .failure)
            }
            modelID = a.id
        } else {
            guard let v = try args.int("--model-id", range: 1...Int.max) else { throw CLIError(message: "--model-id takes an id or 'active'") }
            modelID = v
        }
        let t0 = Date()
        let model = try registry.loadRanker(modelID)
        let loaded = Date()
        let showProgress = args.flag("--progress") || (Output.stderrIsTerminal && !args.flag("--json"))
        let block = try args.int("--block", range: 1...1_000_000)
        let report = try RecommendationStore(connection: connection).scoreAndStore(
            model: model, modelID: modelID, top: top, shard: k, of: n, blockSize: block) { done, total in
            if showProgress { Output.note("scored \(done)/\(total) users") }
        }
        let activated = report.published && args.flag("--activate-when-complete")
        if activated { try registry.activate(modelID) }
        let perSecond = Double(report.users) / max(report.scoreSeconds, 1e-9)
        if args.flag("--json") {
            Output.json(["model": modelID, "users": report.users, "rows": report.rows, "shard": shardText,
                         "load_seconds": rounded(loaded.timeIntervalSince(t0), 3), "score_seconds": rounded(report.scoreSeconds, 3),
                         "write_seconds": rounded(report.writeSeconds, 3), "published": report.published,
                         "gemm_seconds": rounded(report.stats.scoringSeconds, 3),
                         "selection_seconds": rounded(report.stats.selectionSeconds, 3),
                         "gemm_gflops": report.stats.gemmGFLOPS.map { rounded($0, 1) } ?? NSNull(),
                         "block_size": report.stats.blockSize, "peak_memory_mb": Int(peakMemoryMiB()),
                         "activated": activated,
                         "users_per_second": rounded(perSecond, 0)] as [String: Any])
        } else {
            let gflops = report.stats.gemmGFLOPS.map { ", GEMM \(fixed($0, 1)) GFLOP/s" } ?? ""
            print("model \(modelID): scored \(report.users) users in \(fixed(report.scoreSeconds, 2)) s (\(Int(perSecond)) users/s\(gflops)), wrote \(report.rows) lists in \(fixed(report.writeSeconds, 2)) s more")
            if !report.published { print("shard \(shardText) stored; the lists are swapped in when all \(n) shards are done") }
            if activated { print("model \(modelID) is now the active model") }
        }
    }
}
