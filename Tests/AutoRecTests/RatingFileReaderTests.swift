import AutoRec
import Foundation
import XCTest
@testable import AutoRecCore
@testable import AutoRecModels

final class RatingFileReaderTests: XCTestCase {
    // MARK: - Helpers

    /// Writes `contents` to a uniquely named temporary file, removed when the test ends.
    private func writeTemp(_ contents: String, ext: String = "txt") throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("autorec-reader-\(UUID().uuidString).\(ext)")
        try Data(contents.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// Asserts that parsing `text` fails, and returns the error for further checks.
    private func parseError(_ text: String, file: String = "test.txt", format: RatingFileFormat = .auto,
                            line: UInt = #line) -> RatingFileError? {
        do {
            let r = try RatingFileReader.parse(text: text, file: file, format: format)
            XCTFail("expected an error, parsed \(r.count) ratings", line: line)
            return nil
        } catch let error as RatingFileError {
            return error
        } catch {
            XCTFail("unexpected error type: \(error)", line: line)
            return nil
        }
    }

    private func ids(_ map: IDMap) -> [String] { map.externalIDs }

    // MARK: - Good files

    func testTSVWithoutHeader() throws {
        let path = try writeTemp("1\t10\t5\t874965758\n1\t20\t3\t876893171\n2\t10\t4\t878542960\n", ext: "tsv")
        let r = try RatingFileReader.read(path: path)
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(ids(r.users), ["1", "2"])
        XCTAssertEqual(ids(r.items), ["10", "20"])
        XCTAssertEqual(r.userIndex, [0, 0, 1])
        XCTAssertEqual(r.itemIndex, [0, 1, 0])
        XCTAssertEqual(r.values, [5, 3, 4])
        XCTAssertEqual(r.timestamps, [874965758, 876893171, 878542960])
    }

    func testCSVWithHeader() throws {
        let text = "userId,movieId,rating,timestamp\nu-a,m-1,3.5,1112486027\nu-b,m-2,4.0,1112484676\n"
        let r = try RatingFileReader.parse(text: text, file: "ratings.csv")
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(ids(r.users), ["u-a", "u-b"])
        XCTAssertEqual(ids(r.items), ["m-1", "m-2"])
        XCTAssertEqual(r.values, [3.5, 4.0])
        XCTAssertEqual(r.timestamps, [1112486027, 1112484676])
    }

    func testTSVHeaderWithThreeColumns() throws {
        let r = try RatingFileReader.parse(text: "user\titem\trating\nalice\tbook\t2\n", file: "h.tsv")
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(ids(r.users), ["alice"])
        XCTAssertEqual(r.values, [2])
    }

    func testMovieLensFormat() throws {
        let text = "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
        let path = try writeTemp(text, ext: "dat")
        for format in [RatingFileFormat.auto, .movielens] {
            let r = try RatingFileReader.read(path: path, format: format)
            XCTAssertEqual(r.count, 3)
            XCTAssertEqual(ids(r.users), ["1", "2"])
            XCTAssertEqual(ids(r.items), ["1193", "661"])
            XCTAssertEqual(r.values, [5, 3, 4])
            XCTAssertEqual(r.timestamps, [978300760, 978302109, 978298413])
        }
    }

    func testCRLFLineEndings() throws {
        let r = try RatingFileReader.parse(text: "user,item,rating\r\na,x,1\r\nb,y,2.5\r\n\r\n", file: "crlf.csv")
        XCTAssertEqual(ids(r.users), ["a", "b"])
        XCTAssertEqual(ids(r.items), ["x", "y"])
        XCTAssertEqual(r.values, [1, 2.5])
        let t = try RatingFileReader.parse(text: "a\tx\t1\t100\r\nb\ty\t2\t200\r\n", file: "crlf.tsv")
        XCTAssertEqual(t.timestamps, [100, 200])
    }

    func testThreeColumnFileHasZeroTimestamps() throws {
        let r = try RatingFileReader.parse(text: "a\tx\t1\nb\ty\t2\nc\tz\t3", file: "three.tsv")
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r.values, [1, 2, 3])
        XCTAssertEqual(r.timestamps, [0, 0, 0])
    }

    func testBlankLinesSkippedButCounted() throws {
        let r = try RatingFileReader.parse(text: "\n\na,x,1\n   \n\nb,y,2\n\n", file: "blank.csv")
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.values, [1, 2])
        // Line numbers still count the blank lines.
        let error = parseError("\na,x,1\n\nb,y\n")
        XCTAssertEqual(error?.line, 4)
    }

    func testIDsAreTrimmedTextAndADuplicatedPairKeepsItsLastLine() throws {
        let text = " alice , 42 ,4\nbob,42,3\nalice,42,1\n"
        let r = try RatingFileReader.parse(text: text, file: "dup.csv")
        XCTAssertEqual(ids(r.users), ["alice", "bob"])
        XCTAssertEqual(ids(r.items), ["42"])
        XCTAssertEqual(r.userIndex, [1, 0])
        XCTAssertEqual(r.itemIndex, [0, 0])
        XCTAssertEqual(r.values, [3, 1])
    }

    /// Training and import keep the same rating of a duplicated pair: the newest timestamp, then the
    /// later line (the importer's rule; the reader used to keep every line and training the last).
    func testDuplicatesKeepTheNewestThenTheLastLineAsTheImporterDoes() throws {
        let text = "u1\ti1\t2\t3000\nu1\ti1\t4\t4000\nu1\ti1\t1\t3500\nu1\ti2\t1\t0\nu1\ti2\t5\t0\nu1\ti3\t3\t0\nu1\ti3\t2\t10\n"
        let r = try RatingFileReader.parse(text: text, file: "dups.tsv")
        let kept = (0..<r.count).map { "\(r.items.id(at: Int(r.itemIndex[$0])))=\(Int(r.values[$0]))" }.sorted()
        XCTAssertEqual(kept, ["i1=4", "i2=5", "i3=2"])
        XCTAssertEqual(r.mean, 11.0 / 3, accuracy: 1e-6, "the mean counts each pair once")
        // A user's lines apart from each other (the file not grouped by user): the same rule.
        let apart = try RatingFileReader.parse(text: "u1\ti1\t2\t100\nu2\ti1\t3\t0\nu1\ti1\t5\t50\nu1\ti2\t1\t0\nu2\ti1\t4\t0\n", file: "apart.tsv")
        let keptApart = (0..<apart.count).map {
            "\(apart.users.id(at: Int(apart.userIndex[$0])))/\(apart.items.id(at: Int(apart.itemIndex[$0])))=\(Int(apart.values[$0]))"
        }.sorted()
        XCTAssertEqual(keptApart, ["u1/i1=2", "u1/i2=1", "u2/i1=4"])
    }

    /// Ratings outside the plausible range are refused by line (a stray comma made "242,3" an item
    /// and the timestamp the rating), unless the rules widen the range.
    func testImplausibleRatingsAreRefusedWithTheirLine() throws {
        let text = "196\t242\t3\n196\t242,3\t881250949\n"
        let error = parseError(text)
        XCTAssertEqual(error?.line, 2)
        XCTAssertTrue(error?.message.contains("plausible range") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("--rating-range") ?? false)
        XCTAssertNotNil(parseError("a\tb\t1e30\n"))
        let wide = RatingRules(ratingRange: -1e10...1e10)
        XCTAssertEqual(try RatingFileReader.parse(text: "a\tb\t881250949\n", file: "wide.tsv", rules: wide).values, [881250949])
        XCTAssertEqual(RatingRules.ratingRange(parsing: "1:5"), 1...5)
        XCTAssertNil(RatingRules.ratingRange(parsing: "5:1"))
        XCTAssertNil(RatingRules.ratingRange(parsing: "1:inf"))
        XCTAssertNil(RatingRules.ratingRange(parsing: "1"))
    }

    /// Timestamps PostgreSQL cannot hold (years past 9999, or milliseconds) are refused by line, by
    /// training and import alike.
    func testTimestampsOutsideYearsOneTo9999AreRefused() throws {
        XCTAssertEqual(try RatingFileReader.parse(text: "a\tb\t1\t253402300799\nc\td\t2\t-62135596800\n", file: "t.tsv").count, 2)
        let error = parseError("a\tb\t1\t0\na\tc\t2\t881250949000000\n")
        XCTAssertEqual(error?.line, 2)
        XCTAssertTrue(error?.message.contains("years 1 to 9999") ?? false, "\(String(describing: error))")
    }

    /// A device is not a ratings file: said so, not "permission denied" or a read that never ends.
    func testADeviceIsRefusedAsNotARegularFile() {
        XCTAssertThrowsError(try RatingFileReader.read(path: "/dev/zero")) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
    }

    func testNumberParsingIsExact() throws {
        let texts = ["3.5", "4", "-1e2", "0.1", "2.75", "+3", ".5", "1.2345678", "123456789", "3.000000001", "1E-3"]
        let text = texts.enumerated().map { "u\t\($0.offset)\t\($0.element)" }.joined(separator: "\n")
        let r = try RatingFileReader.parse(text: text, file: "numbers.tsv", rules: RatingRules(ratingRange: -1e9...1e9))
        XCTAssertEqual(r.values.count, texts.count)
        for (k, t) in texts.enumerated() {
            XCTAssertEqual(r.values[k], Float(t)!, "rating \(t)")
        }
        XCTAssertEqual(r.values[0], 3.5)
        XCTAssertEqual(r.values[2], -100)
    }

    func testExplicitFormatAndBOM() throws {
        let r = try RatingFileReader.parse(text: "\u{FEFF}a,x,1,5\n", file: "bom.csv", format: .csv)
        XCTAssertEqual(ids(r.users), ["a"])
        XCTAssertEqual(r.timestamps, [5])
        // An explicit TSV format keeps commas inside ids.
        let t = try RatingFileReader.parse(text: "a,b\tx\t2\n", file: "t.tsv", format: .tsv)
        XCTAssertEqual(ids(t.users), ["a,b"])
    }

    func testReadMatchesParse() throws {
        let text = "user\titem\trating\ttimestamp\n7\t3\t2\t10\n8\t3\t5\t11\n"
        let path = try writeTemp(text, ext: "tsv")
        let a = try RatingFileReader.read(path: path)
        let b = try RatingFileReader.parse(text: text, file: path)
        XCTAssertEqual(a.users, b.users)
        XCTAssertEqual(a.items, b.items)
        XCTAssertEqual(a.values, b.values)
        XCTAssertEqual(a.timestamps, b.timestamps)
    }

    // MARK: - Bad files

    func testWrongColumnCountOnLine3() throws {
        let path = try writeTemp("1\t10\t5\t874965758\n1\t20\t3\t876893171\n2\t10\n", ext: "tsv")
        do {
            _ = try RatingFileReader.read(path: path)
            XCTFail("expected an error")
        } catch let error as RatingFileError {
            XCTAssertEqual(error.file, path)
            XCTAssertEqual(error.line, 3)
            XCTAssertEqual(error.message,
                           "expected 4 columns (user, item, rating, timestamp) like the first line, found 2")
            XCTAssertEqual(error.description, "\(path):3: \(error.message)")
        }
    }

    func testWrongColumnCountOnFirstLine() throws {
        let error = parseError("a\tx\n")
        XCTAssertEqual(error?.line, 1)
        XCTAssertTrue(error?.message.contains("expected 3 or 4 columns") ?? false, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("found 2") ?? false, error?.message ?? "")
        let five = parseError("a,x,1,2,3\n")
        XCTAssertTrue(five?.message.contains("found 5") ?? false, five?.message ?? "")
    }

    func testNonNumericRating() throws {
        let error = parseError("a,x,1\nb,y,abc\n", file: "bad.csv")
        XCTAssertEqual(error?.file, "bad.csv")
        XCTAssertEqual(error?.line, 2)
        XCTAssertTrue(error?.message.contains("\"abc\"") ?? false, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("not a finite number") ?? false, error?.message ?? "")
        // A non-numeric rating on line 1 that is not named like a rating column is an error, not a header.
        let first = parseError("a,x,abc\nb,y,3\n")
        XCTAssertEqual(first?.line, 1)
        XCTAssertTrue(first?.message.contains("header") ?? false, first?.message ?? "")
        // Empty rating.
        let empty = parseError("a,x,1\nb,y,\n")
        XCTAssertEqual(empty?.line, 2)
        XCTAssertTrue(empty?.message.contains("\"\"") ?? false, empty?.message ?? "")
    }

    func testNaNRating() throws {
        for text in ["nan", "NaN", "-nan"] {
            let error = parseError("a\tx\t\(text)\n")
            XCTAssertEqual(error?.line, 1, text)
            XCTAssertTrue(error?.message.contains("\"\(text)\"") ?? false, error?.message ?? "")
        }
    }

    func testInfRating() throws {
        for text in ["inf", "-inf", "Infinity", "1e39"] {
            let error = parseError("a\tx\t1\nb\ty\t\(text)\n")
            XCTAssertEqual(error?.line, 2, text)
            XCTAssertTrue(error?.message.contains("not a finite number") ?? false, error?.message ?? "")
        }
    }

    func testEmptyFile() throws {
        let path = try writeTemp("")
        do {
            _ = try RatingFileReader.read(path: path)
            XCTFail("expected an error")
        } catch let error as RatingFileError {
            XCTAssertEqual(error.file, path)
            XCTAssertNil(error.line)
            XCTAssertTrue(error.message.contains("empty"), error.message)
            XCTAssertEqual(error.description, "\(path): \(error.message)")
        }
        XCTAssertNil(parseError("\n  \n\r\n")?.line)
        let headerOnly = parseError("user,item,rating\n")
        XCTAssertTrue(headerOnly?.message.contains("only a header") ?? false, headerOnly?.message ?? "")
    }

    func testMissingFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("autorec-missing-\(UUID().uuidString).tsv").path
        do {
            _ = try RatingFileReader.read(path: path)
            XCTFail("expected an error")
        } catch let error as RatingFileError {
            XCTAssertEqual(error.file, path)
            XCTAssertNil(error.line)
            XCTAssertTrue(error.message.contains("not found"), error.message)
        }
        // A directory is not a ratings file either.
        XCTAssertThrowsError(try RatingFileReader.read(path: FileManager.default.temporaryDirectory.path))
    }

    func testBadTimestamp() throws {
        for text in ["874965758.0", "abc", "", "12x"] {
            let error = parseError("a\tx\t1\t5\nb\ty\t2\t\(text)\n")
            XCTAssertEqual(error?.line, 2, text)
            XCTAssertTrue(error?.message.contains("timestamp \"\(text)\"") ?? false, error?.message ?? "")
            XCTAssertTrue(error?.message.contains("not an integer") ?? false, error?.message ?? "")
        }
        let huge = parseError("a\tx\t1\t99999999999999999999\n")
        XCTAssertTrue(huge?.message.contains("out of") ?? false, huge?.message ?? "")
    }

    func testEmptyID() throws {
        let user = parseError("a,x,1\n ,y,2\n")
        XCTAssertEqual(user?.line, 2)
        XCTAssertTrue(user?.message.contains("empty user id") ?? false, user?.message ?? "")
        let item = parseError("a::::1\n")
        XCTAssertEqual(item?.line, 1)
        XCTAssertTrue(item?.message.contains("empty item id") ?? false, item?.message ?? "")
    }

    func testFormatMismatch() throws {
        // A tab-separated file read as CSV.
        let error = parseError("1\t10\t5\t874965758\n", file: "r.tsv", format: .csv)
        XCTAssertEqual(error?.line, 1)
        XCTAssertTrue(error?.message.contains("found 1") ?? false, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("format 'tsv'") ?? false, error?.message ?? "")
        // A MovieLens file read as TSV.
        let ml = parseError("1::1193::5::978300760\n", format: .tsv)
        XCTAssertTrue(ml?.message.contains("format 'movielens'") ?? false, ml?.message ?? "")
        // The separator may not change within an auto-detected file.
        let mixed = parseError("a,x,1\nb\ty\t2\n")
        XCTAssertEqual(mixed?.line, 2)
    }

    func testUndetectableFormat() throws {
        let error = parseError("\nalice bob 5\n")
        XCTAssertEqual(error?.line, 2)
        XCTAssertTrue(error?.message.contains("cannot tell the format") ?? false, error?.message ?? "")
    }

    func testOnlyFirstLineMayBeHeader() throws {
        let error = parseError("user,item,rating\nuser,item,rating\n")
        XCTAssertEqual(error?.line, 2)
    }

    func testFormatRawValues() {
        XCTAssertEqual(RatingFileFormat.allCases.map(\.rawValue), ["auto", "tsv", "csv", "movielens"])
        XCTAssertEqual(RatingFileFormat(rawValue: "movielens"), .movielens)
    }

    // MARK: - Bundled data

    func testBundledML100K() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // AutoRecTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
        let path = root.appendingPathComponent("data/ml-100k/ratings.tsv").path
        let start = Date()
        let r = try RatingFileReader.read(path: path)
        let seconds = Date().timeIntervalSince(start)
        print("read \(r.count) ratings from ml-100k in \(String(format: "%.3f", seconds)) s")
        XCTAssertEqual(r.count, 100_000)
        XCTAssertEqual(r.users.count, 943)
        XCTAssertEqual(r.items.count, 1682)
        XCTAssertEqual(Double(r.mean), 3.5299, accuracy: 0.001)
        XCTAssertEqual(r.range, 1...5)
        XCTAssertTrue(r.timestamps.allSatisfy { $0 > 800_000_000 })
    }

    // MARK: - Ids that cannot be stored

    /// Parses raw bytes (which may not be UTF-8) and returns the error.
    private func bytesError(_ bytes: [UInt8]) -> String {
        do {
            let r = try RatingFileReader.parse(data: Data(bytes), file: "bytes.tsv")
            return "parsed \(r.count) ratings"
        } catch {
            return "\(error)"
        }
    }

    func testIdsThatAreNotUTF8OrHoldNULOrAreTooLongAreRefusedWithTheirLine() {
        let good = Array("u1\ti1\t4\n".utf8)
        XCTAssertEqual(bytesError(good + Array("u\u{e9}\ti2\t3\n".utf8)), "parsed 2 ratings", "UTF-8 beyond ASCII is fine")
        XCTAssertEqual(bytesError(good + [0x75, 0xFF] + Array("\ti2\t3\n".utf8)),
                       "bytes.tsv:2: user id in column 1 is not valid UTF-8 text")
        XCTAssertEqual(bytesError(good + Array("u2\ti".utf8) + [0xFE] + Array("\t3\n".utf8)),
                       "bytes.tsv:2: item id in column 2 is not valid UTF-8 text")
        XCTAssertEqual(bytesError(good + Array("u2\ti".utf8) + [0] + Array("x\t3\n".utf8)),
                       "bytes.tsv:2: item id in column 2 contains a NUL byte")
        XCTAssertEqual(bytesError(good + Array((String(repeating: "x", count: 1001) + "\ti1\t3\n").utf8)),
                       "bytes.tsv:2: user id in column 1 is 1001 bytes long; ids are at most 1000 bytes")
    }

    func testManyDistinctIdsKeepTheirOrderOfFirstAppearance() throws {
        var text = ""
        for k in 0..<5000 { text += "user\(k % 1777)\titem\((k * 7919) % 3001)\t\(k % 5 + 1)\n" }
        let r = try RatingFileReader.parse(text: text, file: "many.tsv")
        var users: [String] = [], items: [String] = [], seenUsers = Set<String>(), seenItems = Set<String>()
        for k in 0..<5000 {
            let u = "user\(k % 1777)", i = "item\((k * 7919) % 3001)"
            if seenUsers.insert(u).inserted { users.append(u) }
            if seenItems.insert(i).inserted { items.append(i) }
            XCTAssertEqual(r.users.id(at: Int(r.userIndex[k])), u)
            XCTAssertEqual(r.items.id(at: Int(r.itemIndex[k])), i)
        }
        XCTAssertEqual(ids(r.users), users)
        XCTAssertEqual(ids(r.items), items)
    }
}
