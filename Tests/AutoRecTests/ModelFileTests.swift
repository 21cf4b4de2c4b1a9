import Foundation
import XCTest

@testable import AutoRec
@testable import AutoRecCore
@testable import AutoRecModels

final class ModelFileTests: XCTestCase {
    // MARK: - Helpers

    /// Deterministic pseudo-random floats (no NaN/inf), so failures reproduce.
    private func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let bits = UInt32(truncatingIfNeeded: state >> 32)
            return (Float(bits) / Float(UInt32.max) - 0.5) * 200
        }
    }

    private func sampleModel() -> ModelFile {
        ModelFile(
            header: [
                "model": "I-AutoRec",
                "hidden": 500,
                "lambda": 0.01,
                "learningRate": 1e-3,
                "users": ["u1", "u2", "ü3"],
                "normalize": true,
                "nested": ["a": 1, "b": [1, 2, 3]],
            ],
            arrays: [
                ("W1", randomFloats(37, seed: 1)),
                ("empty", []),
                ("bïas-ユニコード 🎬", randomFloats(5, seed: 2)),
                ("b2", [0, -0.0, 1, -1, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -.infinity, .infinity]),
            ])
    }

    /// Runs `body`, requiring a ModelFileError of `kind` whose message contains `text`.
    private func assertRefused(
        _ kind: ModelFileError.Kind, _ text: String, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("expected a \(kind) error, but it succeeded", file: file, line: line)
        } catch let error as ModelFileError {
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            XCTAssertTrue(error.message.contains(text), "message '\(error.message)' lacks '\(text)'", file: file, line: line)
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }

    private func littleEndianBytes<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) }
    }

    private func appendUInt32(_ v: UInt32, to data: inout Data) {
        data.append(contentsOf: littleEndianBytes(v))
    }

    private func appendUInt64(_ v: UInt64, to data: inout Data) {
        data.append(contentsOf: littleEndianBytes(v))
    }

    /// Replaces the stored CRC (bytes n-12..<n-8) with the checksum of everything before it.
    private func fixChecksum(_ data: inout Data) {
        let crcOffset = data.count - 12
        let crc = CRC32.checksum(data.prefix(crcOffset))
        data.replaceSubrange(crcOffset..<(crcOffset + 4), with: littleEndianBytes(crc))
    }

    private func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "/modelfile-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    // MARK: - CRC-32

    func testCRC32KnownAnswers() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum(Data()), 0)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
    }

    func testCRC32MatchesBytewiseReferenceAndIncrementalUpdates() {
        var table = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
            return ~crc
        }
        let bytes = randomFloats(300, seed: 9).map { UInt8(truncatingIfNeeded: Int(abs($0) * 1000)) }
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 299] {
            for start in [0, 1, 3] where start + length <= bytes.count {
                let slice = bytes[start..<(start + length)]
                XCTAssertEqual(CRC32.checksum(slice), reference(slice), "start \(start) length \(length)")
            }
        }
        var crc = CRC32()
        for chunk in stride(from: 0, to: bytes.count, by: 13) {
            bytes[chunk..<min(chunk + 13, bytes.count)].withUnsafeBytes { crc.update($0) }
        }
        XCTAssertEqual(crc.value, reference(bytes[...]))
    }

    // MARK: - Round trip

    func testRoundTripPreservesHeaderAndArraysExactly() throws {
        let model = sampleModel()
        let data = try model.encoded()
        let decoded = try ModelFile.decode(data, source: "memory")

        XCTAssertEqual(decoded.arrays.count, model.arrays.count)
        for (a, b) in zip(model.arrays, decoded.arrays) {
            XCTAssertEqual(a.name, b.name)
            XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), a.name)
        }
        XCTAssertEqual(try decoded.array("bïas-ユニコード 🎬"), model.arrays[2].values)
        XCTAssertEqual(try decoded.array("empty"), [])

        XCTAssertEqual(Set(decoded.header.keys), Set(model.header.keys))
        XCTAssertEqual(try decoded.string("model"), "I-AutoRec")
        XCTAssertEqual(try decoded.int("hidden"), 500)
        XCTAssertEqual(try decoded.double("lambda"), 0.01)
        XCTAssertEqual(try decoded.double("learningRate"), 1e-3)
        XCTAssertEqual(try decoded.strings("users"), ["u1", "u2", "ü3"])
        XCTAssertEqual(try decoded.bool("normalize"), true)
        let nested = try XCTUnwrap(decoded.header["nested"] as? [String: Any])
        XCTAssertEqual(nested["a"] as? Int, 1)
        XCTAssertEqual(nested["b"] as? [Int], [1, 2, 3])

        // Encoding is deterministic (sorted keys), so re-encoding gives identical bytes.
        XCTAssertEqual(try decoded.encoded(), data)
    }

    func testLayoutMatchesTheDocumentedFormat() throws {
        let model = ModelFile(header: ["k": 1], arrays: [("ab", [1.5])])
        let data = [UInt8](try model.encoded())
        var expected: [UInt8] = Array("AUTOREC\0".utf8)
        expected += [1, 0, 0, 0]  // version
        expected += [7, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"k":1}"#.utf8)
        expected += [1, 0, 0, 0]  // array count
        expected += [2, 0, 0, 0] + Array("ab".utf8) + [1, 0, 0, 0, 0, 0, 0, 0]
        expected += [0x00, 0x00, 0xC0, 0x3F]  // 1.5 as little-endian Float32
        let crc = CRC32.checksum(expected)
        expected += [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)]
        expected += Array("AUTOREND".utf8)
        XCTAssertEqual(data, expected)
    }

    func testEmptyModelRoundTrips() throws {
        let decoded = try ModelFile.decode(try ModelFile(header: [:], arrays: []).encoded(), source: "m")
        XCTAssertTrue(decoded.header.isEmpty)
        XCTAssertTrue(decoded.arrays.isEmpty)
    }

    func testDecodeAcceptsADataSliceWithNonZeroStartIndex() throws {
        let data = try sampleModel().encoded()
        let padded = Data([1, 2, 3]) + data
        let decoded = try ModelFile.decode(padded[3...], source: "slice")
        XCTAssertEqual(try decoded.array("W1"), sampleModel().arrays[0].values)
    }

    func testEncodeRefusesUnencodableHeaderAndDuplicateNames() {
        assertRefused(.unencodable, "JSON") {
            _ = try ModelFile(header: ["x": Double.nan], arrays: []).encoded()
        }
        assertRefused(.unencodable, "JSON") {
            _ = try ModelFile(header: ["x": Date()], arrays: []).encoded()
        }
        assertRefused(.unencodable, "'a'") {
            _ = try ModelFile(header: [:], arrays: [("a", [1]), ("a", [2])]).encoded()
        }
    }

    // MARK: - Refusals

    func testTruncationAtEveryOffsetIsRefused() throws {
        let data = try ModelFile(
            header: ["hidden": 3, "name": "tiny"],
            arrays: [("W", [1, 2, 3]), ("", []), ("b", [4])]
        ).encoded()
        for cut in 0..<data.count {
            do {
                _ = try ModelFile.decode(data.prefix(cut), source: "cut.autorec")
                XCTFail("a file cut to \(cut) of \(data.count) bytes was accepted")
            } catch let error as ModelFileError {
                XCTAssertTrue(error.message.contains("cut.autorec"), error.message)
                if cut == 0 {
                    XCTAssertEqual(error.kind, .notAModelFile, error.message)
                } else {
                    XCTAssertEqual(error.kind, .truncated, "cut at \(cut): \(error.message)")
                    XCTAssertTrue(error.message.contains("is truncated (expected "), error.message)
                }
            }
        }
    }

    func testTruncationOfALargeModelIsRefused() throws {
        let data = try sampleModel().encoded()
        for cut in stride(from: 1, to: data.count, by: 7) {
            assertRefused(.truncated, "is truncated") { _ = try ModelFile.decode(data.prefix(cut), source: "m") }
        }
    }

    func testFlippedPayloadByteIsAChecksumMismatch() throws {
        var data = try sampleModel().encoded()
        let w1 = try sampleModel().array("W1")
        // The first float of W1 follows the header, the array count, the name and the element count.
        let payload = [UInt8](data)
        let marker = Array("W1".utf8)
        let nameAt = try XCTUnwrap((0..<payload.count - 1).first { Array(payload[$0..<$0 + 2]) == marker })
        let firstFloat = nameAt + 2 + 8
        XCTAssertEqual(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: firstFloat, as: Float.self) }, w1[0])
        data[firstFloat + 10] ^= 0x10
        assertRefused(.checksumMismatch, "checksum mismatch: the file is damaged (stored 0x") {
            _ = try ModelFile.decode(data, source: "flipped.autorec")
        }
        assertRefused(.checksumMismatch, "flipped.autorec") {
            _ = try ModelFile.decode(data, source: "flipped.autorec")
        }
    }

    func testDamageAnywhereIsNeverAccepted() throws {
        let original = try ModelFile(header: ["a": 1], arrays: [("W", [1, 2]), ("b", [3])]).encoded()
        for offset in 0..<original.count {
            for bit in [0x01, 0x80] as [UInt8] {
                var data = original
                data[offset] ^= bit
                XCTAssertThrowsError(try ModelFile.decode(data, source: "d"), "flip at \(offset)")
            }
        }
    }

    func testDamagedLengthFieldIsReportedAsDamageNotTruncation() throws {
        var data = try ModelFile(header: ["a": 1], arrays: [("W", [1, 2, 3, 4])]).encoded()
        // The element count of W sits 8 bytes before its four floats and the 12-byte trailer.
        let countOffset = data.count - 12 - 16 - 8
        data[countOffset + 5] = 0x7F  // an enormous count
        assertRefused(.checksumMismatch, "checksum mismatch") { _ = try ModelFile.decode(data, source: "d") }
    }

    func testBadMagicIsRefused() throws {
        var data = try sampleModel().encoded()
        data[0] = UInt8(ascii: "X")
        assertRefused(.notAModelFile, "bad.csv is not an autorec model file") {
            _ = try ModelFile.decode(data, source: "bad.csv")
        }
        assertRefused(.notAModelFile, "is not an autorec model file") {
            _ = try ModelFile.decode(Data("user,item,rating\n1,2,3\n".utf8), source: "ratings.csv")
        }
        assertRefused(.notAModelFile, "is not an autorec model file") {
            _ = try ModelFile.decode(Data("AUX".utf8), source: "x")
        }
        assertRefused(.notAModelFile, "is not an autorec model file") {
            _ = try ModelFile.decode(Data(), source: "x")
        }
    }

    func testNewerFormatVersionIsRefused() throws {
        var data = try sampleModel().encoded()
        data.replaceSubrange(8..<12, with: [7, 0, 0, 0])
        fixChecksum(&data)
        assertRefused(.unsupportedVersion, "format version 7 is newer than this autorec supports (1); upgrade autorec") {
            _ = try ModelFile.decode(data, source: "new.autorec")
        }
        assertRefused(.unsupportedVersion, "new.autorec") { _ = try ModelFile.decode(data, source: "new.autorec") }

        // Version zero never existed.
        data.replaceSubrange(8..<12, with: [0, 0, 0, 0])
        fixChecksum(&data)
        assertRefused(.malformed, "format version 0") { _ = try ModelFile.decode(data, source: "v0") }
    }

    func testTrailingGarbageIsRefused() throws {
        let clean = try sampleModel().encoded()
        assertRefused(.trailingGarbage, "trailing garbage: 3 bytes") {
            _ = try ModelFile.decode(clean + Data([0, 1, 2]), source: "g")
        }
        // Two models back to back: the first is intact, the rest is garbage.
        assertRefused(.trailingGarbage, "trailing garbage") { _ = try ModelFile.decode(clean + clean, source: "g") }
    }

    func testMissingTrailerIsRefused() throws {
        var data = try sampleModel().encoded()
        data.replaceSubrange((data.count - 8)..<data.count, with: Array("AUTORXXX".utf8))
        assertRefused(.missingTrailer, "missing trailer") { _ = try ModelFile.decode(data, source: "t") }
    }

    func testHeaderThatIsNotAJSONObjectIsRefused() throws {
        func file(header: [UInt8]) -> Data {
            var data = Data("AUTOREC\0".utf8)
            appendUInt32(1, to: &data)
            appendUInt64(UInt64(header.count), to: &data)
            data.append(contentsOf: header)
            appendUInt32(0, to: &data)
            appendUInt32(0, to: &data)  // checksum placeholder
            data.append(contentsOf: Array("AUTOREND".utf8))
            fixChecksum(&data)
            return data
        }
        XCTAssertNoThrow(try ModelFile.decode(file(header: Array("{}".utf8)), source: "ok"))
        assertRefused(.malformed, "header is not a JSON object") {
            _ = try ModelFile.decode(file(header: Array("[1,2]".utf8)), source: "h")
        }
        assertRefused(.malformed, "header is not a JSON object") {
            _ = try ModelFile.decode(file(header: Array("{not json".utf8)), source: "h")
        }
        assertRefused(.malformed, "header is not a JSON object") {
            _ = try ModelFile.decode(file(header: [0xFF, 0xFE]), source: "h")
        }
    }

    func testHugeLengthFieldsAreRefusedWithoutCrashing() throws {
        // Header length of 2^64-1.
        var data = Data("AUTOREC\0".utf8)
        appendUInt32(1, to: &data)
        appendUInt64(UInt64.max, to: &data)
        data.append(contentsOf: [0, 0, 0, 0])
        assertRefused(.truncated, "is truncated (expected 18446744073709551615 more bytes for the header") {
            _ = try ModelFile.decode(data, source: "h")
        }

        // A billion arrays, and a float count whose byte size overflows.
        for count in [UInt64.max, UInt64.max / 4, UInt64(Int.max)] {
            var data = Data("AUTOREC\0".utf8)
            appendUInt32(1, to: &data)
            appendUInt64(2, to: &data)
            data.append(contentsOf: Array("{}".utf8))
            appendUInt32(1_000_000_000, to: &data)
            appendUInt32(1, to: &data)
            data.append(UInt8(ascii: "W"))
            appendUInt64(count, to: &data)
            data.append(contentsOf: [0, 0, 0, 0])
            assertRefused(.truncated, "is truncated (expected ") { _ = try ModelFile.decode(data, source: "h") }
        }

        // A name length of 4 GiB.
        var named = Data("AUTOREC\0".utf8)
        appendUInt32(1, to: &named)
        appendUInt64(2, to: &named)
        named.append(contentsOf: Array("{}".utf8))
        appendUInt32(1, to: &named)
        appendUInt32(UInt32.max, to: &named)
        assertRefused(.truncated, "the name of array #1") { _ = try ModelFile.decode(named, source: "h") }
    }

    func testRandomBytesNeverCrash() {
        var state: UInt64 = 42
        func next() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for length in 0..<200 {
            var bytes = Array("AUTOREC\0".utf8) + [1, 0, 0, 0]
            bytes += (0..<length).map { _ in next() }
            XCTAssertThrowsError(try ModelFile.decode(Data(bytes), source: "r"))
        }
    }

    // MARK: - Lookups

    func testMissingArrayLookupThrows() throws {
        let model = try ModelFile.decode(try sampleModel().encoded(), source: "model.autorec")
        assertRefused(.missingArray, "model.autorec: no array named 'W9'") { _ = try model.array("W9") }
        assertRefused(.missingArray, "W1") { _ = try model.array("W9") }
    }

    func testTypedHeaderAccessors() throws {
        let model = ModelFile(
            header: [
                "name": "x", "hidden": 500, "wholeDouble": 5.0, "fraction": 0.25, "flag": true,
                "list": ["a", "b"], "mixed": ["a", 1], "int32": Int32(7), "float": Float(0.5),
                "huge": 1e300, "empty": [String](),
            ],
            arrays: [])
        let decoded = try ModelFile.decode(try model.encoded(), source: "acc.autorec")
        for m in [model, decoded] {
            XCTAssertEqual(try m.string("name"), "x")
            XCTAssertEqual(try m.int("hidden"), 500)
            XCTAssertEqual(try m.int("wholeDouble"), 5)
            XCTAssertEqual(try m.int("int32"), 7)
            XCTAssertEqual(try m.double("hidden"), 500)
            XCTAssertEqual(try m.double("fraction"), 0.25)
            XCTAssertEqual(try m.double("float"), 0.5)
            XCTAssertEqual(try m.double("huge"), 1e300)
            XCTAssertEqual(try m.bool("flag"), true)
            XCTAssertEqual(try m.strings("list"), ["a", "b"])
            XCTAssertEqual(try m.strings("empty"), [])

            assertRefused(.headerValue, "header key 'missing' is missing or not an integer") { _ = try m.int("missing") }
            assertRefused(.headerValue, "header key 'fraction' is missing or not an integer") { _ = try m.int("fraction") }
            assertRefused(.headerValue, "header key 'huge' is missing or not an integer") { _ = try m.int("huge") }
            assertRefused(.headerValue, "header key 'flag' is missing or not an integer") { _ = try m.int("flag") }
            assertRefused(.headerValue, "header key 'name' is missing or not an integer") { _ = try m.int("name") }
            assertRefused(.headerValue, "header key 'name' is missing or not a number") { _ = try m.double("name") }
            assertRefused(.headerValue, "header key 'flag' is missing or not a number") { _ = try m.double("flag") }
            assertRefused(.headerValue, "header key 'hidden' is missing or not a string") { _ = try m.string("hidden") }
            assertRefused(.headerValue, "header key 'mixed' is missing or not an array of strings") {
                _ = try m.strings("mixed")
            }
            assertRefused(.headerValue, "header key 'name' is missing or not an array of strings") {
                _ = try m.strings("name")
            }
            assertRefused(.headerValue, "header key 'hidden' is missing or not a boolean") { _ = try m.bool("hidden") }
        }
        assertRefused(.headerValue, "acc.autorec: header key 'nope'") { _ = try decoded.string("nope") }
    }

    // MARK: - Files

    func testWriteAndReadThroughATemporaryFile() throws {
        let folder = try temporaryFolder()
        let path = folder + "/model.autorec"
        let model = sampleModel()
        try model.write(to: path)
        let loaded = try ModelFile.read(from: path)
        XCTAssertEqual(loaded.source, path)
        XCTAssertEqual(try loaded.array("W1"), model.arrays[0].values)
        XCTAssertEqual(try loaded.int("hidden"), 500)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try model.encoded())

        // Overwriting replaces the file and leaves no temporary files behind.
        let smaller = ModelFile(header: ["v": 2], arrays: [("W1", [9])])
        try smaller.write(to: path)
        XCTAssertEqual(try ModelFile.read(from: path).array("W1"), [9])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["model.autorec"])
    }

    func testReadAndWriteErrorsNameThePath() throws {
        let folder = try temporaryFolder()
        assertRefused(.io, folder + "/absent.autorec does not exist") {
            _ = try ModelFile.read(from: folder + "/absent.autorec")
        }
        assertRefused(.io, folder) { _ = try ModelFile.read(from: folder) }
        assertRefused(.io, "cannot be written") {
            try ModelFile(header: [:], arrays: []).write(to: folder + "/no/such/dir/m.autorec")
        }
        let junk = folder + "/junk.autorec"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: junk))
        assertRefused(.notAModelFile, junk + " is not an autorec model file") { _ = try ModelFile.read(from: junk) }
    }

    // MARK: - Speed

    func testEncodeDecodeOfAFullSizeModelIsFast() throws {
        let model = ModelFile(
            header: ["hidden": 500],
            arrays: [
                ("W1", randomFloats(943 * 500, seed: 1)), ("V1", randomFloats(943 * 500, seed: 2)),
                ("W2", randomFloats(1682 * 500, seed: 3)), ("V2", randomFloats(1682 * 500, seed: 4)),
            ])
        let start = Date()
        let data = try model.encoded()
        let decoded = try ModelFile.decode(data, source: "big")
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(try decoded.array("V2"), model.arrays[3].values)
        // Generous so that debug builds pass; a release build takes a few milliseconds.
        XCTAssertLessThan(elapsed, 2.0)
        print("ModelFile: encode+decode of \(data.count) bytes took \(Int(elapsed * 1000)) ms")
    }
}

final class JSONValueTests: XCTestCase {
    func testNonFiniteNumbersBecomeNull() throws {
        let text = try JSONValue.encode(["rmse": Double.nan, "list": [1.5, Double.infinity], "f": Float.nan, "ok": 2] as [String: Any])
        XCTAssertEqual(text, #"{"f":null,"list":[1.5,null],"ok":2,"rmse":null}"#)
    }

    /// Booleans read back from JSON (a model file's configuration shown by `train --json`) stay
    /// booleans; numbers stay numbers.
    func testParsedBooleansStayBooleans() throws {
        let parsed = try JSONSerialization.jsonObject(with: Data(#"{"refit":true,"off":false,"one":1,"half":0.5}"#.utf8))
        XCTAssertEqual(try JSONValue.encode(parsed), #"{"half":0.5,"off":false,"one":1,"refit":true}"#)
        XCTAssertEqual(try JSONValue.encode(["swift": true, "n": 3] as [String: Any]), #"{"n":3,"swift":true}"#)
    }
}
