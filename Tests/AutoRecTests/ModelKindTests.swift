import XCTest
@testable import AutoRec

/// The catalogue of model kinds: one name per kind, and every part of the engine agreeing with it.
final class ModelKindTests: XCTestCase {
    func testNamesRoundTripAndTasksSplitTheKinds() {
        for kind in ModelKind.allCases { XCTAssertEqual(ModelKind.named(kind.rawValue), kind) }
        XCTAssertNil(ModelKind.named("i-autorec "))
        XCTAssertEqual(Set(ModelKind.of(.rating) + ModelKind.of(.topN)), Set(ModelKind.allCases))
        XCTAssertEqual(RankerFile.kinds, ModelKind.allCases.map(\.rawValue))
        XCTAssertEqual(TopNModelSpec.kinds, ModelKind.of(.topN).map(\.rawValue))
        XCTAssertEqual(ModelKind.list([.ease, .cdae, .popularity]), "ease, cdae or popularity")
    }

    func testAutoRecOrientationsAreTheCatalogsRatingKinds() throws {
        for orientation in AutoRecOrientation.allCases {
            XCTAssertEqual(orientation.kind.orientation, orientation)
            XCTAssertEqual(AutoRecOrientation(rawValue: orientation.rawValue), orientation)
            XCTAssertEqual(orientation.kind.task, .rating)
        }
        XCTAssertEqual(ModelKind.of(.rating).compactMap(\.orientation), AutoRecOrientation.allCases)
        XCTAssertNil(AutoRecOrientation(rawValue: ModelKind.ease.rawValue))
    }

    /// Every top-N kind trains through its spec and reports the catalogue's name.
    func testEveryTopNKindTrainsUnderItsName() throws {
        let all = try RatingFileReader.read(path: TestData.implicitTrain)
        let data = ImplicitData(all.subset((0..<all.count).filter { all.userIndex[$0] % 10 == 0 }))
        for kind in ModelKind.of(.topN) {
            var spec = try TopNModelSpec(kind: kind.rawValue)
            spec.mult.epochs = 1; spec.cdae.epochs = 1; spec.mult.dims = [8, 4]; spec.cdae.hidden = 4
            XCTAssertEqual(try spec.fit(data).0.kind, kind.rawValue)
        }
    }
}
