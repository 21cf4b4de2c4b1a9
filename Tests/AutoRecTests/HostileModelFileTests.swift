import XCTest
import Foundation
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Model files crafted as an attacker would, each with a valid checksum, so that only the loader's
/// own checks stand between them and the scoring code.
final class HostileModelFileTests: XCTestCase {
    static let model: AutoRec = {
        let all = try! RatingFileReader.read(path: TestData.explicitTrain)
        var config = AutoRecConfig.defaults(for: .item)
        config.hidden = 8; config.epochs = 2; config.refit = false
        return AutoRec.fit(all.subset((0..<all.count).filter { all.userIndex[$0] % 10 == 0 }), config: config).model
    }()

    func assertRefused(_ file: ModelFile, mentioning text: String, line: UInt = #line) throws {
        let bytes = try file.encoded()
        XCTAssertThrowsError(try ModelCatalogue.load(try ModelFile.decode(bytes, source: "crafted"), path: "crafted"), line: line) { error in
            XCTAssertTrue(error is ModelFileError, "\(type(of: error)): \(error)", line: line)
            XCTAssertTrue("\(error)".contains(text), "\(error)", line: line)
        }
    }

    /// A `hidden` whose parameter count wraps around to the real array's length: 2 n h + h + n is
    /// (2n + 1) h + n, and 2n + 1 is odd, so some h solves it modulo 2^64.
    func testAHiddenSizeWhoseCountWrapsAroundIsRefused() throws {
        var file = Self.model.modelFile(extraHeader: [:])
        let n = UInt64(Self.model.users.count)
        let parameters = try file.array("parameters")
        var crafted: (hidden: Int, count: Int)? = nil
        for trim in 0..<64 {
            let count = UInt64(parameters.count - trim)
            let hidden = (count &- n) &* Self.inverse(2 * n + 1)
            if hidden > UInt64(parameters.count), hidden < UInt64(Int.max) { crafted = (Int(hidden), Int(count)); break }
        }
        let (hidden, count) = try XCTUnwrap(crafted)
        XCTAssertEqual((2 * n + 1) &* UInt64(hidden) &+ n, UInt64(count), "the wrapped count equals the array's length")
        Self.set(&file, "hidden", to: hidden)
        file.arrays = file.arrays.map { $0.name == "parameters" ? ($0.name, Array(parameters.prefix(count))) : $0 }
        try assertRefused(file, mentioning: "overflows")
    }

    func testZeroHiddenUnitsAreRefused() throws {
        var file = Self.model.modelFile(extraHeader: [:])
        Self.set(&file, "hidden", to: 0)
        try assertRefused(file, mentioning: "empty")
    }

    func testARatingRangeBeyondFloatIsRefused() throws {
        var file = Self.model.modelFile(extraHeader: [:])
        file.header["rating_max"] = 1e308
        try assertRefused(file, mentioning: "finite range")
        file = Self.model.modelFile(extraHeader: [:])
        file.header["rating_min"] = 9.0
        file.header["rating_max"] = 10.0
        try assertRefused(file, mentioning: "holding its mean")
    }

    func testNonFiniteWeightsAreRefused() throws {
        var file = Self.model.modelFile(extraHeader: [:])
        file.arrays = file.arrays.map { entry in
            guard entry.name == "parameters" else { return entry }
            var values = entry.values
            values[3] = .nan
            return (entry.name, values)
        }
        try assertRefused(file, mentioning: "not finite")
    }

    func testLayerSizesThatOverflowOrDoNotParseAreRefused() throws {
        let all = try RatingFileReader.read(path: TestData.implicitTrain)
        let data = ImplicitData(all.subset((0..<all.count).filter { all.userIndex[$0] % 10 == 0 }))
        let model = try ModelKind.multDAE.train(interactions: data, settings: .brief(.multDAE, epochs: 1, dims: [8, 4])).model
        // Today's files keep the sizes in the configuration as numbers.
        for (dims, message) in [([Int.max / 2, 4], "layer sizes"), ([8, -4], "layer sizes"), ([], "layer sizes")] {
            var file = model.modelFile(extraHeader: [:])
            Self.set(&file, "dims", to: dims)
            try assertRefused(file, mentioning: message)
        }
        var file = model.modelFile(extraHeader: [:])
        Self.set(&file, "dims", to: "8,4")
        try assertRefused(file, mentioning: "'dims' has the wrong type")
        // Files from before configurations were whole spell them "8,4" in the header itself.
        for (dims, message) in [("\(Int.max / 2),4", "layer sizes"), ("8,x", "'dims'"), ("8,,4", "'dims'"), ("", "'dims'"), ("8,-4", "layer sizes")] {
            var file = model.modelFile(extraHeader: [:])
            file.header[ModelFile.configurationKey] = nil
            file.header["dims"] = dims
            try assertRefused(file, mentioning: message)
        }
    }

    /// Sets one setting of the configuration a file keeps.
    static func set(_ file: inout ModelFile, _ key: String, to value: Any) {
        var configuration = file.header[ModelFile.configurationKey] as? [String: Any] ?? [:]
        configuration[key] = value
        file.header[ModelFile.configurationKey] = configuration
    }

    /// The inverse of an odd number modulo 2^64 (Newton's iteration doubles the correct bits).
    static func inverse(_ a: UInt64) -> UInt64 {
        var x = a
        for _ in 0..<6 { x = x &* (2 &- a &* x) }
        return x
    }
}
