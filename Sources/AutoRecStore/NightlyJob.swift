import Foundation
import AutoRec

/// The nightly retraining job: under an advisory lock, snapshot the ratings, hold out a fixed share
/// for evaluation, train a candidate on the rest, evaluate candidate and active model on the same
/// holdout (RMSE for AutoRec against AutoRec, Recall@20 as soon as a top-N model is involved), promote the candidate only if it is not worse than the active one by more than the
/// allowed margin, score every user with the model that is active afterwards, and record a job_runs
/// row. The candidate's lists are written before it is activated, and activation is one
/// transaction, so a failure or a kill at any point leaves the active model and its lists as they were.
public struct NightlyJob {
    public struct AlreadyRunning: Error, CustomStringConvertible {
        public var description: String { "already running: another nightly job holds the lock" }
    }

    public struct Report: Sendable {
        public var runID: Int
        public var candidateID: Int
        public var activeBefore: Int?
        public var activeAfter: Int?
        public var promoted: Bool
        /// "rmse" (lower is better) or "recall@20" (higher is better).
        public var metric: String
        public var candidateScore: Double
        public var activeScore: Double?
        public var decision: String
        public var steps: [(name: String, seconds: Double)]
        public var usersScored: Int
        /// Epochs the candidate trained (early-stopped run and refit together) and their seconds.
        public var epochs: Int
        public var trainSeconds: Double
    }

    public let connection: Connection
    /// What the job trains, and with which settings (the kind's defaults for the rest).
    public var kind: ModelKind
    public var settings: ModelSettings
    /// Share of the ratings held out; membership is a hash of (user, item), stable from night to night.
    public var holdout = 0.1
    /// The candidate is promoted when its RMSE is at most the active model's plus this (or its
    /// Recall@20 at least the active model's minus this).
    public var maxRegression = 0.002
    public var top = 100
    public var task = "default"
    static let lockKey = "7208152702"

    public init(connection: Connection, kind: ModelKind, settings: ModelSettings = ModelSettings()) {
        self.connection = connection
        self.kind = kind
        self.settings = settings
    }

    /// Whether a rating is in the holdout: FNV-1a of "user\titem" against the share.
    static func inHoldout(user: String, item: String, share: Double) -> Bool {
        Double(fnv1a("\(user)\t\(item)".utf8) % 1_000_000) < share * 1_000_000
    }

    /// FNV-1a over `bytes`, continuing from `state` (the offset basis by default).
    @inline(__always)
    static func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes, from state: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var h = state
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The positions of `all` in the holdout and the rest, by the same hash as `inHoldout`: each
    /// user's hash state after "user\t" is computed once and carried on through the item's bytes,
    /// with no string built per rating (20M ratings in well under a second).
    static func holdoutSplit(_ all: Ratings, share: Double) -> (train: [Int], holdout: [Int]) {
        let userStates = all.users.externalIDs.map { fnv1a(CollectionOfOne(UInt8(ascii: "\t")), from: fnv1a($0.utf8)) }
        let itemBytes = all.items.externalIDs.map { Array($0.utf8) }
        let threshold = share * 1_000_000
        var train: [Int] = [], holdout: [Int] = []
        train.reserveCapacity(Int(Double(all.count) * (1 - share)) + 1024)
        holdout.reserveCapacity(Int(Double(all.count) * share) + 1024)
        for k in 0..<all.count {
            let h = fnv1a(itemBytes[Int(all.itemIndex[k])], from: userStates[Int(all.userIndex[k])])
            if Double(h % 1_000_000) < threshold { holdout.append(k) } else { train.append(k) }
        }
        return (train, holdout)
    }

    /// What the job keeps of a snapshot once it is split: its size and newest rating time.
    struct SnapshotFacts { var count: Int; var newest: Int64 }

    /// Reads the snapshot and splits it into the training part and the holdout; the snapshot's own
    /// arrays are freed on return, so only the two parts stay in memory.
    static func snapshotSplit(_ connection: Connection, holdout: Double) throws -> (train: Ratings, test: Ratings, facts: SnapshotFacts) {
        let snapshot = try RatingSnapshot.read(connection)
        guard snapshot.count > 0 else { throw StoreError("the store has no ratings; import some first") }
        let split = holdoutSplit(snapshot.ratings, share: holdout)
        return (snapshot.ratings.subset(split.train), snapshot.ratings.subset(split.holdout),
                SnapshotFacts(count: snapshot.count, newest: snapshot.newest))
    }

    public func run(progress: ((String) -> Void)? = nil) throws -> Report {
        guard try connection.scalar("SELECT pg_try_advisory_lock($1)", [Self.lockKey]) == "t" else { throw AlreadyRunning() }
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        // Runs left 'running' by a killed job: we hold the lock, so none of them is alive.
        try connection.execute("""
            UPDATE job_runs SET status = 'failed', finished_at = now(), error = 'interrupted (the process ended without finishing)'
            WHERE job = 'nightly' AND status = 'running'
            """)
        guard let runID = try connection.scalar("INSERT INTO job_runs (job) VALUES ('nightly') RETURNING id").flatMap(Int.init) else {
            throw StoreError("could not record the job run")
        }
        var steps: [(name: String, seconds: Double)] = []
        var clock = Date()
        func step(_ name: String) {
            let now = Date()
            steps.append((name, now.timeIntervalSince(clock)))
            clock = now
            progress?("\(name) done in \(String(format: "%.2f", steps.last!.seconds)) s")
        }
        func stepsJSON() -> String {
            let o = Dictionary(uniqueKeysWithValues: steps.map { ($0.name, ($0.seconds * 1000).rounded() / 1000) })
            return (try? JSONValue.encode(o)) ?? "{}"
        }
        do {
            let (train, test, snapshot) = try Self.snapshotSplit(connection, holdout: holdout)
            let trainCount = train.count
            step("snapshot")

            // The training part is handed over, not kept: the trainer frees it once its matrices are built.
            let result = try kind.train(consume train, settings: settings)
            let trained = result.model
            let positive = try settings.float("--positive", range: -1e9...1e9)
            step("train")

            let registry = ModelRegistry(connection: connection)
            let activeBefore = try registry.active(task: task)
            var activeFile: ModelFile? = nil
            if let a = activeBefore {
                activeFile = try ModelFile.decode(try registry.artifact(a.id), source: "registry model \(a.id)")
            }
            // RMSE when both are rating models; Recall@20 on the holdout's positives otherwise.
            let activeKind = try activeFile?.string("kind")
            let byRMSE = trained is RatingPredictor && (activeKind.map { ModelCatalogue.named($0)?.task == .rating } ?? true)
            let metric = byRMSE ? "rmse" : "recall@20"
            let rankingTest = test.implicit(threshold: positive)
            func score(_ model: any Ranker) -> Double {
                if byRMSE, let predictor = model as? RatingPredictor {
                    return RatingMetrics(predictions: predictor.predictAll(test), truth: test.values).rmse
                }
                return RankingEvaluation.evaluate(model, test: rankingTest, k: [20]).metrics.recall[20] ?? 0
            }
            let candidateScore = score(trained)
            var activeScore: Double? = nil
            var comparable = true
            if let a = activeBefore, let f = activeFile {
                activeScore = score(try RankerFile.ranker(from: f, path: "registry model \(a.id)"))
                // Only a model that never saw the holdout can be compared on it fairly.
                comparable = (f.header["holdout_share"] as? NSNumber)?.doubleValue == holdout
            }
            step("evaluate")

            let notWorse: (Double, Double) -> Bool = { c, a in byRMSE ? c <= a + maxRegression : c >= a - maxRegression }
            let promoted = activeScore.map { !comparable || notWorse(candidateScore, $0) } ?? true
            let name = byRMSE ? "RMSE" : "Recall@20"
            let decision: String
            if let a = activeScore {
                if !comparable {
                    decision = String(format: "promoted: the active model was trained on the holdout too (its \(name) %.4f there is not a fair yardstick); the candidate (%.4f) becomes the baseline", a, candidateScore)
                } else if promoted {
                    decision = String(format: "promoted: holdout \(name) %.4f vs active %.4f (margin %.4f)", candidateScore, a, maxRegression)
                } else {
                    decision = String(format: "kept the active model: holdout \(name) %.4f vs active %.4f is worse by more than the margin %.4f", candidateScore, a, maxRegression)
                }
            } else {
                decision = String(format: "promoted: no active model before (holdout \(name) %.4f)", candidateScore)
            }
            var metrics: [String: Any] = ["holdout_\(metric)": candidateScore, "holdout_ratings": test.count]
            for (k, v) in result.report.registryMetrics { metrics[k] = v }
            let file = result.modelFile(extraHeader: ["trained_on": "database", "train_ratings": trainCount,
                                                      "newest_rating": snapshot.newest, "holdout_share": holdout])
            let candidateID = try registry.register(
                kind: kind.name, task: task, file: file,
                hyperparameters: file.header.filter { !["users", "items"].contains($0.key) }, metrics: metrics,
                ratingCount: snapshot.count, newestRating: snapshot.newest)
            step("register")

            var scored = 0
            if promoted {
                // Lists first, under the candidate's id; the active model's lists are untouched.
                scored = try RecommendationStore(connection: connection)
                    .scoreAndStore(model: trained, modelID: candidateID, top: top).users
                step("score")
                try registry.activate(candidateID)
                step("activate")
            }
            let activeAfter = try registry.active(task: task)?.id
            let metricsJSON = try JSONValue.encode([
                "metric": metric, "candidate_holdout": candidateScore, "active_holdout": activeScore ?? NSNull(),
                "candidate_id": candidateID, "users_scored": scored] as [String: Any])
            try connection.execute("""
                UPDATE job_runs SET status = 'succeeded', finished_at = now(), steps = $2::jsonb, metrics = $3::jsonb, decision = $4
                WHERE id = $1
                """, [String(runID), stepsJSON(), metricsJSON, decision])
            return Report(runID: runID, candidateID: candidateID, activeBefore: activeBefore?.id, activeAfter: activeAfter,
                          promoted: promoted, metric: metric, candidateScore: candidateScore, activeScore: activeScore, decision: decision,
                          steps: steps, usersScored: scored, epochs: result.report.epochs, trainSeconds: result.report.trainSeconds)
        } catch {
            _ = try? connection.execute("ROLLBACK")
            _ = try? connection.execute("""
                UPDATE job_runs SET status = 'failed', finished_at = now(), steps = $2::jsonb, error = $3 WHERE id = $1
                """, [String(runID), stepsJSON(), "\(error)"])
            throw error
        }
    }
}
