@testable import AutoRec
@testable import AutoRecModels

/// What adding a model kind takes, shown: one registration. This is the existing Mult-DAE variant
/// under a second name, registered from the test target; the catalogue, the contract suite, model
/// files and loading all pick it up with nothing else changed.
enum TestRegistrations {
    static let secondMultDAE = ModelKind.mult(name: "mult-dae-second", variational: false)

    static func registerOnce() { _ = registered }
    private static let registered: Void = { try! ModelCatalogue.register(secondMultDAE) }()
}
