import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// The nightly retraining job, as named steps under an advisory lock: snapshot the ratings, hold
/// out a fixed share, train a candidate on the rest, compare it on the holdout with the model the
/// active one was compared as (`NightlyComparison`), register it; when it is promoted, refit the
/// same kind and settings on the whole snapshot for the epochs the candidate chose, register that
/// served model beside it, score every user with it (leaving out every rated item) and activate it;
/// record a job_runs row. Lists are written before activation, and activation is one transaction,
/// so a failure or a kill at any point leaves the active model and its lists as they were; the next
/// run drops what a killed one left behind.
public struct NightlyJob {
    public struct AlreadyRunning: Error, CustomStringConvertible {
        public var description: String { "already running: another nightly job holds the lock" }
    }

    public struct Report: Sendable {
        public var runID: Int
        /// The model compared on the holdout (trained without it).
        public var candidateID: Int
        /// The model trained on the whole snapshot and served, when the candidate was promoted.
        public var servedID: Int?
        public var activeBefore: Int?
        public var activeAfter: Int?
        public var promoted: Bool
        /// How candidate and active model were compared on the holdout.
        public var metric: ComparisonMetric
        public var candidateScore: Double
        public var activeScore: Double?
        public var decision: String
        public var steps: [(name: String, seconds: Double)]
        public var usersScored: Int
        /// Epochs the candidate trained (early-stopped run and refit together) and their seconds.
        public var epochs: Int
        public var trainSeconds: Double
        /// Epochs of the served model's refit on the whole snapshot (0 when not promoted or closed-form).
        public var servedEpochs: Int
        /// Ratings of the snapshot, and those left out for breaking the rating rules.
        public var snapshotRatings: Int
        public var skippedRatings: Int
    }

    public let connection: Connection
    /// What the job trains, and with which settings (the kind's defaults for the rest).
    public var kind: ModelKind
    public var settings: ModelSettings
    /// Share of the ratings held out; membership is a hash of (user, item), stable from night to night.
    public var holdout = 0.1
    /// When the candidate replaces the active model.
    public var policy = PromotionPolicy()
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

    public func run(progress: ((String) -> Void)? = nil) throws -> Report {
        guard try connection.scalar("SELECT pg_try_advisory_lock($1)", [Self.lockKey]) == "t" else { throw AlreadyRunning() }
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        let record = try NightlyRunRecord.start(connection, progress: progress)
        var clock = StepClock(progress: progress)
        do {
            let report = try steps(runID: record.runID, clock: &clock, progress: progress)
            try record.succeed(report, steps: clock.steps)
            return report
        } catch {
            record.fail(error, steps: clock.steps)
            throw error
        }
    }

    /// The job's steps, timed by `clock`: the candidate's (snapshot, train, evaluate, register),
    /// then, when it is promoted, the served model's (refit, score, activate).
    private func steps(runID: Int, clock: inout StepClock, progress: ((String) -> Void)?) throws -> Report {
        var snapshot = try takeSnapshot(progress: progress)
        let split = Self.holdoutSplit(snapshot.ratings, share: holdout)
        let test = snapshot.ratings.subset(split.holdout)
        clock.step(.snapshot)
        let candidate = try StampedModel(kind: kind, ratings: snapshot.ratings.subset(split.train), settings: settings,
                                        source: "database", extraHeader: ["holdout_share": holdout])
        clock.step(.train)
        let activeBefore = try ModelRegistry(connection: connection).active(task: task)
        let comparison = try NightlyComparison(connection: connection, candidate: candidate.trained.model, test: test,
                                               positive: try settings.float("--positive", range: -1e9...1e9),
                                               holdout: holdout, policy: policy, active: activeBefore)
        clock.step(.evaluate)
        var metrics = candidate.trained.report.registryMetrics
        metrics["holdout_\(comparison.metric.rawValue)"] = comparison.candidateScore
        metrics["holdout_ratings"] = test.count
        let candidateID = try ModelRegistry(connection: connection).register(candidate, task: task, metrics: metrics)
        try NightlyRunRecord.note(connection, runID: runID, models: [candidateID])
        clock.step(.register)
        let served = comparison.decision.promoted
            ? try serve(&snapshot, after: candidate, candidateID: candidateID, metrics: metrics, replacing: activeBefore?.id,
                        runID: runID, clock: &clock)
            : nil
        return Report(runID: runID, candidateID: candidateID, servedID: served?.id, activeBefore: activeBefore?.id,
                      activeAfter: try ModelRegistry(connection: connection).active(task: task)?.id,
                      promoted: comparison.decision.promoted, metric: comparison.metric,
                      candidateScore: comparison.candidateScore, activeScore: comparison.activeScore,
                      decision: comparison.decision.text, steps: clock.steps, usersScored: served?.users ?? 0,
                      epochs: candidate.trained.report.epochs, trainSeconds: candidate.trained.report.trainSeconds,
                      servedEpochs: served?.epochs ?? 0, snapshotRatings: split.train.count + split.holdout.count,
                      skippedRatings: snapshot.skipped)
    }

    /// The store's ratings as of now, without those that break the rating rules (said on progress).
    private func takeSnapshot(progress: ((String) -> Void)?) throws -> RatingSnapshot {
        let snapshot = try RatingSnapshot.read(connection)
        guard snapshot.count > 0 else { throw StoreError("the store has no ratings; import some first") }
        if snapshot.skipped > 0 { progress?("left out \(snapshot.skipped) rating(s) that break the rating rules: \(snapshot.skippedExample)") }
        return snapshot
    }

    /// The promoted candidate's served twin: the same kind and settings trained on the whole
    /// snapshot (handed over, so the trainer can free it), registered beside the candidate, scored
    /// for every user and activated.
    private func serve(_ snapshot: inout RatingSnapshot, after candidate: StampedModel, candidateID: Int, metrics: [String: Any],
                       replacing previous: Int?, runID: Int, clock: inout StepClock) throws -> (id: Int, epochs: Int, users: Int) {
        var all = Ratings()
        swap(&all, &snapshot.ratings)
        let served = try StampedModel(kind: kind, ratings: consume all, settings: try servedSettings(after: candidate.trained.report),
                                     source: "database", extraHeader: ["holdout_share": 0, "compared_model": candidateID])
        var servedMetrics = metrics
        servedMetrics["epochs"] = served.trained.report.epochs
        servedMetrics["train_seconds"] = served.trained.report.trainSeconds
        let servedID = try ModelRegistry(connection: connection).register(served, task: task, metrics: servedMetrics,
                                                                          comparedModelID: candidateID)
        try NightlyRunRecord.note(connection, runID: runID, models: [candidateID, servedID])
        clock.step(.refit)
        let users = try RecommendationStore(connection: connection).scoreAndStore(model: served.trained.model, modelID: servedID, top: top).users
        clock.step(.score)
        try activate(servedID, replacing: previous)
        clock.step(.activate)
        return (servedID, served.trained.report.epochs, users)
    }

    /// The settings of the served model's training on the whole snapshot: nothing held out, and the
    /// epoch count the candidate's run chose (its refit's, else its best epoch's, else all it ran).
    func servedSettings(after report: TrainingReport) throws -> ModelSettings {
        var served = settings
        served["--validation"] = "0"
        if report.epochs > 0 && kind.allOptions.contains("--epochs") {
            let chosen = report.refitEpochs > 0 ? report.refitEpochs : (report.bestEpoch > 0 ? report.bestEpoch : report.epochs)
            served["--epochs"] = String(max(1, chosen))
        }
        return served
    }

    /// Activates the served model; the model the previous active one was compared as is retired with it.
    private func activate(_ servedID: Int, replacing previous: Int?) throws {
        let registry = ModelRegistry(connection: connection)
        let previousTwin = try previous.flatMap { try registry.comparedModel(of: $0) }
        try registry.activate(servedID)
        if let twin = previousTwin {
            try connection.execute("UPDATE models SET status = 'retired' WHERE id = $1 AND status = 'candidate'", [String(twin)])
        }
    }
}

/// The nightly's steps, in the order they run; their names key `job_runs.steps`.
enum NightlyStep: String {
    case snapshot, train, evaluate, register, refit, score, activate
}

/// Step timings of a run: each step's seconds since the previous one ended.
struct StepClock {
    var steps: [(name: String, seconds: Double)] = []
    var started = Date()
    let progress: ((String) -> Void)?

    mutating func step(_ step: NightlyStep) {
        let name = step.rawValue, now = Date()
        steps.append((name, now.timeIntervalSince(started)))
        started = now
        progress?("\(name) done in \(String(format: "%.2f", steps.last!.seconds)) s")
    }
}
