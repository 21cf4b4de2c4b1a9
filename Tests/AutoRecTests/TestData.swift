import Foundation
import AutoRec

/// Paths to the bundled data, found from this file's location so tests run from any folder.
enum TestData {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var ml100k: URL { root.appendingPathComponent("data/ml-100k") }
    static var explicitTrain: String { ml100k.appendingPathComponent("splits/explicit-90-10/train.tsv").path }
    static var explicitTest: String { ml100k.appendingPathComponent("splits/explicit-90-10/test.tsv").path }

    static var implicitTrain: String { ml100k.appendingPathComponent("splits/implicit-80-20/train.tsv").path }
    static var implicitTest: String { ml100k.appendingPathComponent("splits/implicit-80-20/test.tsv").path }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("autorec-test-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)-\(name)").path
    }
}
