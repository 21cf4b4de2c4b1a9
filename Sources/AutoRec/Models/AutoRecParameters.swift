import Linalg

/// The weights of an AutoRec network in one flat vector, so optimisers see a single array.
/// `inputs` is the length of an input vector (users for I-AutoRec, items for U-AutoRec).
/// Layout: V (inputs x hidden, one row per input unit: the encoder, transposed),
/// mu (hidden), W (inputs x hidden, one row per output unit: the decoder), b (inputs).
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

    public static func count(inputs: Int, hidden: Int) -> Int { 2 * inputs * hidden + hidden + inputs }

    public var encoderOffset: Int { 0 }
    public var encoderBiasOffset: Int { inputs * hidden }
    public var decoderOffset: Int { inputs * hidden + hidden }
    public var decoderBiasOffset: Int { 2 * inputs * hidden + hidden }
}
