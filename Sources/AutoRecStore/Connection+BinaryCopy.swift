import CLibPQ
import Foundation

/// Rows for `COPY ... FROM STDIN (FORMAT binary)`, written straight from numeric columns: no text
/// formatting on our side and no parsing on the server's. Fields are stored big-endian into one
/// raw buffer, which is handed to libpq whenever it passes `flushBytes` (COPY data may be cut
/// anywhere), so memory stays bounded however many rows go.
public struct BinaryCopyWriter {
    /// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
    static let postgresEpochMicroseconds: Int64 = 946_684_800 * 1_000_000
    static let flushBytes = 1 << 20

    private final class Storage {
        var base: UnsafeMutableRawPointer
        var capacity: Int
        var count = 0
        init(capacity: Int) {
            self.capacity = capacity
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }
        deinit { base.deallocate() }
    }

    private let storage = Storage(capacity: BinaryCopyWriter.flushBytes + (64 << 10))
    let send: (UnsafeRawBufferPointer) throws -> Void
    public private(set) var rows = 0

    init(send: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.send = send
        // Signature, flags (no OIDs), header extension length.
        for byte in Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] { put(UInt8(byte)) }
        put(UInt32(0))
        put(UInt32(0))
    }

    /// Makes room for `bytes` more, sending what is buffered first when needed.
    private func reserve(_ bytes: Int) throws {
        guard storage.count + bytes > storage.capacity else { return }
        try flush()
        if bytes > storage.capacity {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
            storage.base.deallocate()
            storage.base = bigger
            storage.capacity = bytes
        }
    }

    @inline(__always)
    private func put<T: FixedWidthInteger>(_ value: T) {
        storage.base.storeBytes(of: value.bigEndian, toByteOffset: storage.count, as: T.self)
        storage.count += MemoryLayout<T>.size
    }

    /// Starts a row of `fields` columns (room is made for its fixed-size fields; arrays and bytes
    /// make their own).
    public mutating func beginRow(fields: Int) throws {
        if storage.count >= Self.flushBytes { try flush() }
        try reserve(2 + fields * 12)
        put(Int16(fields))
        rows += 1
    }

    public mutating func int64(_ value: Int64) {
        put(Int32(8))
        put(value)
    }

    public mutating func int32(_ value: Int32) {
        put(Int32(4))
        put(value)
    }

    public mutating func float32(_ value: Float) {
        put(Int32(4))
        put(value.bitPattern)
    }

    /// A bytea field.
    public mutating func bytes(_ value: UnsafeRawBufferPointer) throws {
        try reserve(4 + value.count)
        put(Int32(value.count))
        if let source = value.baseAddress, value.count > 0 {
            (storage.base + storage.count).copyMemory(from: source, byteCount: value.count)
        }
        storage.count += value.count
    }

    public mutating func null() {
        put(Int32(-1))
    }

    /// A timestamptz from Unix seconds.
    public mutating func timestamp(unixSeconds: Int64) {
        put(Int32(8))
        put(unixSeconds &* 1_000_000 &- Self.postgresEpochMicroseconds)
    }

    /// A one-dimensional array without NULLs of int8 (element OID 20) or float4 (700) values.
    private func arrayHeader(count: Int, elementOID: Int32, elementSize: Int32) throws {
        try reserve(24 + count * (4 + Int(elementSize)))
        put(Int32(20 + count * (4 + Int(elementSize))))
        put(Int32(1))        // dimensions
        put(Int32(0))        // no NULLs
        put(elementOID)
        put(Int32(count))    // length of the dimension
        put(Int32(1))        // lower bound
    }

    /// A `bigint[]` field.
    public mutating func int64Array(_ values: UnsafeBufferPointer<Int64>) throws {
        try arrayHeader(count: values.count, elementOID: 20, elementSize: 8)
        for v in values {
            put(Int32(8))
            put(v)
        }
    }

    /// A `real[]` field.
    public mutating func float32Array(_ values: UnsafeBufferPointer<Float>) throws {
        try arrayHeader(count: values.count, elementOID: 700, elementSize: 4)
        for v in values {
            put(Int32(4))
            put(v.bitPattern)
        }
    }

    func flush() throws {
        guard storage.count > 0 else { return }
        try send(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
        storage.count = 0
    }

    /// The trailer (-1 as the field count), then what is left.
    mutating func finish() throws {
        try reserve(2)
        put(Int16(-1))
        try flush()
    }
}

extension Connection {
    /// Runs `COPY table (columns) FROM STDIN (FORMAT binary)` and lets `body` write the rows through
    /// a `BinaryCopyWriter`. If `body` throws, the COPY is cancelled and the error rethrown. Returns
    /// the number of rows the server copied.
    @discardableResult
    public func copyInBinary(_ copySQL: String, _ body: (inout BinaryCopyWriter) throws -> Void) throws -> Int {
        try startCopyIn(copySQL)
        var writer = BinaryCopyWriter { bytes in try self.putCopyData(bytes) }
        do {
            try body(&writer)
            try writer.finish()
        } catch {
            _ = PQputCopyEnd(raw, "cancelled by the client: \(error)")
            while let r = PQgetResult(raw) { PQclear(r) }
            throw error
        }
        return try endCopyIn()
    }
}

/// One row of `COPY ... TO STDOUT (FORMAT binary)`: its fields as raw big-endian bytes.
public struct BinaryCopyRow {
    let base: UnsafeRawPointer
    /// Start and length of each field (length -1 for NULL).
    var fields: [(offset: Int, length: Int)] = []

    public var count: Int { fields.count }
    public func isNull(_ i: Int) -> Bool { fields[i].length < 0 }

    private func bigEndian<T: FixedWidthInteger>(_ i: Int, as: T.Type) -> T {
        precondition(fields[i].length == MemoryLayout<T>.size, "field \(i) is not \(MemoryLayout<T>.size) bytes")
        return T(bigEndian: base.loadUnaligned(fromByteOffset: fields[i].offset, as: T.self))
    }

    /// A bigint field.
    public func int64(_ i: Int) -> Int64 { bigEndian(i, as: Int64.self) }
    /// An integer field.
    public func int32(_ i: Int) -> Int32 { bigEndian(i, as: Int32.self) }
    /// A real field.
    public func float32(_ i: Int) -> Float { Float(bitPattern: bigEndian(i, as: UInt32.self)) }
    /// A timestamptz field as Unix seconds (rounded down).
    public func unixSeconds(_ i: Int) -> Int64 {
        let micros = bigEndian(i, as: Int64.self) &+ BinaryCopyWriter.postgresEpochMicroseconds
        return micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    }
    /// A bytea field's bytes.
    public func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + fields[i].offset, count: max(0, fields[i].length))
    }

    /// A text field.
    public func text(_ i: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(start: base + fields[i].offset, count: max(0, fields[i].length)), as: UTF8.self)
    }
}

extension Connection {
    /// Runs `COPY (...) TO STDOUT (FORMAT binary)` and hands each row to `row`, without text
    /// formatting on the server or parsing of numbers here.
    public func copyOutBinary(_ copySQL: String, row: (BinaryCopyRow) throws -> Void) throws {
        try startCopy(copySQL, expecting: PGRES_COPY_OUT)
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var first = true
        var fields: [(offset: Int, length: Int)] = []
        while true {
            let n = Int(PQgetCopyData(raw, &buffer, 0))
            if n == -1 { break }
            if n == -2 { throw StoreError("COPY failed: \(String(cString: PQerrorMessage(raw)))") }
            guard let b = buffer else { continue }
            defer { PQfreemem(b) }
            let bytes = UnsafeRawPointer(b)
            var offset = 0
            if first {
                // Signature (11 bytes), flags, header extension and its length.
                guard n >= 19 else { throw StoreError("COPY binary header too short") }
                let extensionLength = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 15, as: UInt32.self)))
                offset = 19 + extensionLength
                first = false
            }
            guard offset + 2 <= n else { continue }
            let fieldCount = Int(Int16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
            if fieldCount == -1 { continue }  // the trailer
            offset += 2
            fields.removeAll(keepingCapacity: true)
            for _ in 0..<fieldCount {
                guard offset + 4 <= n else { throw StoreError("COPY binary row cut short") }
                let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                offset += 4
                guard offset + max(0, length) <= n else { throw StoreError("COPY binary field cut short") }
                fields.append((offset, length))
                offset += max(0, length)
            }
            try row(BinaryCopyRow(base: bytes, fields: fields))
        }
        _ = try finishCopy()
    }
}
