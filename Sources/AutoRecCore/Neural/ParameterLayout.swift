/// Where each block of a network's weights lies in its one flat parameter vector (the vector Adam
/// steps and model files store): blocks are laid out in the order they are reserved.
package struct ParameterLayout {
    /// The values reserved so far: the vector's length once every block is laid out.
    package private(set) var count = 0

    package init() {}

    /// The next `size` values.
    package mutating func reserve(_ size: Int) -> Range<Int> {
        precondition(size >= 0 && count <= Int.max - size, "layer sizes overflow")
        defer { count += size }
        return count..<(count + size)
    }

    /// A dense layer: its weights (inputs x outputs, row-major), then its bias.
    package mutating func dense(inputs: Int, outputs: Int) -> DenseLayer {
        let weights = reserve(inputs * outputs), bias = reserve(outputs)
        return DenseLayer(inputs: inputs, outputs: outputs, w: weights.lowerBound, b: bias.lowerBound)
    }
}

/// One dense layer's shape and the offsets of its weights `w` (inputs x outputs) and bias `b`.
public struct DenseLayer: Sendable, Equatable {
    public let inputs: Int
    public let outputs: Int
    public let w: Int
    public let b: Int
    /// The range of its weight matrix (the part L2 and initialisation read).
    public var weights: Range<Int> { w..<(w + inputs * outputs) }
}
