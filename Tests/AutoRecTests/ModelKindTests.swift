import XCTest
@testable import AutoRec

/// The catalogue of model kinds: one name per kind, every part of the engine agreeing with it, and a
/// kind registered from outside the library working end to end.
final class ModelKindTests: XCTestCase {
    func testNamesRoundTripAndTasksSplitTheKinds() throws {
        for kind in ModelCatalogue.builtIn { XCTAssertEqual(ModelCatalogue.named(kind.name), kind) }
        XCTAssertNil(ModelCatalogue.named("i-autorec "))
        XCTAssertEqual(Set(ModelCatalogue.of(.rating) + ModelCatalogue.of(.topN)), Set(ModelCatalogue.kinds))
        XCTAssertEqual(ModelCatalogue.of(.rating).map(\.name), ["i-autorec", "u-autorec", "cf-nade"])
        XCTAssertEqual(ModelCatalogue.list([.ease, .cdae, .popularity]), "ease, cdae or popularity")
        XCTAssertThrowsError(try ModelCatalogue.kind("svd")) { XCTAssertTrue("\($0)".contains("choose one of i-autorec"), "\($0)") }
    }

    func testAKindRefusesTheOptionsItDoesNotRead() throws {
        XCTAssertThrowsError(try ModelKind.ease.check(ModelSettings(["--epochs": "3"]))) { error in
            XCTAssertTrue("\(error)".contains("--epochs does not apply to ease; it applies to i-autorec"), "\(error)")
        }
        XCTAssertThrowsError(try ModelKind.multDAE.check(ModelSettings(["--beta-cap": "0.2"]))) { error in
            XCTAssertTrue("\(error)".hasSuffix("it applies to mult-vae or dfc-vae"), "\(error)")
        }
        XCTAssertNoThrow(try ModelKind.multVAE.check(ModelSettings(["--beta-cap": "0.2", "--seed": "3", "--positive": "4"])))
        XCTAssertThrowsError(try ModelKind.iAutoRec.train(Ratings(), settings: ModelSettings(["--hidden": "0"]))) { error in
            XCTAssertTrue("\(error)".contains("--hidden must be between 1 and"), "\(error)")
        }
        XCTAssertThrowsError(try ModelKind.iAutoRec.train(interactions: ImplicitData(Ratings())))
    }

    /// Every kind trains through the catalogue and reports its name in the model and its file.
    func testEveryKindTrainsUnderItsName() throws {
        let ratings = TestData.explicitSlice { u, i in u % 10 == 0 && i % 3 == 0 }
        TestRegistrations.registerOnce()
        for kind in ModelCatalogue.kinds {
            let trained = try kind.train(ratings, settings: .brief(kind, epochs: 1, dims: [8, 4], hidden: 4))
            XCTAssertEqual(trained.model.kind, kind.name)
            XCTAssertEqual(try trained.modelFile().string("kind"), kind.name)
            XCTAssertEqual(trained.report.metric, kind.task == .rating ? .rmse : .recall20)
        }
    }

    /// A kind added by registration only: listed, trained, stored under its own name, loaded back as
    /// itself, and the same model as the variant it registers again (same settings, same seed).
    func testAKindRegisteredFromATestTargetWorksEndToEnd() throws {
        TestRegistrations.registerOnce()
        let second = TestRegistrations.secondMultDAE
        XCTAssertEqual(ModelCatalogue.named("mult-dae-second"), second)
        XCTAssertThrowsError(try ModelCatalogue.register(second), "a name is registered once")
        let ratings = TestData.explicitSlice { u, i in u % 6 == 0 && i % 4 == 0 }
        let settings = ModelSettings.brief(second, epochs: 2, dims: [12, 4])
        let trained = try second.train(ratings, settings: settings)
        let loaded = try ModelCatalogue.load(try ModelFile.decode(try trained.modelFile().encoded(), source: "second"))
        XCTAssertEqual(loaded.kind, "mult-dae-second")
        let original = try ModelKind.multDAE.train(ratings, settings: settings).model
        let users = Array(0..<original.users.count)
        XCTAssertEqual(loaded.topN(users: users, count: 10).flatMap { $0.map(\.score) },
                       original.topN(users: users, count: 10).flatMap { $0.map(\.score) })
    }
}
