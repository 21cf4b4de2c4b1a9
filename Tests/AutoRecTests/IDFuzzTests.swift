import XCTest
import Foundation
import Linalg
@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

/// Ids are bytes: random ids built from the pieces that broke id handling before (canonically
/// equivalent twins, \b \f \v, NUL, invalid UTF-8, emoji, over-long ids) must be refused with the
/// file and line, or read as exactly as many ids as there are distinct byte strings, kept to the
/// byte through training and the model file. A crash fails the whole run.
final class IDFuzzTests: XCTestCase {
    /// Pieces of valid ids (twins: c3 a9 and 65 cc 81, U+212B and U+00C5 and A + U+030A) and of refused ones.
    static let pieces: [[UInt8]] = [
        Array("c".utf8), Array("d".utf8), Array("v".utf8), [0x0B], [0x08], [0x0C],
        [0xC3, 0xA9], [0x65, 0xCC, 0x81], Array("\u{1F600}".utf8), Array("\u{212B}".utf8), Array("\u{C5}".utf8),
        Array("A\u{30A}".utf8),
    ]
    static let refusedPieces: [[UInt8]] = [[0x00], [0xFF], [0xC3], Array(repeating: UInt8(ascii: "x"), count: 1001)]

    /// A random id of one to three pieces; one piece in 80 is one that makes it refused.
    static func id(_ rng: inout SeededRandom) -> [UInt8] {
        (0..<(1 + rng.int(below: 3))).flatMap { _ in
            rng.int(below: 80) == 0 ? refusedPieces[rng.int(below: refusedPieces.count)] : pieces[rng.int(below: pieces.count)]
        }
    }

    func testIdsAreBytesThroughTheReaderTrainingAndModelFiles() throws {
        var rng = SeededRandom(seed: 22)
        var refused = 0, read = 0
        for round in 0..<300 {
            var lines: [[UInt8]] = [], users: [[UInt8]] = [], items: [[UInt8]] = []
            for k in 0..<(4 + rng.int(below: 20)) {
                let user = Self.id(&rng), item = rng.int(below: 2) == 0 ? Self.id(&rng) : Array("i\(k % 5)".utf8)
                users.append(user); items.append(item)
                lines.append(user + [9] + item + Array("\t\(1 + k % 5)\n".utf8))
            }
            let data = Data(lines.joined())
            let ratings: Ratings
            do {
                ratings = try RatingFileReader.parse(data: data, file: "ids.tsv")
            } catch let error as RatingFileError {
                XCTAssertEqual(error.file, "ids.tsv")
                XCTAssertNotNil(error.line, "a refused id names its line: \(error)")
                refused += 1
                continue
            }
            read += 1
            XCTAssertEqual(ratings.users.count, Set(users).count, "round \(round): one user per distinct byte string")
            XCTAssertEqual(ratings.items.count, Set(items).count, "round \(round): one item per distinct byte string")
            XCTAssertEqual(Set(ratings.users.externalIDs.map { Array($0.utf8) }), Set(users))
            let kind = round % 10 == 0 ? ModelKind.iAutoRec : ModelKind.popularity
            let model = try kind.train(ratings, settings: ModelSettings.brief(kind, extra: ["--validation": "0"])).model
            let loaded = try ModelCatalogue.load(try ModelFile.decode(try model.modelFile(extraHeader: [:]).encoded(), source: "ids"), path: "ids")
            XCTAssertEqual(loaded.users.externalIDs.map { Array($0.utf8) }, model.users.externalIDs.map { Array($0.utf8) })
            XCTAssertEqual(loaded.items.externalIDs.map { Array($0.utf8) }, model.items.externalIDs.map { Array($0.utf8) })
            XCTAssertEqual(loaded.topN(users: Array(0..<loaded.users.count), count: 3).count, loaded.users.count)
        }
        print("id fuzz: \(refused + read) files: \(refused) refused with a line, \(read) read and trained")
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(read, 0)
    }

    func testItemFilesApplyTheSameIdRule() throws {
        var rng = SeededRandom(seed: 23)
        var refused = 0, read = 0
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ids-items-\(getpid()).tsv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for _ in 0..<300 {
            let ids = (0..<(2 + rng.int(below: 10))).map { _ in Self.id(&rng) }
            let crlf = rng.int(below: 2) == 0
            let end: [UInt8] = crlf ? [13, 10] : [10]
            let body = ids.enumerated().map { k, id in id + Array("\tTitle \(k)".utf8) + end }.joined()
            try Data(Array("item\ttitle".utf8) + end + Array(body)).write(to: URL(fileURLWithPath: path))
            do {
                let catalogue = try ItemCatalogue.read(path: path)
                XCTAssertEqual(Set(catalogue.order.map { Array($0.utf8) }), Set(ids))
                XCTAssertEqual(catalogue.titles.count, Set(ids).count, "no two ids merged")
                read += 1
            } catch let error as RatingFileError {
                XCTAssertNotNil(error.line, "\(error)")
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(read, 0)
    }

    func testCanonicallyEquivalentIdsStayApart() throws {
        let text = "caf\u{E9}\t1\t5\ncafe\u{301}\t1\t1\ncaf\u{E9}\t2\t4\ncafe\u{301}\t2\t2\nx\t1\t3\nx\t2\t3\n"
        XCTAssertEqual("caf\u{E9}", "cafe\u{301}", "Swift's String equality merges them")
        let ratings = try RatingFileReader.parse(data: Data(text.utf8), file: "twins.tsv")
        XCTAssertEqual(ratings.users.count, 3)
        XCTAssertEqual(ratings.count, 6)
        XCTAssertEqual(ratings.keepingNewestOfDuplicates().dropped, 0)
        let model = try ModelKind.iAutoRec.train(ratings, settings: ModelSettings.brief(.iAutoRec, extra: ["--validation": "0"])).model
        XCTAssertEqual(model.users.count, 3)
        XCTAssertNotEqual(model.users.index(of: "caf\u{E9}"), model.users.index(of: "cafe\u{301}"))
        var map = IDMap()
        XCTAssertNotEqual(map.insert("\u{212B}"), map.insert("\u{C5}"), "Angstrom sign and A-ring are two ids")
    }
}
