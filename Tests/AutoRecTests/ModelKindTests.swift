import XCTest
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

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

    /// Settings are declared once: every kind's help shows the defaults its trainer uses (each
    /// default, given explicitly, leaves the configuration as it was), and no setting is declared twice.
    func testEveryKindsHelpDefaultsAreItsConfigurationDefaults() throws {
        for kind in ModelCatalogue.builtIn {
            XCTAssertEqual(kind.defaultsThatDisagree(), [], "\(kind.name): help defaults that the trainer does not use")
            XCTAssertEqual(Set(kind.allOptions).count, kind.allOptions.count, "\(kind.name) declares a setting twice")
            for setting in kind.settings where setting.defaultIsAValue {
                XCTAssertTrue(kind.defaults.contains("\(setting.name) \(setting.defaultText)"), "\(kind.name): \(kind.defaults)")
                XCTAssertNoThrow(try kind.check(ModelSettings([setting.name: setting.defaultText])), "\(kind.name) \(setting.name)")
            }
        }
        // The drift this replaced: CF-NADE's help said --ordinal 0 while it trained with 1.
        XCTAssertEqual(ModelKind.cfNADE.settings.first { $0.name == "--ordinal" }?.defaultText, "\(CFNADEConfig().ordinal)".replacingOccurrences(of: ".0", with: ""))
        XCTAssertEqual(ModelKind.iAutoRec.settings.first { $0.name == "--l2" }?.defaultText, "50")
        XCTAssertTrue(ModelKind.uAutoRec.defaults.contains("with --optimizer lbfgs: --epochs 500 --l2 300"), ModelKind.uAutoRec.defaults)
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

    /// Every kind with epochs keeps its learning curve, every epoch (the refit's marked), in its
    /// file's header, where a report reads it back; a closed-form kind keeps none.
    func testEveryEpochLoopKeepsItsLearningCurveInTheFile() throws {
        let ratings = TestData.explicitSlice { u, i in u % 10 == 0 && i % 3 == 0 }
        for kind in ModelCatalogue.kinds {
            let trained = try kind.train(ratings, settings: .brief(kind, epochs: 3, dims: [8, 4], hidden: 4))
            let file = try ModelFile.decode(try trained.modelFile().encoded(), source: kind.name)
            let curve = LearningCurve(header: file.header[LearningCurve.headerKey])
            guard trained.report.epochs > 0 else { XCTAssertNil(curve, kind.name); continue }
            let read = try XCTUnwrap(curve, kind.name)
            let kept = try XCTUnwrap(trained.report.curve, kind.name)
            XCTAssertEqual(read.epochs, kept.epochs, kind.name)
            XCTAssertEqual(read.refit, kept.refit, kind.name)
            // JSON keeps a Double to about 16 digits, not always to the last bit.
            for (a, b) in zip(read.loss, kept.loss) { XCTAssertEqual(a, b, accuracy: 1e-12 * abs(b), kind.name) }
            for (a, b) in zip(read.validation, kept.validation) {
                XCTAssertEqual(a == nil, b == nil, kind.name)
                if let a, let b { XCTAssertEqual(a, b, accuracy: 1e-12, kind.name) }
            }
            XCTAssertEqual(read.epochs.count, trained.report.epochs, kind.name)
            XCTAssertEqual(read.refit.filter { $0 }.count, trained.report.refitEpochs, kind.name)
            XCTAssertEqual(read.metric, trained.report.metric, kind.name)
            XCTAssertTrue(read.loss.allSatisfy { $0.isFinite }, kind.name)
            XCTAssertEqual(read.validation.compactMap { $0 }.isEmpty, trained.report.validation == nil, kind.name)
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
