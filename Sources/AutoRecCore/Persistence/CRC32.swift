import Foundation

/// CRC-32 as used by zip, PNG and Ethernet (IEEE 802.3, reflected polynomial 0xEDB88320).
/// Model files carry one over all their bytes so that damage is caught on load; this is
/// table-driven with slicing-by-8, so checking a model of tens of megabytes costs milliseconds.
public struct CRC32: Sendable {
    /// The checksum of everything passed to `update` so far.
    public private(set) var value: UInt32 = 0

    public init() {}

    /// The checksum of `bytes` in one go.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    /// The checksum of `data` in one go.
    public static func checksum(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { checksum($0) }
    }

    /// The checksum of a byte sequence (an array, a string's `utf8` view, ...).
    public static func checksum<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }

    /// Extends the checksum with `bytes`, so that data arriving in pieces can be checked.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        value = CRC32.table.withUnsafeBufferPointer { t in
            CRC32.run(~value, base, bytes.count, t)
        }
    }

    /// Extends the checksum with `data`.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The core loop: `crc` is the running register (already inverted); returns the finished value.
    @inline(__always)
    private static func run(
        _ start: UInt32, _ base: UnsafeRawPointer, _ count: Int, _ t: UnsafeBufferPointer<UInt32>
    ) -> UInt32 {
        var crc = start
        var p = base
        var n = count
        // Eight bytes at a time: each of the eight tables advances one byte position further.
        while n >= 8 {
            let one = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) ^ crc
            let two = UInt32(littleEndian: (p + 4).loadUnaligned(as: UInt32.self))
            crc = t[7 * 256 + Int(one & 0xFF)]
                ^ t[6 * 256 + Int((one >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((one >> 16) & 0xFF)]
                ^ t[4 * 256 + Int(one >> 24)]
                ^ t[3 * 256 + Int(two & 0xFF)]
                ^ t[2 * 256 + Int((two >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((two >> 16) & 0xFF)]
                ^ t[Int(two >> 24)]
            p += 8
            n -= 8
        }
        // The tail, byte by byte with the classic table.
        while n > 0 {
            let byte = p.load(as: UInt8.self)
            crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            p += 1
            n -= 1
        }
        return ~crc
    }

    /// Eight 256-entry tables, back to back. Table 0 is the classic byte table; table k gives the
    /// effect of a byte followed by k zero bytes.
    private static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 {
                c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1)
            }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()
}
