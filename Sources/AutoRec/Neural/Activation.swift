#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Element-wise activation functions, with derivatives written in terms of input and output so the
/// backward pass can reuse what the forward pass already computed.
public enum Activation: String, CaseIterable, Sendable, Codable {
    case sigmoid, identity, relu, elu, tanh

    @inlinable public func apply(_ x: Float) -> Float {
        switch self {
        case .sigmoid: return 1 / (1 + expf(-x))
        case .identity: return x
        case .relu: return x > 0 ? x : 0
        case .elu: return x > 0 ? x : expf(x) - 1
        case .tanh: return tanhf(x)
        }
    }

    /// d apply / dx at input `x` whose output was `y`.
    @inlinable public func derivative(input x: Float, output y: Float) -> Float {
        switch self {
        case .sigmoid: return y * (1 - y)
        case .identity: return 1
        case .relu: return x > 0 ? 1 : 0
        case .elu: return x > 0 ? 1 : y + 1
        case .tanh: return 1 - y * y
        }
    }

    /// Applies in place to `n` values.
    @inlinable public func apply(_ n: Int, _ p: UnsafeMutablePointer<Float>) {
        if self == .identity { return }
        for i in 0..<n { p[i] = apply(p[i]) }
    }
}
