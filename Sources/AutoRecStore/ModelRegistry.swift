import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

/// A model's row in the registry (artifact not included).
public struct RegisteredModel: Sendable {
    public var id: Int
    public var kind: String
    public var task: String
    public var status: String
    public var hyperparameters: String
    public var metrics: String
    public var ratingCount: Int?
    public var newestRating: String?
    public var createdAt: String
    public var activatedAt: String?
}

/// The model registry: each model's artifact (the model file's bytes), hyperparameters, data
/// snapshot and metrics, with a status (candidate, active, retired); one active model per task.
public struct ModelRegistry {
    public let connection: Connection
    public init(connection: Connection) { self.connection = connection }

    /// Bytes per chunk of a stored model file (migration 003).
    static let chunkBytes = 16 << 20

    /// Refuses, with what to do, a store whose schema predates the chunked model files.
    func requireChunkedArtifacts() throws {
        guard try connection.scalar("SELECT to_regclass('model_artifacts') IS NOT NULL") == "t" else {
            throw StoreError("the store's schema is older than this autorec (no model_artifacts table); run 'autorec db migrate'")
        }
    }

    /// Stores a model as a candidate; returns its id. The file's bytes go to `model_artifacts` in
    /// 16 MB chunks by binary COPY, in the same transaction as the model's row.
    public func register(kind: String, task: String = "default", artifact: Data, hyperparameters: [String: Any],
                         metrics: [String: Any], ratingCount: Int, newestRating: Int64) throws -> Int {
        try register(kind: kind, task: task, hyperparameters: hyperparameters, metrics: metrics, ratingCount: ratingCount,
                     newestRating: newestRating) { sink in try artifact.withUnsafeBytes { try sink($0) } }
    }

    /// Stores `file` as a candidate, its bytes encoded straight into the 16 MB chunks: a large model
    /// is never held a second time as one buffer (550 MB for I-AutoRec on 138k users).
    /// `comparedModelID` names the model this one was compared on a holdout as (the nightly's candidate
    /// of a served model trained on the whole snapshot).
    public func register(kind: String, task: String = "default", file: ModelFile, hyperparameters: [String: Any],
                         metrics: [String: Any], ratingCount: Int, newestRating: Int64, comparedModelID: Int? = nil) throws -> Int {
        try register(kind: kind, task: task, hyperparameters: hyperparameters, metrics: metrics, ratingCount: ratingCount,
                     newestRating: newestRating, comparedModelID: comparedModelID) { sink in try file.encode(into: sink) }
    }

    /// Stores a training run's model as a candidate of `task`: its kind, hyperparameters, rating
    /// count and newest rating come from the run, so `train --register` and the nightly job agree.
    public func register(_ run: StampedModel, task: String = "default", metrics: [String: Any],
                         comparedModelID: Int? = nil) throws -> Int {
        try register(kind: run.trained.model.kind, task: task, file: run.file, hyperparameters: run.hyperparameters,
                     metrics: metrics, ratingCount: run.ratingCount, newestRating: run.newestRating,
                     comparedModelID: comparedModelID)
    }

    /// The model `id` was compared as on the nightly's holdout, when it has one.
    public func comparedModel(of id: Int) throws -> Int? {
        try connection.scalar("SELECT compared_model_id FROM models WHERE id = $1", [String(id)]).flatMap(Int.init)
    }

    /// The registration: the model's row, then the bytes that `produce` hands its sink, cut into chunks.
    private func register(kind: String, task: String, hyperparameters: [String: Any], metrics: [String: Any],
                          ratingCount: Int, newestRating: Int64, comparedModelID: Int? = nil,
                          produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Int {
        try requireChunkedArtifacts()
        return try connection.transaction {
            let row = try connection.execute("""
                INSERT INTO models (kind, task, hyperparameters, metrics, rating_count, newest_rating, compared_model_id)
                VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, CASE WHEN $6::bigint = 0 THEN NULL ELSE to_timestamp($6::bigint) END, $7)
                RETURNING id
                """, [kind, task, try JSONValue.encode(hyperparameters), try JSONValue.encode(metrics),
                      String(ratingCount), String(newestRating), comparedModelID.map(String.init)]).rows.first
            guard let id = row?.first.flatMap({ $0 }).flatMap(Int.init) else { throw StoreError("registering the model returned no id") }
            try connection.copyInBinary("COPY model_artifacts (model_id, chunk, bytes) FROM STDIN (FORMAT binary)") { writer in
                var chunk = 0
                var pending: [UInt8] = []
                pending.reserveCapacity(Self.chunkBytes)
                func flush() throws {
                    try writer.beginRow(fields: 3)
                    writer.int64(Int64(id))
                    writer.int32(Int32(chunk))
                    try pending.withUnsafeBytes { try writer.bytes($0) }
                    pending.removeAll(keepingCapacity: true)
                    chunk += 1
                }
                try produce { piece in
                    var offset = 0
                    while offset < piece.count {
                        let take = min(piece.count - offset, Self.chunkBytes - pending.count)
                        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: piece[offset..<(offset + take)]))
                        offset += take
                        if pending.count == Self.chunkBytes { try flush() }
                    }
                }
                // The last, partial chunk (and the one empty chunk of an empty file).
                if !pending.isEmpty || chunk == 0 { try flush() }
            }
            return id
        }
    }

    static let columns = "id, kind, task, status, hyperparameters::text, metrics::text, rating_count, newest_rating::text, created_at::text, activated_at::text"

    static func row(_ r: [String?]) -> RegisteredModel {
        RegisteredModel(id: Int(r[0]!)!, kind: r[1]!, task: r[2]!, status: r[3]!, hyperparameters: r[4]!, metrics: r[5]!,
                        ratingCount: r[6].flatMap(Int.init), newestRating: r[7], createdAt: r[8]!, activatedAt: r[9])
    }

    public func list() throws -> [RegisteredModel] {
        try connection.execute("SELECT \(Self.columns) FROM models ORDER BY id").rows.map(Self.row)
    }

    public func show(_ id: Int) throws -> RegisteredModel {
        guard let r = try connection.execute("SELECT \(Self.columns) FROM models WHERE id = $1", [String(id)]).rows.first else {
            throw StoreError("no model \(id) in the registry; see 'autorec models list'")
        }
        return Self.row(r)
    }

    /// The active model of `task`, if any.
    public func active(task: String = "default") throws -> RegisteredModel? {
        try connection.execute("SELECT \(Self.columns) FROM models WHERE task = $1 AND status = 'active'", [task]).rows.first.map(Self.row)
    }

    /// Makes `id` the active model of its task; the one active before is retired and its stored
    /// lists dropped. One transaction.
    public func activate(_ id: Int) throws {
        let m = try show(id)
        try connection.transaction {
            let retired = try connection.execute("""
                UPDATE models SET status = 'retired' WHERE task = $1 AND status = 'active' AND id <> $2 RETURNING id
                """, [m.task, String(id)]).rows.compactMap { $0[0].flatMap(Int.init) }
            try connection.execute("UPDATE models SET status = 'active', activated_at = now() WHERE id = $1", [String(id)])
            for old in retired { try RecommendationStore(connection: connection).dropLists(modelID: old) }
        }
    }

    /// Activates `id` after checking what it would serve (`autorec models activate`): a ranking
    /// model's artifact must load (checksum, header and shapes) and know at least one of the store's
    /// users, so a damaged file or a model of another catalogue never replaces a good active model.
    /// Returns how many users have a stored list under it: 0 for a model whose lists were dropped
    /// when it was retired (or never written), until `autorec score` writes them.
    @discardableResult
    public func activateChecked(_ id: Int) throws -> Int {
        let m = try show(id)
        if m.task != EmbeddingStore.task {
            let model: any Ranker
            do { model = try loadRanker(id) } catch {
                throw StoreError("model \(id) was not activated: its stored file does not load (\(error)); the active model is unchanged")
            }
            let users = try RecommendationStore(connection: connection).ids("users")
            guard (0..<model.users.count).contains(where: { users[model.users.id(at: $0)] != nil }) else {
                throw StoreError("model \(id) was not activated: it knows none of the store's users (trained on another catalogue?); the active model is unchanged")
            }
        }
        try activate(id)
        return try RecommendationStore(connection: connection).listCount(modelID: id)
    }

    /// Retires a model and drops its stored lists (its partition goes whole: no dead rows left).
    public func retire(_ id: Int) throws {
        _ = try show(id)
        try connection.transaction {
            try connection.execute("UPDATE models SET status = 'retired' WHERE id = $1", [String(id)])
            try RecommendationStore(connection: connection).dropLists(modelID: id)
        }
    }

    /// The model file's bytes: its chunks in order, or the single value of a model registered
    /// before migration 3.
    public func artifact(_ id: Int) throws -> Data {
        guard let single = try connection.execute("SELECT artifact IS NOT NULL FROM models WHERE id = $1", [String(id)]).rows.first else {
            throw StoreError("no model \(id) in the registry; see 'autorec models list'")
        }
        if single[0] == "t", let data = try connection.fetchBytes("SELECT artifact FROM models WHERE id = $1::bigint", [String(id)]) {
            return data
        }
        try requireChunkedArtifacts()
        let size = try connection.scalar("SELECT sum(octet_length(bytes)) FROM model_artifacts WHERE model_id = $1", [String(id)])
        var data = Data()
        data.reserveCapacity(Int(size ?? "0") ?? 0)
        var expected = 0
        try connection.copyOutBinary("""
            COPY (SELECT chunk, bytes FROM model_artifacts WHERE model_id = \(id) ORDER BY chunk) TO STDOUT (FORMAT binary)
            """) { row in
            guard Int(row.int32(0)) == expected else { throw StoreError("registry model \(id): chunk \(expected) of its file is missing") }
            data.append(contentsOf: row.bytes(1))
            expected += 1
        }
        return data
    }

    /// Loads any registered model (AutoRec or a top-N model), verifying its file checksum.
    public func loadRanker(_ id: Int) throws -> any Ranker {
        let source = "registry model \(id)"
        return try ModelCatalogue.load(try ModelFile.decode(try artifact(id), source: source), path: source)
    }

    /// Loads a registered AutoRec model, verifying its file checksum.
    public func loadModel(_ id: Int) throws -> AutoRec {
        let source = "registry model \(id)"
        return try ModelCatalogue.load(try ModelFile.decode(try artifact(id), source: source), path: source, as: AutoRec.self, wanted: "an AutoRec model")
    }
}
