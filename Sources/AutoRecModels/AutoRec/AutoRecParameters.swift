import Linalg
import AutoRecCore

/// The weights of an AutoRec network in one flat vector, so optimisers see a single array.
/// `inputs` is the length of an input vector (users for I-AutoRec, items for U-AutoRec).
/// Blocks: V (the encoder, one row of `hidden` weights per input unit), mu (hidden),
/// W (the decoder, one row per output unit), b (inputs).
/// V and W are stored tile-major: the hidden units are cut into tiles of `tileWidth` (the last one
/// narrower), and a tile's slices of all rows are contiguous, so that the sparse passes, which
/// visit one tile at a time, read one compact region instead of 128 bytes every `hidden` floats.
public struct AutoRecParameters: Equatable, Sendable {
    public let inputs: Int
    public let hidden: Int
    public var flat: [Float]

    public init(inputs: Int, hidden: Int, flat: [Float]) {
        precondition(flat.count == AutoRecParameters.count(inputs: inputs, hidden: hidden))
        self.inputs = inputs
        self.hidden = hidden
        self.flat = flat
    }

    /// Glorot-uniform weights (fixed by the seed), zero biases.
    public init(inputs: Int, hidden: Int, seed: UInt64) {
        self.inputs = inputs
        self.hidden = hidden
        var rng = SeededRandom(seed: seed)
        var flat = [Float](repeating: 0, count: AutoRecParameters.count(inputs: inputs, hidden: hidden))
        let limit = (6 / Float(inputs + hidden)).squareRoot()
        for i in 0..<(inputs * hidden) { flat[i] = (2 * rng.uniform() - 1) * limit }
        let w0 = inputs * hidden + hidden
        for i in 0..<(inputs * hidden) { flat[w0 + i] = (2 * rng.uniform() - 1) * limit }
        self.flat = flat
    }

    public static func count(inputs: Int, hidden: Int) -> Int {
        guard let n = checkedCount(inputs: inputs, hidden: hidden) else { preconditionFailure("AutoRec sizes overflow") }
        return n
    }

    /// `count` for sizes read from a file: nil when it overflows.
    public static func checkedCount(inputs: Int, hidden: Int) -> Int? {
        let i = CheckedSize(inputs), h = CheckedSize(hidden)
        return (CheckedSize(2) * i * h + h + i).value
    }

    /// Units per tile of the weight layout.
    public static let tileWidth = 32

    /// The hidden-unit ranges of the tiles.
    public static func tiles(hidden: Int) -> [Range<Int>] {
        stride(from: 0, to: hidden, by: tileWidth).map { $0..<min(hidden, $0 + tileWidth) }
    }

    /// Position of weight (row, unit) inside a V or W block of `inputs` rows.
    @inline(__always) public static func index(row: Int, unit: Int, inputs: Int, hidden: Int) -> Int {
        let lo = unit - unit % tileWidth
        return inputs * lo + row * min(tileWidth, hidden - lo) + (unit - lo)
    }

    /// Row `r` of the decoder W, gathered from its tiles.
    public func decoderRow(_ r: Int) -> [Float] {
        (0..<hidden).map { flat[decoderOffset + AutoRecParameters.index(row: r, unit: $0, inputs: inputs, hidden: hidden)] }
    }

    public var encoderOffset: Int { 0 }
    public var encoderBiasOffset: Int { inputs * hidden }
    public var decoderOffset: Int { inputs * hidden + hidden }
    public var decoderBiasOffset: Int { 2 * inputs * hidden + hidden }
}
