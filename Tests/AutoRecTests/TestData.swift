import Foundation
import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Paths to the bundled data, found from this file's location so tests run from any folder.
enum TestData {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var ml100k: URL { root.appendingPathComponent("data/ml-100k") }
    static var explicitTrain: String { ml100k.appendingPathComponent("splits/explicit-90-10/train.tsv").path }
    static var explicitTest: String { ml100k.appendingPathComponent("splits/explicit-90-10/test.tsv").path }

    static var implicitTrain: String { ml100k.appendingPathComponent("splits/implicit-80-20/train.tsv").path }
    static var implicitTest: String { ml100k.appendingPathComponent("splits/implicit-80-20/test.tsv").path }

    /// The ML-100K 90/10 training ratings that `keep(user index, item index)` accepts, rebuilt entry
    /// by entry so that the id maps hold only the slice's users and items (a subset keeps the full
    /// maps, and an EASE file would then hold 1682 x 1682 weights).
    static func explicitSlice(_ keep: (Int32, Int32) -> Bool) -> Ratings {
        let all = try! RatingFileReader.read(path: explicitTrain)
        var out = Ratings()
        for k in 0..<all.count where keep(all.userIndex[k], all.itemIndex[k]) {
            out.append(user: all.users.id(at: Int(all.userIndex[k])), item: all.items.id(at: Int(all.itemIndex[k])),
                       value: all.values[k], timestamp: all.timestamps[k])
        }
        return out
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("autorec-test-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)-\(name)").path
    }
}

extension ModelSettings {
    /// Settings that make any kind train in a blink: few epochs and narrow layers, for the options
    /// the kind reads (the others would be refused).
    static func brief(_ kind: ModelKind, epochs: Int = 2, dims: [Int] = [16, 4], hidden: Int = 6, seed: UInt64 = 1,
                      extra: [String: String] = [:]) -> ModelSettings {
        var s = ModelSettings(["--seed": String(seed)])
        let reads = kind.allOptions
        if reads.contains("--epochs") { s["--epochs"] = String(epochs) }
        if reads.contains("--dims") { s["--dims"] = dims.map(String.init).joined(separator: ",") }
        if reads.contains("--hidden") { s["--hidden"] = String(hidden) }
        for (key, value) in extra where reads.contains(key) { s[key] = value }
        return s
    }
}
