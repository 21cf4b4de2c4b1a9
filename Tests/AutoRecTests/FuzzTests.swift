import XCTest
import Foundation
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Mutated model files of every kind and mutated rating files, from a fixed seed: each must end in
/// a clear error or a load whose model then scores without fault. A crash fails the whole run.
final class FuzzTests: XCTestCase {
    /// Small valid files of every model kind, trained briefly on a slice of ML-100K.
    static let seedFiles: [(kind: String, bytes: Data)] = {
        let slice = TestData.explicitSlice { u, i in u % 8 == 0 && i % 4 == 0 }
        return ModelCatalogue.builtIn.map { kind in
            let settings = ModelSettings.brief(kind, hidden: kind.task == .rating ? 8 : 6, extra: ["--refit": "no"])
            // The model alone, without the report's timings, so that the bytes (and the mutations) are fixed.
            return (kind.name, try! kind.train(slice, settings: settings).model.modelFile(extraHeader: [:]).encoded())
        }
    }()

    /// Header values a hostile file might carry.
    static let hostileValues: [Any] = [
        0, -1, 1, 7, Int.max, Int.min, 1 << 40, (1 << 62) + 3, 1e308, -1e308, 0.5, Double.leastNonzeroMagnitude,
        "", "x", "0,0", "99999999999999999999,1", "i-autorec", "mult-vae", "ease", true, false, NSNull(),
        [String](), ["a", "a"], [1, 2], ["k": 1],
    ]

    func testMutatedModelFilesAreRefusedOrLoadAndScore() throws {
        var rng = SeededRandom(seed: 2026)
        var refused = 0, loaded = 0
        let perKind = 1500
        for (kind, bytes) in Self.seedFiles {
            let file = try ModelFile.decode(bytes, source: kind)
            for m in 0..<perKind {
                let mutated: Data
                switch m % 4 {
                case 0: mutated = Self.flipBytes(bytes, count: 1 + rng.int(below: 8), within: bytes.count, rng: &rng, fixChecksum: false)
                case 1: mutated = bytes.prefix(rng.int(below: bytes.count))
                case 2: mutated = Self.flipBytes(bytes, count: 1 + rng.int(below: 4), within: min(bytes.count - 12, 4096), rng: &rng, fixChecksum: true)
                default: mutated = try Self.rewriteHeader(file, rng: &rng)
                }
                if Self.loadAndScore(mutated) { loaded += 1 } else { refused += 1 }
            }
        }
        print("fuzz: \(refused + loaded) model-file mutations of \(Self.seedFiles.count) kinds: \(refused) refused, \(loaded) loaded and scored")
        XCTAssertGreaterThanOrEqual(refused + loaded, 10_000)
        XCTAssertGreaterThan(refused, 0)
    }

    func testMutatedRatingFilesAreRefusedWithALineOrRead() throws {
        let text = try String(contentsOfFile: TestData.explicitTrain, encoding: .utf8)
        let lines = text.split(separator: "\n").prefix(300)
        let seed = Data((lines.joined(separator: "\n") + "\n").utf8)
        let alphabet: [UInt8] = Array("\t,:\n\r -.e9x".utf8) + [0x00, 0xFF, 0xC3, 0xA9]
        var rng = SeededRandom(seed: 7)
        var refused = 0, read = 0
        for m in 0..<5000 {
            var bytes = [UInt8](seed)
            for _ in 0..<(1 + rng.int(below: 6)) {
                let at = rng.int(below: bytes.count)
                switch m % 3 {
                case 0: bytes[at] = alphabet[rng.int(below: alphabet.count)]
                case 1: bytes.insert(alphabet[rng.int(below: alphabet.count)], at: at)
                default: bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.int(below: 40)))
                }
                if bytes.isEmpty { break }
            }
            do {
                let ratings = try RatingFileReader.parse(data: Data(bytes), file: "fuzz.tsv")
                XCTAssertGreaterThan(ratings.count, 0)
                XCTAssertTrue(ratings.values.allSatisfy { RatingRules.defaultRatingRange.contains($0) })
                read += 1
            } catch let error as RatingFileError {
                XCTAssertEqual(error.file, "fuzz.tsv")
                refused += 1
            }
        }
        print("fuzz: \(refused + read) rating-file mutations: \(refused) refused, \(read) read")
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(read, 0)
    }

    /// Decodes, loads and scores `bytes`; false when refused with a model file error.
    static func loadAndScore(_ bytes: Data) -> Bool {
        do {
            let ranker = try ModelCatalogue.load(try ModelFile.decode(bytes, source: "fuzz"), path: "fuzz")
            let users = ranker.users.count
            if users > 0 {
                _ = ranker.topN(users: [0, users - 1], count: 5)
                if let model = ranker as? AutoRec, ranker.items.count > 0 {
                    _ = model.predict(user: users - 1, item: ranker.items.count - 1)
                }
            }
            return true
        } catch is ModelFileError {
            return false
        } catch {
            XCTFail("a damaged model file gave \(type(of: error)) instead of a model file error: \(error)")
            return false
        }
    }

    /// `count` random bytes of the first `within` replaced; with `fixChecksum`, the CRC is recomputed
    /// so that the damage reaches the parser behind it.
    static func flipBytes(_ bytes: Data, count: Int, within: Int, rng: inout SeededRandom, fixChecksum: Bool) -> Data {
        var out = [UInt8](bytes)
        for _ in 0..<count { out[rng.int(below: max(1, within))] ^= UInt8(1 + rng.int(below: 255)) }
        if fixChecksum {
            let trailer = out.count - 12
            let crc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<trailer])) }
            for b in 0..<4 { out[trailer + b] = UInt8(truncatingIfNeeded: crc >> (8 * b)) }
        }
        return Data(out)
    }

    /// The file with one or two header values replaced by hostile ones, encoded with a valid checksum.
    static func rewriteHeader(_ file: ModelFile, rng: inout SeededRandom) throws -> Data {
        var copy = file
        let keys = copy.header.keys.sorted()
        for _ in 0..<(1 + rng.int(below: 2)) {
            let key = keys[rng.int(below: keys.count)]
            copy.header[key] = hostileValues[rng.int(below: hostileValues.count)]
        }
        return try copy.encoded()
    }
}
