import XCTest
import Foundation
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Model files written before configurations were kept whole (one header entry per setting, by
/// the autorec of commit edf4ea0, on 817 ratings of ML-100K) still load, rank as they did, and
/// write back in today's form with the same configuration: a store's active model survives an
/// upgrade. `Fixtures/legacy-model-files/expected.tsv` holds each file's top 5 for user 2, as
/// the old autorec listed them.
final class LegacyModelFileTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/legacy-model-files")

    func expectedLists() throws -> [(kind: String, items: [String])] {
        let text = try String(contentsOf: Self.folder.appendingPathComponent("expected.tsv"), encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t")
            return (String(fields[0]), fields[1].split(separator: ",").map(String.init))
        }
    }

    func testEveryKindsLegacyFileLoadsAndRanksAsBefore() throws {
        let expected = try expectedLists()
        XCTAssertEqual(Set(expected.map(\.kind)), Set(ModelCatalogue.builtIn.map(\.name)), "a legacy file per built-in kind")
        for (kind, items) in expected {
            let path = Self.folder.appendingPathComponent("\(kind).model").path
            let file = try ModelFile.read(from: path)
            if kind != RecVAE.kindName {   // RecVAE kept its configuration whole from the start
                XCTAssertNil(file.header[ModelFile.configurationKey], "\(kind): the fixture is a legacy file")
            }
            let model = try ModelCatalogue.load(file, path: path)
            XCTAssertEqual(model.kind, kind)
            XCTAssertEqual(Self.hiddenSizes(of: model), Self.trainedSizes[kind], "\(kind): the sizes it was trained with")
            guard let user = model.users.index(of: "2").map(Int.init) else { return XCTFail("\(kind): user 2 missing") }
            let top = model.topN(users: [user], count: 5)[0].map { model.items.id(at: $0.item) }
            XCTAssertEqual(top, items, "\(kind): the top 5 of user 2")
            let rewritten = model.modelFile(extraHeader: [:])
            XCTAssertNotNil(rewritten.header[ModelFile.configurationKey] as? [String: Any], "\(kind): written back whole")
            let reloaded = try ModelCatalogue.load(try ModelFile.decode(try rewritten.encoded(), source: kind), path: kind)
            XCTAssertEqual(reloaded.topN(users: [user], count: 5)[0].map { reloaded.items.id(at: $0.item) }, items, "\(kind): after a round trip")
        }
    }

    /// The sizes the fixtures were trained with (`--hidden 6`, `--dims 8,4`, RecVAE `--hidden 8 --latent 4`).
    static let trainedSizes: [String: [Int]] = [
        "i-autorec": [6], "u-autorec": [6], "cf-nade": [6], "mult-vae": [8, 4], "mult-dae": [8, 4], "dfc-vae": [8, 4],
        "recvae": [8, 4], "cdae": [6], "ease": [], "popularity": [],
    ]

    /// A model's layer sizes as its configuration holds them.
    static func hiddenSizes(of model: any Ranker) -> [Int] {
        switch model {
        case let m as AutoRec: return [m.config.hidden]
        case let m as CFNADE: return [m.config.hidden]
        case let m as MultAutoencoder: return m.config.dims
        case let m as RecVAE: return [m.config.hidden, m.config.latent]
        case let m as CDAE: return [m.config.hidden]
        default: return []
        }
    }
}
