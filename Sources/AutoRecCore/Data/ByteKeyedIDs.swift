/// Dense indices for ids given as byte ranges of a file, in order of first appearance, without a
/// `String` built per line: an open-addressing table of FNV-1a hashes over the ids' bytes, which
/// are kept once in one flat array. The reader uses it for 20M-line files, where building and
/// hashing a `String` for every user and item was most of the parse; `idMap()` gives the usual
/// `IDMap` at the end.
struct ByteKeyedIDs {
    private var slots: [Int32]
    private var slotHashes: [UInt64]
    private var mask: Int
    private var bytes: [UInt8] = []
    private var starts: [Int] = [0]
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        slotHashes = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func hash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var k = start
        while k < end {
            h = (h ^ UInt64(p[k])) &* 0x100_0000_01b3
            k += 1
        }
        return h ^ (h >> 29)
    }

    @inline(__always)
    private func matches(_ index: Int, _ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let from = starts[index], length = starts[index + 1] - from
        guard length == end - start else { return false }
        var k = 0
        while k < length {
            if bytes[from + k] != p[start + k] { return false }
            k += 1
        }
        return true
    }

    /// Why the id in `p[start..<end]` cannot be used, or nil (`ExternalID.problem`, the one rule).
    static func problem(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String? {
        ExternalID.problem(UnsafeBufferPointer(rebasing: p[start..<end]))
    }

    /// The index of the id in `p[start..<end]`, added at the end when it is new; -1 (nothing added)
    /// for a new id that `problem` refuses.
    @inline(__always)
    mutating func index(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int32 {
        let h = Self.hash(p, start, end)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let found = slots[slot]
            if found < 0 { break }
            if slotHashes[slot] == h && matches(Int(found), p, start, end) { return found }
            slot = (slot + 1) & mask
        }
        if Self.problem(p, start, end) != nil { return -1 }
        let index = Int32(count)
        slots[slot] = index
        slotHashes[slot] = h
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<end]))
        starts.append(bytes.count)
        count += 1
        if count * 2 > slots.count { grow() }
        return index
    }

    /// Doubles the table and places every id again.
    private mutating func grow() {
        let size = slots.count * 2
        var newSlots = [Int32](repeating: -1, count: size)
        var newHashes = [UInt64](repeating: 0, count: size)
        let newMask = size - 1
        for old in 0..<slots.count where slots[old] >= 0 {
            var slot = Int(truncatingIfNeeded: slotHashes[old]) & newMask
            while newSlots[slot] >= 0 { slot = (slot + 1) & newMask }
            newSlots[slot] = slots[old]
            newHashes[slot] = slotHashes[old]
        }
        slots = newSlots
        slotHashes = newHashes
        mask = newMask
    }

    /// The ids as an `IDMap`, in the same order.
    func idMap() -> IDMap {
        bytes.withUnsafeBufferPointer { b in
            IDMap((0..<count).map { i in
                String(decoding: UnsafeBufferPointer(rebasing: b[starts[i]..<starts[i + 1]]), as: UTF8.self)
            })
        }
    }
}
