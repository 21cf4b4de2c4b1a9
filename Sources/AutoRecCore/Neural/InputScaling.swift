/// Scaling of a sample's input vector by its number of observed entries n, so that a user with 700
/// ratings and one with 20 give the encoder inputs of a similar size (as SVD++ does with 1/sqrt(n)).
public enum InputScaling: String, CaseIterable, Sendable, Codable {
    case none, sqrt, count

    @inlinable @inline(__always) public func factor(count n: Int) -> Float {
        switch self {
        case .none: return 1
        case .sqrt: return n > 0 ? 1 / Float(n).squareRoot() : 1
        case .count: return n > 0 ? 1 / Float(n) : 1
        }
    }
}
