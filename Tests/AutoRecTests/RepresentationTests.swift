import XCTest
import Foundation
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels
@testable import AutoRecRepresentation

/// Representation autoencoders trained on ML-100K: their embeddings must carry meaning.
final class RepresentationTests: XCTestCase {
    static var ratings: Ratings!
    static var catalogue: ItemCatalogue!

    override class func setUp() {
        super.setUp()
        ratings = try! RatingFileReader.read(path: TestData.ml100k.appendingPathComponent("ratings.tsv").path)
        catalogue = try! ItemCatalogue.read(path: TestData.ml100k.appendingPathComponent("items.tsv").path)
    }

    /// Share of (item, neighbour) pairs with a genre in common, over the items with 20+ ratings,
    /// against the same share over all pairs of those items (chance).
    func genreAgreement(_ e: Embeddings) -> (neighbours: Double, chance: Double) {
        let data = RatingVectors(Self.ratings, of: .items)
        let popular = (0..<data.rows.rows).filter { data.rows.count(ofRow: $0) >= 20 }
        let genres = (0..<e.ids.count).map { Set(Self.catalogue.genres[e.ids.id(at: $0)] ?? []) }
        let unit = e.normalized()
        var shared = 0, pairs = 0
        let popularSet = Set(popular)
        for r in popular {
            for (i, _) in e.nearest(to: r, count: 40, unit: unit).filter({ popularSet.contains($0.index) }).prefix(10) {
                pairs += 1
                if !genres[r].isDisjoint(with: genres[i]) { shared += 1 }
            }
        }
        var chanceShared = 0, chancePairs = 0
        for a in popular { for b in popular where a < b { chancePairs += 1; if !genres[a].isDisjoint(with: genres[b]) { chanceShared += 1 } } }
        return (Double(shared) / Double(pairs), Double(chanceShared) / Double(chancePairs))
    }

    func testNearestNeighboursShareAGenreMoreOftenThanChance() {
        let data = RatingVectors(Self.ratings, of: .items)
        for kind in [RepresentationKind.plain, .denoising] {
            var c = RepresentationConfig(kind: kind)
            c.epochs = 30
            let model = RepresentationAutoencoder.fit(data, config: c)
            let e = Embeddings(ids: data.ids, vectors: model.embed(data), source: kind.rawValue)
            XCTAssertEqual(e.vectors.rows, 1682)
            XCTAssertEqual(e.vectors.cols, 32)
            let (n, chance) = genreAgreement(e)
            print("\(kind): neighbours share a genre \(n), chance \(chance)")
            XCTAssertGreaterThan(n, chance + 0.15, "\(kind): embeddings must group items by taste")
            // Star Wars' nearest neighbour is one of its sequels.
            let sw = Int(e.ids.index(of: "50")!)
            XCTAssertTrue(["181", "172"].contains(e.ids.id(at: e.nearest(to: sw, count: 1)[0].index)), kind.rawValue)
        }
    }

    func testEmbeddingsFileRoundTripAndBadLines() throws {
        let e = Embeddings(ids: IDMap(["a", "b"]), vectors: Matrix(rows: 2, cols: 3, storage: [1, 2, 3, 4.5, -5, 6]), source: "t")
        let path = TestData.temporaryPath("emb.tsv")
        try e.tsv().write(toFile: path, atomically: true, encoding: .utf8)
        let back = try Embeddings.read(path: path)
        XCTAssertEqual(back.ids, e.ids)
        XCTAssertEqual(back.vectors, e.vectors)
        try "id\tdim_0\tdim_1\na\t1\t2\nb\t3\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Embeddings.read(path: path)) { XCTAssertTrue("\($0)".contains(":3"), "\($0)") }
        try "id\tdim_0\na\tnan\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Embeddings.read(path: path)) { XCTAssertTrue("\($0)".contains("finite"), "\($0)") }
    }
}
