import XCTest
import Foundation
import AutoRec
import Linalg
@testable import AutoRecStore
@testable import AutoRecModels
@testable import AutoRecRepresentation

/// Item embeddings and clusters in a real PostgreSQL (see StoreTests).
final class EmbeddingStoreTests: XCTestCase {
    func testEmbeddingsAndClustersRoundTrip() throws {
        let connection = try TestDatabase.fresh()
        let ratings = try TestDatabase.importRatings(connection, count: 20000)
        var c = RepresentationConfig(kind: .denoising)
        c.dim = 8; c.epochs = 5
        let data = RatingVectors(ratings, of: .items)
        let model = RepresentationAutoencoder.fit(data, config: c)
        let e = Embeddings(ids: data.ids, vectors: model.embed(data), source: "denoising")
        let store = EmbeddingStore(connection: connection)
        let id = try store.save(e, hyperparameters: ["dim": 8])
        XCTAssertEqual(try store.latest(), id)
        XCTAssertEqual(try connection.scalar("SELECT kind || ' ' || task FROM models WHERE id = \(id)"), "embedding:denoising embeddings")
        let back = try store.load(id)
        XCTAssertEqual(back.source, "denoising")
        // Items the store does not know (the slice's id map has all 1,682) are skipped and counted.
        let known = Int(try XCTUnwrap(connection.scalar("SELECT count(*) FROM items")))!
        XCTAssertEqual(back.ids.count, known)
        let metrics = try XCTUnwrap(connection.scalar("SELECT metrics::text FROM models WHERE id = \(id)"))
        XCTAssertTrue(metrics.contains("\"skipped\": \(e.ids.count - known)"), metrics)
        for r in 0..<back.ids.count {
            let original = Int(e.ids.index(of: back.ids.id(at: r))!)
            for j in 0..<8 { XCTAssertEqual(back.vectors[r, j], e.vectors[original, j], accuracy: 1e-5) }
        }
        let km = KMeans.fit(back.vectors, k: 4, seed: 1)
        XCTAssertEqual(try store.saveClusters(embeddingID: id, back, assignment: km.assignment), back.ids.count)
        // Replaced whole, not appended.
        XCTAssertEqual(try store.saveClusters(embeddingID: id, back, assignment: km.assignment), back.ids.count)
        XCTAssertEqual(try connection.scalar("SELECT count(*) FROM clusters WHERE model_id = \(id)"), String(back.ids.count))
        XCTAssertThrowsError(try store.load(id + 100)) { XCTAssertTrue("\($0)".contains("no stored embeddings"), "\($0)") }
    }
}
