import Linalg

/// Partial selection of the best entries of one score row for the streaming scorer. The threshold
/// starts at the `capacity`-th best of the maxima of chunks of the row; an eight-wide scan appends every
/// entry that reaches it to a candidate buffer; when the buffer fills, a quickselect keeps the best
/// `capacity` and raises the threshold to the worst kept. Entries are
/// packed into one UInt64 that orders as key descending, then item ascending, so the order is that
/// of `TopN.select`; NaN keys are never kept.
final class TopNSelection {
    /// How many entries a selection returns at most.
    let capacity: Int
    /// Candidates, packed by `pack`; smaller is better.
    private let candidates: UnsafeMutablePointer<UInt64>
    /// Room in `candidates` before a quickselect shrinks them to `capacity`.
    private let room: Int
    /// How many candidates the buffer holds.
    private var held = 0
    /// Keys must reach this to become candidates: a key that the best `capacity` all reach.
    private var threshold: Float = -.infinity

    init(capacity: Int) {
        self.capacity = capacity
        room = max(4 * capacity, 64)
        candidates = Memory.allocate(room, UInt64(0))
    }

    deinit { Memory.free(candidates) }

    /// Selects the best `capacity` non-NaN entries of `row[0..<count]`, each key plus `offsets[i]`
    /// when given, and returns how many there are; `item(at:)` and `key(at:)` read them, best first.
    @discardableResult
    func select(_ row: UnsafePointer<Float>, count: Int, offsets: UnsafePointer<Float>?) -> Int {
        held = 0
        if capacity == 0 { return 0 }
        threshold = initialThreshold(row, count: count, offsets: offsets)
        if let offsets { scan(row, offsets, count: count) } else { scan(row, count: count) }
        return bestFirst()
    }

    /// The `capacity`-th best of the maxima of up to `room` disjoint chunks of the row (eight entries
    /// or more each): `capacity` distinct entries reach it, so the best `capacity` all do, and the scan
    /// can start from it. -infinity when the row has too few chunks for that.
    private func initialThreshold(_ row: UnsafePointer<Float>, count: Int, offsets: UnsafePointer<Float>?) -> Float {
        let chunks = min(room, count / 8)
        guard chunks >= 2 * capacity else { return -.infinity }
        let width = (count / chunks) & ~7
        for chunk in 0..<chunks {
            candidates[chunk] = Self.pack(Self.maximum(row, offsets, (chunk * width)..<((chunk + 1) * width)), chunk)
        }
        Self.partition(candidates, count: chunks, keeping: capacity)
        held = capacity
        defer { held = 0 }
        return worstHeldKey()
    }

    /// The largest non-NaN key in `range` (-infinity when there is none).
    private static func maximum(_ row: UnsafePointer<Float>, _ offsets: UnsafePointer<Float>?, _ range: Range<Int>) -> Float {
        var best = SIMD8<Float>(repeating: -.infinity)
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            var v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
            if let offsets { v += UnsafeRawPointer(offsets + i).loadUnaligned(as: SIMD8<Float>.self) }
            best = best.replacing(with: v, where: v .> best)
            i += 8
        }
        let half = best.lowHalf.replacing(with: best.highHalf, where: best.highHalf .> best.lowHalf)
        let quarter = half.lowHalf.replacing(with: half.highHalf, where: half.highHalf .> half.lowHalf)
        var largest = Swift.max(quarter[0], quarter[1])
        while i < range.upperBound {
            let key = offsets.map { row[i] + $0[i] } ?? row[i]
            if key > largest { largest = key }
            i += 1
        }
        return largest
    }

    /// The vector loop over the row: entries that reach the threshold become candidates.
    private func scan(_ row: UnsafePointer<Float>, count: Int) {
        var i = 0
        var limit = SIMD8<Float>(repeating: threshold)
        while i + 8 <= count {
            let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
            if any(v .>= limit) {
                for j in i..<(i + 8) { offer(row[j], j) }
                limit = SIMD8<Float>(repeating: threshold)
            }
            i += 8
        }
        while i < count { offer(row[i], i); i += 1 }
    }

    /// The vector loop with a per-item offset added to every key.
    private func scan(_ row: UnsafePointer<Float>, _ offsets: UnsafePointer<Float>, count: Int) {
        var i = 0
        var limit = SIMD8<Float>(repeating: threshold)
        while i + 8 <= count {
            let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
                + UnsafeRawPointer(offsets + i).loadUnaligned(as: SIMD8<Float>.self)
            if any(v .>= limit) {
                for j in i..<(i + 8) { offer(row[j] + offsets[j], j) }
                limit = SIMD8<Float>(repeating: threshold)
            }
            i += 8
        }
        while i < count { offer(row[i] + offsets[i], i); i += 1 }
    }

    /// Appends entry (key, item) when its key reaches the threshold (NaN never does); shrinks the
    /// buffer when it is full.
    @inline(__always)
    private func offer(_ key: Float, _ item: Int) {
        guard key >= threshold else { return }
        candidates[held] = Self.pack(key, item)
        held += 1
        if held == room { shrink() }
    }

    /// Keeps the best `capacity` candidates and raises the threshold to the worst of them.
    private func shrink() {
        Self.partition(candidates, count: held, keeping: capacity)
        held = capacity
        threshold = worstHeldKey()
    }

    /// The key of the worst candidate held.
    private func worstHeldKey() -> Float {
        var worst = candidates[0]
        for i in 1..<max(1, held) where candidates[i] > worst { worst = candidates[i] }
        return Self.key(of: worst)
    }

    /// The kept entries, best first.
    private func bestFirst() -> Int {
        if held > capacity { Self.partition(candidates, count: held, keeping: capacity); held = capacity }
        var kept = UnsafeMutableBufferPointer(start: candidates, count: held)
        kept.sort()
        return held
    }

    /// The item of the `rank`-th best entry of the latest selection (0 is the best).
    @inline(__always)
    func item(at rank: Int) -> Int32 { Int32(truncatingIfNeeded: candidates[rank] & 0xFFFF_FFFF) }

    /// The key of the `rank`-th best entry of the latest selection.
    @inline(__always)
    func key(at rank: Int) -> Float { Self.key(of: candidates[rank]) }

    /// One entry as a UInt64 that is smaller for a higher key, then for a lower item. -0 packs as +0,
    /// so that the two compare equal as they do as Floats.
    @inline(__always)
    static func pack(_ key: Float, _ item: Int) -> UInt64 {
        let bits = (key + 0).bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(~ascending) << 32 | UInt64(UInt32(truncatingIfNeeded: item))
    }

    /// The key of a packed entry.
    @inline(__always)
    static func key(of packed: UInt64) -> Float {
        let ascending = ~UInt32(truncatingIfNeeded: packed >> 32)
        return Float(bitPattern: ascending & 0x8000_0000 != 0 ? ascending & 0x7FFF_FFFF : ~ascending)
    }

    /// Moves the `keep` smallest of `values[0..<count]` to the front, in any order (Wirth's quickselect).
    static func partition(_ values: UnsafeMutablePointer<UInt64>, count: Int, keeping keep: Int) {
        guard keep > 0 && keep < count else { return }
        let target = keep - 1
        var low = 0, high = count - 1
        while low < high {
            let pivot = values[target]
            var i = low, j = high
            repeat {
                while values[i] < pivot { i += 1 }
                while pivot < values[j] { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            } while i <= j
            if j < target { low = i }
            if target < i { high = j }
        }
    }
}

extension UnsafeMutablePointer {
    /// Swaps the values at two offsets.
    @inline(__always)
    fileprivate func swapAt(_ a: Int, _ b: Int) { let t = self[a]; self[a] = self[b]; self[b] = t }
}
