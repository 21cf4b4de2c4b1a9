import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A trained model on disk: a JSON header (hyperparameters, id maps, metadata) plus named Float
/// arrays (weights), in one self-describing container that is verified when loaded.
///
/// Layout, all little-endian:
///
///     "AUTOREC\0"                      8 bytes of magic
///     format version                   UInt32 (currently 1)
///     header length, header            UInt64, then UTF-8 JSON object (sorted keys)
///     array count                      UInt32
///     per array:                       name length UInt32, name UTF-8, element count UInt64,
///                                      then that many Float32 values
///     CRC-32 of every byte above       UInt32
///     "AUTOREND"                       8 bytes
///
/// Decoding checks every length before using it, so damaged or hostile bytes produce a
/// `ModelFileError` naming the file, never a crash.
public struct ModelFile {
    /// The newest format version this build reads and the one it writes.
    public static let formatVersion: UInt32 = 1

    /// Metadata and hyperparameters; values must be JSON-compatible (strings, finite numbers,
    /// booleans, `NSNull`, arrays and dictionaries of those). After decoding, numbers are `NSNumber`.
    public var header: [String: Any]

    /// The named arrays, in file order.
    public var arrays: [(name: String, values: [Float])]

    /// Where this model came from (a path, or the `source` given to `decode`); errors name it.
    public var source: String

    /// A model in memory, ready to encode or write.
    public init(header: [String: Any], arrays: [(name: String, values: [Float])]) {
        self.header = header
        self.arrays = arrays
        self.source = "in-memory model"
    }

    // MARK: - Arrays and header values

    /// The values of the array called `name`; throws a `.missingArray` error when there is none,
    /// so loaders report "no array named ..." instead of crashing on a stale or foreign file.
    public func array(_ name: String) throws -> [Float] {
        if let found = arrays.first(where: { $0.name == name }) { return found.values }
        let have = arrays.isEmpty ? "it has no arrays" : "it has: " + arrays.map(\.name).joined(separator: ", ")
        throw ModelFileError(path: source, message: "\(source): no array named '\(name)' (\(have))", kind: .missingArray)
    }

    /// The header string at `key`; throws when it is absent or not a string.
    public func string(_ key: String) throws -> String {
        guard let value = header[key] as? String else { throw headerError(key, "a string") }
        return value
    }

    /// The header integer at `key`. Accepts any integral number (JSON gives `NSNumber`; `5.0` is
    /// accepted as 5) and throws when it is absent, fractional, out of range, a boolean or not a number.
    public func int(_ key: String) throws -> Int {
        guard let value = header[key], let result = ModelFile.integer(from: value) else {
            throw headerError(key, "an integer")
        }
        return result
    }

    /// The header number at `key` as a Double (integers are accepted); throws when it is absent,
    /// a boolean or not a number.
    public func double(_ key: String) throws -> Double {
        guard let value = header[key], let result = ModelFile.real(from: value) else {
            throw headerError(key, "a number")
        }
        return result
    }

    /// The header boolean at `key`; throws when it is absent or not a boolean.
    public func bool(_ key: String) throws -> Bool {
        guard let value = header[key], let result = ModelFile.boolean(from: value) else {
            throw headerError(key, "a boolean")
        }
        return result
    }

    /// The header array of strings at `key`; throws when it is absent or holds anything but strings.
    public func strings(_ key: String) throws -> [String] {
        guard let value = header[key] as? [Any] else { throw headerError(key, "an array of strings") }
        var result: [String] = []
        result.reserveCapacity(value.count)
        for element in value {
            guard let s = element as? String else { throw headerError(key, "an array of strings") }
            result.append(s)
        }
        return result
    }

    private func headerError(_ key: String, _ expected: String) -> ModelFileError {
        ModelFileError(
            path: source, message: "\(source): header key '\(key)' is missing or not \(expected)",
            kind: .headerValue)
    }

    /// The class JSONSerialization and bridging use for booleans, which are otherwise NSNumbers too.
    private static let booleanClass: AnyClass = type(of: NSNumber(value: true))

    private static func number(from value: Any) -> NSNumber? {
        if type(of: value) == Bool.self { return nil }
        guard let n = value as? NSNumber else { return nil }
        if type(of: n) == booleanClass { return nil }
        return n
    }

    package static func integer(from value: Any) -> Int? {
        guard let n = number(from: value) else { return nil }
        switch n.objCType.pointee {
        case CChar(UInt8(ascii: "f")), CChar(UInt8(ascii: "d")):
            let d = n.doubleValue
            guard d.isFinite, d.rounded(.towardZero) == d else { return nil }
            return Int(exactly: d)
        case CChar(UInt8(ascii: "Q")), CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: "I")),
             CChar(UInt8(ascii: "S")), CChar(UInt8(ascii: "C")):
            return Int(exactly: n.uint64Value)
        default:
            return Int(exactly: n.int64Value)
        }
    }

    package static func real(from value: Any) -> Double? {
        number(from: value)?.doubleValue
    }

    package static func boolean(from value: Any) -> Bool? {
        if let b = value as? Bool, type(of: value) == Bool.self { return b }
        guard let n = value as? NSNumber, type(of: n) == booleanClass else { return nil }
        return n.boolValue
    }

    // MARK: - Encoding

    static let magic: [UInt8] = Array("AUTOREC\0".utf8)
    static let endMagic: [UInt8] = Array("AUTOREND".utf8)

    /// The model as file bytes (see the type's documentation for the layout).
    /// Throws when the header is not JSON-compatible or two arrays share a name.
    public func encoded() throws -> Data {
        try encoded(source: source)
    }

    func encoded(source: String) throws -> Data {
        let headerBytes = try validatedHeader(source: source)
        var data = Data()
        data.reserveCapacity(8 + 4 + 8 + headerBytes.count + 4
            + arrays.reduce(0) { $0 + 4 + $1.name.utf8.count + 8 + $1.values.count * MemoryLayout<Float>.size } + 4 + 8)
        try encode(headerBytes: headerBytes) { data.append(contentsOf: $0) }
        return data
    }

    /// The file's bytes handed to `sink` piece by piece, in order (the arrays' values straight from
    /// their storage), so that a large model is written or stored without a second copy in memory.
    public func encode(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try encode(source: source, into: sink)
    }

    func encode(source: String, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try encode(headerBytes: try validatedHeader(source: source), into: sink)
    }

    /// The header as JSON bytes, after checking that the header and the array names can be written.
    private func validatedHeader(source: String) throws -> Data {
        guard JSONSerialization.isValidJSONObject(header) else {
            throw ModelFileError(
                path: source,
                message: "\(source): the header cannot be written as JSON (values must be strings, finite "
                    + "numbers, booleans, null, and arrays or string-keyed dictionaries of those)",
                kind: .unencodable)
        }
        let headerBytes: Data
        do {
            headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        } catch {
            throw ModelFileError(
                path: source, message: "\(source): the header cannot be written as JSON (\(error))",
                kind: .unencodable)
        }
        guard arrays.count <= Int(UInt32.max) else {
            throw ModelFileError(path: source, message: "\(source): too many arrays (\(arrays.count))", kind: .unencodable)
        }
        var seen = Set<String>()
        for (name, _) in arrays {
            guard seen.insert(name).inserted else {
                throw ModelFileError(
                    path: source, message: "\(source): two arrays are named '\(name)'; names must be unique",
                    kind: .unencodable)
            }
            guard name.utf8.count <= Int(UInt32.max) else {
                throw ModelFileError(path: source, message: "\(source): an array name is too long", kind: .unencodable)
            }
        }
        return headerBytes
    }

    /// The pieces of the file around `headerBytes`, each through the checksum on its way out.
    private func encode(headerBytes: Data, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var crc = CRC32()
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            crc.update(bytes)
            try sink(bytes)
        }
        var prelude = LittleEndianBytes()
        prelude.bytes(ModelFile.magic)
        prelude.uint32(ModelFile.formatVersion)
        prelude.uint64(UInt64(headerBytes.count))
        try prelude.flush(emit)
        try headerBytes.withUnsafeBytes { try emit($0) }
        prelude.uint32(UInt32(arrays.count))
        try prelude.flush(emit)
        for (name, values) in arrays {
            let nameBytes = Array(name.utf8)
            prelude.uint32(UInt32(nameBytes.count))
            prelude.bytes(nameBytes)
            prelude.uint64(UInt64(values.count))
            try prelude.flush(emit)
            #if _endian(little)
            try values.withUnsafeBytes { try emit($0) }
            #else
            for v in values { prelude.uint32(v.bitPattern) }
            try prelude.flush(emit)
            #endif
        }
        prelude.uint32(crc.value)
        prelude.bytes(ModelFile.endMagic)
        try prelude.flush(sink)
    }

    /// A small buffer of little-endian fields between the large pieces of `encode`.
    private struct LittleEndianBytes {
        var buffer: [UInt8] = []
        mutating func bytes(_ b: [UInt8]) { buffer += b }
        mutating func uint32(_ v: UInt32) { for i in 0..<4 { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        mutating func uint64(_ v: UInt64) { for i in 0..<8 { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        mutating func flush(_ out: (UnsafeRawBufferPointer) throws -> Void) throws {
            try buffer.withUnsafeBytes { try out($0) }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    // MARK: - Decoding

    /// Parses and verifies file bytes; `source` (usually the path) names the file in errors.
    /// Refuses, with a `ModelFileError`, anything that is not a complete, undamaged model file of a
    /// supported version; it never traps, whatever the bytes.
    public static func decode(_ data: Data, source: String) throws -> ModelFile {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> ModelFile in
            try decode(raw, source: source)
        }
    }

    /// `decode` over the bytes: magic and version, the layout checked against the checksum, then the
    /// header and the arrays, each step refusing what it cannot accept.
    private static func decode(_ raw: UnsafeRawBufferPointer, source: String) throws -> ModelFile {
        var r = try readMagicAndVersion(raw, source: source)
        let layout = try verifiedLayout(raw, reader: &r, source: source)
        // Verified: now interpret the contents.
        let header = try parseHeader(raw, layout, source: source)
        let arrays = try readArrays(raw, layout, source: source)
        var model = ModelFile(header: header, arrays: arrays)
        model.source = source
        return model
    }

    /// Checks the magic bytes and the format version, and returns a reader placed after them.
    private static func readMagicAndVersion(_ raw: UnsafeRawBufferPointer, source: String) throws -> Reader {
        // Magic first: anything else is not ours, however long it is.
        let prefix = min(raw.count, magic.count)
        for i in 0..<prefix where raw[i] != magic[i] {
            throw ModelFileError(
                path: source,
                message: "\(source) is not an autorec model file (it does not begin with the AUTOREC magic bytes)",
                kind: .notAModelFile)
        }
        if raw.count == 0 {
            throw ModelFileError(
                path: source, message: "\(source) is not an autorec model file (it is empty)", kind: .notAModelFile)
        }

        var r = Reader(raw: raw, source: source)
        r.offset = prefix
        if prefix < magic.count {
            try r.need(UInt64(magic.count - prefix), "the magic bytes")
        }
        // Version before anything else: a newer format may lay out the rest differently.
        let version = try r.uint32("the format version")
        if version > formatVersion {
            throw ModelFileError(
                path: source,
                message: "\(source): format version \(version) is newer than this autorec supports "
                    + "(\(formatVersion)); upgrade autorec",
                kind: .unsupportedVersion)
        }
        if version == 0 {
            throw ModelFileError(
                path: source, message: "\(source): format version 0 is not valid; the file is damaged",
                kind: .malformed)
        }
        return r
    }

    /// Walks the structure after the version, checking every length against what remains, then the
    /// checksum and that nothing follows the trailer.
    private static func verifiedLayout(_ raw: UnsafeRawBufferPointer, reader r: inout Reader, source: String) throws -> Layout {
        let layout: Layout
        do {
            layout = try scan(&r)
        } catch let error as ModelFileError {
            // A complete-looking file whose lengths do not add up has had bytes changed, not lost:
            // say so when the checksum confirms it.
            if let damaged = checksumMismatchIfTrailerAtEnd(raw, source: source) { throw damaged }
            throw error
        }

        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: layout.trailerOffset, as: UInt32.self))
        let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<layout.trailerOffset]))
        if stored != computed {
            throw checksumError(source: source, stored: stored, computed: computed)
        }
        let end = layout.trailerOffset + 12
        if end != raw.count {
            throw ModelFileError(
                path: source,
                message: "\(source): trailing garbage: \(raw.count - end) bytes after the AUTOREND trailer",
                kind: .trailingGarbage)
        }
        return layout
    }

    /// The verified header bytes as a JSON object.
    private static func parseHeader(_ raw: UnsafeRawBufferPointer, _ layout: Layout, source: String) throws -> [String: Any] {
        let headerData = Data(UnsafeRawBufferPointer(rebasing: raw[layout.header]))
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: headerData, options: [])
        } catch {
            throw ModelFileError(
                path: source, message: "\(source): header is not a JSON object (it is not valid JSON)",
                kind: .malformed)
        }
        guard let header = parsed as? [String: Any] else {
            throw ModelFileError(
                path: source, message: "\(source): header is not a JSON object (found \(type(of: parsed)))",
                kind: .malformed)
        }
        return header
    }

    /// The verified arrays, each under a valid UTF-8 name that no other array has.
    private static func readArrays(_ raw: UnsafeRawBufferPointer, _ layout: Layout,
                                   source: String) throws -> [(name: String, values: [Float])] {
        var arrays: [(name: String, values: [Float])] = []
        arrays.reserveCapacity(layout.arrays.count)
        var seen = Set<String>()
        for (index, entry) in layout.arrays.enumerated() {
            guard let name = String(validating: UnsafeRawBufferPointer(rebasing: raw[entry.name]), as: UTF8.self) else {
                throw ModelFileError(
                    path: source, message: "\(source): the name of array #\(index + 1) is not valid UTF-8",
                    kind: .malformed)
            }
            guard seen.insert(name).inserted else {
                throw ModelFileError(
                    path: source, message: "\(source): two arrays are named '\(name)'", kind: .malformed)
            }
            arrays.append((name, readFloats(raw, at: entry.valuesOffset, count: entry.count)))
        }
        return arrays
    }

    /// Byte ranges found by `scan`, all already checked to lie inside the buffer.
    private struct Layout {
        var header: Range<Int>
        var arrays: [(name: Range<Int>, valuesOffset: Int, count: Int)]
        var trailerOffset: Int
    }

    private static func scan(_ r: inout Reader) throws -> Layout {
        let headerLength = try r.uint64("the header length")
        let header = try r.skip(headerLength, "the header")
        let count = try r.uint32("the array count")
        // Each array takes at least 12 bytes, which bounds the reservation for absurd counts.
        var arrays: [(name: Range<Int>, valuesOffset: Int, count: Int)] = []
        arrays.reserveCapacity(min(Int(count), r.remaining / 12))
        for i in 0..<Int(count) {
            let nameLength = try r.uint32("the name length of array #\(i + 1)")
            let name = try r.skip(UInt64(nameLength), "the name of array #\(i + 1)")
            let label = "array '\(String(decoding: UnsafeRawBufferPointer(rebasing: r.raw[name]), as: UTF8.self))'"
            let elements = try r.uint64("the element count of \(label)")
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: UInt64(MemoryLayout<Float>.size))
            if overflow {
                throw r.truncated(detail: "expected \(elements) Float32 values for \(label), more than any file holds")
            }
            let values = try r.skip(bytes, "the values of \(label)")
            arrays.append((name, values.lowerBound, Int(elements)))
        }
        let trailerOffset = r.offset
        try r.need(12, "the checksum and AUTOREND trailer")
        let marker = UnsafeRawBufferPointer(rebasing: r.raw[(trailerOffset + 4)..<(trailerOffset + 12)])
        if !marker.elementsEqual(endMagic) {
            throw ModelFileError(
                path: r.source,
                message: "\(r.source): missing trailer (expected AUTOREND after the checksum at byte \(trailerOffset))",
                kind: .missingTrailer)
        }
        return Layout(header: header, arrays: arrays, trailerOffset: trailerOffset)
    }

    /// When the structure does not parse but the file ends with a trailer whose checksum disagrees,
    /// the file was damaged rather than cut short; returns that error.
    private static func checksumMismatchIfTrailerAtEnd(_ raw: UnsafeRawBufferPointer, source: String) -> ModelFileError? {
        let minimum = 8 + 4 + 8 + 4 + 12
        guard raw.count >= minimum,
              UnsafeRawBufferPointer(rebasing: raw[(raw.count - 8)...]).elementsEqual(endMagic)
        else { return nil }
        let crcOffset = raw.count - 12
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: crcOffset, as: UInt32.self))
        let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<crcOffset]))
        return stored == computed ? nil : checksumError(source: source, stored: stored, computed: computed)
    }

    private static func checksumError(source: String, stored: UInt32, computed: UInt32) -> ModelFileError {
        ModelFileError(
            path: source,
            message: "\(source): checksum mismatch: the file is damaged (stored \(hex(stored)), computed \(hex(computed)))",
            kind: .checksumMismatch)
    }

    private static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func readFloats(_ raw: UnsafeRawBufferPointer, at offset: Int, count: Int) -> [Float] {
        guard count > 0, let base = raw.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            #if _endian(little)
            copyBytes(UnsafeMutableRawPointer(buffer.baseAddress!), base + offset, count * MemoryLayout<Float>.size)
            #else
            for i in 0..<count {
                let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self))
                buffer[i] = Float(bitPattern: bits)
            }
            #endif
            initialized = count
        }
    }

    /// Sequential little-endian reads that check the remaining length before every access.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        let source: String
        var offset = 0

        var remaining: Int { raw.count - offset }

        func truncated(detail: String) -> ModelFileError {
            ModelFileError(path: source, message: "\(source) is truncated (\(detail))", kind: .truncated)
        }

        func need(_ n: UInt64, _ what: String) throws {
            if n > UInt64(remaining) {
                throw truncated(
                    detail: "expected \(n) more bytes for \(what) at byte \(offset), but only \(remaining) remain")
            }
        }

        /// Checks and steps over `n` bytes, returning their range.
        mutating func skip(_ n: UInt64, _ what: String) throws -> Range<Int> {
            try need(n, what)
            let start = offset
            offset += Int(n)
            return start..<offset
        }

        mutating func uint32(_ what: String) throws -> UInt32 {
            try need(4, what)
            let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            offset += 4
            return UInt32(littleEndian: v)
        }

        mutating func uint64(_ what: String) throws -> UInt64 {
            try need(8, what)
            let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
            return UInt64(littleEndian: v)
        }
    }

    // MARK: - Files

    /// Writes the model to `path` atomically: the bytes go to a temporary file in the same folder,
    /// which is flushed to disk and then renamed over `path`, so readers never see a partial model.
    public func write(to path: String) throws {
        do { try FileAccess.checkOutput(path) } catch let error as FileAccessError {
            throw ModelFileError(path: path, message: error.description, kind: .io)
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

        func failure(_ what: String, _ code: Int32) -> ModelFileError {
            ModelFileError(
                path: path, message: "\(path) cannot be written (\(what): \(String(cString: strerror(code))))",
                kind: .io)
        }

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw failure("creating \(temporary)", errno) }
        var closed = false
        defer {
            if !closed { _ = close(fd) }
        }
        do {
            try encode(source: path) { (bytes: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < bytes.count {
                    let n = posixWrite(fd, bytes.baseAddress! + offset, min(bytes.count - offset, 1 << 30))
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure("writing", errno)
                    }
                    offset += n
                }
            }
            if fsync(fd) != 0 { throw failure("flushing", errno) }
            closed = true
            if close(fd) != 0 { throw failure("closing", errno) }
            if rename(temporary, path) != 0 { throw failure("renaming \(temporary) into place", errno) }
        } catch {
            _ = unlink(temporary)
            throw error
        }
        // Make the rename itself durable; best effort.
        let dirFD = open(folder, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            _ = close(dirFD)
        }
    }

    /// Reads and verifies the model at `path` (see `decode`).
    public static func read(from path: String) throws -> ModelFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelFileError(path: path, message: "\(path) does not exist", kind: .io)
        }
        if isDirectory.boolValue {
            throw ModelFileError(path: path, message: "\(path) is a directory, not a model file", kind: .io)
        }
        let data: Data
        do { data = try FileAccess.read(path) } catch let error as FileAccessError {
            throw ModelFileError(path: path, message: error.description, kind: .io)
        }
        return try decode(data, source: path)
    }
}

/// Copies `count` bytes. Kept out of line on purpose: Swift 6.3's LLVM may turn a memcpy at the
/// very end of a throwing function or closure into a tail call that skips restoring the error
/// register, so the caller sees a phantom thrown error and crashes (swiftlang/swift#90477, fixed
/// upstream by "Disable tail mem libcalls in swifterror functions"). An ordinary call is safe.
@inline(never)
private func copyBytes(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) {
    destination.copyMemory(from: source, byteCount: count)
}

/// The system `write(2)`, named apart from `ModelFile.write(to:)`.
@inline(__always)
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// Why a model file could not be read or written. `message` is a complete sentence that names
/// the file, fit to show a user as is; `kind` lets callers and tests tell the cases apart.
public struct ModelFileError: Error, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Equatable {
        case notAModelFile, unsupportedVersion, truncated, checksumMismatch, missingTrailer
        case trailingGarbage, malformed, missingArray, headerValue, unencodable, io
    }

    public let path: String
    public let message: String
    public let kind: Kind

    public init(path: String, message: String, kind: Kind = .malformed) {
        self.path = path
        self.message = message
        self.kind = kind
    }

    public var description: String { message }
}
